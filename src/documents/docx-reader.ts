import mammoth from 'mammoth';
import { fromBufferPromise } from 'yauzl';
import { UnreadableError } from '../containers/budget.js';
import type { DocumentContent, DocumentReader, Table } from './reader.js';

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

/**
 * mammoth's HTML is simple and well formed (no attributes on table tags we rely on), so tables
 * can be taken from it with patterns rather than a DOM. Nested tables are flattened.
 */
export function tablesFromHtml(html: string): Table[] {
  const tables: Table[] = [];
  for (const t of html.matchAll(/<table>([\s\S]*?)<\/table>/g)) {
    const rows: Table = [];
    for (const tr of t[1]!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)) {
      const cells = [...tr[1]!.matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((c) => htmlText(c[1]!).replace(/\s+/g, ' '));
      if (cells.some((c) => c !== '')) rows.push(cells);
    }
    if (rows.length > 0) tables.push(rows);
  }
  return tables;
}

/** .docx/.docm through mammoth. Macros in .docm are never executed: only the XML is read. */
export const docxReader: DocumentReader = {
  name: 'mammoth',
  formats: ['docx'],
  async read(content: Buffer): Promise<DocumentContent> {
    try {
      // The HTML pass is only for tables, and costs as much as the text pass: skip it when the
      // document has none (most plans), which leaves the result exactly the same.
      const [raw, html] = await Promise.all([
        mammoth.extractRawText({ buffer: content }),
        (await mayHaveTables(content)) ? mammoth.convertToHtml({ buffer: content }, { ignoreEmptyParagraphs: true, convertImage: mammoth.images.imgElement(async () => ({ src: '' })) }) : null,
      ]);
      return { text: raw.value.replace(/\n{3,}/g, '\n\n').trim(), tables: html ? tablesFromHtml(html.value) : [] };
    } catch (err) {
      throw new UnreadableError('corrupt', 'Word 文件已损坏或格式不正确，无法读取', (err as Error).message);
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
