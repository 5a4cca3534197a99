import mammoth from 'mammoth';
import { UnreadableError } from '../containers/budget.js';
import { isTruncatedZip, LibraryCannotRead, MAX_TABLE_COLUMNS, MAX_TABLE_ROWS, scanError, type DocumentContent, type DocumentReader, type Table } from './reader.js';

/** The part of mammoth's document model read here (mammoth/lib/documents.js). */
interface DocElement {
  type: string;
  value?: string;
  children?: DocElement[];
  colSpan?: number;
  rowSpan?: number;
}

/** mammoth's extractRawText, on the tree already read: paragraphs end in a blank line, tabs are kept. */
function rawText(e: DocElement): string {
  if (e.type === 'text') return e.value ?? '';
  if (e.type === 'tab') return '\t';
  return (e.children ?? []).map(rawText).join('') + (e.type === 'paragraph' ? '\n\n' : '');
}

/**
 * A cell's text on one line; a line break inside the cell separates words as a space does. A
 * table nested in the cell is left out: it is a table of its own, and copying its text into every
 * table around it would cost time and memory quadratic in the nesting depth (a hostile file).
 */
function cellText(e: DocElement): string {
  if (e.type === 'text') return e.value ?? '';
  if (e.type === 'tab' || e.type === 'break') return ' ';
  if (e.type === 'table') return '';
  return (e.children ?? []).map(cellText).join('') + (e.type === 'paragraph' ? ' ' : '');
}

/** A merge's extent; a missing or unreadable w:gridSpan (mammoth gives NaN) is one cell, as Word reads it. */
const span = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? Math.min(50, Math.max(1, n)) : 1);

/**
 * Every table of the document, nested ones too (after the table holding them), and its images.
 * Merged cells (colSpan/rowSpan; mammoth drops the cells a vertical merge covers) are repeated
 * over the area they cover so that every row keeps the header's columns.
 */
function tablesOf(root: DocElement): { tables: Table[]; images: number } {
  const tables: Table[] = [];
  let images = 0;
  const visit = (e: DocElement) => {
    if (e.type === 'image') images++;
    if (e.type === 'table') {
      const grid = tableGrid(e);
      if (grid.length > 0) tables.push(grid);
    }
    for (const c of e.children ?? []) visit(c);
  };
  visit(root);
  return { tables, images };
}

function tableGrid(table: DocElement): Table {
  const grid: Table = [];
  // Cells a rowspan carries into later rows: column → {text, rows left}.
  const carried = new Map<number, { text: string; left: number }>();
  for (const tr of table.children ?? []) {
    if (tr.type !== 'tableRow') continue;
    if (grid.length >= MAX_TABLE_ROWS) break;
    const row: string[] = [];
    const takeCarried = () => {
      for (let c = carried.get(row.length); c; c = carried.get(row.length)) {
        row.push(c.text);
        if (--c.left === 0) carried.delete(row.length - 1);
      }
    };
    for (const cell of tr.children ?? []) {
      if (cell.type !== 'tableCell') continue;
      takeCarried();
      const text = cellText(cell).replace(/\s+/g, ' ').trim();
      const rows = span(cell.rowSpan);
      for (let i = 0; i < span(cell.colSpan) && row.length < MAX_TABLE_COLUMNS; i++) {
        if (rows > 1) carried.set(row.length, { text, left: rows - 1 });
        row.push(text);
      }
    }
    takeCarried();
    if (row.some((c) => c !== '')) grid.push(row);
  }
  return grid;
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
    // One read of the document: mammoth's model is taken as it is handed to the HTML converter,
    // and the converter is given an empty document, so text, tables and images come from one
    // parse of the XML instead of a text pass plus an HTML pass (which cost as much again).
    let doc: DocElement | null = null;
    const options = {
      externalFileAccess: false,
      includeDefaultStyleMap: false,
      includeEmbeddedStyleMap: false,
      transformDocument: (d: DocElement) => {
        doc = d;
        return { ...d, children: [] };
      },
    };
    try {
      await mammoth.convertToHtml({ buffer: content }, options);
      const root = doc as DocElement | null;
      if (!root) throw new Error('mammoth returned no document');
      const text = rawText(root).replace(/\n{3,}/g, '\n\n').trim();
      const { tables, images } = tablesOf(root);
      if (text.replace(/\s/g, '').length === 0 && images > 0) throw scanError('Word 文件中只有图片');
      return { text, tables };
    } catch (err) {
      if (err instanceof UnreadableError) throw err;
      throw new LibraryCannotRead('corrupt', 'Word 文件已损坏或格式不正确，无法读取', (err as Error).message ?? String(err));
    }
  },
};
