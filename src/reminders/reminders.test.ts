import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import cron from 'node-cron';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import { recordPaper } from '../paper/paper.js';
import { loadRules, RulesError } from '../rules/index.js';
import { FileSource } from '../sources/files.js';
import { ingestFrom } from '../service/ingest.js';
import { copyRules, fixtureMail, RULES_DIR, rulesWith, testApp, type TestApp } from '../testing/app.js';
import { addDays, localDay } from '../util/time.js';
import { dueOccasion, manualOccasion, nextOccasion, queueReminders, remindDue } from './reminders.js';
import { cronExpression, startReminderSchedule } from './schedule.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.cleanup();
  app = undefined;
});

const shipped = loadRules(RULES_DIR);
const at = (iso: string) => new Date(iso);

describe('reminder times', () => {
  it('3 and 1 days before the deadline at 09:00 China time, as instants and cron expressions', () => {
    expect(shipped.reminderTimes.map((t) => t.at.toISOString())).toEqual(['2021-07-19T01:00:00.000Z', '2021-07-21T01:00:00.000Z']);
    expect(shipped.reminderTimes.map((t) => cronExpression(t, 'Asia/Shanghai'))).toEqual(['0 9 19 7 *', '0 9 21 7 *']);
  });

  it('node-cron fires the expression at 09:00 in the campaign time zone, whatever the server zone', () => {
    const task = cron.schedule(cronExpression(shipped.reminderTimes[0]!, 'Asia/Shanghai'), () => {}, { timezone: 'Asia/Shanghai' });
    const next = task.getNextRun()!;
    expect(next.toISOString()).toMatch(/^\d{4}-07-19T01:00:00\.000Z$/);
    void task.destroy();
  });

  it('the occasion in force: the latest time that has come, never after the deadline', () => {
    expect(dueOccasion(shipped, at('2021-07-19T00:59:00Z'))).toBeNull();
    expect(dueOccasion(shipped, at('2021-07-19T01:00:00Z'))?.key).toBe('2021-07-19T01:00:00.000Z');
    // Down through both times: one reminder (the latest), not two.
    expect(dueOccasion(shipped, at('2021-07-22T10:00:00Z'))).toMatchObject({ key: '2021-07-21T01:00:00.000Z', days_before: 1 });
    expect(dueOccasion(shipped, at('2021-07-22T15:59:59Z'))).toBeNull();
    expect(dueOccasion(shipped, at('2021-08-01T00:00:00Z'))).toBeNull();
    expect(nextOccasion(shipped, at('2021-07-20T00:00:00Z'))?.key).toBe('2021-07-21T01:00:00.000Z');
    expect(manualOccasion(shipped, at('2021-07-20T03:00:00Z'))).toMatchObject({ key: 'manual:2021-07-20', days_before: 2 });
  });

  it('rules check refuses a reminder time not before the deadline, and reminders without a template', () => {
    const late = rulesWith((c) => c.replace('deadline: 2021-07-22T23:59:59+08:00', 'deadline: 2021-07-22T18:00:00+08:00').replace('days_before: 1\n      at: "09:00"', 'days_before: 0\n      at: "18:30"'));
    expect(() => loadRules(late)).toThrow(/campaign\.yaml:\d+:\d+: this reminder \(0 day\(s\) before, at 18:30\) is not before the deadline/);
    const bad = rulesWith((c) => c.replace('days_before: 1\n      at: "09:00"', 'days_before: 1\n      at: "9am"'));
    expect(() => loadRules(bad)).toThrow(/must be a time of day as "HH:MM"/);
    const noTemplate = copyRules();
    rmSync(join(noTemplate, 'templates', 'reminder.txt'));
    try {
      loadRules(noTemplate);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(RulesError);
      expect((err as RulesError).problems[0]!.message).toMatch(/reminder template is missing: create templates\/reminder\.txt/);
    }
  });
});

describe('who is reminded of what', () => {
  it('every incomplete unit with an address, once per occasion; complete units never', async () => {
    app = await testApp();
    await ingestFrom(app, new FileSource([fixtureMail('01-xunyang-complete.eml'), fixtureMail('03-xiushui-form-only-gb2312.eml'), fixtureMail('15-yongxiu-corrupt-attachment.eml')]));
    const occasion = dueOccasion(app.rules, at('2021-07-19T01:00:00Z'))!;
    const run = await queueReminders(app.db, app.rules, occasion, { now: at('2021-07-19T01:00:00Z') });
    const queued = new Map(run.queued.map((t) => [t.unit, t]));
    expect(queued.has('xunyang')).toBe(false);
    expect(queued.get('xiushui')).toMatchObject({ address: 'xsxzgh@163.com', addressFrom: 'last-message', missing: ['plan'] });
    expect(queued.get('yongxiu')).toMatchObject({ address: 'yxxzgh@163.com', missing: ['registration'] });
    expect(queued.get('chaisang')).toMatchObject({ address: 'csqzgh@126.com', addressFrom: 'roster', missing: ['registration', 'plan'] });
    const units = app.rules.units.length;
    expect(run.queued.length + run.noAddress.length).toBe(units - 1);
    expect(run.noAddress.every((t) => t.address === null)).toBe(true);

    const rows = await app.db.selectFrom('outbox').selectAll().where('kind', '=', 'reminder').execute();
    const xiushui = rows.find((r) => r.unit_id === 'xiushui')!;
    expect(xiushui).toMatchObject({ dedupe_key: 'reminder:xiushui:2021-07-19T01:00:00.000Z', to_address: 'xsxzgh@163.com', subject: '【提醒】九江市劳动和技能竞赛参赛材料报送即将截止', message_row: null, expires_at: '2021-07-22T15:59:59.000Z' });
    expect(xiushui.body_text).toBe(
      [
        '修水县总工会：',
        '',
        '建功"十四五"、奋进新征程主题劳动和技能竞赛 参赛报名的材料报送截止时间为 2021年7月22日 23:59。截至 2021年7月19日 09:00，您单位的参赛材料尚未收齐。',
        '',
        '已收到：',
        '  · 参赛报名表：修水县参赛报名表.xlsx（2021年7月17日 08:15 收到）',
        '',
        '仍需通过电子邮件报送：',
        '  · 竞赛实施方案',
        '',
        '请于截止时间前将电子版发送至 jjszjjb@sina.com，也可直接回复本邮件并附上文件。',
        '',
        '按通知要求，未在规定时间内报送参赛报名表和竞赛实施方案的单位视为未参赛，不能参加全国、全省五一各奖项的评选。',
        '',
        '如已报送，请忽略本提醒。此邮件由系统自动发送，如有疑问，请致电 0792-8227328。',
        '九江市总工会经济技术部',
        '',
      ].join('\n'),
    );

    // The same occasion again queues nothing: never twice for one reminder time.
    const again = await queueReminders(app.db, app.rules, occasion, { now: at('2021-07-19T05:00:00Z') });
    expect(again.queued).toEqual([]);
    expect(again.already.map((t) => t.unit).sort()).toEqual(run.queued.map((t) => t.unit).sort());
    expect(await app.db.selectFrom('outbox').select('id').where('kind', '=', 'reminder').execute()).toHaveLength(rows.length);
  });

  it('a required paper copy not yet in is listed; a unit complete on paper too gets none', async () => {
    app = await testApp({ rulesDir: rulesWith((c) => c.replace('paper:\n  required: false', 'paper:\n  required: true')) });
    await ingestFrom(app, new FileSource([fixtureMail('01-xunyang-complete.eml'), fixtureMail('02-chaisang-zip-gbk.eml')]));
    await recordPaper(app.db, app.rules, 'chaisang', { date: '2021-07-18', now: at('2021-07-19T00:00:00Z') });
    const run = await queueReminders(app.db, app.rules, dueOccasion(app.rules, at('2021-07-19T02:00:00Z'))!, { now: at('2021-07-19T02:00:00Z') });
    expect(run.queued.find((t) => t.unit === 'xunyang')).toMatchObject({ missing: ['paper'] });
    expect(run.queued.some((t) => t.unit === 'chaisang')).toBe(false);
    const body = (await app.db.selectFrom('outbox').select('body_text').where('unit_id', '=', 'xunyang').where('kind', '=', 'reminder').executeTakeFirstOrThrow()).body_text;
    expect(body).toContain('仍需报送加盖单位公章的纸质版：请于 2021年7月22日 23:59 前送至市总工会经济技术部。');
    expect(body).not.toContain('仍需通过电子邮件报送');
  });
});

describe('reminders in the service', () => {
  /** Deadline the day after tomorrow (China time); reminders 2 days before (passed) and 1 day before (to come), at 00:00. */
  function liveRules(): string {
    const day = addDays(localDay(new Date()), 2);
    return rulesWith((c) =>
      c
        .replace('deadline: 2021-07-22T23:59:59+08:00', `deadline: ${day}T23:59:59+08:00`)
        .replace('days_before: 3\n      at: "09:00"', 'days_before: 2\n      at: "00:00"')
        .replace('days_before: 1\n      at: "09:00"', 'days_before: 1\n      at: "00:00"'),
    );
  }

  it('on start, catches up a reminder time missed while down; schedules the next; sends each once', async () => {
    app = await testApp({ rulesDir: liveRules() });
    await ingestFrom(app, new FileSource([fixtureMail('01-xunyang-complete.eml'), fixtureMail('03-xiushui-form-only-gb2312.eml')]));
    await app.flushOutbox();
    const a = app;
    let runs = 0;
    const schedule = startReminderSchedule(
      a.rules,
      async (now) => {
        await remindDue(a.db, a.rules, now);
        await a.flushOutbox();
        runs++;
      },
      silentLogger,
    );
    try {
      for (let i = 0; i < 200 && runs === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(runs).toBe(1);
      expect(schedule.upcoming.map((u) => u.cron)).toEqual([cronExpression(a.rules.reminderTimes[1]!, 'Asia/Shanghai')]);
      const reminders = await a.db.selectFrom('outbox').selectAll().where('kind', '=', 'reminder').execute();
      expect(reminders.every((r) => r.status === 'sent' && r.dedupe_key.endsWith(a.rules.reminderTimes[0]!.at.toISOString()))).toBe(true);
      expect(reminders.find((r) => r.unit_id === 'xunyang')).toBeUndefined();
      const xiushui = reminders.find((r) => r.unit_id === 'xiushui')!;
      const file = readFileSync(join(a.dataDir, 'outbox', readdirSync(join(a.dataDir, 'outbox')).find((f) => f.includes('reminder.xiushui'))!), 'utf8');
      expect(file).toMatch(/^Auto-Submitted: auto-generated\r$/m);
      expect(file).toContain(`Message-ID: ${xiushui.reply_message_id}`);
      // A second catch-up (the hourly one, or a restart) sends nothing more.
      const before = readdirSync(join(a.dataDir, 'outbox')).length;
      await remindDue(a.db, a.rules, new Date());
      await a.flushOutbox();
      expect(readdirSync(join(a.dataDir, 'outbox')).length).toBe(before);
    } finally {
      schedule.stop();
    }
  });

  it('a reminder waiting to go is withdrawn when the unit completes first, and none goes after the deadline', async () => {
    app = await testApp({ rulesDir: liveRules() });
    await ingestFrom(app, new FileSource([fixtureMail('03-xiushui-form-only-gb2312.eml')]));
    await app.flushOutbox();
    await remindDue(app.db, app.rules, new Date());
    await ingestFrom(app, new FileSource([fixtureMail('04-xiushui-plan-later-rfc2231-gbk.eml')]));
    await app.flushOutbox();
    const xiushui = await app.db.selectFrom('outbox').selectAll().where('kind', '=', 'reminder').where('unit_id', '=', 'xiushui').executeTakeFirstOrThrow();
    expect(xiushui).toMatchObject({ status: 'suppressed', last_error: 'not sent: the unit has sent everything since the reminder was queued' });
    // Past the deadline: nothing is due, and a reminder still waiting expires.
    const after = new Date(Date.parse(app.rules.campaign.deadline) + 1000);
    expect(await remindDue(app.db, app.rules, after)).toBeNull();
    const other = await app.db.selectFrom('outbox').select(['status']).where('kind', '=', 'reminder').where('unit_id', '=', 'xunyang').executeTakeFirstOrThrow();
    expect(other.status).toBe('sent');
  });
});
