import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { campaignStatus } from '../report/status.js';
import { outboxEntries, resolveOutbox } from '../report/outbox.js';
import { FileSource } from '../sources/files.js';
import { ingestFrom } from '../service/ingest.js';
import { copyRules, FIXTURE_MAIL, fixtureMail, testApp, type TestApp } from '../testing/app.js';
import { planDocx, registrationXlsx } from '../testing/documents.js';
import { MaildirInbox, type TestInbox } from '../testing/inbox.js';
import { buildMail } from '../testing/mail.js';
import { TestSmtpServer } from '../testing/smtp.js';

let smtp: TestSmtpServer;
const apps: TestApp[] = [];
const inboxes: TestInbox[] = [];

beforeAll(async () => {
  smtp = await TestSmtpServer.start();
});
afterAll(async () => {
  await smtp.stop();
});
afterEach(async () => {
  for (const a of apps.splice(0)) await a.cleanup();
  for (const i of inboxes.splice(0)) await i.close();
  smtp.messages.length = 0;
  smtp.mode = 'accept';
  await smtp.restart();
});

/** The inbound side; a Maildir today, swappable for the IMAP source (see TestInbox). */
async function newInbox(): Promise<TestInbox> {
  const inbox = await MaildirInbox.create();
  inboxes.push(inbox);
  return inbox;
}

async function appWith(env: NodeJS.ProcessEnv = {}, rulesDir?: string): Promise<TestApp> {
  const app = await testApp({ env: { ...smtp.env(), REPLY_RETRY_SECONDS: '0.05', ...env }, rulesDir });
  apps.push(app);
  return app;
}

/** Delivers due replies until `done` holds; the outbox retries with (short) backoff meanwhile. */
async function flushUntil(app: TestApp, done: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    await app.flushOutbox();
    if (await done()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; outbox: ${JSON.stringify(await outboxEntries(app.db))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const header = (m: TestSmtpServer['messages'][number], name: string) => m.parsed.headers.get(name);
const refs = (m: TestSmtpServer['messages'][number]) => [m.parsed.references ?? []].flat();

describe('replies over a real SMTP server', () => {
  it('answers every fixture: recipients, threading, Auto-Submitted, Chinese text and file names', async () => {
    const inbox = await newInbox();
    for (const f of readdirSync(FIXTURE_MAIL).sort()) await inbox.deliver(readFileSync(join(FIXTURE_MAIL, f)));
    const app = await appWith();
    await ingestFrom(app, inbox.source());
    expect(await app.flushOutbox()).toBe(11);

    // Machines (auto-reply, bounce) and duplicate deliveries get nothing: 15 messages, 11 replies.
    expect(smtp.messages).toHaveLength(11);
    const rows = await app.db.selectFrom('outbox').selectAll().orderBy('id').execute();
    expect(rows.every((r) => r.status === 'sent' && r.server_response?.startsWith('250'))).toBe(true);
    expect(smtp.messages.map((m) => m.messageId)).toEqual(rows.map((r) => r.reply_message_id));
    for (const m of smtp.messages) {
      expect(m.user).toBe('jjszjjb@sina.com');
      expect(m.envelope.from).toBe('jjszjjb@sina.com');
      expect(m.parsed.from?.value).toEqual([{ address: 'jjszjjb@sina.com', name: '九江市总工会经济技术部' }]);
      expect(header(m, 'auto-submitted')).toBe('auto-replied');
      expect(m.parsed.subject).toMatch(/^Re: /);
    }

    const to = (address: string) => smtp.messages.filter((m) => m.envelope.to.includes(address));
    const [xunyang] = to('xyqzgh@163.com');
    expect(xunyang!.parsed.to).toMatchObject({ value: [{ address: 'xyqzgh@163.com' }] });
    expect(xunyang!.parsed.subject).toBe('Re: 浔阳区报送劳动和技能竞赛参赛报名表及实施方案');
    expect(xunyang!.parsed.inReplyTo).toBe('<20210715093012.xy01@163.com>');
    expect(refs(xunyang!)).toContain('<20210715093012.xy01@163.com>');
    expect(xunyang!.parsed.text).toContain('浔阳区总工会：');
    expect(xunyang!.parsed.text).toContain('您单位于 2021年7月15日 09:30:12 发送至 jjszjjb@sina.com 的邮件已收到。');
    expect(xunyang!.parsed.text).toContain('参赛报名表：浔阳区参赛报名表.xlsx（2021年7月15日 09:30 收到）');
    expect(xunyang!.parsed.text).toContain('竞赛实施方案：浔阳区竞赛实施方案.docx（2021年7月15日 09:30 收到）');

    // Two messages from 修水县: a missing notice, then the acknowledgment, each on its own thread.
    const xiushui = to('xsxzgh@163.com');
    expect(xiushui.map((m) => m.parsed.text!.split('\n')[2])).toEqual([
      '您单位于 2021年7月17日 08:15:31 发送至 jjszjjb@sina.com 的邮件已收到，但参赛材料尚未收齐。',
      '您单位于 2021年7月20日 09:30:44 发送至 jjszjjb@sina.com 的邮件已收到。',
    ]);
    expect(xiushui[0]!.parsed.text).toContain('仍需报送：\n  · 竞赛实施方案');
    expect(xiushui[0]!.parsed.text).toContain('请于 2021年7月22日 23:59 前补齐');
    expect(xiushui[1]!.parsed.inReplyTo).toBe('<202107200930.xs04@163.com>');

    // Late: says so plainly, with the receipt time to the second; the submission is recorded.
    const [duchang] = to('dcxzgh@qq.com');
    expect(duchang!.parsed.text).toContain('您单位的邮件于 2021年7月23日 09:12:40 收到，已超过报送截止时间（2021年7月22日 23:59），属逾期报送。');
    expect(duchang!.parsed.text).toContain('材料已登记并标注为逾期报送');
    const status = await campaignStatus(app.db, app.rules);
    expect(status.units.find((u) => u.unit === 'duchang')).toMatchObject({ complete: true, onTime: false, late: true });

    // The unreadable file is named with its reason.
    const [yongxiu] = to('yxxzgh@163.com');
    expect(yongxiu!.parsed.text).toMatch(/以下文件无法读取[^\n]*\n  · 永修县参赛报名表\.xlsx：Excel 文件已损坏或不完整（可能未传完），无法读取/);

    // No unit: "a person will check", to the sender.
    const [review] = to('wangfang88@163.com');
    expect(review!.parsed.text).toContain('工作人员将尽快人工核对');
    expect(review!.parsed.text).toContain('  · 附件1.xlsx');
  });

  it('a resubmission replaces the older version, and the reply says so', async () => {
    const inbox = await newInbox();
    const form = (v: string) => registrationXlsx({ rows: [{ unit: '湖口县总工会', project: `职工技能竞赛${v}`, participants: '30', contact: '李明', phone: '13800000000' }] });
    const mail = async (id: string, day: string, attachments: Array<{ filename: string; content: Buffer }>) =>
      buildMail({ from: { name: '湖口县总工会', address: 'hkxzgh@163.com' }, subject: '湖口县总工会参赛材料', messageId: `<${id}@163.com>`, date: new Date(day), received: new Date(day), text: '请查收。', attachments });
    await inbox.deliver(await mail('hk1', '2021-07-18T02:00:00Z', [{ filename: '湖口县参赛报名表.xlsx', content: await form('一') }]));
    await inbox.deliver(await mail('hk2', '2021-07-19T02:00:00Z', [{ filename: '湖口县参赛报名表（修改版）.xlsx', content: await form('二') }]));
    await inbox.deliver(await mail('hk3', '2021-07-20T02:00:00Z', [{ filename: '湖口县竞赛实施方案.docx', content: await planDocx({ unit: '湖口县总工会' }) }]));
    const app = await appWith();
    await ingestFrom(app, inbox.source());
    await app.flushOutbox();
    const texts = smtp.messages.filter((m) => m.envelope.to.includes('hkxzgh@163.com')).map((m) => m.parsed.text ?? '');
    expect(texts).toHaveLength(3);
    expect(texts[1]).toContain('  · 参赛报名表：湖口县参赛报名表（修改版）.xlsx（2021年7月19日 10:00 收到，已替换此前报送的版本）');
    expect(texts[2]).toContain('  · 参赛报名表：湖口县参赛报名表（修改版）.xlsx（2021年7月19日 10:00 收到）');
    expect(texts[2]).toContain('您单位的电子版参赛材料已全部收齐');
  });

  it('a recipient the server refuses (550) is recorded as failed and shown; the others go out', async () => {
    const refusing = await TestSmtpServer.start({ rejectRecipients: ['xyqzgh@163.com'] });
    try {
      const app = await appWith(refusing.env());
      await ingestFrom(app, new FileSource([fixtureMail('01-xunyang-complete.eml'), fixtureMail('02-chaisang-zip-gbk.eml')]));
      await app.flushOutbox();
      expect(refusing.messages.map((m) => m.envelope.to)).toEqual([['csqzgh@126.com']]);
      const [failed] = await outboxEntries(app.db, { statuses: ['failed'] });
      expect(failed).toMatchObject({ to: 'xyqzgh@163.com', errorClass: 'permanent', attempts: 1 });
      expect(failed!.lastError).toMatch(/550/);
      expect((await campaignStatus(app.db, app.rules)).totals.repliesFailed).toBe(1);
      // Retrying later does not send it again by itself: a person decides.
      await app.flushOutbox();
      expect(refusing.messages).toHaveLength(1);
    } finally {
      await refusing.stop();
    }
  });

  it('a refused login holds every reply (none dropped); with the right password they all go', async () => {
    const inboxApp = await appWith({ SMTP_PASSWORD: 'wrong' });
    await ingestFrom(inboxApp, new FileSource([fixtureMail('01-xunyang-complete.eml'), fixtureMail('02-chaisang-zip-gbk.eml')]));
    await inboxApp.flushOutbox();
    expect(smtp.authFailures).toBeGreaterThan(0);
    const rows = await outboxEntries(inboxApp.db);
    // Only the oldest was tried; the queue waits behind it, in order.
    expect(rows.map((r) => [r.status, r.errorClass, r.attempts])).toEqual([
      ['pending', 'connection', 1],
      ['pending', null, 0],
    ]);
    expect(rows[0]!.lastError).toMatch(/535|Invalid login|Invalid username/);
    expect(JSON.stringify(rows)).not.toContain('wrong');
    await inboxApp.close();
    apps.splice(apps.indexOf(inboxApp), 1);

    const fixed = await testApp({ dataDir: inboxApp.dataDir, env: { ...smtp.env(), REPLY_RETRY_SECONDS: '0.05' } });
    apps.push(fixed);
    await flushUntil(fixed, () => smtp.messages.length === 2, 'both replies');
    expect(smtp.messages.map((m) => m.envelope.to[0])).toEqual(['xyqzgh@163.com', 'csqzgh@126.com']);
  });
});

describe('SMTP down for a while, then back', () => {
  for (const outage of ['stopped', 'refuse-421', 'temporary-451'] as const) {
    it(`${outage}: every reply is delivered once, in order`, async () => {
      if (outage === 'stopped') await smtp.stop();
      else smtp.mode = outage;
      const app = await appWith();
        const files = ['01-xunyang-complete.eml', '02-chaisang-zip-gbk.eml', '03-xiushui-form-only-gb2312.eml', '06-jingkai-forwarded.eml', '07-jiaoyu-outlook-q.eml'].map(fixtureMail);
      await ingestFrom(app, new FileSource(files));
      // Several rounds against the broken server: each fails, nothing is lost or sent twice.
      for (let i = 0; i < 4; i++) {
        await app.flushOutbox();
        await new Promise((r) => setTimeout(r, 120));
      }
      const during = await outboxEntries(app.db);
      expect(during.every((r) => r.status === 'pending')).toBe(true);
      expect(during[0]!.attempts).toBeGreaterThanOrEqual(2);
      // The queue waits behind the oldest reply, so the order holds when the server is back.
      expect(during[0]!.errorClass).toBe('connection');
      expect(during.slice(1).every((r) => r.attempts === 0)).toBe(true);
      expect(smtp.messages).toHaveLength(0);

      if (outage === 'stopped') await smtp.restart();
      else smtp.mode = 'accept';
      await flushUntil(app, async () => (await outboxEntries(app.db)).every((r) => r.status === 'sent'), 'every reply sent');
      const accepted = smtp.messages;
      const rows = await outboxEntries(app.db);
      expect(accepted.map((m) => m.messageId)).toEqual(rows.map((r) => r.replyMessageId));
      for (const r of rows) expect(accepted.filter((m) => m.messageId === r.replyMessageId)).toHaveLength(1);
    });
  }
});

describe('a delivery cut off after the server had the whole message', () => {
  it('is held for a person, never resent automatically; mark-sent settles it', async () => {
    smtp.mode = 'hang-after-data';
    const app = await appWith({ SMTP_TIMEOUT_SECONDS: '1' });
    await ingestFrom(app, new FileSource([fixtureMail('01-xunyang-complete.eml')]));
    await app.flushOutbox();
    const [row] = await outboxEntries(app.db);
    expect(row).toMatchObject({ status: 'held', errorClass: 'interrupted' });
    expect(row!.lastError).toMatch(/may have accepted it/);
    expect(smtp.copiesOf(row!.replyMessageId)).toBe(1);
    smtp.mode = 'accept';
    for (let i = 0; i < 3; i++) await app.flushOutbox();
    expect(smtp.copiesOf(row!.replyMessageId)).toBe(1);
    expect(await resolveOutbox(app.db, [row!.id], 'mark-sent')).toEqual({ changed: [row!.id], skipped: [] });
    await app.flushOutbox();
    expect((await outboxEntries(app.db))[0]).toMatchObject({ status: 'sent' });
    expect(smtp.copiesOf(row!.replyMessageId)).toBe(1);
  });
});

describe('per-recipient rate limit', () => {
  it('a reply over the day\'s limit waits and is sent when the window frees; none is dropped', async () => {
    const rules = copyRules();
    const p = join(rules, 'campaign.yaml');
    writeFileSync(p, readFileSync(p, 'utf8').replace('per_recipient_per_day: 10', 'per_recipient_per_day: 1'));
    const app = await appWith({}, rules);
    await ingestFrom(app, new FileSource([fixtureMail('03-xiushui-form-only-gb2312.eml'), fixtureMail('04-xiushui-plan-later-rfc2231-gbk.eml'), fixtureMail('01-xunyang-complete.eml')]));
    await app.flushOutbox();
    // 修水县 got its first reply; its second waits a day; 浔阳区 is not held up by it.
    expect(smtp.messages.map((m) => m.envelope.to[0]).sort()).toEqual(['xsxzgh@163.com', 'xyqzgh@163.com']);
    expect(smtp.messages.find((m) => m.envelope.to[0] === 'xsxzgh@163.com')!.parsed.text).toContain('尚未收齐');
    const waiting = (await outboxEntries(app.db)).find((r) => r.status === 'pending')!;
    expect(waiting).toMatchObject({ to: 'xsxzgh@163.com', errorClass: 'rate-limited', attempts: 0 });
    const sentAt = (await outboxEntries(app.db)).find((r) => r.to === 'xsxzgh@163.com' && r.status === 'sent')!.sentAt!;
    expect(Date.parse(waiting.nextAttemptAt!) - Date.parse(sentAt)).toBe(24 * 3600_000);
    expect(waiting.lastError).toMatch(/rate limit: 1 mail\(s\) to xsxzgh@163.com in 24 hours/);
    // A day later the window has moved: it goes.
    await app.db.updateTable('outbox').set({ sent_at: new Date(Date.now() - 25 * 3600_000).toISOString() }).where('status', '=', 'sent').execute();
    await app.db.updateTable('outbox').set({ next_attempt_at: null }).where('id', '=', waiting.id).execute();
    await app.flushOutbox();
    expect(smtp.messages).toHaveLength(3);
    expect(smtp.messages[2]!.envelope.to).toEqual(['xsxzgh@163.com']);
    expect(smtp.messages[2]!.parsed.text).toContain('已全部收齐');
  });
});
