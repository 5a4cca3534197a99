import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyRules, fixtureMail, tempDir } from './testing/app.js';
import { runCli, runCliUntil } from './testing/cli.js';

// Not blocking this worker while the CLI runs: vitest's worker must keep answering its runner.
import { addDays, localDay } from './util/time.js';

const emlFiles = (data: string) => readdirSync(join(data, 'outbox')).filter((f) => f.endsWith('.eml'));
/** Each CLI run starts Node and tsx (seconds on a loaded machine): these tests run many. */
const SLOW = 240_000;
const jsonLines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l));

describe('intake CLI: dry run, outbox, paper, remind', async () => {
  it('ingest --dry-run records every reply, sends none; `outbox` lists them; `outbox resend` sends one, not while replies are off', async () => {
    const data = tempDir();
    const files = [fixtureMail('01-xunyang-complete.eml'), fixtureMail('03-xiushui-form-only-gb2312.eml')];
    const dry = await runCli(['ingest', ...files, '--dry-run', '--data', data]);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('replies not sent: dry run (--dry-run): recorded, not sent; see `intake outbox`');
    expect(emlFiles(data)).toEqual([]);
    const rows = jsonLines((await runCli(['outbox', '--json', '--data', data])).stdout);
    expect(rows.map((r) => [r.kind, r.unit, r.to, r.status, r.lastError])).toEqual([
      ['ack', 'xunyang', 'xyqzgh@163.com', 'suppressed', 'dry run (--dry-run): recorded, not sent'],
      ['missing', 'xiushui', 'xsxzgh@163.com', 'suppressed', 'dry run (--dry-run): recorded, not sent'],
    ]);
    // The reply log says why each reply went to its unit: the decision's reason and evidence.
    expect(rows[0]!.match).toMatchObject({ reason: expect.stringContaining('浔阳区总工会 scored'), evidence: expect.arrayContaining([expect.objectContaining({ unit: 'xunyang', signal: 'display_name' })]) });
    const table = (await runCli(['outbox', '--data', data])).stdout;
    expect(table).toMatch(/^1\s+ack\s+#1\s+xunyang\s+xyqzgh@163\.com\s+suppressed\s+0\s+dry run/m);
    expect(table).toContain('2 reply(ies) and reminder(s): 2 suppressed.');
    expect((await runCli(['messages', '--data', data])).stdout).toMatch(/ack \(suppressed\)/);

    const off = await runCli(['outbox', 'resend', '1', '--data', data], { REPLIES: 'off' });
    expect(off).toMatchObject({ status: 2, stderr: 'intake: replies are off (REPLIES=off: recorded, not sent): nothing would be sent; run `intake outbox resend` with replies on\n' });
    expect(jsonLines((await runCli(['outbox', '--json', '--data', data])).stdout)[0]).toMatchObject({ id: 1, status: 'suppressed', lastError: 'dry run (--dry-run): recorded, not sent' });
    // Every command that decides messages says their replies were only recorded.
    expect((await runCli(['rules', 'apply', '--data', data], { REPLIES: 'off' })).stdout).toContain('replies not sent: REPLIES=off: recorded, not sent; see `intake outbox`');
    const resend = await runCli(['outbox', 'resend', '1', '--data', data]);
    expect(resend.stdout).toBe('reply #1 to xyqzgh@163.com: sent\n');
    expect(emlFiles(data)).toEqual([expect.stringMatching(/^intake\.1\.ack\./)]);
    const bad = await runCli(['outbox', 'resend', '1', '7', '--data', data]);
    expect(bad.stdout).toBe('reply #1 left alone: it is sent\nreply #7 left alone: no such reply\n');
    expect(bad.status).toBe(1);
    expect((await runCli(['outbox', '--problems', '--data', data])).stdout).toContain('0 reply(ies) and reminder(s): nothing.');
  }, SLOW);

  it('paper: records, lists, shows in status, refuses a bad date, undoes', async () => {
    const data = tempDir();
    expect((await runCli(['ingest', fixtureMail('01-xunyang-complete.eml'), '--data', data])).status).toBe(0);
    const rec = await runCli(['paper', '浔阳区', '--date', '2021-07-20', '--note', '张三送来', '--data', data]);
    expect(rec.stdout).toBe('xunyang (浔阳区总工会): paper copy received 2021-07-20\n');
    const late = await runCli(['paper', 'chaisang', '--date', '2021-07-23T09:30', '--data', data]);
    expect(late.stdout).toBe('chaisang (柴桑区总工会): paper copy received 2021-07-23 09:30 — LATE (due 2021-07-22 23:59)\n');
    const status = JSON.parse((await runCli(['status', '--json', '--data', data])).stdout);
    expect(status.units.find((u: { unit: string }) => u.unit === 'xunyang').paper).toEqual({
      required: false,
      received: true,
      receivedOn: '2021-07-20',
      receivedAt: null,
      late: false,
      recordedAt: expect.any(String),
      note: '张三送来',
      deadline: '2021-07-22T23:59:59+08:00',
    });
    expect(status.totals.paperReceived).toBe(2);
    expect((await runCli(['status', '--data', data])).stdout).toMatch(/xunyang\s+浔阳区总工会\s+07-15 09:30\s+07-15 09:30\s+complete\s+07-20/);
    expect((await runCli(['paper', '--data', data])).stdout).toMatch(/^2\s+chaisang\s+2021-07-23 09:30\s+\S+ \S+\s+current$/m);

    const wrong = await runCli(['paper', 'xunyang', '--date', '7/20', '--data', data]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^intake: --date "7\/20": write a day as YYYY-MM-DD/);
    expect((await runCli(['paper', '火星县', '--data', data]))).toMatchObject({ status: 2, stderr: expect.stringMatching(/no unit "火星县"/) });
    expect((await runCli(['paper', 'xunyang', '--undo', '--data', data])).stdout).toBe('xunyang (浔阳区总工会): paper copy of 2021-07-20 removed; the unit has no paper copy recorded\n');
    expect((await runCli(['paper', 'xunyang', '--undo', '--data', data]))).toMatchObject({ status: 2, stderr: expect.stringMatching(/has no paper copy recorded: nothing to undo/) });
  }, SLOW);

  it('remind: --dry-run lists who would get what and writes nothing; then it sends, once', async () => {
    const rules = copyRules();
    const p = join(rules, 'campaign.yaml');
    const day = addDays(localDay(new Date()), 2);
    writeFileSync(p, readFileSync(p, 'utf8').replace('deadline: 2021-07-22T23:59:59+08:00', `deadline: ${day}T23:59:59+08:00`).replace('days_before: 3\n      at: "09:00"', 'days_before: 2\n      at: "00:00"'));
    const data = tempDir();
    (await runCli(['ingest', fixtureMail('01-xunyang-complete.eml'), fixtureMail('03-xiushui-form-only-gb2312.eml'), '--rules', rules, '--data', data]));
    const before = emlFiles(data).length;
    const dry = await runCli(['remind', '--dry-run', '--rules', rules, '--data', data]);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(/^xiushui\s+修水县总工会\s+xsxzgh@163\.com\s+last-message\s+plan\s+would be sent$/m);
    expect(dry.stdout).not.toMatch(/^xunyang/m);
    expect(dry.stdout).toContain('Nothing was written or sent.');
    expect(emlFiles(data).length).toBe(before);
    // With replies off, nothing is queued: a suppressed reminder would keep the real one from going.
    const off = await runCli(['remind', '--rules', rules, '--data', data], { REPLIES: 'off' });
    expect(off.status).toBe(0);
    expect(off.stdout).toMatch(/^xiushui\s+.*\s+would be sent$/m);
    expect(off.stdout).toContain('Replies are off (REPLIES=off: recorded, not sent): no reminder was queued.');
    expect(jsonLines((await runCli(['outbox', '--json', '--data', data])).stdout).filter((r) => r.kind === 'reminder')).toEqual([]);
    // Nor does `intake run`'s start-up catch-up: the reminder in force is left for a run with replies
    // on, and so is the digest of the day (the campaign runs today, so after 08:30 China time one
    // is due; a suppressed one would take its slot).
    const run = await runCliUntil(['run', '--rules', rules, '--data', data], { REPLIES: 'off', LOG_LEVEL: 'info', INBOX_DIR: tempDir(), POLL_SECONDS: '1' }, (o) => o.stderr.includes('digests and reminders not queued: replies are off'));
    expect(run).toMatchObject({ ready: true, status: 0 });
    expect(jsonLines((await runCli(['outbox', '--json', '--data', data])).stdout).filter((r) => r.kind === 'reminder' || r.kind === 'digest')).toEqual([]);
    expect(await runCli(['digest', '--send', '--rules', rules, '--data', data], { REPLIES: 'off' })).toMatchObject({ status: 2, stderr: expect.stringContaining('intake: replies are off (REPLIES=off: recorded, not sent): nothing would be sent; `intake digest --out digest.html` shows it') });
    expect(jsonLines((await runCli(['outbox', '--json', '--data', data])).stdout).filter((r) => r.kind === 'digest')).toEqual([]);

    const sent = await runCli(['remind', '--rules', rules, '--data', data]);
    expect(sent.stdout).toMatch(/^xiushui\s+.*\s+queued$/m);
    const reminders = emlFiles(data).filter((f) => f.startsWith('intake.reminder.'));
    expect(reminders.some((f) => f.startsWith('intake.reminder.xiushui.'))).toBe(true);
    const again = await runCli(['remind', '--rules', rules, '--data', data]);
    expect(again.stdout).toMatch(/^xiushui\s+.*\s+already had it$/m);
    expect(emlFiles(data).filter((f) => f.startsWith('intake.reminder.'))).toHaveLength(reminders.length);

    // After the deadline (the shipped rules' 2021 one), reminders are refused plainly.
    expect((await runCli(['remind', '--data', data]))).toMatchObject({ status: 2, stderr: expect.stringMatching(/the deadline \(2021-07-22 23:59:59\) has passed/) });
  }, SLOW);
});
