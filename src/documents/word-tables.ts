import type { Table } from './reader.js';

/**
 * Tables out of a Word binary's text. word-extractor writes each cell followed by a tab and ends a
 * table row with a newline after the last cell's tab, so a line that ends with a tab is a table
 * row. A cell with several paragraphs shows up as lines without the trailing tab, glued onto the
 * next row line ("联系\n电话\t…"): they are joined back into that cell with a space.
 */
export function tablesFromTabbedText(text: string): Table[] {
  const tables: Table[] = [];
  let current: Table = [];
  let pending: string[] = [];
  const flush = () => {
    if (current.length > 0) tables.push(current);
    current = [];
  };
  for (const line of text.split('\n')) {
    if (line.endsWith('\t')) {
      const cells = line.slice(0, -1).split('\t');
      if (pending.length > 0) {
        cells[0] = [...pending, cells[0]].join(' ');
        pending = [];
      }
      const row = cells.map((c) => c.replace(/\s+/g, ' ').trim());
      if (row.some((c) => c !== '')) current.push(row);
    } else if (current.length > 0 && line.trim() !== '' && !line.includes('\t') && pending.length < 3) {
      // Possibly the first paragraphs of a multi-paragraph cell in the next row; if no row
      // follows, it was ordinary text after the table.
      pending.push(line.trim());
    } else {
      pending = [];
      flush();
    }
  }
  flush();
  return tables;
}
