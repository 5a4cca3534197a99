import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const synced = vi.hoisted(() => [] as string[]);
vi.mock('../util/sync-to-disk.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../util/sync-to-disk.js')>();
  return {
    syncToDisk: async (path: string, opts?: { missingOk?: boolean }) => {
      synced.push(path);
      await real.syncToDisk(path, opts);
    },
    writeDurably: async (path: string, bytes: Uint8Array) => {
      synced.push(path);
      await real.writeDurably(path, bytes);
    },
  };
});
const { RawStore } = await import('./raw-store.js');

const dir = mkdtempSync(join(tmpdir(), 'raw-store-'));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the raw archive on disk', () => {
  it('syncs the bytes, then every directory entry the file and its new shard directories need', async () => {
    const store = new RawStore(join(dir, 'raw'));
    const a = await store.put(Buffer.from('From: a@b.cn\r\n\r\none'));
    const shard = dirname(a.path);
    // The bytes first (written and synced through one descriptor), then the directories, side by side.
    expect(synced.slice(1).sort()).toEqual([join(dir, 'raw'), dirname(shard), shard].sort());
    expect(synced[0]).toMatch(/raw\/tmp\//);
    expect(store.read(a.sha256).toString()).toBe('From: a@b.cn\r\n\r\none');

    // The same bytes again: already on disk, nothing written or synced.
    synced.length = 0;
    await store.put(Buffer.from('From: a@b.cn\r\n\r\none'));
    expect(synced).toEqual([]);
  });

  it('on open, removes the temp files of writes a stopped process left, and no live process\'s', async () => {
    const store = new RawStore(join(dir, 'raw'));
    const tmp = join(dir, 'raw', 'tmp');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    const file = (name: string, mtime?: Date) => {
      writeFileSync(join(tmp, name), 'From: half a message');
      if (mtime) utimesSync(join(tmp, name), mtime, mtime);
      return name;
    };
    file(`${dead}-0123456789abcdef`, hourAgo);
    const recent = file(`${dead}-00000000000000dd`);
    // This process's pid, from before it started: a restarted container's service is pid 1 again.
    file(`${process.pid}-00000000000000aa`, hourAgo);
    const mine = file(`${process.pid}-00000000000000bb`);
    const other = file(`${process.ppid}-00000000000000cc`, hourAgo);
    const kept = await store.put(Buffer.from('From: a@b.cn\r\n\r\nkept'));

    expect(store.removeStaleTemp()).toBe(2);
    expect(readdirSync(tmp).sort()).toEqual([mine, other, recent].sort());
    expect(existsSync(kept.path)).toBe(true);
    expect(store.removeStaleTemp()).toBe(0);
  });
});
