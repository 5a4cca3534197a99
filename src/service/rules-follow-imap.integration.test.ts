import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyRules, tempDir } from '../testing/app.js';
import { runCli, startWatched } from '../testing/cli.js';
import { startDovecot, type Dovecot } from '../testing/dovecot.js';
import { giveHukouTheAddress, planFromNewAddress, storedDecisions } from '../testing/new-address.js';

let dovecot: Dovecot;
beforeAll(async () => {
  dovecot = await startDovecot();
});
afterAll(async () => {
  await dovecot?.cleanup();
});

describe('rules applied while intake run watches an IMAP mailbox', () => {
  it('the service reconnects on the applied rules: the next message is decided with them, nothing is taken twice', async () => {
    const data = tempDir();
    const rules = copyRules();
    const args = ['--rules', rules, '--data', data];
    const env = { ...dovecot.env(), POLL_SECONDS: '1' };
    const t1 = new Date('2021-07-21T01:00:00Z');
    await dovecot.appendOne(await planFromNewAddress('p1', t1), { date: t1 });
    const run = startWatched(['run', ...args], env);
    let exitCode: number | null | undefined;
    try {
      await run.waitFor(() => run.stdout().includes('Watching'), 'the service to start');
      expect(storedDecisions(data)).toMatchObject([{ id: 1, status: 'decided', unit_id: null }]);

      giveHukouTheAddress(rules);
      expect((await runCli(['rules', 'apply', ...args], env)).status).toBe(0);
      await run.waitFor(() => run.stdout().includes('Rules applied: running with them now') && (run.stdout().match(/Watching/g) ?? []).length === 2, 'the service to watch again on the applied rules');

      // Seen through IDLE by the service started again, and decided with the applied roster.
      const t2 = new Date('2021-07-22T02:00:00Z');
      await dovecot.appendOne(await planFromNewAddress('p2', t2), { date: t2 });
      await run.waitFor(() => storedDecisions(data)[1]?.status === 'decided', 'the second message to be decided');
      const rows = storedDecisions(data);
      expect(rows.map((r) => r.unit_id)).toEqual(['hukou', 'hukou']);
      expect(new Set(rows.map((r) => r.source)).size).toBe(2);
    } finally {
      exitCode = await run.stop();
    }
    expect(exitCode).toBe(0);
    expect(run.stderr()).not.toMatch(/"level":50/);
  }, 240_000);
});
