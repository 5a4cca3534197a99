import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import { renderDigest } from '../digest/send.js';
import { SHEETS } from '../digest/workbook.js';
import { renderStatusTable } from '../report/status-table.js';
import { campaignStatus } from '../report/status.js';
import { rulesWith, testApp, type TestApp } from '../testing/app.js';
import { planDocx, registrationXlsx, zipArchive } from '../testing/documents.js';
import { buildMail, type MailInput } from '../testing/mail.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.cleanup();
  app = undefined;
});

const DEADLINE = Date.parse('2021-07-22T23:59:59+08:00');
const form = () => registrationXlsx({ rows: [{ unit: '湖口县总工会', project: '职工技能竞赛', participants: '30', contact: '李明', phone: '13800000000' }] });
const plan = () => planDocx({ unit: '湖口县总工会' });

let n = 0;
async function receive(a: TestApp, at: Date, mail: Partial<MailInput> & { attachments?: MailInput['attachments'] }) {
  const id = `hk${++n}`;
  const raw = buildMail({ from: { name: '湖口县总工会', address: 'hkxzgh@163.com' }, subject: '湖口县总工会参赛材料', messageId: `<${id}@163.com>`, date: at, received: at, text: '请查收。', ...mail });
  const out = await a.pipeline.process({ source: `test:${id}`, raw, receivedAt: at, receivedBasis: 'received-header' });
  if (out.status !== 'decided') throw new Error(`not decided: ${JSON.stringify(out)}`);
  const reply = await a.db.selectFrom('outbox').select(['kind', 'body_text']).where('message_row', '=', out.row).orderBy('id', 'desc').executeTakeFirst();
  return { decision: out.decision, reply };
}

describe('the deadline, with its grace period', () => {
  it('received within the grace: on time; after it: late, recorded, and the notice says so with the second', async () => {
    app = await testApp({ rulesDir: rulesWith((c) => c.replace('grace_minutes: 0', 'grace_minutes: 15')) });
    const within = await receive(app, new Date(DEADLINE + 10 * 60_000), { attachments: [{ filename: '湖口县参赛报名表.xlsx', content: await form() }] });
    expect(within.decision).toMatchObject({ late: false, kind: 'missing' });
    const after = await receive(app, new Date(DEADLINE + 15 * 60_000 + 2000), { attachments: [{ filename: '湖口县竞赛实施方案.docx', content: await plan() }] });
    expect(after.decision).toMatchObject({ late: true, kind: 'late' });
    // A paragraph of its own: a template line ending in a tag would run it into the next.
    expect(after.reply!.body_text).toContain('您单位的邮件于 2021年7月23日 00:15:01 收到，已超过报送截止时间（2021年7月22日 23:59），属逾期报送。\n\n本次收到');
    expect(after.reply!.body_text).toContain('本次收到（已登记，标注为逾期）：\n  · 竞赛实施方案：湖口县竞赛实施方案.docx');
    expect(after.reply!.body_text).toContain('您单位的参赛材料现已收齐，其中有材料为截止时间后收到。');
    const hukou = (await campaignStatus(app.db, app.rules)).units.find((u) => u.unit === 'hukou')!;
    expect(hukou).toMatchObject({ complete: true, onTime: false, late: true });
    expect(hukou.items.plan).toMatchObject({ filename: '湖口县竞赛实施方案.docx', late: true });
    expect(hukou.items.registration).toMatchObject({ late: false });
  });

  it('a unit complete on time that sends a correction late: recorded, and told its on-time submission stands', async () => {
    app = await testApp();
    await receive(app, new Date(DEADLINE - 3600_000), { attachments: [{ filename: '湖口县参赛报名表.xlsx', content: await form() }, { filename: '湖口县竞赛实施方案.docx', content: await plan() }] });
    const late = await receive(app, new Date(DEADLINE + 3600_000), { attachments: [{ filename: '湖口县竞赛实施方案（修改）.docx', content: await plan() }] });
    expect(late.decision.kind).toBe('late');
    expect(late.reply!.body_text).toContain('  · 竞赛实施方案（新版本，已替换此前报送的文件）：湖口县竞赛实施方案（修改）.docx');
    expect(late.reply!.body_text).toContain('您单位此前已在截止时间前报送齐全部参赛材料，按时报送的记录不受本次邮件影响。');
    expect(late.reply!.body_text).not.toContain('视为未参赛');
    expect((await campaignStatus(app.db, app.rules)).units.find((u) => u.unit === 'hukou')).toMatchObject({ complete: true, onTime: true });
  });
});

describe('a late correction from a unit complete on time', () => {
  it('the message is late, the unit stays on time, and the reply, the decision, status, digest and workbook each say both', async () => {
    app = await testApp();
    const first = await receive(app, new Date(DEADLINE - 3600_000), { attachments: [{ filename: '湖口县参赛报名表.xlsx', content: await form() }, { filename: '湖口县竞赛实施方案.docx', content: await plan() }] });
    expect(first.decision).toMatchObject({ kind: 'ack', late: false });
    const fix = await receive(app, new Date(DEADLINE + 3600_000), { subject: '湖口县总工会参赛报名表（更正）', attachments: [{ filename: '湖口县参赛报名表（更正）.xlsx', content: await form() }] });

    // The message: late, and its decision records the unit's standing as well.
    expect(fix.decision).toMatchObject({ kind: 'late', late: true, reason: 'received after the deadline; the unit had every required item on time, and that stands' });
    const body = fix.reply!.body_text;
    expect(body).toContain('您单位的邮件于 2021年7月23日 00:59:59 收到，已超过报送截止时间（2021年7月22日 23:59）。\n\n本次收到');
    expect(body).not.toContain('属逾期报送');
    expect(body).toContain('本次收到（已登记，标注为逾期）：\n  · 参赛报名表（新版本，已替换此前报送的文件）：湖口县参赛报名表（更正）.xlsx');
    expect(body).toContain('您单位此前已在截止时间前报送齐全部参赛材料，按时报送的记录不受本次邮件影响。');
    expect(body).not.toContain('视为未参赛');

    // The unit: complete on time, not late; the item shows the file that counts now, late, and
    // when the item first came in on time.
    const onTimeAt = new Date(DEADLINE - 3600_000).toISOString();
    const hukou = (await campaignStatus(app.db, app.rules)).units.find((u) => u.unit === 'hukou')!;
    expect(hukou).toMatchObject({ complete: true, onTime: true, late: false });
    expect(hukou.items.registration).toEqual({ filename: '湖口县参赛报名表（更正）.xlsx', receivedAt: new Date(DEADLINE + 3600_000).toISOString(), late: true, onTime: true, onTimeAt, versions: 2 });
    expect(hukou.items.plan).toEqual({ filename: '湖口县竞赛实施方案.docx', receivedAt: onTimeAt, late: false, onTime: true, onTimeAt, versions: 1 });
    expect(renderStatusTable(await campaignStatus(app.db, app.rules), app.rules)).toMatch(/hukou .*07-23 00:59 late correction .*07-22 22:59 .*complete/);

    // After the deadline: a participant, with the times that made it one, and not among those who lost eligibility.
    const digest = await renderDigest(app, new Date(DEADLINE + 7200_000));
    expect(digest.data.counts).toMatchObject({ complete: 1, completeOnTime: 1, completeLate: 0, late: 0 });
    expect(digest.data.participants!.map((u) => u.unit)).toEqual(['hukou']);
    expect(digest.text).toContain('1. 湖口县总工会（参赛报名表 7月22日 22:59；竞赛实施方案 7月22日 22:59）');
    expect(digest.text).toContain('  湖口县总工会：参赛报名表 7月23日 00:59（截止后更正，7月22日 22:59 已按时收到）；竞赛实施方案 7月22日 22:59 — 已齐全');
    expect(digest.text).not.toContain('逾期报齐');
    expect(digest.html).toContain('截止后更正，7月22日 22:59 已按时收到');
    const htmlList = digest.html.slice(digest.html.indexOf('最终参赛名单'), digest.html.indexOf('新收到的邮件'));
    expect(htmlList).toContain('22:59');
    expect(htmlList).not.toContain('00:59');

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(digest.workbook.content as unknown as ArrayBuffer);
    const row = (sheet: string) => {
      const ws = wb.getWorksheet(sheet)!;
      const headers = (ws.getRow(1).values as ExcelJS.CellValue[]).slice(1).map(String);
      for (let r = 2; r <= ws.rowCount; r++) {
        const values = Object.fromEntries(headers.map((h, i) => [h, ws.getRow(r).getCell(i + 1).value]));
        if (values['单位编号'] === 'hukou') return values;
      }
      throw new Error(`no hukou row in ${sheet}`);
    };
    const shown = (v: ExcelJS.CellValue) => (v as Date).toISOString().slice(0, 16).replace('T', ' ');
    const status = row(SHEETS.status);
    expect(status).toMatchObject({ 状态: '已齐全', 按时报齐: '是', 参赛报名表文件: '湖口县参赛报名表（更正）.xlsx', 参赛报名表逾期: '截止后更正', 竞赛实施方案逾期: '否', 参赛报名表版本数: 2 });
    expect(shown(status['参赛报名表收到时间（北京时间）']!)).toBe('2021-07-23 00:59');
    expect(row(SHEETS.registrations)).toMatchObject({ 文件: '湖口县参赛报名表（更正）.xlsx', 逾期: '是' });
    expect(shown(row(SHEETS.participants)['参赛报名表收到时间（北京时间）']!)).toBe('2021-07-22 22:59');
  });
});

describe('what each reply says', () => {
  it('missing: names a file that is none of the required items, and what is still due by when', async () => {
    app = await testApp();
    const r = await receive(app, new Date(DEADLINE - 86400_000), {
      attachments: [
        { filename: '湖口县参赛报名表.xlsx', content: await form() },
        { filename: '工作总结.txt', content: Buffer.from('2021年上半年工会工作总结。', 'utf8') },
      ],
    });
    expect(r.decision.kind).toBe('missing');
    expect(r.reply!.body_text).toContain('已收到：\n  · 参赛报名表：湖口县参赛报名表.xlsx（2021年7月21日 23:59 收到）');
    expect(r.reply!.body_text).toContain('仍需报送：\n  · 竞赛实施方案');
    expect(r.reply!.body_text).toContain('以下文件已收到，但未能识别为所需材料。');
    expect(r.reply!.body_text).toContain('  · 工作总结.txt');
    expect(r.reply!.body_text).toContain('请于 2021年7月22日 23:59 前补齐');
  });

  it('no unit: "a person will check" only for what plausibly is a submission', async () => {
    app = await testApp();
    const stranger = { from: { name: '', address: 'someone@example.com' } };
    const chat = await receive(app, new Date(DEADLINE - 86400_000), { ...stranger, subject: '你好', text: '周末一起吃饭吗？' });
    expect(chat.decision).toMatchObject({ unit: null, kind: 'none' });
    expect(chat.reply).toBeUndefined();
    const asks = await receive(app, new Date(DEADLINE - 86400_000), { ...stranger, subject: '咨询', text: '请问参赛报名表在哪里下载？' });
    expect(asks.decision).toMatchObject({ unit: null, kind: 'review' });
    expect(asks.reply!.body_text).toContain('工作人员将尽快人工核对');
  });
});

describe('unreadable files in a reply', () => {
  it('a zip of 300 photos names ten lines, not 300: the first files, then the rest counted by reason', async () => {
    app = await testApp();
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a5200000000049454e44ae426082', 'hex');
    const photos = zipArchive(Array.from({ length: 300 }, (_, i) => ({ name: `现场照片/IMG_${String(i + 1).padStart(4, '0')}.png`, content: png })));
    const r = await receive(app, new Date(DEADLINE - 86400_000), {
      attachments: [
        { filename: '湖口县参赛报名表.xlsx', content: await form() },
        { filename: '湖口县实施方案.docx', content: await plan() },
        { filename: '照片.zip', content: photos },
      ],
    });
    expect(r.decision.kind).toBe('ack');
    const lines = r.reply!.body_text.split('\n');
    const start = lines.findIndex((l) => l.startsWith('以下文件无法读取'));
    const listed = lines.slice(start + 1).filter((l) => l.startsWith('  · '));
    expect(listed.length).toBeLessThanOrEqual(10);
    expect(listed[0]).toMatch(/^ {2}· 照片\.zip \/ 现场照片 \/ IMG_0001\.png：图片文件/);
    expect(r.reply!.body_text).toMatch(/另外 291 个文件（照片\.zip \/ 现场照片 \/ IMG_0010\.png、照片\.zip \/ 现场照片 \/ IMG_0011\.png 等）：图片文件/);
    // Every file is still recorded one by one.
    const docs = await app.db.selectFrom('documents').select('id').where('readable', '=', 0).execute();
    expect(docs).toHaveLength(300);
  });
});

describe('the "we will review" reply', () => {
  it('to a message mixing units: names them, and does not ask for the unit in the subject, which already names one', async () => {
    app = await testApp();
    // 湖口县's own mailbox, its name in the subject, and 彭泽县's form and plan attached.
    const mixed = await receive(app, new Date(DEADLINE - 86_400_000), {
      attachments: [
        { filename: '彭泽县参赛报名表.xlsx', content: await registrationXlsx({ rows: [{ unit: '彭泽县总工会', project: '职工技能竞赛', participants: '20', contact: '王芳', phone: '13900000000' }] }) },
        { filename: '彭泽县竞赛实施方案.docx', content: await planDocx({ unit: '彭泽县总工会' }) },
      ],
    });
    expect(mixed.decision).toMatchObject({ kind: 'review', unit: null });
    expect(mixed.reply!.body_text).toContain('邮件中出现了多个单位（');
    expect(mixed.reply!.body_text).toMatch(/（(湖口县总工会、彭泽县总工会|彭泽县总工会、湖口县总工会)）的名称或材料，工作人员核对后将确认报送单位并另行回复。/);
    expect(mixed.reply!.body_text).not.toContain('请在邮件主题中注明报送单位全称');

    // Nothing names a unit: the sender is asked to.
    const unnamed = await receive(app, new Date(DEADLINE - 86_400_000), { from: { address: 'zhangsan1980@qq.com' }, subject: '材料', attachments: [{ filename: '附件1.xlsx', content: await registrationXlsx({ rows: [{ unit: '', project: '职工技能竞赛', participants: '20', contact: '张三', phone: '13900000001' }] }) }] });
    expect(unnamed.decision).toMatchObject({ kind: 'review', unit: null });
    expect(unnamed.reply!.body_text).toContain('请在邮件主题中注明报送单位全称');
    expect(unnamed.reply!.body_text).not.toContain('邮件中出现了多个单位');
  });
});
