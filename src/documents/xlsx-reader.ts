import type * as ExcelJS from 'exceljs';
// exceljs's own entry also loads its streaming reader and writer (unzipper and the rest), which
// this reader never uses: loading only the Workbook class (the one that entry exports) halves
// the library's start-up in the reading process (0.17 against 0.38 s here).
import Workbook from 'exceljs/lib/doc/workbook.js';
import { UnreadableError } from '../containers/budget.js';
import { isTruncatedZip, LibraryCannotRead, MAX_TABLE_COLUMNS, MAX_TABLE_ROWS, type DocumentContent, type DocumentReader, type Table } from './reader.js';
import { readWorkbookWithSheetJS } from './xls-reader.js';

function cellText(cell: ExcelJS.Cell): string {
  try {
    return (cell.text ?? '').replace(/\s+/g, ' ').trim();
  } catch {
    // A malformed formula or rich-text run must not make the whole sheet unreadable.
    return String(cell.value ?? '').trim();
  }
}

/**
 * Sheet parts nothing here needs. exceljs expands data validations and conditional formats cell
 * by cell: one rule over A1:XFD1048576 (a whole sheet, which Excel writes when a user selects
 * everything) would make it fill seventeen billion cells.
 */
const IGNORED_PARTS = ['dataValidations', 'conditionalFormatting', 'extLst', 'hyperlinks', 'picture', 'drawing', 'sheetProtection', 'tableParts', 'autoFilter', 'rowBreaks', 'headerFooter', 'printOptions', 'pageSetup'];

/**
 * .xlsx/.xlsm through exceljs: every sheet becomes a table; merged cells repeat their value.
 * Workbooks exceljs rejects (.xlsb, strict OOXML, some WPS and generator quirks) go to SheetJS.
 * Macros are never run; formulas are not evaluated (their cached results are read).
 */
export const xlsxReader: DocumentReader = {
  name: 'exceljs',
  formats: ['xlsx'],
  async read(content: Buffer): Promise<DocumentContent> {
    if (isTruncatedZip(content)) throw new UnreadableError('corrupt', 'Excel 文件已损坏或不完整（可能未传完），无法读取');
    const wb = new Workbook();
    try {
      await wb.xlsx.load(content as unknown as ArrayBuffer, { ignoreNodes: IGNORED_PARTS });
    } catch (err) {
      try {
        return { ...readWorkbookWithSheetJS(content), via: 'sheetjs' };
      } catch (second) {
        if (second instanceof UnreadableError && second.code === 'encrypted') throw second;
        throw new LibraryCannotRead('corrupt', 'Excel 文件已损坏或格式不正确，无法读取', `exceljs: ${(err as Error).message}; sheetjs: ${(second as Error).message}`);
      }
    }
    const tables: Table[] = [];
    const lines: string[] = [];
    const sheets: string[] = [];
    wb.eachSheet((sheet) => {
      const table: Table = [];
      const width = Math.min(sheet.columnCount, MAX_TABLE_COLUMNS);
      sheet.eachRow({ includeEmpty: false }, (row) => {
        if (table.length >= MAX_TABLE_ROWS) return;
        const cells: string[] = [];
        for (let c = 1; c <= width; c++) cells.push(cellText(row.getCell(c)));
        while (cells.length > 0 && cells[cells.length - 1] === '') cells.pop();
        if (cells.length > 0) table.push(cells);
      });
      tables.push(table);
      sheets.push(sheet.name);
      lines.push(sheet.name, ...table.map((r) => dedupeMerged(r).join(' ')));
    });
    return { text: lines.join('\n'), tables, sheets };
  },
};

/** A merged title cell shows up once per covered column; say it once in the text. */
function dedupeMerged(row: string[]): string[] {
  return row.filter((c, i) => c !== '' && c !== row[i - 1]);
}
