import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type OpenedDb } from './db.js';

// What was synced, and whether the write was committed by then.
const events = vi.hoisted(() => [] as string[]);
vi.mock('../util/sync-to-disk.js', async (importOriginal) => (await import('../testing/recording-syncs.js')).recordingSyncs(await importOriginal(), events));
const { durably, flushToDisk } = await import('./durability.js');

let dir: string;
let opened: OpenedDb | undefined;
afterEach(async () => {
  await opened?.close();
  opened = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function open() {
  dir = mkdtempSync(join(tmpdir(), 'durability-'));
  opened = await openDatabase(join(dir, 'intake.sqlite'));
  events.length = 0;
  return opened.db;
}

describe('SQLite durability', () => {
  it('commits under synchronous = NORMAL (1): a commit alone does not wait for the disk', async () => {
    const db = await open();
    expect((await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0]!.synchronous).toBe(1);
  });

  it('a durable write is committed, then the WAL is synced, before it returns', async () => {
    const db = await open();
    const done = await durably(db, async () => {
      await db.insertInto('blobs').values({ sha256: 'a'.repeat(64), size: 1, created_at: '2021-07-22T00:00:00Z' }).execute();
      events.push('committed');
      return 'written';
    });
    expect(done).toBe('written');
    // The WAL's directory entry once per open, with the first sync.
    expect(events).toEqual(['committed', `sync ${join(dir, 'intake.sqlite')}-wal`, `sync ${dir}`]);
  });

  it('a failed write syncs nothing and says why', async () => {
    const db = await open();
    await expect(durably(db, () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(events).toEqual([]);
  });

  it('a flush syncs the WAL, and the first one its directory too', async () => {
    const db = await open();
    await flushToDisk(db);
    await flushToDisk(db);
    const wal = `sync ${join(dir, 'intake.sqlite')}-wal`;
    expect(events).toEqual([wal, `sync ${dir}`, wal]);
  });
});
