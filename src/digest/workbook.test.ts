import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../testing/app.js';
import { demoDigests } from '../testing/demo-campaign.js';
import { formatLocalTime } from '../util/time.js';
import type { RenderedDigest } from './send.js';
import { SHEETS, wallClockDate } from './workbook.js';

let app: TestApp;
let open: RenderedDigest;
let closed: RenderedDigest;

beforeAll(async () => {
  ({ app, open, closed } = await demoDigests());
});
afterAll(() => app.cleanup());

async function load(buf: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  return wb;
}

/** A sheet's rows as header → value records. */
function records(ws: ExcelJS.Worksheet): Array<Record<string, ExcelJS.CellValue>> {
  const headers = (ws.getRow(1).values as ExcelJS.CellValue[]).slice(1).map(String);
  const out: Array<Record<string, ExcelJS.CellValue>> = [];
  for (let r = 2; r <= ws.rowCount; r++) {
    const row = ws.getRow(r);
    out.push(Object.fromEntries(headers.map((h, i) => [h, row.getCell(i + 1).value])));
  }
  return out;
}

/** The wall-clock China time a Date cell shows. */
const shown = (v: ExcelJS.CellValue) => (v as Date).toISOString().slice(0, 19).replace('T', ' ');

describe('the consolidated workbook', () => {
  it('has a status sheet and a registrations sheet before the deadline, a participants sheet after', async () => {
    expect((await load(open.workbook.content)).worksheets.map((w) => w.name)).toEqual([SHEETS.status, SHEETS.registrations]);
    expect((await load(closed.workbook.content)).worksheets.map((w) => w.name)).toEqual([SHEETS.status, SHEETS.registrations, SHEETS.participants]);
    expect(open.workbook.filename).toBe('报送汇总_20210720.xlsx');
  });

  it('status: one row per unit with real dates in China time', async () => {
    const ws = (await load(open.workbook.content)).getWorksheet(SHEETS.status)!;
    const rows = records(ws);
    expect(rows).toHaveLength(app.rules.units.length);
    expect(rows.map((r) => r['单位编号'])).toEqual(app.rules.units.map((u) => u.id));
    const xunyang = rows.find((r) => r['单位编号'] === 'xunyang')!;
    expect(xunyang).toMatchObject({ 单位: '浔阳区总工会', 类别: '区', 状态: '已齐全', 按时报齐: '是', 参赛报名表文件: '浔阳区参赛报名表.xlsx', 参赛报名表逾期: '否', 参赛报名表版本数: 1, 邮件数: 3 });
    const received = xunyang['参赛报名表收到时间（北京时间）'];
    expect(received).toBeInstanceOf(Date);
    const item = open.data.units.find((u) => u.unit === 'xunyang')!.items.registration!;
    expect(shown(received)).toBe(formatLocalTime(item.receivedAt, 'Asia/Shanghai'));
    expect(shown(received)).toBe('2021-07-15 09:30:12');
    expect(rows.find((r) => r['单位编号'] === 'yongxiu')).toMatchObject({ 状态: '缺参赛报名表', 按时报齐: '否', 参赛报名表文件: '未收到', '参赛报名表收到时间（北京时间）': null });
    expect(rows.find((r) => r['单位编号'] === 'duchang')).toMatchObject({ 状态: '已齐全（逾期）', 参赛报名表逾期: '是', 按时报齐: '否' });
    expect(rows.filter((r) => r['状态'] === '未报送')).toHaveLength(open.data.counts.nothing);
    // Date cells carry a date format, so Excel and WPS show a time, not a serial number.
    const col = (ws.getRow(1).values as string[]).indexOf('参赛报名表收到时间（北京时间）');
    expect(ws.getRow(2).getCell(col).numFmt).toBe('yyyy-mm-dd hh:mm');
  });

  it('registrations: every row of every unit\'s latest form, with unit, file and receipt time', async () => {
    const ws = (await load(open.workbook.content)).getWorksheet(SHEETS.registrations)!;
    const rows = records(ws);
    expect(rows).toHaveLength(open.data.registrations.length);
    expect(rows).toHaveLength(9);
    expect(rows.filter((r) => r['单位编号'] === 'xunyang').map((r) => r['竞赛项目'])).toEqual(['第二届全市产业工人职业技能竞赛（电工）', '“工人先锋号”创建活动']);
    const x = rows.find((r) => r['单位编号'] === 'xunyang')!;
    expect(x).toMatchObject({ '单位（名册）': '浔阳区总工会', 填报单位: '浔阳区总工会', 参赛人数: 45, 联系人: '张敏', 联系电话: '0792-8211001', 文件: '浔阳区参赛报名表.xlsx', 逾期: '否' });
    expect(rows.find((r) => r['竞赛项目'] === '“工人先锋号”创建活动')!['参赛人数']).toBe('12个班组');
    for (const r of rows) expect(r['收到时间（北京时间）']).toBeInstanceOf(Date);
    expect(rows.find((r) => r['单位编号'] === 'duchang')).toMatchObject({ 逾期: '是' });
  });

  it('every sheet: header frozen, filter on every column, widths set', async () => {
    const wb = await load(closed.workbook.content);
    for (const ws of wb.worksheets) {
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1, xSplit: 3 });
      const columns = ws.getRow(1).cellCount;
      expect(ws.autoFilter).toBeDefined();
      const filter = String(ws.autoFilter);
      expect(filter).toMatch(new RegExp(`^A1:[A-Z]+${ws.rowCount}$`));
      expect(filter.split(':')[1]!.replace(/\d+/, '')).toBe(String.fromCharCode(64 + columns));
      expect(ws.getRow(1).font?.bold).toBe(true);
      for (let c = 1; c <= columns; c++) expect(ws.getColumn(c).width).toBeGreaterThanOrEqual(6);
    }
    const status = wb.getWorksheet(SHEETS.status)!;
    // The unit name column is wide enough for the longest name (CJK characters count double).
    expect(status.getColumn(3).width).toBeGreaterThanOrEqual('中国邮政集团有限公司九江市分公司'.length * 2);
  });

  it('participants: the units complete and on time, with their receipt times', async () => {
    const rows = records((await load(closed.workbook.content)).getWorksheet(SHEETS.participants)!);
    expect(rows.map((r) => r['单位编号'])).toEqual(closed.data.participants!.map((u) => u.unit));
    expect(rows).toHaveLength(7);
    expect(rows.map((r) => r['单位编号'])).not.toContain('duchang');
    const xiushui = rows.find((r) => r['单位编号'] === 'xiushui')!;
    expect(shown(xiushui['竞赛实施方案收到时间（北京时间）'])).toBe(formatLocalTime(closed.data.units.find((u) => u.unit === 'xiushui')!.items.plan!.receivedAt, 'Asia/Shanghai'));
    expect(xiushui).toMatchObject({ 竞赛项目: '节能减排竞赛', 联系人: '陈静' });
  });

  it('writes a time as the wall clock of the zone', () => {
    expect(wallClockDate('2021-07-22T15:59:59.000Z', 'Asia/Shanghai').toISOString()).toBe('2021-07-22T23:59:59.000Z');
    expect(wallClockDate('2021-07-22T15:59:59.000Z', 'UTC').toISOString()).toBe('2021-07-22T15:59:59.000Z');
  });
});
