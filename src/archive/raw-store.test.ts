import { mkdtempSync, rmSync } from 'node:fs';
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
    expect(synced.slice(1)).toEqual([join(dir, 'raw'), dirname(shard), shard]);
    expect(synced[0]).toMatch(/raw\/tmp\//);
    expect(store.read(a.sha256).toString()).toBe('From: a@b.cn\r\n\r\none');

    // The same bytes again: already on disk, nothing written or synced.
    synced.length = 0;
    await store.put(Buffer.from('From: a@b.cn\r\n\r\none'));
    expect(synced).toEqual([]);
  });
});
