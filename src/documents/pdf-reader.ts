import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UnreadableError } from '../containers/budget.js';
import { scanError } from './docx-reader.js';
import { MAX_TABLE_ROWS, type DocumentContent, type DocumentReader, type Table } from './reader.js';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjs: Promise<PdfJs> | null = null;
// pdf.js is large; load it the first time a PDF arrives, not at start-up.
const loadPdfJs = () => (pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs'));

const require = createRequire(import.meta.url);
const PDFJS_DIR = dirname(require.resolve('pdfjs-dist/package.json'));
// CJK PDFs often use the predefined Adobe CMaps (UniGB-UCS2-H…) with fonts that are not
// embedded: without the CMaps their text cannot be mapped to Unicode. They ship inside
// pdfjs-dist and are read from disk, never fetched.
const CMAP_URL = pathToFileURL(join(PDFJS_DIR, 'cmaps') + '/').href;
const STANDARD_FONTS_URL = pathToFileURL(join(PDFJS_DIR, 'standard_fonts') + '/').href;

const MAX_PAGES = 100;
const MAX_TEXT_CHARS = 400_000;
/** Fewer letters, digits or Han characters than this in the whole file: a scan (or a picture). */
const MIN_TEXT_CHARS = 5;

interface Item {
  str: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * PDF text through pdf.js (legacy build, made for Node). No script runs (isEvalSupported off, no
 * XFA, no JavaScript actions are ever executed by pdf.js's core), no font is loaded into the
 * system, nothing is fetched. A PDF without a text layer is a scan; one that needs a password to
 * open is encrypted (an owner password that only restricts printing or copying does not stop
 * reading).
 */
export const pdfReader: DocumentReader = {
  name: 'pdfjs',
  formats: ['pdf'],
  async read(content: Buffer): Promise<DocumentContent> {
    const { getDocument } = await loadPdfJs();
    const task = getDocument({
      data: new Uint8Array(content.buffer, content.byteOffset, content.length).slice(),
      isEvalSupported: false,
      enableXfa: false,
      disableFontFace: true,
      useSystemFonts: false,
      useWorkerFetch: false,
      disableAutoFetch: true,
      disableStream: true,
      isOffscreenCanvasSupported: false,
      isImageDecoderSupported: false,
      cMapUrl: CMAP_URL,
      cMapPacked: true,
      standardFontDataUrl: STANDARD_FONTS_URL,
      stopAtErrors: false,
      verbosity: 0,
    });
    let doc;
    try {
      doc = await task.promise;
    } catch (err) {
      await task.destroy().catch(() => {});
      const e = err as Error;
      if (e.name === 'PasswordException') throw new UnreadableError('encrypted', 'PDF 文件设置了打开密码，无法读取，请取消密码后重新发送', e.message);
      throw new UnreadableError('corrupt', 'PDF 文件已损坏或格式不正确，无法读取', e.message);
    }
    try {
      const pages = Math.min(doc.numPages, MAX_PAGES);
      const texts: string[] = [];
      const tables: Table[] = [];
      let chars = 0;
      for (let n = 1; n <= pages && chars < MAX_TEXT_CHARS; n++) {
        const page = await doc.getPage(n);
        const tc = await page.getTextContent();
        const items: Item[] = [];
        for (const it of tc.items) {
          if (!('str' in it) || it.str.trim() === '') continue;
          items.push({ str: it.str, x: it.transform[4], y: it.transform[5], w: it.width, h: Math.abs(it.transform[3]) || it.height || 10 });
        }
        const lines = linesOf(items);
        // A fillable PDF form keeps what was typed in its fields, not in the page's text.
        const fields = (await page.getAnnotations({ intent: 'display' }))
          .map((a: { fieldName?: string; fieldValue?: unknown }) => (typeof a.fieldValue === 'string' && a.fieldValue.trim() !== '' ? `${a.fieldName ?? ''} ${a.fieldValue}`.trim() : ''))
          .filter(Boolean);
        const pageText = [...lines.map((l) => l.map((c) => c.text).join(' ')), ...fields].join('\n');
        texts.push(pageText);
        chars += pageText.length;
        const table = tableOf(lines);
        if (table) tables.push(table);
        page.cleanup();
      }
      const text = texts.join('\n\n').trim();
      if ((text.match(/[\p{L}\p{N}]/gu)?.length ?? 0) < MIN_TEXT_CHARS) throw scanError('PDF 文件中没有文字，只有图片');
      return { text, tables, pages: doc.numPages };
    } catch (err) {
      if (err instanceof UnreadableError) throw err;
      throw new UnreadableError('corrupt', 'PDF 文件已损坏或格式不正确，无法读取', (err as Error).message);
    } finally {
      await doc.destroy().catch(() => {});
    }
  },
};

interface Cell {
  text: string;
  x0: number;
  x1: number;
}

/** Text items grouped into lines (same baseline) and, within a line, into cells (by gaps). */
function linesOf(items: Item[]): Cell[][] {
  const sorted = [...items].sort((a, b) => b.y - a.y || a.x - b.x);
  const lines: Item[][] = [];
  for (const it of sorted) {
    const line = lines[lines.length - 1];
    if (line && Math.abs(line[0]!.y - it.y) <= Math.max(2, line[0]!.h * 0.4)) line.push(it);
    else lines.push([it]);
  }
  return lines.map((line) => {
    const cells: Cell[] = [];
    for (const it of line.sort((a, b) => a.x - b.x)) {
      const last = cells[cells.length - 1];
      // A gap of a third of a character or more starts a new cell (table cells sit close together).
      if (last && it.x - last.x1 < it.h * 0.3) {
        last.text += (it.x - last.x1 > it.h * 0.15 ? ' ' : '') + it.str;
        last.x1 = Math.max(last.x1, it.x + it.w);
      } else cells.push({ text: it.str, x0: it.x, x1: it.x + it.w });
    }
    return cells.map((c) => ({ ...c, text: c.text.replace(/\s+/g, ' ').trim() }));
  });
}

/**
 * A page's lines as a table. The line with the most cells (a header row, usually) gives the
 * columns; every other cell goes to the column whose span it overlaps most, so a row with an
 * empty cell does not shift its neighbours left. Only pages that look tabular (two or more lines
 * of three or more cells) give a table.
 */
function tableOf(lines: Cell[][]): Table | null {
  const wide = lines.filter((l) => l.length >= 3);
  if (wide.length < 2) return null;
  const anchor = wide.reduce((a, b) => (b.length > a.length ? b : a));
  const first = lines.indexOf(wide[0]!);
  const last = lines.lastIndexOf(wide[wide.length - 1]!);
  const table: Table = [];
  for (const line of lines.slice(Math.max(0, first - 3), Math.min(lines.length, last + 4))) {
    if (table.length >= MAX_TABLE_ROWS) break;
    const row = anchor.map(() => '');
    for (const cell of line) {
      let best = 0;
      let bestScore = -Infinity;
      anchor.forEach((a, i) => {
        const overlap = Math.min(a.x1, cell.x1) - Math.max(a.x0, cell.x0);
        const score = overlap > 0 ? overlap : -Math.abs((a.x0 + a.x1) / 2 - (cell.x0 + cell.x1) / 2);
        if (score > bestScore) {
          bestScore = score;
          best = i;
        }
      });
      row[best] = row[best] ? `${row[best]} ${cell.text}` : cell.text;
    }
    table.push(row);
  }
  return table;
}
