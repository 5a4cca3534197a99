import { ooxmlKind } from './ooxml-kind.js';

/**
 * What a file really is, judged by its first bytes before its name (names and types lie:
 * `application/octet-stream` for everything, a .xls that is really .xlsx, a .doc that is HTML).
 *
 * `ole` is every OLE2 compound file (Word/Excel 97-2003, WPS .wps/.et, password-protected
 * OOXML, Outlook .msg); the document readers tell them apart. `odf` is OpenDocument (.odt/.ods),
 * `ofd` the Chinese fixed-layout format (GB/T 33190); both are zips that must not be opened as
 * archives. `tnef` is Outlook's winmail.dat.
 */
export type FileFormat =
  | 'xlsx'
  | 'docx'
  | 'pptx'
  | 'zip'
  | 'pdf'
  | 'ole'
  | 'rtf'
  | 'eml'
  | 'rar'
  | '7z'
  | 'gzip'
  | 'tar'
  | 'tnef'
  | 'odf'
  | 'ofd'
  | 'html'
  | 'image'
  | 'text'
  | 'unknown';

const EXT: Record<string, FileFormat> = {
  xlsx: 'xlsx', xlsm: 'xlsx', docx: 'docx', docm: 'docx', pptx: 'pptx', zip: 'zip', pdf: 'pdf',
  doc: 'ole', xls: 'ole', wps: 'ole', et: 'ole', dps: 'ole', ppt: 'ole', msg: 'ole', rtf: 'rtf', eml: 'eml', rar: 'rar', '7z': '7z',
  gz: 'gzip', tgz: 'gzip', tar: 'tar', dat: 'unknown', odt: 'odf', ods: 'odf', odp: 'odf', ofd: 'ofd',
  htm: 'html', html: 'html', mht: 'html', mhtml: 'html',
  jpg: 'image', jpeg: 'image', png: 'image', gif: 'image', bmp: 'image', tif: 'image', tiff: 'image', webp: 'image', heic: 'image',
  txt: 'text', csv: 'text',
};

/** Formats a name alone may decide only when the bytes carry no signature of their own. */
const NAME_ONLY: ReadonlySet<FileFormat> = new Set(['text', 'html', 'eml', 'rtf', 'tar']);

/** The format a file's name claims (`.pdf` → pdf), whatever its bytes are; `unknown` for none. */
export function formatByName(filename: string): FileFormat {
  return EXT[extensionOf(filename)] ?? 'unknown';
}

export function extensionOf(filename: string): string {
  const m = /\.([a-z0-9]{1,5})$/i.exec(filename.trim());
  return m ? m[1]!.toLowerCase() : '';
}

const TNEF_CONTENT_TYPES = /^application\/(?:vnd\.)?ms-tnef$/i;

/** Header names that open a message: a file that starts with two of these is an RFC 822 message. */
const MESSAGE_HEADER = /^(?:received|return-path|from|to|subject|date|message-id|mime-version|delivered-to|x-[\w-]+|content-type|reply-to|cc|dkim-signature|authentication-results|arc-[\w-]+|sender|thread-topic|thread-index|x-mailer)$/i;

function looksLikeMessage(content: Buffer): boolean {
  const head = content.subarray(0, 4096).toString('latin1');
  const lines = head.split(/\r?\n/, 30);
  let known = 0;
  for (const line of lines) {
    if (line === '') break;
    if (/^[ \t]/.test(line)) continue;
    const m = /^([\x21-\x39\x3b-\x7e]+):/.exec(line);
    if (!m) {
      if (/^From /.test(line) && known === 0) continue; // mbox separator
      return false;
    }
    if (MESSAGE_HEADER.test(m[1]!)) known++;
  }
  return known >= 2;
}

/** Text: no NUL bytes and few control characters in the first few kilobytes. */
function looksLikeText(content: Buffer): boolean {
  const head = content.subarray(0, 8192);
  if (head.length === 0) return false;
  let control = 0;
  for (const b of head) {
    if (b === 0) return false;
    if (b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b)) control++;
  }
  return control <= head.length * 0.01;
}

function zipFormat(content: Buffer, filename: string): FileFormat {
  // The central directory names the package's own parts; only when it cannot be read (a
  // truncated file) do the part names anywhere in the bytes tell Word from Excel.
  const listed = ooxmlKind(content);
  if (listed) return listed;
  const hasPart = (name: string) => content.indexOf(name, 0, 'latin1') >= 0;
  if (hasPart('[Content_Types].xml')) {
    if (hasPart('xl/workbook')) return 'xlsx';
    if (hasPart('word/document')) return 'docx';
    if (hasPart('ppt/presentation')) return 'pptx';
  }
  // OpenDocument starts with a stored "mimetype" entry naming itself.
  if (content.subarray(30, 38).toString('latin1') === 'mimetype' && content.subarray(38, 100).toString('latin1').includes('application/vnd.oasis.opendocument')) return 'odf';
  if (hasPart('OFD.xml')) return 'ofd';
  // A damaged .xlsx/.docx is still what its sender meant to send: say "damaged Excel file",
  // not "damaged archive".
  const byName = EXT[extensionOf(filename)];
  if (byName === 'xlsx' || byName === 'docx' || byName === 'pptx' || byName === 'odf' || byName === 'ofd') return byName;
  return 'zip';
}

export function detectFormat(filename: string, content: Buffer, contentType = ''): FileFormat {
  const head = content.subarray(0, 8);
  const type = contentType.toLowerCase();
  if (head.length >= 4 && head.readUInt32BE(0) === 0x504b0304) return zipFormat(content, filename);
  if (head.length >= 4 && (head.readUInt32BE(0) === 0x504b0506 || head.readUInt32BE(0) === 0x504b0708)) return 'zip'; // empty or spanned archive
  if (head.length >= 8 && head.readUInt32BE(0) === 0xd0cf11e0 && head.readUInt32BE(4) === 0xa1b11ae1) return 'ole';
  if (head.length >= 4 && head.readUInt32LE(0) === 0x223e9f78) return 'tnef';
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  if (head.subarray(0, 5).toString('latin1') === '{\\rtf') return 'rtf';
  if (head.subarray(0, 4).toString('latin1') === 'Rar!') return 'rar';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]))) return '7z';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (content.length >= 262 && content.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  if (
    head.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff])) ||
    head.subarray(0, 4).toString('latin1') === '\x89PNG' ||
    head.subarray(0, 3).toString('latin1') === 'GIF' ||
    head.subarray(0, 2).toString('latin1') === 'BM' ||
    head.subarray(0, 4).equals(Buffer.from([0x49, 0x49, 0x2a, 0x00])) ||
    head.subarray(0, 4).equals(Buffer.from([0x4d, 0x4d, 0x00, 0x2a])) ||
    (content.subarray(0, 4).toString('latin1') === 'RIFF' && content.subarray(8, 12).toString('latin1') === 'WEBP')
  ) {
    return 'image';
  }
  // A PDF may start after a few bytes of junk (some scanners and mail gateways add them).
  if (content.subarray(0, 1024).indexOf('%PDF-', 0, 'latin1') >= 0) return 'pdf';
  if (TNEF_CONTENT_TYPES.test(type)) return 'tnef';
  if (type === 'message/rfc822' || type === 'message/global') return 'eml';
  const byExt = EXT[extensionOf(filename)];
  if (looksLikeText(content)) {
    // Word "saved as web page" files and MHTML are often named .doc by their senders.
    const start = content.subarray(0, 1024).toString('latin1').replace(/^\xEF\xBB\xBF/, '').trimStart().toLowerCase();
    if (/^(?:<!doctype html|<html|<\?xml[^>]*>\s*<html)/.test(start)) return 'html';
    if (looksLikeMessage(content)) {
      const mhtml = /content-type:\s*multipart\/related/i.test(content.subarray(0, 4096).toString('latin1'));
      if (mhtml && byExt !== 'eml') return 'html';
      return 'eml';
    }
    if (type === 'text/html') return 'html';
    if (byExt && NAME_ONLY.has(byExt)) return byExt;
    return 'text';
  }
  if (byExt && NAME_ONLY.has(byExt) && byExt !== 'text' && byExt !== 'html') return byExt;
  return 'unknown';
}
