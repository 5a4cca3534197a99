import type { ImapFlow } from 'imapflow';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImapSettings } from '../config/imap.js';
import { loadRules } from '../rules/index.js';
import { RULES_DIR, testApp, type TestApp } from '../testing/app.js';
import { submissionMail } from '../testing/submissions.js';
import { HealthRecorder, mailboxHealth } from './health.js';
import { loadCheckpoint } from './imap-checkpoint.js';
import { syncMailbox, type SyncContext } from './imap-sync.js';

// What a real server does only on its own bad days, on cue: a NO to FETCH for one message
// (Exchange's "could not be converted to RFC-822", Gmail's [UNAVAILABLE], a damaged file in
// Dovecot's store), an OK answer that leaves a message out, an INTERNALDATE imapflow cannot parse.
// The rest of the pipeline is the real one.

const settings = { mailbox: 'INBOX', user: 'jjszjjb@sina.com', host: 'imap.sina.com', existingMail: 'all', after: { kind: 'none' } } as ImapSettings;
const ACCOUNT = 'jjszjjb@sina.com@imap.sina.com';
const UNAVAILABLE = () => Object.assign(new Error('Command failed'), { responseStatus: 'NO', responseText: '[UNAVAILABLE] Message could not be converted to RFC-822' });

interface Mailbox {
  /** UIDs the server lists, in order. */
  uids: number[];
  /** Any FETCH of a body that includes one of these is refused (tagged NO). */
  refused: Set<number>;
  /** Left out of an OK FETCH answer, though still listed. */
  leftOut: Set<number>;
  /** The connection is lost whenever a FETCH reaches one of these (what Dovecot does for a file it cannot read). */
  dropping: Set<number>;
  /** Raw INTERNALDATE text for these (imapflow hands over what it cannot parse as a string). */
  badDates: Map<number, string>;
  /** Headers put on top of a message. */
  extraHeaders: Map<number, string>;
  /** Whole messages for some UIDs (else a short plain one). */
  raw: Map<number, Buffer>;
  /** The server refuses UID SEARCH (imapflow then gives false). */
  searchRefused: boolean;
  /** A lost connection also loses the row read just before it (imapflow had it, not handed on). */
  dropLosesRowBefore: boolean;
  fetches: string[];
}

function mailbox(n: number): Mailbox {
  return { uids: Array.from({ length: n }, (_, i) => i + 1), refused: new Set(), leftOut: new Set(), dropping: new Set(), badDates: new Map(), extraHeaders: new Map(), raw: new Map(), searchRefused: false, dropLosesRowBefore: false, fetches: [] };
}

function clientFor(box: Mailbox): ImapFlow {
  const inRange = (range: string) =>
    box.uids.filter((uid) =>
      range.split(',').some((part) => {
        const [a, b] = part.split(':').map((x) => (x === '*' ? Infinity : Number(x)));
        return uid >= a! && uid <= (b ?? a!);
      }),
    );
  return {
    mailbox: { path: 'INBOX', exists: box.uids.length, uidValidity: 7n },
    async getMailboxLock() {
      return { release() {} };
    },
    async noop() {},
    async search(q: { uid: string }) {
      return box.searchRefused ? false : box.uids.filter((u) => String(u) === q.uid);
    },
    async *fetch(range: string, query: { source?: boolean }) {
      const uids = inRange(range);
      if (!query.source) {
        for (const uid of uids) yield { uid, size: 100, internalDate: box.badDates.get(uid) ?? new Date(Date.UTC(2021, 6, 20, 2, uid)) };
        return;
      }
      box.fetches.push(range);
      // A server refuses the whole command (tagged NO) after the messages it did answer.
      let held: { uid: number; source: Buffer } | null = null;
      for (const uid of uids) {
        if (box.refused.has(uid)) throw UNAVAILABLE();
        if (box.dropping.has(uid)) throw Object.assign(new Error('Connection not available'), { code: 'NoConnection' });
        if (box.leftOut.has(uid)) continue;
        const row = { uid, source: box.raw.get(uid) ?? Buffer.from(`${box.extraHeaders.get(uid) ?? ''}From: 八里湖新区总工会 <blh@163.com>\r\nMessage-ID: <${uid}@test>\r\nSubject: s${uid}\r\n\r\nbody ${uid}\r\n`) };
        if (!box.dropLosesRowBefore) yield row;
        else {
          if (held) yield held;
          held = row;
        }
      }
      if (held) yield held;
    },
  } as unknown as ImapFlow;
}

let app: TestApp | undefined;
afterEach(async () => {
  await app?.cleanup();
  app = undefined;
});

async function context(over: Partial<SyncContext> = {}): Promise<SyncContext> {
  app ??= await testApp();
  const a = app;
  return { ...over, settings, account: ACCOUNT, db: a.db, raw: a.raw, log: a.log, opens: null, maxMessageBytes: 50 << 20, health: new HealthRecorder(a.db, ACCOUNT, 'INBOX', 60_000), takeAll: (m, each) => a.pipeline.processAll(m, each) };
}

const archivedUids = async () => (await app!.db.selectFrom('messages').select('source').orderBy('id').execute()).map((r) => Number(r.source.split('/').at(-1)));
const unfetchedRows = async () => app!.db.selectFrom('imap_unfetched').selectAll().orderBy('uid').execute();

describe('a message the server will not hand over', () => {
  it('does not hold up the mail after it: the rest is taken in, and it is recorded, asked for again, and taken once the server hands it over', async () => {
    const box = mailbox(5);
    box.refused.add(3);
    const first = await syncMailbox(clientFor(box), await context());
    app = app!;
    expect(first).toMatchObject({ taken: 4, unfetched: 1 });
    expect(await archivedUids()).toEqual([1, 2, 4, 5]);
    expect((await loadCheckpoint(app.db, ACCOUNT, 'INBOX'))!.last_uid).toBe(5);
    // The batch fetch failed as a whole after answering 1 and 2; each of the rest was then asked for alone.
    expect(box.fetches).toEqual(['1:5', '3', '4', '5']);
    expect(await unfetchedRows()).toMatchObject([{ uid: 3, attempts: 1, error: 'NO [UNAVAILABLE] Message could not be converted to RFC-822', resolved_at: null }]);
    const [health] = await mailboxHealth(app.db);
    expect(health!.unfetched).toMatchObject([{ uid: 3, attempts: 1 }]);
    expect(health!.problem).toContain('would not hand over 1 message');
    expect(health!.problem).toContain('UID 3');

    // Still refused: counted, nothing else fetched again.
    box.fetches.length = 0;
    expect(await syncMailbox(clientFor(box), await context())).toMatchObject({ taken: 0 });
    expect(box.fetches).toEqual(['3']);
    expect(await unfetchedRows()).toMatchObject([{ uid: 3, attempts: 2, resolved_at: null }]);

    // Handed over at last: taken in and decided like any other message, and settled.
    box.refused.clear();
    expect(await syncMailbox(clientFor(box), await context())).toMatchObject({ taken: 1 });
    expect(await archivedUids()).toEqual([1, 2, 4, 5, 3]);
    const row = await app.db.selectFrom('messages').selectAll().where('source', 'like', '%/3').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'decided', received_basis: 'internaldate', received_at: '2021-07-20T02:03:00.000Z' });
    expect(await unfetchedRows()).toMatchObject([{ uid: 3, resolution: 'taken' }]);
    expect((await mailboxHealth(app.db))[0]!.unfetched).toEqual([]);
    expect((await mailboxHealth(app.db))[0]!.problem).toBeNull();
    box.fetches.length = 0;
    await syncMailbox(clientFor(box), await context());
    expect(box.fetches).toEqual([]);
  });

  it('one left out of an OK answer but still listed is recorded; one left out because it is gone is let go', async () => {
    const box = mailbox(5);
    box.leftOut.add(2);
    box.leftOut.add(4);
    const client = clientFor(box);
    // UID 4 was expunged between the listing and the fetch.
    const listed = [...box.uids];
    const fetchAll = client.fetch.bind(client);
    (client as unknown as { fetch: typeof client.fetch }).fetch = ((range: string, query: { source?: boolean }, o: unknown) => {
      if (query.source) box.uids = listed.filter((u) => u !== 4);
      else box.uids = listed;
      return fetchAll(range, query as never, o as never);
    }) as typeof client.fetch;
    expect(await syncMailbox(client, await context())).toMatchObject({ taken: 3, unfetched: 1 });
    expect(await archivedUids()).toEqual([1, 3, 5]);
    expect(await unfetchedRows()).toMatchObject([{ uid: 2, attempts: 1, error: 'the server listed this message but left it out of its FETCH answer' }]);

    // Gone by the next sync: settled as gone, not asked for again.
    box.leftOut.clear();
    const after = clientFor({ ...box, uids: [1, 3, 5] });
    await syncMailbox(after, await context());
    expect(await unfetchedRows()).toMatchObject([{ uid: 2, resolution: 'gone' }]);
    expect(await archivedUids()).toEqual([1, 3, 5]);
  });

  it('one at which the connection is lost every time: after three syncs its batch is fetched one by one, then it is recorded and gone past, and asked for again an hour later', async () => {
    const box = mailbox(3);
    box.dropping.add(2);
    const trouble = { current: null };
    let clock = Date.UTC(2021, 6, 22, 2);
    const ctx = async () => context({ trouble, now: () => new Date(clock) });
    for (let i = 1; i <= 3; i++) {
      await expect(syncMailbox(clientFor(box), await ctx())).rejects.toThrow('Connection not available');
      expect(trouble.current).toEqual({ uid: 2, failures: i });
    }
    expect(await archivedUids()).toEqual([]);
    box.fetches.length = 0;
    await expect(syncMailbox(clientFor(box), await ctx())).rejects.toThrow('Connection not available');
    expect(box.fetches).toEqual(['1', '2']);
    expect(await unfetchedRows()).toMatchObject([{ uid: 2, cause: 'dropped', attempts: 1 }]);
    expect((await loadCheckpoint(app!.db, ACCOUNT, 'INBOX'))!.last_uid).toBe(0);

    // The next sync goes past it, and does not ask for it again within the hour.
    box.fetches.length = 0;
    clock += 60_000;
    expect(await syncMailbox(clientFor(box), await ctx())).toMatchObject({ taken: 2 });
    expect(box.fetches).toEqual(['1,3']);
    expect(await archivedUids()).toEqual([1, 3]);
    expect((await loadCheckpoint(app!.db, ACCOUNT, 'INBOX'))!.last_uid).toBe(3);
    box.fetches.length = 0;
    clock += 30 * 60_000;
    await syncMailbox(clientFor(box), await ctx());
    expect(box.fetches).toEqual([]);

    // An hour after the last try, and readable again: taken in.
    box.dropping.clear();
    clock += 31 * 60_000;
    expect(await syncMailbox(clientFor(box), await ctx())).toMatchObject({ taken: 1 });
    expect(box.fetches).toEqual(['2']);
    expect(await archivedUids()).toEqual([1, 3, 2]);
    expect(await unfetchedRows()).toMatchObject([{ uid: 2, resolution: 'taken' }]);
  });

  it('one left out of an answer while the server also refuses the SEARCH that would tell whether it is gone is kept, not let go', async () => {
    const box = mailbox(3);
    box.leftOut.add(2);
    box.searchRefused = true;
    expect(await syncMailbox(clientFor(box), await context())).toMatchObject({ taken: 2, unfetched: 1 });
    expect(await unfetchedRows()).toMatchObject([{ uid: 2, cause: 'left-out', attempts: 1 }]);
    // Asked for again, still left out, still no answer to the SEARCH: kept, not settled as gone.
    await syncMailbox(clientFor(box), await context());
    expect(await unfetchedRows()).toMatchObject([{ uid: 2, attempts: 2, resolved_at: null }]);
  });

  it('a batch whose lost connection is put on the wrong message: fetched one by one, the one it is really lost at is recorded, and the one blamed is taken in', async () => {
    const box = mailbox(4);
    box.dropping.add(3);
    // In a batch, UID 2's row is lost with the connection at 3: the batch looks stuck at 2.
    box.dropLosesRowBefore = true;
    const trouble = { current: null as { uid: number; failures: number } | null };
    const ctx = async () => context({ trouble });
    for (let i = 1; i <= 3; i++) await expect(syncMailbox(clientFor(box), await ctx())).rejects.toThrow('Connection not available');
    expect(trouble.current).toEqual({ uid: 2, failures: 3 });
    box.fetches.length = 0;
    await expect(syncMailbox(clientFor(box), await ctx())).rejects.toThrow('Connection not available');
    expect(box.fetches).toEqual(['1', '2', '3']);
    expect(await unfetchedRows()).toMatchObject([{ uid: 3, cause: 'dropped' }]);
    expect(await syncMailbox(clientFor(box), await ctx())).toMatchObject({ taken: 3 });
    expect(await archivedUids()).toEqual([1, 2, 4]);
  });

  it('a lost connection is not a refusal: the sync fails, nothing is recorded, and the checkpoint stays before the batch', async () => {
    const box = mailbox(3);
    const client = clientFor(box);
    const fetchAll = client.fetch.bind(client);
    (client as unknown as { fetch: unknown }).fetch = (range: string, query: { source?: boolean }, o: unknown) => {
      if (query.source) throw Object.assign(new Error('Connection not available'), { code: 'NoConnection' });
      return fetchAll(range, query as never, o as never);
    };
    await expect(syncMailbox(client, await context())).rejects.toThrow('Connection not available');
    expect(await unfetchedRows()).toEqual([]);
    expect(await archivedUids()).toEqual([]);
    expect((await loadCheckpoint(app!.db, ACCOUNT, 'INBOX'))!.last_uid).toBe(0);
  });
});

describe('an INTERNALDATE the server gave unreadable', () => {
  it('is replaced by the Received header its server put on top, else by the time of the fetch, and the message is taken in', async () => {
    const box = mailbox(3);
    box.badDates.set(2, '31-Feb-2021 99:00:00 +0800');
    box.badDates.set(3, 'garbage');
    box.extraHeaders.set(2, 'Received: from smtp.163.com by mx.sina.com; Thu, 22 Jul 2021 15:30:00 +0800\r\n');
    // A real submission (a unit's address, its form and plan), with no Received header at all.
    const rules = loadRules(RULES_DIR);
    const submission = (await submissionMail(rules.units[0]!, 3, new Date(Date.UTC(2021, 6, 22, 2)))).toString('latin1');
    box.raw.set(3, Buffer.from(submission.replace(/^Received:.*\r\n(?:[ \t].*\r\n)*/m, ''), 'latin1'));
    const before = Date.now();
    expect(await syncMailbox(clientFor(box), await context())).toMatchObject({ taken: 3, unfetched: 0 });
    const rows = await app!.db.selectFrom('messages').select(['source', 'received_at', 'received_basis']).orderBy('id').execute();
    expect(rows.map((r) => [r.received_basis, r.received_at.slice(0, 4)])).toEqual([
      ['internaldate', '2021'],
      ['received-header', '2021'],
      ['fetched-at', String(new Date().getUTCFullYear())],
    ]);
    expect(rows[1]!.received_at).toBe('2021-07-22T07:30:00.000Z');
    expect(Date.parse(rows[2]!.received_at)).toBeGreaterThanOrEqual(before - 1000);
    // Fetched today, long after the deadline, but the real receipt time is unknown: not a late
    // notice (it costs the unit its eligibility) but a person's decision.
    const decided = await app!.db.selectFrom('messages').select(['reply_kind', 'reply_reason']).orderBy('id').execute();
    expect(decided[2]).toMatchObject({ reply_kind: 'review', reply_reason: expect.stringContaining('the server gave no receipt time') });
    expect(decided[1]!.reply_kind).not.toBe('late');
    expect((await loadCheckpoint(app!.db, ACCOUNT, 'INBOX'))!.last_uid).toBe(3);
  });
});
