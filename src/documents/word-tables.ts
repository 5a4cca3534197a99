import { MAX_TABLE_ROWS, type Table } from './reader.js';

/**
 * Tables out of a Word binary's text. word-extractor ends every cell with a tab and every table
 * row with a newline after the last cell's tab, so "\t\n" closes a row; a newline anywhere else
 * inside a row is a paragraph break within a cell ("参赛\n人数"), joined back with a space.
 * Text before a table's first row (a title, "附件：") ends at the last line break before the
 * row's first tab; consecutive rows form one table.
 */
export function tablesFromTabbedText(text: string): Table[] {
  const tables: Table[] = [];
  let current: Table = [];
  let pos = 0;
  for (;;) {
    const end = text.indexOf('\t\n', pos);
    if (end < 0 || current.length >= MAX_TABLE_ROWS) break;
    let segment = text.slice(pos, end);
    const contiguous = current.length > 0 && pos > 0 && !segment.slice(0, Math.max(0, segment.indexOf('\t'))).includes('\n');
    if (!contiguous) {
      if (current.length > 0) tables.push(current);
      current = [];
      const firstTab = segment.indexOf('\t');
      const lineStart = segment.lastIndexOf('\n', firstTab < 0 ? segment.length : firstTab);
      segment = segment.slice(lineStart + 1);
    }
    const row = segment.split('\t').map((c) => c.replace(/\s+/g, ' ').trim());
    if (row.some((c) => c !== '')) current.push(row);
    pos = end + 2;
  }
  if (current.length > 0) tables.push(current);
  return tables;
}
