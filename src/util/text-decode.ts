import iconv from 'iconv-lite';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes bytes whose charset nobody declared: ASCII as is, valid UTF-8 as UTF-8, anything else
 * as GB18030 (a superset of GBK and GB2312), which is what Chinese Windows writes.
 */
export function decodeUnlabelled(bytes: Buffer): string {
  if (bytes.every((b) => b < 0x80)) return bytes.toString('latin1');
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return iconv.decode(bytes, 'gb18030');
  }
}
