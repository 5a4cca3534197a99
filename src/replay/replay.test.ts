import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSource } from '../sources/files.js';
import { ingestFrom } from '../service/ingest.js';
import { copyRules, FIXTURE_MAIL, testApp, type TestApp } from '../testing/app.js';
import { runCli } from '../testing/cli.js';
import { applyRules, renderReplay, testRules } from './replay.js';

const apps: TestApp[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.cleanup();
});

/** Adds an alias to a unit in a copy of the rules; returns the rules folder. */
function withAlias(unitId: string, alias: string): string {
  const dir = copyRules();
  const p = join(dir, 'units.yaml');
  const text = readFileSync(p, 'utf8');
  const re = new RegExp(`(- id: ${unitId}\\n(?:.*\\n)*?    aliases: \\[)`);
  if (!re.test(text)) throw new Error(`unit ${unitId} not found`);
  writeFileSync(p, text.replace(re, `$1${alias}, `));
  return dir;
}

async function populated(): Promise<{ dataDir: string }> {
  const app = await testApp({ dataDir: (await import('../testing/app.js')).tempDir() });
  await ingestFrom(app, new FileSource([FIXTURE_MAIL]));
  await app.flushOutbox();
  await app.close();
  return { dataDir: app.dataDir };
}

/** The database's bytes, write-ahead log included (in WAL mode a write may sit only there). */
const dbDigest = (dataDir: string) => {
  const h = createHash('sha256').update(readFileSync(join(dataDir, 'intake.db')));
  if (existsSync(join(dataDir, 'intake.db-wal'))) h.update(readFileSync(join(dataDir, 'intake.db-wal')));
  return h.digest('hex');
};

describe('rules test and rules apply', () => {
  it('unchanged rules: nothing would change', async () => {
    const { dataDir } = await populated();
    const app = await testApp({ dataDir });
    apps.push(app);
    const r = await testRules(app);
    expect(r).toMatchObject({ messages: 15, changes: [] });
  });

  it('an alias edit shows exactly the expected diff, and writes nothing', async () => {
    const { dataDir } = await populated();
    const rules = withAlias('gongjiao', '某某有限公司工会');
    const before = dbDigest(dataDir);
    const out = await runCli(['rules', 'test', '--data', dataDir, '--rules', rules]);
    expect(out.status).toBe(0);
    expect(out.stdout).toBe(
      [
        '#9  wangfang88@163.com  报名表',
        '    unit  - -> gongjiao',
        '    reply review -> missing',
        '15 message(s) replayed: 1 would change (unit 1, kinds 0, late 0, reply 1). Nothing was written or sent.',
        '',
      ].join('\n'),
    );
    expect(dbDigest(dataDir)).toBe(before);
  });

  it('rules apply makes the change for real; the now-due reply goes out once, sent ones never again', async () => {
    const { dataDir } = await populated();
    const app = await testApp({ dataDir, rulesDir: withAlias('gongjiao', '某某有限公司工会') });
    apps.push(app);
    const sentBefore = await app.db.selectFrom('outbox').select(['id', 'kind', 'message_row']).execute();
    const r = await applyRules(app);
    await app.flushOutbox();
    expect(renderReplay(r, 'changed')).toMatch(/1 changed \(unit 1, kinds 0, late 0, reply 1\)\.$/);
    expect(r.errors).toEqual([]);
    const after = await app.db.selectFrom('outbox').select(['id', 'kind', 'message_row', 'status']).orderBy('id').execute();
    expect(after.slice(0, sentBefore.length).map((o) => o.status)).toEqual(sentBefore.map(() => 'sent'));
    expect(after.slice(sentBefore.length)).toEqual([{ id: expect.any(Number), kind: 'missing', message_row: 9, status: 'sent' }]);
    // Applying again changes nothing and sends nothing.
    const again = await applyRules(app);
    await app.flushOutbox();
    expect(again.changes).toEqual([]);
    expect(await app.db.selectFrom('outbox').select('id').execute()).toHaveLength(after.length);
  });
});
