import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { RawStore } from '../archive/raw-store.js';
import { storeMessageStream } from '../archive/stream-message.js';
import { contentKey } from '../mail/content-key.js';
import { openDatabase, type OpenedDb } from '../store/db.js';
import { tempDir } from '../testing/app.js';
import { Backoff } from './backoff.js';
import { HealthRecorder, mailboxHealth } from './health.js';
import { uidSet } from './imap-uids.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('reconnect backoff', () => {
  it('doubles up to the ceiling, with jitter between half and all of each step, and resets', () => {
    const low = new Backoff(1000, 8000, () => 0);
    expect([1, 2, 3, 4, 5].map(() => low.next())).toEqual([500, 1000, 2000, 4000, 4000]);
    const high = new Backoff(1000, 8000, () => 1);
    expect([1, 2, 3, 4, 5].map(() => high.next())).toEqual([1000, 2000, 4000, 8000, 8000]);
    high.reset();
    expect(high.next()).toBe(1000);
  });
});

describe('UID sets', () => {
  it('compacts runs and sorts', () => {
    expect(uidSet([9, 1, 2, 3, 7, 10, 3])).toBe('1:3,7,9:10');
    expect(uidSet([42])).toBe('42');
  });
});

describe('streaming a message into the raw store', () => {
  it('stores the exact bytes and computes the same sha256 and content key as the in-memory path, in small chunks', async () => {
    const dir = tempDir();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = new RawStore(join(dir, 'raw'));
    const header = 'Received: from relay (x)\r\n\tby mx; Thu, 15 Jul 2021 09:31:00 +0800\r\nFrom: a@b.cn\r\nMessage-ID: <m@b.cn>\r\nSubject: big\r\n\r\n';
    const raw = Buffer.concat([Buffer.from(header), Buffer.from(randomBytes(300_000).toString('base64'))]);
    const chunks = Array.from({ length: Math.ceil(raw.length / 7000) }, (_, i) => raw.subarray(i * 7000, (i + 1) * 7000));
    const streamed = await storeMessageStream(store, Readable.from(chunks));
    expect(streamed.blob).toMatchObject({ sha256: (await store.put(raw)).sha256, size: raw.length });
    expect(store.read(streamed.blob.sha256).equals(raw)).toBe(true);
    expect(streamed.contentKey).toBe(contentKey(raw));
    expect(streamed.head.length).toBeLessThan(20_000);
    expect(streamed.head.subarray(0, header.length).toString()).toBe(header);
  });

  it('a message with no body is keyed like the in-memory path too', async () => {
    const dir = tempDir();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = new RawStore(join(dir, 'raw'));
    const raw = Buffer.from('Subject: only headers\r\nReceived: x; Thu, 15 Jul 2021 09:31:00 +0800\r\n');
    const streamed = await storeMessageStream(store, Readable.from([raw.subarray(0, 10), raw.subarray(10)]));
    expect(streamed.contentKey).toBe(contentKey(raw));
  });

  it('a broken stream leaves nothing under a real hash, nor in tmp, however early it breaks', async () => {
    const dir = tempDir();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = new RawStore(join(dir, 'raw'));
    // A stream that fails before the temp file is even open raced the removal (about one run in
    // six left the file behind): each way of breaking is tried many times.
    const breaks = [
      (s: Readable) => s.destroy(new Error('connection lost')),
      (s: Readable) => {
        s.push(Buffer.from('Subject: x\r\n\r\npart'));
        s.destroy(new Error('connection lost'));
      },
    ];
    for (const breakIt of breaks) {
      for (let i = 0; i < 20; i++) {
        const failing = new Readable({
          read() {
            breakIt(this);
          },
        });
        await expect(storeMessageStream(store, failing)).rejects.toThrow('connection lost');
      }
    }
    // Anything still being written would show up here a moment later.
    await new Promise((r) => setTimeout(r, 50));
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(join(dir, 'raw')).filter((f) => f !== 'tmp')).toEqual([]);
    expect(readdirSync(join(dir, 'raw', 'tmp'))).toEqual([]);
  });
});

describe('mailbox health', () => {
  async function db(): Promise<OpenedDb> {
    const dir = tempDir();
    const opened = await openDatabase(join(dir, 'intake.db'));
    cleanups.push(async () => {
      await opened.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return opened;
  }
  const at = (min: number) => new Date(Date.UTC(2021, 6, 22, 8, min));

  it('is unreachable once no sync has succeeded for IMAP_UNREACHABLE_MINUTES, and says why', async () => {
    const { db: d } = await db();
    const h = new HealthRecorder(d, 'jjszjjb@sina.com@imap.sina.com', 'INBOX', 15 * 60_000);
    await h.update({ state: 'connected', idle: 1 }, at(0));
    await h.synced(at(1));
    expect((await mailboxHealth(d, at(10)))[0]).toMatchObject({ state: 'connected', idle: true, unreachable: false, problem: null, lastSyncAt: at(1).toISOString(), downSince: null });

    await h.failed('disconnected', 'connect: ECONNREFUSED', at(12));
    await h.failed('disconnected', 'connect: ETIMEDOUT', at(14));
    const down = (await mailboxHealth(d, at(17)))[0]!;
    expect(down).toMatchObject({ state: 'disconnected', unreachable: true, downSince: at(12).toISOString(), lastError: 'connect: ETIMEDOUT', lastErrorAt: at(14).toISOString() });
    expect(down.problem).toBe(`mailbox INBOX of jjszjjb@sina.com@imap.sina.com unreachable: no successful sync for 16 min (since ${at(1).toISOString()}); last error: connect: ETIMEDOUT`);

    await h.synced(at(18));
    expect((await mailboxHealth(d, at(19)))[0]).toMatchObject({ unreachable: false, downSince: null, problem: null });
  });

  it('a service that stopped counts as unreachable after the same time', async () => {
    const { db: d } = await db();
    const h = new HealthRecorder(d, 'a@h', 'INBOX', 5 * 60_000);
    await h.synced(at(0));
    await h.update({ state: 'stopped' }, at(1));
    expect((await mailboxHealth(d, at(3)))[0]!.unreachable).toBe(false);
    expect((await mailboxHealth(d, at(7)))[0]!.problem).toMatch(/no successful sync for 7 min .*; intake run is not running$/);
  });

  it('a mailbox never reached is unreachable from its first failure', async () => {
    const { db: d } = await db();
    const h = new HealthRecorder(d, 'a@h', 'INBOX', 5 * 60_000);
    await h.failed('disconnected', 'connect: AUTHENTICATIONFAILED', at(0));
    await h.failed('disconnected', 'connect: AUTHENTICATIONFAILED', at(4));
    expect((await mailboxHealth(d, at(4)))[0]!.unreachable).toBe(false);
    expect((await mailboxHealth(d, at(6)))[0]!.problem).toMatch(/never synced \(trying since .*\); last error: connect: AUTHENTICATIONFAILED/);
  });
});
