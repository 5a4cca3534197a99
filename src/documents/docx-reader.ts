import mammoth from 'mammoth';
import { fromBufferPromise } from 'yauzl';
import { UnreadableError } from '../containers/budget.js';
import { isTruncatedZip, LibraryCannotRead, MAX_TABLE_ROWS, scanError, type DocumentContent, type DocumentReader, type Table } from './reader.js';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function htmlText(html: string): string {
  return html
    .replace(/<br\s*\/?>/g, '\n')
    .replace(/<\/p>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) => {
      if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .trim();
}

const span = (attrs: string, name: string) => Math.min(50, Math.max(1, Number(new RegExp(`${name}="(\\d+)"`).exec(attrs)?.[1] ?? 1)));

/**
 * mammoth's HTML is simple and well formed, so tables can be taken from it with patterns rather
 * than a DOM. Merged cells (colspan/rowspan) are repeated over the area they cover so that every
 * row keeps the header's columns; nested tables are flattened.
 */
export function tablesFromHtml(html: string): Table[] {
  const tables: Table[] = [];
  for (const t of html.matchAll(/<table>([\s\S]*?)<\/table>/g)) {
    const grid: Table = [];
    // Cells a rowspan carries into later rows: column → {text, rows left}.
    const carried = new Map<number, { text: string; left: number }>();
    for (const tr of t[1]!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)) {
      if (grid.length >= MAX_TABLE_ROWS) break;
      const row: string[] = [];
      const takeCarried = () => {
        for (let c = carried.get(row.length); c; c = carried.get(row.length)) {
          row.push(c.text);
          if (--c.left === 0) carried.delete(row.length - 1);
        }
      };
      for (const c of tr[1]!.matchAll(/<t[dh]([^>]*)>([\s\S]*?)<\/t[dh]>/g)) {
        takeCarried();
        const text = htmlText(c[2]!).replace(/\s+/g, ' ');
        const cols = span(c[1]!, 'colspan');
        const rows = span(c[1]!, 'rowspan');
        for (let i = 0; i < cols; i++) {
          if (rows > 1) carried.set(row.length, { text, left: rows - 1 });
          row.push(text);
        }
      }
      takeCarried();
      if (row.some((c) => c !== '')) grid.push(row);
    }
    if (grid.length > 0) tables.push(grid);
  }
  return tables;
}

/**
 * .docx/.docm through mammoth. Macros in .docm are never executed: only the XML is read; images
 * are not decoded and linked files are never opened (mammoth's externalFileAccess stays off).
 */
export const docxReader: DocumentReader = {
  name: 'mammoth',
  formats: ['docx'],
  async read(content: Buffer): Promise<DocumentContent> {
    if (isTruncatedZip(content)) throw new UnreadableError('corrupt', 'Word 文件已损坏或不完整（可能未传完），无法读取');
    let images = 0;
    const options = {
      ignoreEmptyParagraphs: true,
      externalFileAccess: false,
      convertImage: mammoth.images.imgElement(async () => {
        images++;
        return { src: '' };
      }),
    };
    try {
      const raw = await mammoth.extractRawText({ buffer: content });
      const text = raw.value.replace(/\n{3,}/g, '\n\n').trim();
      const empty = text.replace(/\s/g, '').length === 0;
      // The HTML pass finds tables and counts images, and costs as much as the text pass: it runs
      // only for a document with a table, or one without text (a scan pasted into Word?).
      const html = empty || (await mayHaveTables(content)) ? await mammoth.convertToHtml({ buffer: content }, options) : null;
      if (empty && images > 0) throw scanError('Word 文件中只有图片');
      return { text, tables: html ? tablesFromHtml(html.value) : [] };
    } catch (err) {
      if (err instanceof UnreadableError) throw err;
      throw new LibraryCannotRead('corrupt', 'Word 文件已损坏或格式不正确，无法读取', (err as Error).message ?? String(err));
    }
  },
};

/**
 * Whether the document body has a table (w:tbl, whatever the namespace prefix). Anything odd
 * answers yes, so the full path runs and reports the problem.
 */
async function mayHaveTables(content: Buffer): Promise<boolean> {
  try {
    const zip = await fromBufferPromise(content, { lazyEntries: true });
    try {
      for await (const entry of zip.eachEntry()) {
        if (entry.fileName !== 'word/document.xml') continue;
        const chunks: Buffer[] = [];
        for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer);
        return /<(\w+:)?tbl[\s>]/.test(Buffer.concat(chunks).toString('utf8'));
      }
    } finally {
      zip.close();
    }
  } catch {
    return true;
  }
  return true;
}
