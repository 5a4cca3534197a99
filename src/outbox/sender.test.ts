import { hostname } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Db } from '../store/db.js';
import { FileSource } from '../sources/files.js';
import { ingestFrom } from '../service/ingest.js';
import { fixtureMail, testApp, type TestApp } from '../testing/app.js';

// Every durable write, with the outbox as it was just before and just after it.
const durableWrites = vi.hoisted(() => [] as Array<{ before: unknown[]; after: unknown[] }>);
// The outbox as each flush saw it.
const flushes = vi.hoisted(() => [] as unknown[][]);
vi.mock('../store/durability.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../store/durability.js')>();
  const outbox = (db: Db) => db.selectFrom('outbox').select(['id', 'status', 'handed_over_at']).execute();
  return {
    ...real,
    durably: async <T,>(db: Db, write: () => Promise<T>) => {
      const before = await outbox(db);
      const result = await real.durably(db, write);
      durableWrites.push({ before, after: await outbox(db) });
      return result;
    },
    flushToDisk: async (db: Db) => {
      flushes.push(await outbox(db));
      await real.flushToDisk(db);
    },
  };
});

let app: TestApp | undefined;
afterEach(async () => {
  await app?.cleanup();
  app = undefined;
});

/** One reply waiting in the outbox (file transport), made to look claimed by some process. */
async function claimedRow(set: { claimed_by: string | null; claimed_at: string | null; handed_over_at: string | null }) {
  app = await testApp();
  await ingestFrom(app, new FileSource([fixtureMail('01-xunyang-complete.eml')]));
  await app.db.updateTable('outbox').set({ status: 'sending', attempts: 1, ...set }).execute();
  return app;
}
const status = async (a: TestApp) => (await a.db.selectFrom('outbox').select(['status', 'last_error']).executeTakeFirstOrThrow());

describe('recovering replies left "sending"', () => {
  it('a claim by a live process on this host is left alone until its lease runs out', async () => {
    const a = await claimedRow({ claimed_by: `${hostname()}:${process.ppid}:other`, claimed_at: new Date().toISOString(), handed_over_at: null });
    expect(await a.sender.recoverInFlight()).toEqual({ resent: [], foundSent: [], held: [] });
    expect((await status(a)).status).toBe('sending');
    await a.db.updateTable('outbox').set({ claimed_at: new Date(Date.now() - 20 * 60_000).toISOString() }).execute();
    expect((await a.sender.recoverInFlight()).resent).toEqual([1]);
    expect(await a.flushOutbox()).toBe(1);
  });

  it('a claim by a process that is gone, before the hand-over, is sent again', async () => {
    const a = await claimedRow({ claimed_by: `${hostname()}:999999:gone`, claimed_at: new Date().toISOString(), handed_over_at: null });
    expect((await a.sender.recoverInFlight()).resent).toEqual([1]);
    expect(await status(a)).toMatchObject({ status: 'pending', last_error: expect.stringMatching(/^interrupted before the message was handed over/) });
  });

  it('a row claimed before hand-overs were recorded may have gone out: the transport is asked, never assumed', async () => {
    const a = await claimedRow({ claimed_by: null, claimed_at: null, handed_over_at: null });
    // The file transport can tell: no file, so it was not delivered.
    expect((await a.sender.recoverInFlight()).resent).toEqual([1]);
    expect(await status(a)).toMatchObject({ status: 'pending', last_error: expect.stringMatching(/transport shows it was not delivered/) });
  });
});

describe('what is synced to disk', () => {
  it('the hand-over mark is the one durable write of a delivery, and the round ends with its sent marks synced', async () => {
    app = await testApp();
    await ingestFrom(app, new FileSource([fixtureMail('01-xunyang-complete.eml')]));
    durableWrites.length = 0;
    flushes.length = 0;
    expect(await app.flushOutbox()).toBe(1);
    expect(durableWrites).toEqual([
      { before: [{ id: 1, status: 'sending', handed_over_at: null }], after: [{ id: 1, status: 'sending', handed_over_at: expect.any(String) }] },
    ]);
    expect(flushes).toEqual([[{ id: 1, status: 'sent', handed_over_at: expect.any(String) }]]);
    // A round that sends nothing syncs nothing.
    expect(await app.flushOutbox()).toBe(0);
    expect(flushes).toHaveLength(1);
  });

  it('a stopped sender sends nothing more; what is pending waits for the next start', async () => {
    app = await testApp();
    await ingestFrom(app, new FileSource([fixtureMail('01-xunyang-complete.eml')]));
    app.sender.stop();
    expect(await app.flushOutbox()).toBe(0);
    expect((await status(app)).status).toBe('pending');
  });
});
