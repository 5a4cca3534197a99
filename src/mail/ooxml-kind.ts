/**
 * Which Office Open XML document a zip is, from its central directory's entry names. Searching
 * the raw bytes for "xl/workbook" is fooled by a Word file with an Excel table embedded in it:
 * the embedded workbook's own part names are in the bytes too. The central directory lists only
 * the outer package's parts. Null when there is no readable central directory (a truncated file).
 */
export function ooxmlKind(zip: Buffer): 'docx' | 'xlsx' | 'pptx' | null {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]), Math.max(0, zip.length - 22));
  if (eocd < 0 || eocd + 22 > zip.length) return null;
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  let docx = false;
  let xlsx = false;
  let pptx = false;
  for (let i = 0; i < entries && p + 46 <= zip.length && zip.readUInt32LE(p) === 0x02014b50; i++) {
    const nameLen = zip.readUInt16LE(p + 28);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('latin1');
    if (name === 'word/document.xml') docx = true;
    else if (name === 'xl/workbook.xml' || name === 'xl/workbook.bin') xlsx = true;
    else if (name === 'ppt/presentation.xml') pptx = true;
    p += 46 + nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
  }
  return docx ? 'docx' : xlsx ? 'xlsx' : pptx ? 'pptx' : null;
}
