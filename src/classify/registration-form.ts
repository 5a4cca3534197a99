import type { Table } from '../documents/reader.js';
import { FORM_FIELDS, type DocumentsRules, type FormField } from '../rules/schema.js';

export type FormRow = Partial<Record<FormField, string>>;

export type FormProblemCode = 'no-header' | 'no-rows' | 'no-unit' | 'no-contact' | 'no-phone' | 'phone-invalid';

export interface FormProblem {
  code: FormProblemCode;
  /** Chinese, for staff and for the reply. Never contains the phone number itself. */
  message: string;
  /** 1-based data row the problem is about. */
  row?: number;
}

export interface RegistrationForm {
  rows: FormRow[];
  /**
   * The unit written on the form: the "填报单位：…" line above its table (who filled it in), else
   * its unit column (the first row that names one), else such a line in the document's text.
   */
  unit: string | null;
  unitSource: 'column' | 'label' | null;
  /** The header texts as written, per field ("联 系 人" → contact). */
  headers: Partial<Record<FormField, string>>;
  /** Which table (sheet, Word table) held the header, 0-based, and its row, 0-based. */
  table: number | null;
  headerRow: number | null;
  problems: FormProblem[];
}

const norm = (s: string) => s.normalize('NFKC').replace(/[\s:：*＊()（）【】\[\]<>《》]/g, '');

type Synonyms = Record<FormField, string[]>;

/**
 * The field a header cell names. Chinese headers put the head noun last, so a synonym at the end
 * of the cell wins over one inside it: 联系人电话 is a phone column, 单位联系人 a contact column.
 */
function fieldOf(cell: string, synonyms: Synonyms): FormField | null {
  const c = norm(cell);
  if (c === '' || c.length > 12) return null;
  let best: { field: FormField; score: number } | null = null;
  for (const field of FORM_FIELDS) {
    for (const syn of synonyms[field]) {
      const s = norm(syn);
      if (s === '' || !c.includes(s)) continue;
      const score = (c === s ? 300 : c.endsWith(s) ? 200 : 100) + s.length;
      if (!best || score > best.score) best = { field, score };
    }
  }
  return best?.field ?? null;
}

interface Header {
  table: number;
  row: number;
  /** The rows the header takes (two when a merged group header has sub-headers under it). */
  height: number;
  columns: Map<number, FormField>;
  texts: Partial<Record<FormField, string>>;
}

const HEADER_SCAN_ROWS = 30;

function headerAt(table: Table, h: number, synonyms: Synonyms): Omit<Header, 'table'> | null {
  const columns = new Map<number, FormField>();
  const texts: Header['texts'] = {};
  const take = (row: string[]) =>
    row.forEach((cell, i) => {
      const f = fieldOf(cell, synonyms);
      if (f && !columns.has(i) && ![...columns.values()].includes(f)) {
        columns.set(i, f);
        texts[f] = cell;
      }
    });
  take(table[h]!);
  if (columns.size < 2) return null;
  // A group header merged over sub-headers ("联系人" over "姓名 | 电话"): the row below holds
  // only header words, no data, and names columns the first row left open.
  const next = table[h + 1];
  let height = 1;
  if (next && next.every((c) => c === '' || fieldOf(c, synonyms) !== null || /^(姓名|名称|序号)$/.test(norm(c)))) {
    const before = columns.size;
    // Sub-headers refine the columns under a merged group: the sub-header's field wins there.
    next.forEach((cell, i) => {
      const f = fieldOf(cell, synonyms);
      if (!f) return;
      for (const [col, field] of columns) if (field === f && col !== i) columns.delete(col);
      columns.set(i, f);
      texts[f] = cell;
    });
    if (columns.size >= before) height = 2;
  }
  return { row: h, height, columns, texts };
}

/** The best header row over all tables: the one naming most fields; the earliest on a tie. */
function findHeader(tables: Table[], synonyms: Synonyms): Header | null {
  let best: Header | null = null;
  tables.forEach((table, t) => {
    for (let h = 0; h < Math.min(table.length, HEADER_SCAN_ROWS); h++) {
      const found = headerAt(table, h, synonyms);
      if (found && (!best || found.columns.size > best.columns.size)) best = { table: t, ...found };
    }
  });
  return best;
}

const FOOTER = /^(注|备注|说明|填表人|填报人|审核人|联系人|负责人|制表人|单位负责人)[:：]/;
const TOTAL = /^(合计|总计|小计)$/;
const UNIT_LABEL = /(?:填报|报送|参赛|申报)?单位(?:名称)?\s*(?:[（(]\s*(?:盖章|公章|签章)\s*[)）])?\s*[:：]\s*([^\s:：]{2,40})/;

/**
 * Reads a registration form out of its tables, wherever the header row is: below a title and
 * merged cells, on the second sheet after an instructions sheet, in a Word table, or as
 * label/value pairs ("参赛单位 | 浔阳区总工会 | 联系人 | 张三").
 */
export function readRegistrationForm(tables: Table[], rules: DocumentsRules, text = ''): RegistrationForm {
  const synonyms = { ...(rules.form_fields ?? {}) } as Synonyms;
  for (const f of FORM_FIELDS) synonyms[f] ??= [];
  const header = findHeader(tables, synonyms);
  let rows: FormRow[] = header ? horizontalRows(tables[header.table]!, header, synonyms) : [];
  let headers: RegistrationForm['headers'] = header?.texts ?? {};
  let table = header?.table ?? null;
  let headerRow = header?.row ?? null;
  if (rows.length === 0) {
    for (const [t, tbl] of tables.entries()) {
      const r = labelValueRow(tbl, synonyms);
      if (r) {
        rows = [r.row];
        headers = r.headers;
        table = t;
        headerRow = null;
        break;
      }
    }
  }
  const labelIn = (cells: string[]): string | null => {
    for (const cell of cells) {
      const c = cell.trim();
      const m = UNIT_LABEL.exec(c);
      // A blank template line ("填报单位（盖章）：      填报日期：") holds the next label, not a unit.
      if (m && !/^[_＿\s]+$/.test(m[1]!) && !/^[:：]/.test(c.slice(m.index + m[0].length))) return m[1]!;
    }
    return null;
  };
  // The "填报单位（盖章）：…" line above the table names who filled the form in: the sender. The
  // unit column names who takes part, which on a county's or a department's form is often an
  // enterprise under it (a roster unit of its own, such as 九江港口集团 on 市国资委's form).
  const above = header ? tables[header.table]!.slice(0, header.row).flat() : [];
  let unit = labelIn(above);
  let unitSource: RegistrationForm['unitSource'] = unit ? 'label' : null;
  if (!unit) {
    unit = rows.find((r) => r.unit)?.unit ?? null;
    unitSource = unit ? 'column' : null;
  }
  if (!unit) {
    unit = labelIn(text.split('\n').slice(0, 40));
    unitSource = unit ? 'label' : null;
  }
  return { rows, unit, unitSource, headers, table, headerRow, problems: problemsOf(rows, header !== null || Object.keys(headers).length > 0, unit) };
}

function horizontalRows(table: Table, header: Header, synonyms: Synonyms): FormRow[] {
  const out: FormRow[] = [];
  for (const row of table.slice(header.row + header.height)) {
    const first = row.find((c) => c.trim() !== '') ?? '';
    // Footers such as "填表人：" or "注：" end the data.
    if (FOOTER.test(first)) break;
    if (TOTAL.test(norm(first))) continue;
    const rec: FormRow = {};
    for (const [i, f] of header.columns) {
      const v = (row[i] ?? '').trim();
      if (v !== '') rec[f] = v;
    }
    if (Object.keys(rec).length === 0) continue;
    // A row that repeats the header (a header printed again on the next page) is not data.
    if ([...header.columns].every(([i]) => (row[i] ?? '') === '' || fieldOf(row[i]!, synonyms) !== null)) continue;
    // One unit with several projects: its name is merged down the rows (a Word binary keeps
    // only the first cell's text), so an empty unit cell continues the one above.
    const above = out[out.length - 1];
    if (!rec.unit && above?.unit && [...header.columns.values()].includes('unit')) rec.unit = above.unit;
    out.push(rec);
  }
  return out;
}

function labelValueRow(table: Table, synonyms: Synonyms): { row: FormRow; headers: RegistrationForm['headers'] } | null {
  const rec: FormRow = {};
  const headers: RegistrationForm['headers'] = {};
  for (const row of table) {
    for (let i = 0; i + 1 < row.length; i++) {
      const f = fieldOf(row[i]!, synonyms);
      const v = row[i + 1]!.trim();
      if (f && !rec[f] && v !== '' && v !== row[i] && !fieldOf(v, synonyms)) {
        rec[f] = v;
        headers[f] = row[i]!;
      }
    }
  }
  return Object.keys(rec).length >= 2 ? { row: rec, headers } : null;
}

const MOBILE = /^(?:\+?86)?1[3-9]\d{9}$/;
const LANDLINE = /^(?:0\d{2,3})?[2-9]\d{6,7}(?:(?:转|ext\.?|x)\d{1,6})?$/i;

/**
 * Whether a phone cell holds something that can be dialled in China: mobile numbers, landlines
 * with or without the area code (0792-8211001, (0792)8211001), an extension; several numbers
 * may share a cell ("0792-8211001 / 13907920001"), and notes such as "（办）" are ignored.
 */
export function phoneLooksValid(cell: string): boolean {
  const parts = cell
    .normalize('NFKC')
    .replace(/[(（]?(?:办|宅|手机|座机|固话|传真|办公室?)[)）]?/g, ' ')
    .split(/[/、,，;；]|\s{2,}|或/)
    .map((p) => p.replace(/[\s\-–—()（）]/g, ''))
    .filter((p) => p !== '');
  return parts.length > 0 && parts.every((p) => MOBILE.test(p) || LANDLINE.test(p));
}

function problemsOf(rows: FormRow[], headerFound: boolean, unit: string | null): FormProblem[] {
  if (!headerFound) return [{ code: 'no-header', message: '未找到报名表的表头（单位、联系人、电话等）' }];
  if (rows.length === 0) return [{ code: 'no-rows', message: '报名表只有表头，没有填写内容' }];
  const problems: FormProblem[] = [];
  if (!unit) problems.push({ code: 'no-unit', message: '报名表未写明参赛单位' });
  if (!rows.some((r) => r.contact)) problems.push({ code: 'no-contact', message: '报名表未填写联系人' });
  if (!rows.some((r) => r.phone)) problems.push({ code: 'no-phone', message: '报名表未填写联系电话' });
  rows.forEach((r, i) => {
    if (r.phone && !phoneLooksValid(r.phone)) problems.push({ code: 'phone-invalid', message: `报名表第 ${i + 1} 行的联系电话格式不正确`, row: i + 1 });
  });
  return problems;
}
