import WordExtractor from 'word-extractor';
import { UnreadableError } from '../containers/budget.js';
import type { OleFile } from './ole.js';
import { LibraryCannotRead, type DocumentContent } from './reader.js';
import { tablesFromTabbedText } from './word-tables.js';

const extractor = new WordExtractor();

/**
 * Word 97-2003 .doc and WPS Writer .wps (WPS saves the same binary format) through word-extractor.
 * The FIB says whether the file is password-protected: word-extractor itself would read the
 * encrypted bytes as text or fail obscurely, so the flag is checked first.
 */
export async function readWordBinary(content: Buffer, ole: OleFile): Promise<DocumentContent> {
  const fib = ole.stream('WordDocument');
  if (!fib || fib.length < 0x20) throw new UnreadableError('corrupt', 'Word 文件已损坏（缺少正文结构），无法读取');
  const wIdent = fib.readUInt16LE(0);
  const nFib = fib.readUInt16LE(2);
  const flags = fib.readUInt16LE(0x0a);
  // fEncrypted (0x0100) is RC4/CryptoAPI encryption, fObfuscated (0x8000) the older XOR scheme:
  // both mean "opening this needs a password".
  if (flags & 0x0100 || flags & 0x8000) throw new UnreadableError('encrypted', 'Word 文件设置了打开密码，无法读取，请取消密码后重新发送');
  // Rights-managed (IRM/DRM) documents carry a stub text telling the reader to use Office.
  if (ole.streams.some((s) => s.includes('DRMContent'))) throw new UnreadableError('encrypted', 'Word 文件受权限保护（IRM），无法读取，请取消保护后重新发送');
  if (wIdent !== 0xa5ec || nFib < 0xc1) {
    throw new LibraryCannotRead('unsupported', '暂不支持读取此 Word 版本（Word 95 或更早），请另存为 .docx 后重新发送', `wIdent 0x${wIdent.toString(16)}, nFib ${nFib}`);
  }
  let doc;
  try {
    doc = await extractor.extract(content);
  } catch (err) {
    throw new LibraryCannotRead('corrupt', 'Word 文件已损坏或格式不正确，无法读取', (err as Error).message);
  }
  const body = doc.getBody();
  const boxes = doc.getTextboxes({ includeHeadersAndFooters: false, includeBody: true });
  const text = [body, boxes].filter((t) => t.trim() !== '').join('\n').replace(/\r/g, '\n');
  return { text: text.replace(/\t+/g, ' ').replace(/[ \u00a0]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim(), tables: tablesFromTabbedText(body) };
}
