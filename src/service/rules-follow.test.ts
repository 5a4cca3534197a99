import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { applyRules } from '../replay/replay.js';
import { copyRules, tempDir, testApp } from '../testing/app.js';
import { runCli, startCli } from '../testing/cli.js';
import { planDocx } from '../testing/documents.js';
import { buildMail } from '../testing/mail.js';
import { latestRulesApplied, redecideFrom } from './rules-follow.js';

const NEW_ADDRESS = 'hkzgh2021@163.com';

/** A plan from an address no rule knows yet, naming no unit: review, until the roster has it. */
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

/** rules/units.yaml with NEW_ADDRESS given to hukou. */
function giveHukouTheAddress(rules: string): void {
  const units = join(rules, 'units.yaml');
  const text = readFileSync(units, 'utf8');
  const edited = text.replace(/(- id: hukou\n(?: {4}.*\n)*? {4}addresses: \[)/, `$1${NEW_ADDRESS}, `);
  expect(edited).not.toBe(text);
  writeFileSync(units, edited);
}

const source = (raw: Buffer, id: string, at: Date) => ({ source: `test:${id}`, raw, receivedAt: at, receivedBasis: 'received-header' as const });

const decisions = (data: string) => {
  const db = new SQLite(join(data, 'intake.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('select id, status, unit_id, reply_kind from messages order by id').all() as Array<{ id: number; status: string; unit_id: string | null; reply_kind: string | null }>;
  } finally {
    db.close();
  }
};

describe('rules applied while intake run is running', () => {
  it('the service takes up the applied rules: the next message is decided with them, without a restart', async () => {
    const data = tempDir();
    const inbox = join(data, 'inbox');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(inbox, sub), { recursive: true });
    writeFileSync(join(inbox, 'new', '1626832800.M1P1.test'), await planMail('p1', new Date('2021-07-21T01:00:00Z')));
    const rules = copyRules();
    const args = ['--rules', rules, '--data', data];
    const env = { INBOX_DIR: inbox, POLL_SECONDS: '1' };
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
      expect(decisions(data)).toEqual([{ id: 1, status: 'decided', unit_id: null, reply_kind: 'review' }]);

      // The operator gives hukou the address, and applies.
      giveHukouTheAddress(rules);
      const applied = await runCli(['rules', 'apply', ...args], env);
      expect(applied.status).toBe(0);
      expect(applied.stdout).toContain('A running `intake run` starts again on these rules within 1 s.');
      expect(decisions(data)[0]).toMatchObject({ unit_id: 'hukou', reply_kind: 'missing' });
      await waitFor(() => stdout.includes('Rules applied: running with them now'), 'the service to start again on the applied rules');

      // The unit's next mail is decided with the applied roster by the running service.
      writeFileSync(join(inbox, 'new', '1626919200.M2P1.test'), await planMail('p2', new Date('2021-07-22T02:00:00Z')));
      await waitFor(() => decisions(data).length === 2 && decisions(data)[1]!.status === 'decided', 'the second message to be decided');
      expect(decisions(data)[1]).toMatchObject({ unit_id: 'hukou' });
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('exit', (c) => r(c))));
    expect(code).toBe(0);
  }, 240_000);

  it('a message the old service decided while the rules were being applied is decided again with them', async () => {
    const data = tempDir();
    const rules = copyRules();
    const old = await testApp({ rulesDir: rules, dataDir: data });
    try {
      const t1 = new Date('2021-07-21T01:00:00Z');
      expect(await old.pipeline.process(source(await planMail('p1', t1), 'p1', t1))).toMatchObject({ decision: { unit: null, kind: 'review' } });
      giveHukouTheAddress(rules);
      const applying = await testApp({ rulesDir: rules, dataDir: data });
      try {
        expect((await applyRules(applying)).changes).toHaveLength(1);
        expect(await latestRulesApplied(applying.db)).toMatchObject({ id: 1, from_message: 2 });
        // Meanwhile the service, still on the old rules, decides the next message.
        const t2 = new Date('2021-07-22T02:00:00Z');
        expect(await old.pipeline.process(source(await planMail('p2', t2), 'p2', t2))).toMatchObject({ row: 2, decision: { unit: null } });
        // Started again on the applied rules, it decides that one again.
        expect(await redecideFrom(applying, 2)).toBe(1);
        expect(decisions(data).map((d) => [d.id, d.unit_id])).toEqual([[1, 'hukou'], [2, 'hukou']]);
      } finally {
        await applying.close();
      }
    } finally {
      await old.cleanup();
    }
  });
});

