import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRules, RulesError, formatProblem } from '../rules/index.js';
import { copyRules, type TestApp } from '../testing/app.js';
import { chinaTime as china, demoCampaign } from '../testing/demo-campaign.js';
import { formatLocalTime } from '../util/time.js';
import { DigestSchedule } from './schedule.js';
import { queueDigest } from './send.js';

let apps: TestApp[] = [];
afterEach(async () => {
  for (const a of apps) await a.cleanup();
  apps = [];
});

const digestFiles = (a: TestApp) => readdirSync(join(a.dataDir, 'outbox')).filter((f) => f.startsWith('intake.digest.'));

function editCampaign(rulesDir: string, edit: (text: string) => string): string {
  const p = join(rulesDir, 'campaign.yaml');
  writeFileSync(p, edit(readFileSync(p, 'utf8')));
  return rulesDir;
}

async function demo(opts: { rulesDir?: string } = {}): Promise<TestApp> {
  const a = await demoCampaign(opts);
  apps.push(a);
  return a;
}

/** A schedule whose clock is `now`, delivering through the app's outbox. */
const scheduleAt = (a: TestApp, now: Date) => new DigestSchedule(a, { deliver: () => a.flushOutbox(), now: () => now });

describe('digest schedule', () => {
  it('finds the latest slot of the day in the digest zone (08:30 China time by default)', async () => {
    const a = await demo();
    const s = scheduleAt(a, new Date());
    expect(s.latestSlotToday(china('2021-07-20T10:00:00'))?.toISOString()).toBe('2021-07-20T00:30:00.000Z');
    expect(s.latestSlotToday(china('2021-07-20T08:30:00'))?.toISOString()).toBe('2021-07-20T00:30:00.000Z');
    expect(s.latestSlotToday(china('2021-07-20T08:29:59'))).toBeNull();
    // 01:00 UTC is 09:00 in China: after today's slot, though UTC's day began before it.
    expect(s.latestSlotToday(new Date('2021-07-20T01:00:00Z'))?.toISOString()).toBe('2021-07-20T00:30:00.000Z');
    s.stop();
  });

  it('runs from the opening until until_days_after_deadline days after the deadline', async () => {
    const a = await demo();
    const s = scheduleAt(a, new Date());
    expect(s.inWindow(china('2021-05-31T08:30:00'))).toBe(false);
    expect(s.inWindow(china('2021-06-01T08:30:00'))).toBe(true);
    expect(s.inWindow(china('2021-07-22T08:30:00'))).toBe(true);
    expect(s.inWindow(china('2021-07-25T08:30:00'))).toBe(true);
    expect(s.inWindow(china('2021-07-26T08:30:00'))).toBe(false);
    s.stop();
  });

  it('sends a slot at most once, whoever fires it and however often', async () => {
    const a = await demo();
    const now = china('2021-07-20T08:30:00');
    const one = scheduleAt(a, now);
    const two = scheduleAt(a, now);
    // Two processes' timers (or a tick and a "missed" event) for the same slot, at once.
    const results = await Promise.all([one.fire(now), two.fire(now), one.fire(new Date(now.getTime() + 400))]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await a.db.selectFrom('digests').selectAll().execute()).toHaveLength(1);
    expect(digestFiles(a)).toHaveLength(1);
    expect(await one.fire(now)).toBeNull();
    expect(digestFiles(a)).toHaveLength(1);
    one.stop();
    two.stop();
  });

  it('a stop waits for the digest being sent, and no digest is queued after it', async () => {
    const a = await demo();
    const now = china('2021-07-20T08:30:00');
    let delivered = false;
    const s = new DigestSchedule(a, {
      deliver: async () => {
        await new Promise((r) => setTimeout(r, 300));
        await a.flushOutbox();
        delivered = true;
      },
      now: () => now,
    });
    const sending = s.fire(now);
    await new Promise((r) => setTimeout(r, 50));
    await s.stop();
    // The service closes the database once stop() has resolved: the digest was finished first.
    expect(delivered).toBe(true);
    expect(await sending).not.toBeNull();
    expect(await s.fire(new Date(now.getTime() + 86_400_000))).toBeNull();
    expect(await s.catchUp(china('2021-07-21T09:00:00'))).toBeNull();
    expect(await a.db.selectFrom('digests').selectAll().execute()).toHaveLength(1);
  });

  it('outside the campaign days nothing is sent', async () => {
    const a = await demo();
    const s = scheduleAt(a, china('2021-07-26T08:30:00'));
    expect(await s.fire(china('2021-07-26T08:30:00'))).toBeNull();
    expect(await s.catchUp(china('2021-07-26T09:00:00'))).toBeNull();
    expect(await a.db.selectFrom('digests').selectAll().execute()).toHaveLength(0);
    s.stop();
  });

  it('a slot missed while down is caught up once on start, the same day only', async () => {
    const a = await demo();
    // Started at 07:00: today's slot is still to come, yesterday's is not sent late.
    expect(await scheduleAt(a, china('2021-07-20T07:00:00')).catchUp()).toBeNull();
    // Started at 14:00 after being down at 08:30: sent now, once.
    const late = scheduleAt(a, china('2021-07-20T14:00:00'));
    const caught = await late.catchUp();
    expect(caught?.slot).toBe('2021-07-20T00:30:00.000Z');
    expect(await late.catchUp()).toBeNull();
    expect(await scheduleAt(a, china('2021-07-20T15:00:00')).catchUp()).toBeNull();
    expect(digestFiles(a)).toHaveLength(1);
    late.stop();
  });

  it('no catch-up when staff sent a digest by hand after the slot', async () => {
    const a = await demo();
    await queueDigest(a, { slot: `manual:${china('2021-07-20T09:00:00').toISOString()}`, trigger: 'manual', now: china('2021-07-20T09:00:00') });
    expect(await scheduleAt(a, china('2021-07-20T14:00:00')).catchUp()).toBeNull();
  });

  it('the mail: HTML and text, the workbook attached, one copy per recipient, marked auto-generated', async () => {
    const rulesDir = editCampaign(copyRules(), (t) => t.replace('    - jjszjjb@sina.com\n# The daily digest', '    - jjszjjb@sina.com\n    - Staff2@Example.org\n# The daily digest'));
    const a = await demo({ rulesDir });
    const s = scheduleAt(a, china('2021-07-20T08:30:05'));
    const queued = await s.fire(china('2021-07-20T08:30:00'));
    expect(queued?.recipients).toEqual(['jjszjjb@sina.com', 'staff2@example.org']);
    const rows = await a.db.selectFrom('outbox').selectAll().where('kind', '=', 'digest').execute();
    expect(rows.map((r) => [r.to_address, r.status, r.message_row])).toEqual([
      ['jjszjjb@sina.com', 'sent', null],
      ['staff2@example.org', 'sent', null],
    ]);
    expect(digestFiles(a)).toHaveLength(2);
    const mail = await simpleParser(readFileSync(join(a.dataDir, 'outbox', digestFiles(a)[0]!)));
    expect(mail.subject).toBe('报送情况日报（7月20日）：已齐全 8/43，材料不全 1，未报送 34，距截止 2 天');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.from?.value[0]).toMatchObject({ address: 'jjszjjb@sina.com', name: '九江市总工会经济技术部' });
    expect(mail.html).toContain('各单位情况（43）');
    expect(mail.text).toContain('共 43 个单位：已齐全 8');
    expect(mail.attachments).toHaveLength(1);
    const att = mail.attachments[0]!;
    expect(att.filename).toBe('报送汇总_20210720.xlsx');
    expect(att.contentType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(att.content as unknown as ArrayBuffer);
    expect(wb.getWorksheet('报送情况')!.rowCount).toBe(44);
    s.stop();
  });

  it('node-cron fires inside the window: each tick is its own slot, sent once', { timeout: 180_000 }, async () => {
    // A campaign open now, with a digest every second.
    const now = new Date();
    const day = (offset: number) => formatLocalTime(new Date(now.getTime() + offset * 86_400_000), 'Asia/Shanghai').slice(0, 10);
    const rulesDir = editCampaign(copyRules(), (t) =>
      t
        .replace('opens: 2021-06-01T00:00:00+08:00', `opens: ${day(-5)}T00:00:00+08:00`)
        .replace('deadline: 2021-07-22T23:59:59+08:00', `deadline: ${day(5)}T23:59:59+08:00`)
        .replace('cron: "30 8 * * *"', 'cron: "* * * * * *"'),
    );
    const a = await demo({ rulesDir });
    const s = new DigestSchedule(a, { deliver: () => a.flushOutbox() });
    s.start();
    try {
      for (let i = 0; i < 1200 && digestFiles(a).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    } finally {
      s.stop();
    }
    const digests = await a.db.selectFrom('digests').selectAll().execute();
    expect(digests.length).toBeGreaterThanOrEqual(2);
    expect(new Set(digests.map((d) => d.slot)).size).toBe(digests.length);
    for (const d of digests) expect(d.slot).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(digests.every((d) => d.trigger === 'schedule')).toBe(true);
  });
});

describe('digest rules', () => {
  const problems = (edit: (t: string) => string) => {
    const dir = editCampaign(copyRules(), edit);
    try {
      loadRules(dir);
      return [];
    } catch (err) {
      if (err instanceof RulesError) return err.problems.map((p) => formatProblem(p).replace(dir + '/', ''));
      throw err;
    }
  };

  it('defaults to 08:30 every day until three days after the deadline', () => {
    const r = loadRules(editCampaign(copyRules(), (t) => t.replace(/^digest:\n(  .*\n)+/m, '')));
    expect(r.campaign.digest).toEqual({ cron: '30 8 * * *', until_days_after_deadline: 3 });
  });

  it('names the line of a cron expression or zone that will not work', () => {
    const lines = readFileSync(join(copyRules(), 'campaign.yaml'), 'utf8').split('\n');
    const line = lines.findIndex((l) => l.includes('cron: "30 8 * * *"')) + 1;
    expect(problems((t) => t.replace('cron: "30 8 * * *"', 'cron: "30 25 * * *"'))).toEqual([
      `campaign.yaml:${line}:9: "30 25 * * *" is not a cron expression (hour "25": 25 is a invalid expression for hour): write minute hour day month weekday, e.g. "30 8 * * *" for 08:30 every day`,
    ]);
    expect(problems((t) => t.replace('cron: "30 8 * * *"', 'cron: "30 8 * * *"\n  timezone: China/Beijing'))).toEqual([
      expect.stringMatching(/^campaign\.yaml:\d+:13: unknown time zone "China\/Beijing": use an IANA name such as Asia\/Shanghai/),
    ]);
    expect(problems((t) => t.replace('until_days_after_deadline: 3', 'until_days_after_deadline: -1'))).toEqual([expect.stringMatching(/^campaign\.yaml:\d+:\d+: digest\.until_days_after_deadline: /)]);
  });
});
