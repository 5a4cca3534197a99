import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UnreadableError } from '../containers/budget.js';
import { MAX_TABLE_ROWS, scanError, type DocumentContent, type DocumentReader, type Table } from './reader.js';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjs: Promise<PdfJs> | null = null;
// pdf.js is large; load it the first time a PDF arrives, not at start-up.
export const loadPdfJs = () => (pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs'));

const require = createRequire(import.meta.url);
const PDFJS_DIR = dirname(require.resolve('pdfjs-dist/package.json'));
// CJK PDFs often use the predefined Adobe CMaps (UniGB-UCS2-H…) with fonts that are not
// embedded: without the CMaps their text cannot be mapped to Unicode. They ship inside
// pdfjs-dist and are read from disk, never fetched.
// In Node, pdf.js reads these with fs: plain paths (a file:// string would be taken as a path).
const CMAP_URL = join(PDFJS_DIR, 'cmaps') + '/';
const STANDARD_FONTS_URL = join(PDFJS_DIR, 'standard_fonts') + '/';

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
        const pageText = [...lines.map((l) => l.cells.map((c) => c.text).join(' ')), ...fields].join('\n');
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

interface Span {
  text: string;
  x0: number;
  x1: number;
}

/** Text runs close together: what a person reads as one cell. */
interface Cell extends Span {
  runs: Span[];
}

interface Line {
  cells: Cell[];
}

/** Text items grouped into lines (same baseline) and, within a line, into cells (by gaps). */
function linesOf(items: Item[]): Line[] {
  const sorted = [...items].sort((a, b) => b.y - a.y || a.x - b.x);
  const lines: Item[][] = [];
  for (const it of sorted) {
    const line = lines[lines.length - 1];
    if (line && Math.abs(line[0]!.y - it.y) <= Math.max(2, line[0]!.h * 0.4)) line.push(it);
    else lines.push([it]);
  }
  return lines.map((line) => {
    const runs = line.sort((a, b) => a.x - b.x).map((it) => ({ text: it.str.replace(/\s+/g, ' ').trim(), x0: it.x, x1: it.x + it.w, h: it.h }));
    const cells: Cell[] = [];
    for (const r of runs) {
      const last = cells[cells.length - 1];
      // A gap of a third of a character or more starts a new cell (table cells sit close together).
      const span = { text: r.text, x0: r.x0, x1: r.x1 };
      if (last && r.x0 - last.x1 < r.h * 0.3) {
        last.text += (r.x0 - last.x1 > r.h * 0.15 ? ' ' : '') + r.text;
        last.x1 = Math.max(last.x1, r.x1);
        last.runs.push(span);
      } else cells.push({ ...span, runs: [span] });
    }
    return { cells };
  });
}

/**
 * A page's lines as a table. The line with the most cells (a header row, usually) gives the
 * columns; every text run of every line goes to the column it overlaps most (else the nearest
 * one), so a right-aligned number does not stick to the next column's text and a row with an
 * empty cell does not shift its neighbours left. Only pages that look tabular (two or more lines
 * of three or more cells) give a table.
 */
function tableOf(lines: Line[]): Table | null {
  const wide = lines.filter((l) => l.cells.length >= 3);
  if (wide.length < 2) return null;
  const first = lines.indexOf(wide[0]!);
  const last = lines.lastIndexOf(wide[wide.length - 1]!);
  const region = lines.slice(Math.max(0, first - 3), Math.min(lines.length, last + 4));
  const headerLine = wide.reduce((a, b) => (b.cells.length > a.cells.length ? b : a));
  const anchor = [...headerLine.cells];
  // A header cell wrapped over two lines ("联系" / "电话") sits just above and below the header
  // line, not on it: a short cell there, in a gap between the columns, is a column of its own.
  const h = lines.indexOf(headerLine);
  for (const line of [lines[h - 1], lines[h + 1]]) {
    for (const c of line?.cells ?? []) if (c.text.length <= 6 && !anchor.some((a) => Math.min(a.x1, c.x1) > Math.max(a.x0, c.x0))) anchor.push(c);
  }
  anchor.sort((a, b) => a.x0 - b.x0);
  const table: Table = [];
  for (const line of region) {
    if (table.length >= MAX_TABLE_ROWS) break;
    const row = anchor.map(() => '');
    // Column boundaries halfway across the gaps between the header texts; each run of text goes
    // where its centre falls, so a right-aligned number and the next column's text set close
    // together ("1 濂溪区总工会", "王丽 0792-…") come apart, while a run touching the previous
    // one (the same word in another font) stays with it.
    const bounds = anchor.slice(1).map((a, i) => (anchor[i]!.x1 + a.x0) / 2);
    const column = (span: Span) => {
      const mid = (span.x0 + span.x1) / 2;
      const i = bounds.findIndex((b) => mid < b);
      return i < 0 ? anchor.length - 1 : i;
    };
    for (const cell of line.cells) {
      const spans = line.cells.length === 1 && cell.runs.length > 0 && anchor.length > 1 && cell.x1 - cell.x0 > (anchor[anchor.length - 1]!.x1 - anchor[0]!.x0) / 2 ? [cell] : cell.runs;
      let prev = null as { span: Span; col: number } | null;
      for (const span of spans) {
        const col: number = prev && span.x0 - prev.span.x1 < 1 ? prev.col : column(span);
        row[col] = row[col] ? `${row[col]}${prev?.col === col && span.x0 - prev.span.x1 < 1 ? '' : ' '}${span.text}` : span.text;
        prev = { span, col };
      }
    }
    table.push(row);
  }
  return table;
}
