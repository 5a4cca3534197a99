import ExcelJS from 'exceljs';
import { UnreadableError } from '../containers/budget.js';
import type { DocumentContent, DocumentReader, Table } from './reader.js';

function cellText(cell: ExcelJS.Cell): string {
  try {
    return (cell.text ?? '').replace(/\s+/g, ' ').trim();
  } catch {
    // A malformed formula or rich-text run must not make the whole sheet unreadable.
    return String(cell.value ?? '').trim();
  }
}

/** .xlsx/.xlsm through exceljs: every sheet becomes a table; merged cells repeat their value. */
export const xlsxReader: DocumentReader = {
  name: 'exceljs',
  formats: ['xlsx'],
  async read(content: Buffer): Promise<DocumentContent> {
    const wb = new ExcelJS.Workbook();
    try {
      await wb.xlsx.load(content as unknown as ArrayBuffer);
    } catch (err) {
      throw new UnreadableError('corrupt', 'Excel 文件已损坏或格式不正确，无法读取', (err as Error).message);
    }
    const tables: Table[] = [];
    const lines: string[] = [];
    wb.eachSheet((sheet) => {
      const table: Table = [];
      const width = Math.min(sheet.columnCount, 200);
      sheet.eachRow({ includeEmpty: false }, (row) => {
        const cells: string[] = [];
        for (let c = 1; c <= width; c++) cells.push(cellText(row.getCell(c)));
        while (cells.length > 0 && cells[cells.length - 1] === '') cells.pop();
        if (cells.length > 0) table.push(cells);
      });
      tables.push(table);
      lines.push(sheet.name, ...table.map((r) => dedupeMerged(r).join(' ')));
    });
    return { text: lines.join('\n'), tables };
  },
};

/** A merged title cell shows up once per covered column; say it once in the text. */
function dedupeMerged(row: string[]): string[] {
  return row.filter((c, i) => c !== '' && c !== row[i - 1]);
}
