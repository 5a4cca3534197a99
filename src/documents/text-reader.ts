import iconv from 'iconv-lite';
import { decodeUnlabelled } from '../util/text-decode.js';
import { decodeText as decodeLabelled } from '../mail/charset.js';
import type { FileFormat } from '../mail/file-format.js';
import { MAX_TABLE_COLUMNS, MAX_TABLE_ROWS, type DocumentContent, type DocumentReader, type ReadHints, type Table } from './reader.js';

/**
 * A text file's bytes as text: a BOM says UTF-8 or UTF-16 (Excel's "Unicode text" is UTF-16LE
 * with tabs); otherwise the charset its mail part declared, where the bytes bear it out (a Big5
 * or a short GBK file reads as something else when guessed); otherwise valid UTF-8 is UTF-8 and
 * anything else GB18030, which is what Excel and Notepad on Chinese Windows write (GBK is a
 * subset).
 */
export function decodeText(bytes: Buffer, declared?: string): { text: string; encoding: string } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { text: bytes.subarray(3).toString('utf8'), encoding: 'utf-8 (BOM)' };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: iconv.decode(bytes.subarray(2), 'utf-16le'), encoding: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: iconv.decode(bytes.subarray(2), 'utf-16be'), encoding: 'utf-16be' };
  // UTF-16 without a BOM: every other byte of ASCII text is zero.
  const sample = bytes.subarray(0, 4096);
  let oddZeros = 0;
  let evenZeros = 0;
  for (let i = 0; i < sample.length; i++) if (sample[i] === 0) i % 2 ? oddZeros++ : evenZeros++;
  if (sample.length >= 16 && oddZeros > sample.length / 5 && evenZeros === 0) return { text: iconv.decode(bytes, 'utf-16le'), encoding: 'utf-16le' };
  if (sample.length >= 16 && evenZeros > sample.length / 5 && oddZeros === 0) return { text: iconv.decode(bytes, 'utf-16be'), encoding: 'utf-16be' };
  if (declared) {
    const d = decodeLabelled(bytes, declared);
    if (d.basis === 'label') return { text: d.text, encoding: `${d.charset} (declared)` };
  }
  return { text: decodeUnlabelled(bytes), encoding: bytes.every((b) => b < 0x80) ? 'ascii' : isUtf8(bytes) ? 'utf-8' : 'gb18030' };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
function isUtf8(bytes: Buffer): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** CSV as Excel writes it (RFC 4180): quoted fields may hold the delimiter, quotes ("") and line breaks. */
export function parseDelimited(text: string, delimiter: string): Table {
  const rows: Table = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < MAX_TABLE_ROWS; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (ch === delimiter) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      pushRow(rows, row);
      row = [];
      field = '';
    } else field += ch;
  }
  row.push(field);
  pushRow(rows, row);
  return rows;
}

function pushRow(rows: Table, row: string[]): void {
  const cells = row.slice(0, MAX_TABLE_COLUMNS).map((c) => c.replace(/\s+/g, ' ').trim());
  while (cells.length > 0 && cells[cells.length - 1] === '') cells.pop();
  if (cells.length > 0) rows.push(cells);
}

/** The delimiter that splits the first lines most consistently into more than one field. */
function delimiterOf(text: string, filename: string): string | null {
  if (/\.tsv$/i.test(filename)) return '\t';
  const lines = text.split(/\r?\n/, 20).filter((l) => l.trim() !== '');
  let best: { d: string; score: number } | null = null;
  // Prose is full of fullwidth commas and semicolons: only a .csv is split on them.
  const candidates = /\.csv$/i.test(filename) ? [',', '\t', ';', '，'] : ['\t'];
  for (const d of candidates) {
    const counts = lines.map((l) => l.split(d).length - 1);
    const withIt = counts.filter((c) => c > 0).length;
    if (withIt < Math.max(1, Math.ceil(lines.length / 2))) continue;
    const score = withIt * 10 + Math.min(...counts.filter((c) => c > 0));
    if (!best || score > best.score) best = { d, score };
  }
  if (best) return best.d;
  return /\.csv$/i.test(filename) ? ',' : null;
}

/** .txt, .csv and .tsv: decoded (UTF-8, UTF-16, GBK/GB18030) and, when delimited, read as a table. */
export const textReader: DocumentReader = {
  name: 'text',
  formats: ['text'],
  async read(content: Buffer, filename: string, _format?: FileFormat, hints?: ReadHints): Promise<DocumentContent> {
    const { text, encoding } = decodeText(content, hints?.charset);
    const d = delimiterOf(text, filename);
    const tables = d ? [parseDelimited(text, d)] : [];
    // The text stays as written (keywords, titles and signatures are searched in it); the table
    // is what the registration-form reader needs.
    return { text: text.replace(/\r\n?/g, '\n').trim(), tables, via: `text (${encoding})` };
  },
};
