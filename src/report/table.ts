/** Terminal columns a character takes: CJK and full-width forms take two. */
function width(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    w += (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x20000 && c <= 0x3fffd) ? 2 : 1;
  }
  return w;
}

/**
 * `s` cut to at most `columns` terminal columns, with "…" where it was cut: a Chinese subject of
 * 20 characters takes as much room as an English one of 40, and a cut never splits a character.
 */
export function truncate(s: string, columns: number): string {
  if (width(s) <= columns) return s;
  let out = '';
  let w = 0;
  for (const ch of s) {
    if (w + width(ch) > columns - 1) break;
    out += ch;
    w += width(ch);
  }
  return `${out}…`;
}

function pad(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - width(s)));
}

/** A plain text table that lines up in a terminal even with Chinese text. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i]!)).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
