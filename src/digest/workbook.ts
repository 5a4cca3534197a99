import type * as ExcelJS from 'exceljs';
import type { FormField } from '../rules/schema.js';
import { formatLocalTime } from '../util/time.js';
import type { DigestData } from './data.js';
import { unitStateText, zoneName } from './wording.js';

/**
 * The consolidated workbook staff get with the digest (and from `intake export`): one row per
 * unit, every row of every unit's latest registration form, and after the deadline the final
 * list of participants. Each sheet has its header row frozen and filterable, and times are
 * real Excel dates.
 */

export const SHEETS = { status: '报送情况', registrations: '报名信息', participants: '最终参赛名单' } as const;

const KIND_LABEL: Record<string, string> = { district: '区', county: '县', city: '县级市', zone: '功能区', department: '市直部门', enterprise: '企业', other: '其他' };
const FIELD_LABEL: Record<FormField, string> = { unit: '填报单位', project: '竞赛项目', participants: '参赛人数', contact: '联系人', phone: '联系电话', notes: '备注' };
const DATE_FORMAT = 'yyyy-mm-dd hh:mm';

/**
 * Excel dates carry no zone: a cell shows the wall-clock time it holds. So a receipt time is
 * written as the campaign zone's wall clock (China time), which is what staff expect to read
 * and filter on, and the column header says which zone it is.
 */
export function wallClockDate(iso: string, tz: string): Date {
  const t = formatLocalTime(iso, tz);
  return new Date(Date.UTC(Number(t.slice(0, 4)), Number(t.slice(5, 7)) - 1, Number(t.slice(8, 10)), Number(t.slice(11, 13)), Number(t.slice(14, 16)), Number(t.slice(17, 19))));
}

type Cell = string | number | Date | null;
interface Column {
  header: string;
  /** Width in characters; computed from the content when absent. */
  width?: number;
  date?: boolean;
}

/** Display width as Excel counts it, near enough: CJK characters take two columns. */
function textWidth(v: Cell): number {
  if (v === null) return 0;
  if (v instanceof Date) return 16;
  let w = 0;
  for (const ch of String(v)) w += ch.codePointAt(0)! > 0x2e80 ? 2 : 1;
  return w;
}

function addSheet(wb: ExcelJS.Workbook, name: string, columns: Column[], rows: Cell[][], freezeColumns = 0): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1, xSplit: freezeColumns, topLeftCell: `${ExcelJSColumn(freezeColumns + 1)}2` }] });
  ws.columns = columns.map((c, i) => ({
    header: c.header,
    width: c.width ?? Math.min(50, Math.max(6, textWidth(c.header) + 2, ...rows.map((r) => textWidth(r[i] ?? null) + 2))),
    style: c.date ? { numFmt: DATE_FORMAT } : {},
  }));
  for (const r of rows) ws.addRow(r.map((v) => v ?? null));
  const header = ws.getRow(1);
  header.font = { bold: true };
  header.alignment = { vertical: 'middle', wrapText: true };
  header.eachCell((cell) => {
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE5E7EB' } };
    cell.border = { bottom: { style: 'thin', color: { argb: 'FF9CA3AF' } } };
  });
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: Math.max(1, rows.length + 1), column: columns.length } };
  return ws;
}

function ExcelJSColumn(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

const yesNo = (b: boolean) => (b ? '是' : '否');
/** "45" is a number staff can sum; "12个班组" stays text. */
const numberOrText = (v: string | undefined): Cell => (v === undefined ? null : /^\d{1,9}$/.test(v) ? Number(v) : v);

export async function buildWorkbook(d: DigestData): Promise<Buffer> {
  const tz = d.campaign.timezone;
  const zone = zoneName(tz);
  const at = (iso: string | null | undefined): Cell => (iso ? wallClockDate(iso, tz) : null);
  const labels = d.campaign.labels;
  const req = d.campaign.required;

  // Loaded on first use: only the digest and `intake export` need it.
  const { default: Excel } = await import('exceljs');
  const wb = new Excel.Workbook();
  wb.creator = 'intake';
  wb.title = d.campaign.title;
  wb.created = new Date(d.generatedAt);
  wb.modified = new Date(d.generatedAt);

  addSheet(
    wb,
    SHEETS.status,
    [
      { header: '序号', width: 6 },
      { header: '单位编号' },
      { header: '单位' },
      { header: '类别' },
      { header: '状态' },
      { header: '按时报齐' },
      ...req.flatMap((k): Column[] => [{ header: `${labels[k]}收到时间（${zone}）`, date: true, width: 20 }, { header: `${labels[k]}文件` }, { header: `${labels[k]}逾期` }, { header: `${labels[k]}版本数` }]),
      { header: `最后收到（${zone}）`, date: true, width: 20 },
      { header: '邮件数' },
      ...(d.paperRequired ? [{ header: `纸质件收到（${zone}）`, date: true, width: 20 }] : []),
    ],
    d.units.map((u, i) => [
      i + 1,
      u.unit,
      u.name,
      KIND_LABEL[u.kind] ?? u.kind,
      unitStateText(u, labels),
      yesNo(u.onTime),
      ...req.flatMap((k): Cell[] => {
        const item = u.items[k];
        // A late version of an item that came on time is a correction, which costs nothing: not a plain 是.
        return item ? [at(item.receivedAt), item.filename, item.late && item.onTime ? '截止后更正' : yesNo(item.late), item.versions] : [null, '未收到', null, 0];
      }),
      at(u.lastReceivedAt),
      u.messages,
      // A paper copy recorded by its day alone is that day's midnight, wall clock as everywhere here.
      ...(d.paperRequired ? [u.paper.receivedAt ? at(u.paper.receivedAt) : u.paper.receivedOn ? new Date(`${u.paper.receivedOn}T00:00:00Z`) : null] : []),
    ]),
    3,
  );

  const fields: FormField[] = ['unit', 'project', 'participants', 'contact', 'phone', 'notes'];
  addSheet(
    wb,
    SHEETS.registrations,
    [
      { header: '序号', width: 6 },
      { header: '单位编号' },
      { header: '单位（名册）' },
      ...fields.map((f) => ({ header: FIELD_LABEL[f] })),
      { header: '文件' },
      { header: `收到时间（${zone}）`, date: true, width: 20 },
      { header: '逾期' },
      { header: '邮件编号' },
      { header: '表内问题' },
    ],
    d.registrations.map((r, i) => [
      i + 1,
      r.unit,
      r.unitName,
      ...fields.map((f) => (f === 'participants' ? numberOrText(r.fields[f]) : (r.fields[f] ?? null))),
      r.filename,
      at(r.receivedAt),
      yesNo(r.late),
      r.message,
      r.problems.length > 0 ? r.problems.join('；') : null,
    ]),
    3,
  );

  if (d.participants) {
    addSheet(
      wb,
      SHEETS.participants,
      [
        { header: '序号', width: 6 },
        { header: '单位编号' },
        { header: '单位' },
        ...req.map((k) => ({ header: `${labels[k]}收到时间（${zone}）`, date: true, width: 20 })),
        { header: '竞赛项目' },
        { header: '联系人' },
      ],
      d.participants.map((u, i) => {
        const rows = d.registrations.filter((r) => r.unit === u.unit);
        const distinct = (f: FormField) => [...new Set(rows.map((r) => r.fields[f]).filter((v): v is string => !!v))].join('；') || null;
        // The times that made the unit a participant: its on-time versions, not a later correction.
        return [i + 1, u.unit, u.name, ...req.map((k) => at(u.items[k]?.onTimeAt)), distinct('project'), distinct('contact')];
      }),
      3,
    );
  }

  return Buffer.from(await wb.xlsx.writeBuffer());
}
