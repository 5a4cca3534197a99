import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSource } from '../sources/files.js';
import { ingestFrom } from '../service/ingest.js';
import { fixtureMail, testApp, type TestApp } from '../testing/app.js';

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
