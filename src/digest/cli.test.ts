import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { copyRules, FIXTURE_MAIL, tempDir } from '../testing/app.js';
import { runCli, runCliUntil } from '../testing/cli.js';
import { formatLocalTime } from '../util/time.js';

// Each command is a fresh Node process compiling TypeScript: slow on a loaded machine.
const SLOW = { timeout: 300_000 };

const digestFiles = (data: string) => (existsSync(join(data, 'outbox')) ? readdirSync(join(data, 'outbox')).filter((f) => f.startsWith('intake.digest.')) : []);

describe('intake digest and intake export', () => {
  it('render without sending, send now, and write the workbook', SLOW, async () => {
    const data = tempDir();
    expect((await runCli(['ingest', FIXTURE_MAIL, '--data', data])).status).toBe(0);

    const printed = await runCli(['digest', '--data', data]);
    expect(printed.status).toBe(0);
    // The fixture campaign closed in 2021: today's digest is the final one.
    expect(printed.stdout).toMatch(/^报送情况汇总（\d+月\d+日）：已截止，7\/43 个单位按时报齐\n/);
    expect(printed.stdout).toContain('【最终参赛名单（7 个单位，截止前报齐，具备评奖资格）】');

    const html = join(data, 'digest.html');
    const out = await runCli(['digest', '--out', html, '--data', data]);
    expect(out.status).toBe(0);
    expect(out.stdout).toContain(`wrote ${html}`);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!DOCTYPE html>[\s\S]*最终参赛名单（7 个单位）/);
    expect(digestFiles(data)).toHaveLength(0);

    const xlsx = join(data, 'export.xlsx');
    const exported = await runCli(['export', xlsx, '--data', data]);
    expect(exported.stdout).toBe(`wrote ${xlsx}: 43 units, 9 registration row(s), 7 final participant(s)\n`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(xlsx);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['报送情况', '报名信息', '最终参赛名单']);
    expect(digestFiles(data)).toHaveLength(0);

    const sent = await runCli(['digest', '--send', '--data', data]);
    expect(sent.stderr).toBe('');
    expect(sent.stdout).toBe('digest #1 to jjszjjb@sina.com: sent\n');
    expect(digestFiles(data)).toHaveLength(1);
    const eml = readFileSync(join(data, 'outbox', digestFiles(data)[0]!), 'latin1');
    expect(eml).toMatch(/^Content-Type: multipart\/mixed/m);
    expect(eml).toMatch(/^Content-Type: text\/html; charset=utf-8/m);
    expect(eml).toMatch(/^Auto-Submitted: auto-generated/m);
  });

  it('--send with no recipients says what to fix', SLOW, async () => {
    const rules = copyRules();
    const p = join(rules, 'campaign.yaml');
    writeFileSync(p, readFileSync(p, 'utf8').replace('  digest_recipients:\n    - jjszjjb@sina.com\n', '  digest_recipients: []\n'));
    const r = await runCli(['digest', '--send', '--rules', rules, '--data', tempDir()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('intake: campaign.yaml staff.digest_recipients is empty: list who receives the digest\n');
  });
});

describe('the digest inside intake run', () => {
  it('a slot passed today while stopped is sent on start, and not again on the next start', SLOW, async () => {
    // A campaign open today whose digest time (00:00 China time) has always passed already.
    const now = new Date();
    const day = (offset: number) => formatLocalTime(new Date(now.getTime() + offset * 86_400_000), 'Asia/Shanghai').slice(0, 10);
    const rules = copyRules();
    const p = join(rules, 'campaign.yaml');
    writeFileSync(
      p,
      readFileSync(p, 'utf8')
        .replace('opens: 2021-06-01T00:00:00+08:00', `opens: ${day(-30)}T00:00:00+08:00`)
        .replace('deadline: 2021-07-22T23:59:59+08:00', `deadline: ${day(30)}T23:59:59+08:00`)
        .replace('cron: "30 8 * * *"', 'cron: "0 0 * * *"'),
    );
    const data = tempDir();
    const runOnce = async () => expect(await runCliUntil(['run', '--rules', rules, '--data', data], { POLL_SECONDS: '1' }, (o) => o.stdout.includes('Watching'))).toMatchObject({ ready: true, status: 0 });
    await runOnce();
    expect(digestFiles(data)).toHaveLength(1);
    await runOnce();
    expect(digestFiles(data)).toHaveLength(1);
  });
});
