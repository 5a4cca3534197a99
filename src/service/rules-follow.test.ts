import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyRules } from '../replay/replay.js';
import { copyRules, tempDir, testApp } from '../testing/app.js';
import { runCli, startWatched } from '../testing/cli.js';
import { giveHukouTheAddress, planFromNewAddress, storedDecisions } from '../testing/new-address.js';
import { latestRulesApplied, redecideFrom } from './rules-follow.js';

const source = (raw: Buffer, id: string, at: Date) => ({ source: `test:${id}`, raw, receivedAt: at, receivedBasis: 'received-header' as const });

describe('rules applied while intake run is running', () => {
  it('the service takes up the applied rules: the next message is decided with them, without a restart', async () => {
    const data = tempDir();
    const inbox = join(data, 'inbox');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(inbox, sub), { recursive: true });
    writeFileSync(join(inbox, 'new', '1626832800.M1P1.test'), await planFromNewAddress('p1', new Date('2021-07-21T01:00:00Z')));
    const rules = copyRules();
    const args = ['--rules', rules, '--data', data];
    const env = { INBOX_DIR: inbox, POLL_SECONDS: '1' };
    const run = startWatched(['run', ...args], env);
    let exitCode: number | null | undefined;
    try {
      await run.waitFor(() => run.stdout().includes('Watching'), 'the service to start');
      expect(storedDecisions(data)).toMatchObject([{ id: 1, status: 'decided', unit_id: null, reply_kind: 'review' }]);

      // The operator gives hukou the address, and applies.
      giveHukouTheAddress(rules);
      const applied = await runCli(['rules', 'apply', ...args], env);
      expect(applied.status).toBe(0);
      expect(applied.stdout).toContain('A running `intake run` starts again on these rules within 1 s.');
      expect(storedDecisions(data)[0]).toMatchObject({ unit_id: 'hukou', reply_kind: 'missing' });
      await run.waitFor(() => run.stdout().includes('Rules applied: running with them now'), 'the service to start again on the applied rules');

      // The unit's next mail is decided with the applied roster by the running service.
      writeFileSync(join(inbox, 'new', '1626919200.M2P1.test'), await planFromNewAddress('p2', new Date('2021-07-22T02:00:00Z')));
      await run.waitFor(() => storedDecisions(data)[1]?.status === 'decided', 'the second message to be decided');
      expect(storedDecisions(data)[1]).toMatchObject({ unit_id: 'hukou' });
    } finally {
      exitCode = await run.stop();
    }
    expect(exitCode).toBe(0);
  }, 240_000);

  it('a message the old service decided while the rules were being applied is decided again with them', async () => {
    const data = tempDir();
    const rules = copyRules();
    const old = await testApp({ rulesDir: rules, dataDir: data });
    try {
      const t1 = new Date('2021-07-21T01:00:00Z');
      expect(await old.pipeline.process(source(await planFromNewAddress('p1', t1), 'p1', t1))).toMatchObject({ decision: { unit: null, kind: 'review' } });
      giveHukouTheAddress(rules);
      const applying = await testApp({ rulesDir: rules, dataDir: data });
      try {
        expect((await applyRules(applying)).changes).toHaveLength(1);
        expect(await latestRulesApplied(applying.db)).toMatchObject({ id: 1, from_message: 2 });
        // Meanwhile the service, still on the old rules, decides the next message.
        const t2 = new Date('2021-07-22T02:00:00Z');
        expect(await old.pipeline.process(source(await planFromNewAddress('p2', t2), 'p2', t2))).toMatchObject({ row: 2, decision: { unit: null } });
        // Started again on the applied rules, it decides that one again.
        expect(await redecideFrom(applying, 2)).toBe(1);
        expect(storedDecisions(data).map((d) => [d.id, d.unit_id])).toEqual([[1, 'hukou'], [2, 'hukou']]);
      } finally {
        await applying.close();
      }
    } finally {
      await old.cleanup();
    }
  });
});
