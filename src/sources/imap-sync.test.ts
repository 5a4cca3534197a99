import { Readable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImapSettings } from '../config/imap.js';
import { PipelineStopped, type Outcome } from '../pipeline/pipeline.js';
import { testApp, type TestApp } from '../testing/app.js';
import { HealthRecorder } from './health.js';
import { loadCheckpoint } from './imap-checkpoint.js';
import { syncMailbox, type SyncContext } from './imap-sync.js';

// A stand-in for the IMAP connection, for what a real server cannot be made to do on cue: a
// fetch that fails, or one still running when the batch before it fails. The real connection's
// side (commands one at a time, UIDs) is covered against Dovecot in imap.integration.test.ts.

const settings = { mailbox: 'INBOX', user: 'jjszjjb@sina.com', host: 'imap.sina.com', existingMail: 'all', after: { kind: 'none' } } as ImapSettings;
const ACCOUNT = 'jjszjjb@sina.com@imap.sina.com';
const MB = 1024 * 1024;

interface Fake {
  client: ImapFlow;
  /** What happened, in order: `fetch <range>`, `fetched <range>`, `take <first uid>`, `took <first uid>`, `release`. */
  events: string[];
}

/** UIDs 1..n of the given sizes; a body fetch of `failing` rejects, each body fetch takes `fetchMs`. */
function fakeClient(sizes: number[], opts: { failing?: string; fetchMs?: number; onFetch?: (range: string) => void } = {}): Fake {
  const events: string[] = [];
  const uidsOf = (range: string) =>
    range.split(',').flatMap((part) => {
      const [a, b] = part.split(':').map((x) => (x === '*' ? sizes.length : Number(x)));
      return Array.from({ length: (b ?? a!) - a! + 1 }, (_, i) => a! + i).filter((u) => u >= 1 && u <= sizes.length);
    });
  const client = {
    mailbox: { path: 'INBOX', exists: sizes.length, uidValidity: 7n },
    async getMailboxLock() {
      return { release: () => events.push('release') };
    },
    async noop() {},
    async download(uid: string) {
      events.push(`download ${uid}`);
      return { content: Readable.from([Buffer.from(`Message-ID: <${uid}@test>\r\n\r\n${'x'.repeat(1000)}\r\n`)]) };
    },
    async *fetch(range: string, query: { source?: boolean }) {
      if (!query.source) {
        for (const uid of uidsOf(range)) yield { uid, size: sizes[uid - 1], internalDate: new Date(Date.UTC(2021, 6, 20, 2, uid)) };
        return;
      }
      events.push(`fetch ${range}`);
      opts.onFetch?.(range);
      await new Promise((r) => setTimeout(r, opts.fetchMs ?? 0));
      if (range === opts.failing) {
        events.push(`failed ${range}`);
        throw new Error(`connection lost fetching ${range}`);
      }
      for (const uid of uidsOf(range)) yield { uid, source: Buffer.from(`Message-ID: <${uid}@test>\r\n\r\nbody ${uid}\r\n`) };
      events.push(`fetched ${range}`);
    },
  } as unknown as ImapFlow;
  return { client, events };
}

let app: TestApp | undefined;
afterEach(async () => {
  await app?.cleanup();
  app = undefined;
});

async function context(events: string[], over: Partial<SyncContext> = {}): Promise<SyncContext> {
  app = await testApp();
  return {
    settings,
    account: ACCOUNT,
    db: app.db,
    raw: app.raw,
    log: app.log,
    opens: null,
    maxMessageBytes: 50 * MB,
    health: new HealthRecorder(app.db, ACCOUNT, 'INBOX', 60_000),
    // Decides nothing, in 50 ms: what is under test is the order of fetches and decisions.
    takeAll: async (msgs, each) => {
      const first = msgs[0]!.source.split('/').at(-1);
      events.push(`take ${first}`);
      await new Promise((r) => setTimeout(r, 50));
      msgs.forEach((_, i) => each(i, { row: i, status: 'seen' } as Outcome));
      events.push(`took ${first}`);
    },
    ...over,
  };
}

const sizes = (n: number, size = 25_000) => Array.from({ length: n }, () => size);

describe('a backlog fetched ahead', () => {
  it('fetches the next batch while one is decided', async () => {
    const fake = fakeClient(sizes(250));
    const result = await syncMailbox(fake.client, await context(fake.events));
    expect(result.taken).toBe(250);
    // Each batch's body fetch is issued and done while the batch before it is being decided.
    expect(fake.events).toEqual(['fetch 1:100', 'fetched 1:100', 'take 1', 'fetch 101:200', 'fetched 101:200', 'took 1', 'take 101', 'fetch 201:250', 'fetched 201:250', 'took 101', 'take 201', 'took 201', 'release']);
  });

  it('a fetch ahead that fails fails the sync in its turn: the batch before it is decided and checkpointed, the folder let go after', async () => {
    const fake = fakeClient(sizes(150), { failing: '101:150' });
    const ctx = await context(fake.events);
    await expect(syncMailbox(fake.client, ctx)).rejects.toThrow('connection lost fetching 101:150');
    expect(fake.events).toEqual(['fetch 1:100', 'fetched 1:100', 'take 1', 'fetch 101:150', 'failed 101:150', 'took 1', 'release']);
    expect((await loadCheckpoint(ctx.db, ACCOUNT, 'INBOX'))!.last_uid).toBe(100);
  });

  it('a batch that fails while the next is being fetched: the folder is let go only once that fetch has ended', async () => {
    const fake = fakeClient(sizes(150), { fetchMs: 200 });
    const ctx = await context(fake.events, {
      takeAll: async () => {
        fake.events.push('take fails');
        throw new Error('disk full');
      },
    });
    await expect(syncMailbox(fake.client, ctx)).rejects.toThrow('disk full');
    expect(fake.events).toEqual(['fetch 1:100', 'fetched 1:100', 'take fails', 'fetch 101:150', 'fetched 101:150', 'release']);
  });

  it('nothing is fetched ahead once the service is stopping', async () => {
    let stopping = false;
    const fake = fakeClient(sizes(150), { onFetch: () => (stopping = true) });
    const ctx = await context(fake.events, { stopping: () => stopping });
    await expect(syncMailbox(fake.client, ctx)).rejects.toThrow(PipelineStopped);
    expect(fake.events).toEqual(['fetch 1:100', 'fetched 1:100', 'take 1', 'took 1', 'release']);
  });

  it('a batch that streams a large message is not fetched ahead of: the download would wait behind that fetch', async () => {
    const fake = fakeClient([25_000, 200_000, ...sizes(148)]);
    const result = await syncMailbox(fake.client, await context(fake.events, { maxMessageBytes: 100_000 }));
    expect(result.taken).toBe(150);
    expect(fake.events).toEqual(['fetch 1,3:100', 'fetched 1,3:100', 'download 2', 'take 1', 'took 1', 'fetch 101:150', 'fetched 101:150', 'take 101', 'took 101', 'release']);
  });

  it('large messages fetched into memory are not fetched two batches at once', async () => {
    // 20 MB each: a batch of its own (over BATCH_BYTES), two of them over twice that.
    const fake = fakeClient(sizes(3, 20 * MB));
    const result = await syncMailbox(fake.client, await context(fake.events));
    expect(result.taken).toBe(3);
    expect(fake.events).toEqual(['fetch 1', 'fetched 1', 'take 1', 'took 1', 'fetch 2', 'fetched 2', 'take 2', 'took 2', 'fetch 3', 'fetched 3', 'take 3', 'took 3', 'release']);
  });
});
