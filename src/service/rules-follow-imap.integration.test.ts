import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyRules, tempDir } from '../testing/app.js';
import { runCli, startCli } from '../testing/cli.js';
import { planDocx } from '../testing/documents.js';
import { startDovecot, type Dovecot } from '../testing/dovecot.js';
import { buildMail } from '../testing/mail.js';

const NEW_ADDRESS = 'hkzgh2021@163.com';
let dovecot: Dovecot;
beforeAll(async () => {
  dovecot = await startDovecot();
});
afterAll(async () => {
  await dovecot?.cleanup();
});

async function planMail(id: string, at: Date): Promise<Buffer> {
  return buildMail({
    from: { name: '办公室', address: NEW_ADDRESS },
    subject: '实施方案',
    messageId: `<${id}@163.com>`,
    date: at,
    received: at,
    text: '',
    attachments: [{ filename: '方案.docx', content: await planDocx({ unit: '', title: '劳动和技能竞赛实施方案' }) }],
  });
}

const decisions = (data: string) => {
  const db = new SQLite(join(data, 'intake.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('select id, source, status, unit_id from messages order by id').all() as Array<{ id: number; source: string; status: string; unit_id: string | null }>;
  } finally {
    db.close();
  }
};

describe('rules applied while intake run watches an IMAP mailbox', () => {
  it('the service reconnects on the applied rules: the next message is decided with them, nothing is taken twice', async () => {
    const data = tempDir();
    const rules = copyRules();
    const args = ['--rules', rules, '--data', data];
    const env = { ...dovecot.env(), POLL_SECONDS: '1' };
    await dovecot.appendOne(await planMail('p1', new Date('2021-07-21T01:00:00Z')), { date: new Date('2021-07-21T01:00:00Z') });
    const child = startCli(['run', ...args], env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const waitFor = async (cond: () => boolean, what: string) => {
      for (let i = 0; i < 600 && !cond(); i++) await new Promise((r) => setTimeout(r, 100));
      if (!cond()) throw new Error(`timed out waiting for ${what}; stdout:\n${stdout}\nstderr:\n${stderr}`);
    };
    try {
      await waitFor(() => stdout.includes('Watching'), 'the service to start');
      expect(decisions(data)).toMatchObject([{ id: 1, status: 'decided', unit_id: null }]);

      const units = join(rules, 'units.yaml');
      const text = readFileSync(units, 'utf8');
      const edited = text.replace(/(- id: hukou\n(?: {4}.*\n)*? {4}addresses: \[)/, `$1${NEW_ADDRESS}, `);
      expect(edited).not.toBe(text);
      writeFileSync(units, edited);
      expect((await runCli(['rules', 'apply', ...args], env)).status).toBe(0);
      await waitFor(() => stdout.includes('Rules applied: running with them now') && (stdout.match(/Watching/g) ?? []).length === 2, 'the service to watch again on the applied rules');

      // Seen through IDLE by the service started again, and decided with the applied roster.
      await dovecot.appendOne(await planMail('p2', new Date('2021-07-22T02:00:00Z')), { date: new Date('2021-07-22T02:00:00Z') });
      await waitFor(() => decisions(data).length === 2 && decisions(data)[1]!.status === 'decided', 'the second message to be decided');
      const rows = decisions(data);
      expect(rows.map((r) => r.unit_id)).toEqual(['hukou', 'hukou']);
      expect(new Set(rows.map((r) => r.source)).size).toBe(2);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('exit', (c) => r(c))));
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/"level":50/);
  }, 240_000);
});
