import type { Table } from '../documents/reader.js';
import { FORM_FIELDS, type DocumentsRules, type FormField } from '../rules/schema.js';

export type FormRow = Partial<Record<FormField, string>>;

export interface RegistrationForm {
  rows: FormRow[];
  /** The unit written on the form (first row that names one). */
  unit: string | null;
  problems: string[];
}

const norm = (s: string) => s.normalize('NFKC').replace(/[\s:：*＊（）()]/g, '');

function fieldOf(cell: string, synonyms: Record<FormField, string[]>): FormField | null {
  const c = norm(cell);
  if (c === '' || c.length > 12) return null;
  let best: { field: FormField; len: number } | null = null;
  for (const field of FORM_FIELDS) {
    for (const syn of synonyms[field]) {
      const s = norm(syn);
      // Exact header, or a header with a qualifier around it ("联系电话（手机）", "参赛单位名称").
      if ((c === s || c.includes(s)) && (!best || s.length > best.len)) best = { field, len: s.length };
    }
  }
  return best?.field ?? null;
}

/**
 * Reads a registration form out of its tables, wherever the header row is: below a title and
 * merged cells, on the second sheet after an instructions sheet, or as label/value pairs in a
 * Word table ("参赛单位 | 浔阳区总工会 | 联系人 | 张三").
 */
export function readRegistrationForm(tables: Table[], rules: DocumentsRules): RegistrationForm {
  const synonyms = (rules.form_fields ?? {}) as Record<FormField, string[]>;
  for (const f of FORM_FIELDS) synonyms[f] ??= [];
  const rows: FormRow[] = [];
  for (const table of tables) rows.push(...horizontalRows(table, synonyms));
  if (rows.length === 0) for (const table of tables) {
    const r = labelValueRow(table, synonyms);
    if (r) rows.push(r);
  }
  const problems: string[] = [];
  if (rows.length === 0) problems.push('未找到报名表的表头（单位、联系人、电话等）');
  else {
    if (!rows.some((r) => r.contact)) problems.push('报名表未填写联系人');
    if (!rows.some((r) => r.phone)) problems.push('报名表未填写联系电话');
  }
  const unit = rows.find((r) => r.unit)?.unit ?? null;
  return { rows, unit, problems };
}

function horizontalRows(table: Table, synonyms: Record<FormField, string[]>): FormRow[] {
  const headerScan = Math.min(table.length, 15);
  for (let h = 0; h < headerScan; h++) {
    const header = table[h]!;
    const columns = new Map<number, FormField>();
    header.forEach((cell, i) => {
      const f = fieldOf(cell, synonyms);
      if (f && ![...columns.values()].includes(f)) columns.set(i, f);
    });
    if (columns.size < 2) continue;
    const out: FormRow[] = [];
    for (const row of table.slice(h + 1)) {
      const rec: FormRow = {};
      for (const [i, f] of columns) {
        const v = (row[i] ?? '').trim();
        if (v !== '') rec[f] = v;
      }
      // A row that repeats the header (a second header line under merged cells) is not data.
      if (Object.keys(rec).length === 0 || [...columns].every(([i]) => fieldOf(row[i] ?? '', synonyms) !== null)) continue;
      // Footers such as "填表人：" or "注：" end the data.
      if (/^(注|备注|说明|填表人|填报人|审核人)[:：]/.test(row.find((c) => c.trim() !== '') ?? '')) break;
      out.push(rec);
    }
    return out;
  }
  return [];
}

function labelValueRow(table: Table, synonyms: Record<FormField, string[]>): FormRow | null {
  const rec: FormRow = {};
  for (const row of table) {
    for (let i = 0; i + 1 < row.length; i++) {
      const f = fieldOf(row[i]!, synonyms);
      const v = row[i + 1]!.trim();
      if (f && !rec[f] && v !== '' && !fieldOf(v, synonyms)) rec[f] = v;
    }
  }
  return Object.keys(rec).length >= 2 ? rec : null;
}
