/** What a file really is, judged by its first bytes before its name (names and types lie). */
export type FileFormat = 'xlsx' | 'docx' | 'pptx' | 'zip' | 'pdf' | 'ole' | 'rtf' | 'eml' | 'rar' | '7z' | 'gzip' | 'image' | 'text' | 'unknown';

const EXT: Record<string, FileFormat> = {
  xlsx: 'xlsx', xlsm: 'xlsx', docx: 'docx', docm: 'docx', pptx: 'pptx', zip: 'zip', pdf: 'pdf',
  doc: 'ole', xls: 'ole', wps: 'ole', et: 'ole', rtf: 'rtf', eml: 'eml', rar: 'rar', '7z': '7z',
  gz: 'gzip', jpg: 'image', jpeg: 'image', png: 'image', gif: 'image', bmp: 'image', tif: 'image', tiff: 'image',
  txt: 'text', csv: 'text',
};

export function extensionOf(filename: string): string {
  const m = /\.([a-z0-9]{1,5})$/i.exec(filename.trim());
  return m ? m[1]!.toLowerCase() : '';
}

export function detectFormat(filename: string, content: Buffer, contentType = ''): FileFormat {
  const head = content.subarray(0, 8);
  if (head.length >= 4 && head.readUInt32BE(0) === 0x504b0304) {
    // An OOXML file is a zip whose first entry is usually [Content_Types].xml; the part names
    // that tell Word from Excel appear in the local headers and the central directory.
    const hasPart = (name: string) => content.indexOf(name, 0, 'latin1') >= 0;
    if (hasPart('[Content_Types].xml')) {
      if (hasPart('xl/workbook')) return 'xlsx';
      if (hasPart('word/document')) return 'docx';
      if (hasPart('ppt/presentation')) return 'pptx';
    }
    // A damaged .xlsx/.docx is still what its sender meant to send: say "damaged Excel file",
    // not "damaged archive".
    const byName = EXT[extensionOf(filename)];
    if (byName === 'xlsx' || byName === 'docx' || byName === 'pptx') return byName;
    return 'zip';
  }
  if (head.length >= 4 && head.readUInt32BE(0) === 0x504b0506) return 'zip'; // empty archive
  if (head.length >= 8 && head.readUInt32BE(0) === 0xd0cf11e0 && head.readUInt32BE(4) === 0xa1b11ae1) return 'ole';
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  if (content.subarray(0, 1024).indexOf('%PDF-', 0, 'latin1') >= 0) return 'pdf';
  if (head.subarray(0, 5).toString('latin1') === '{\\rtf') return 'rtf';
  if (head.subarray(0, 4).toString('latin1') === 'Rar!') return 'rar';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]))) return '7z';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff])) || head.subarray(0, 4).toString('latin1') === '\x89PNG' || head.subarray(0, 3).toString('latin1') === 'GIF') return 'image';
  if (contentType === 'message/rfc822') return 'eml';
  const byExt = EXT[extensionOf(filename)];
  if (byExt && byExt !== 'xlsx' && byExt !== 'docx' && byExt !== 'zip' && byExt !== 'pdf' && byExt !== 'ole') return byExt;
  if (contentType.startsWith('text/')) return 'text';
  return 'unknown';
}
