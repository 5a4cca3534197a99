import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRules } from '../replay/replay.js';
import { messageReports } from '../report/messages.js';
import { campaignStatus } from '../report/status.js';
import { assignMessage } from '../review/assign.js';
import { learnedAddresses } from '../review/learned-addresses.js';
import { ingestFrom } from '../service/ingest.js';
import { FileSource } from '../sources/files.js';
import { FIXTURE_MAIL, fixtureMail, testApp, type TestApp } from '../testing/app.js';
import { startPostgres, type PostgresServer } from '../testing/postgres.js';
import { after0009, AFTER_0009 } from '../testing/source-id-migration.js';
import { openDatabase } from './db.js';

/**
 * The same pipeline on PostgreSQL: every decision, report and guarantee must be what SQLite
 * gives, since the SQL is written once for both.
 */
let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

async function pgApp(): Promise<TestApp> {
  return testApp({ env: { DATABASE_URL: await server.createDatabase() } });
}

async function ingestFixtures(app: TestApp) {
  await ingestFrom(app, new FileSource([FIXTURE_MAIL]));
  await app.flushOutbox();
  return { reports: await messageReports(app.db), status: await campaignStatus(app.db, app.rules) };
}

describe('storage on PostgreSQL', () => {
  it('migration 0009 gives IMAP source ids their account as on SQLite', async () => {
    const pool = new pg.Pool({ connectionString: await server.createDatabase() });
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    try {
      expect(await after0009(db, 'postgres')).toEqual(AFTER_0009);
    } finally {
      await db.destroy();
    }
  });

  it('decides the fixture mail exactly as SQLite does', async () => {
    const lite = await testApp();
    const pgsql = await pgApp();
    try {
      const a = await ingestFixtures(lite);
      const b = await ingestFixtures(pgsql);
      expect(pgsql.settings.database).toMatch(/^postgres:/);
      expect(b.reports.length).toBeGreaterThan(10);
      expect(b.reports).toEqual(a.reports);
      expect(b.status).toEqual(a.status);
      // Sizes and counts come back as numbers, as from SQLite.
      const sizes = await pgsql.db.selectFrom('messages').select('size').execute();
      expect(sizes.every((s) => typeof s.size === 'number' && s.size > 0)).toBe(true);
    } finally {
      await lite.cleanup();
      await pgsql.cleanup();
    }
  });

  it('two workers deciding the same message at once: one decision, one reply', async () => {
    const url = await server.createDatabase();
    const one = await testApp({ env: { DATABASE_URL: url } });
    const two = await testApp({ env: { DATABASE_URL: url }, dataDir: one.dataDir });
    try {
      const { readMessageFile } = await import('../sources/files.js');
      const msg = await readMessageFile(fixtureMail('01-xunyang-complete.eml'));
      const { archiveMessage } = await import('../pipeline/archive.js');
      const { row } = await archiveMessage(one.db, one.raw, msg);
      const outcomes = await Promise.all([one.pipeline.decide(row), two.pipeline.decide(row)]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['decided', 'seen']);
      const outbox = await one.db.selectFrom('outbox').select(['kind', 'message_row']).execute();
      expect(outbox).toEqual([{ kind: 'ack', message_row: row.id }]);
      const items = await one.db.selectFrom('submission_items').select('item').orderBy('item').execute();
      expect(items.map((i) => i.item)).toEqual(['plan', 'registration']);
    } finally {
      await two.close();
      await one.cleanup();
    }
  });

  it('review, assignment with a learned address, and rules apply work the same', async () => {
    const app = await pgApp();
    try {
      await ingestFrom(app, new FileSource([fixtureMail('09-unknown-sender-review.eml')]));
      await app.flushOutbox();
      const r = await assignMessage(app, 1, '湖口县');
      await app.flushOutbox();
      expect(r).toMatchObject({ learned: 'learned', outcome: { status: 'decided', decision: { unit: 'hukou', kind: 'missing' } } });
      expect((await learnedAddresses(app.db)).map((l) => [l.address, l.unit_id])).toEqual([['wangfang88@163.com', 'hukou']]);
      const applied = await applyRules(app);
      expect(applied.errors).toEqual([]);
      const outbox = await app.db.selectFrom('outbox').select(['kind', 'status']).orderBy('id').execute();
      expect(outbox).toEqual([
        { kind: 'review', status: 'sent' },
        { kind: 'missing', status: 'sent' },
      ]);
    } finally {
      await app.cleanup();
    }
  });

  it('a re-decision while the sender is claiming the reply it would supersede: the reply on its way is not taken back', async () => {
    const app = await pgApp();
    // The service's sender, in a process (and transaction) of its own.
    const sender = new pg.Client({ connectionString: app.settings.database });
    await sender.connect();
    try {
      await ingestFrom(app, new FileSource([fixtureMail('03-xiushui-form-only-gb2312.eml')]));
      const reply = await app.db.selectFrom('outbox').select(['id', 'kind', 'status']).executeTakeFirstOrThrow();
      expect(reply).toMatchObject({ kind: 'missing', status: 'pending' });
      await sender.query('begin');
      await sender.query("update outbox set status = 'sending' where id = $1 and status = 'pending'", [reply.id]);
      // A person re-assigns the message meanwhile; the claim commits while that decision runs.
      const assigning = assignMessage(app, 1, 'none');
      await new Promise((r) => setTimeout(r, 500));
      await sender.query('commit');
      await assigning;
      expect(await app.db.selectFrom('outbox').select(['kind', 'status']).orderBy('id').execute()).toEqual([{ kind: 'missing', status: 'sending' }]);
    } finally {
      await sender.end();
      await app.cleanup();
    }
  });

  it('opening an up-to-date database again migrates nothing and keeps the data', async () => {
    const url = await server.createDatabase();
    const first = await openDatabase(url);
    await first.db.insertInto('blobs').values({ sha256: 'x'.repeat(64), size: 3, created_at: new Date().toISOString() }).execute();
    await first.close();
    const second = await openDatabase(url);
    try {
      expect(second.dialect).toBe('postgres');
      expect(await second.db.selectFrom('blobs').select(['size']).execute()).toEqual([{ size: 3 }]);
    } finally {
      await second.close();
    }
  });

  it('an unreachable server is a clear error, not a hang', async () => {
    await expect(openDatabase('postgres://intake@127.0.0.1:1/nothing')).rejects.toThrow(/ECONNREFUSED|connect/);
  });
});
