import { UnreadableError } from '../containers/budget.js';
import { LibraryCannotRead, MAX_TABLE_COLUMNS, MAX_TABLE_ROWS, type DocumentContent, type Table } from './reader.js';
import { XLSX } from './sheetjs.js';

type WorkSheet = import('@e965/xlsx').WorkSheet;

/**
 * Excel 97-2003 .xls (BIFF8, also BIFF5/Excel 95) and WPS Spreadsheets .et through SheetJS; also
 * the workbooks exceljs does not read (.xlsb, strict OOXML). Formulas are never evaluated (the
 * cached values are read), VBA is never loaded, nothing external is resolved.
 */
export function readWorkbookWithSheetJS(content: Buffer): DocumentContent {
  let wb;
  try {
    wb = XLSX.read(content, { type: 'buffer', cellFormula: false, cellHTML: false, cellStyles: false, bookVBA: false, sheetRows: MAX_TABLE_ROWS, WTF: false });
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    if (/password|encrypt/i.test(message)) throw new UnreadableError('encrypted', 'Excel 文件设置了打开密码，无法读取，请取消密码后重新发送', message);
    throw new LibraryCannotRead('corrupt', 'Excel 文件已损坏或格式不正确，无法读取', message);
  }
  const tables: Table[] = [];
  const lines: string[] = [];
  for (const name of wb.SheetNames) {
    const sheet = wb.Sheets[name];
    const table = sheet ? sheetTable(sheet) : [];
    tables.push(table);
    lines.push(name, ...table.map((r) => r.filter((c, i) => c !== '' && c !== r[i - 1]).join(' ')));
  }
  return { text: lines.join('\n'), tables, sheets: [...wb.SheetNames] };
}

function sheetTable(sheet: WorkSheet): Table {
  const ref = sheet['!ref'];
  if (!ref) return [];
  const range = XLSX.utils.decode_range(ref);
  range.e.c = Math.min(range.e.c, range.s.c + MAX_TABLE_COLUMNS - 1);
  range.e.r = Math.min(range.e.r, range.s.r + MAX_TABLE_ROWS - 1);
  const grid: string[][] = [];
  for (let r = range.s.r; r <= range.e.r; r++) {
    const row: string[] = [];
    for (let c = range.s.c; c <= range.e.c; c++) {
      const cell = sheet[XLSX.utils.encode_cell({ r, c })] as { w?: string; v?: unknown } | undefined;
      row.push(cellText(cell));
    }
    grid.push(row);
  }
  // A merged cell holds its value in the top-left cell only; repeat it over the area, as exceljs
  // does, so a merged header still sits above every column it spans.
  for (const m of (sheet['!merges'] ?? []) as Array<{ s: { r: number; c: number }; e: { r: number; c: number } }>) {
    const v = grid[m.s.r - range.s.r]?.[m.s.c - range.s.c];
    if (!v) continue;
    for (let r = m.s.r; r <= Math.min(m.e.r, range.e.r); r++) {
      for (let c = m.s.c; c <= Math.min(m.e.c, range.e.c); c++) {
        const row = grid[r - range.s.r];
        if (row && row[c - range.s.c] === '') row[c - range.s.c] = v;
      }
    }
  }
  const table: Table = [];
  for (const row of grid) {
    while (row.length > 0 && row[row.length - 1] === '') row.pop();
    if (row.length > 0) table.push(row);
  }
  return table;
}

function cellText(cell: { w?: string; v?: unknown } | undefined): string {
  if (!cell) return '';
  const t = cell.w ?? (cell.v === undefined || cell.v === null ? '' : String(cell.v));
  return t.replace(/\s+/g, ' ').trim();
}
