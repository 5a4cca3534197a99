import iconv from 'iconv-lite';
import { decodeText, scoreGb18030 } from '../mail/charset.js';

/**
 * Decodes bytes whose charset nobody declared: ASCII as is, valid UTF-8 as UTF-8, text that
 * reads as Chinese as GB18030 (a superset of GBK and GB2312, what Chinese Windows writes), other
 * East Asian charsets by their script, and anything else that is valid GB18030 as GB18030, else
 * Windows-1252. See mail/charset.ts for how each is recognised.
 */
export function decodeUnlabelled(bytes: Buffer): string {
  const d = decodeText(bytes);
  if (d.basis === 'fallback' && d.charset === 'windows-1252' && scoreGb18030(bytes).invalid === 0) return iconv.decode(bytes, 'gb18030');
  return d.text;
}
