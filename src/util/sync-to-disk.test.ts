import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { syncToDisk, writeDurably } from './sync-to-disk.js';

const dir = mkdtempSync(join(tmpdir(), 'sync-'));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('syncToDisk', () => {
  it('syncs a file and a directory; a missing file is an error unless it may be missing', async () => {
    writeFileSync(join(dir, 'a'), 'x');
    await expect(syncToDisk(join(dir, 'a'))).resolves.toBeUndefined();
    await expect(syncToDisk(dir)).resolves.toBeUndefined();
    await expect(syncToDisk(join(dir, 'gone'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(syncToDisk(join(dir, 'gone'), { missingOk: true })).resolves.toBeUndefined();
  });
});

describe('a sync whose write-back failed', () => {
  it('is a SyncFailed naming the file, heard by the handler before it is thrown; other errors pass as they are', async () => {
    let code = 'EIO';
    // A disk that cannot write back: fsync(2) fails, the rest works.
    vi.resetModules();
    vi.doMock('./fs-callbacks.js', async (original) => ({
      ...(await original<typeof import('./fs-callbacks.js')>()),
      fsyncFile: () => Promise.reject(Object.assign(new Error(`${code}: i/o error, fsync`), { code, syscall: 'fsync' })),
    }));
    try {
      const { SyncFailed, syncToDisk, whenWriteBackFails } = await import('./sync-to-disk.js');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'b');
      writeFileSync(file, 'x');
      const heard: string[] = [];
      whenWriteBackFails((e) => heard.push(`${e.code} ${e.path}`));
      for (const c of ['EIO', 'ENOSPC', 'EDQUOT']) {
        code = c;
        const err = await syncToDisk(file).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SyncFailed);
        expect(err).toMatchObject({ code: c, path: file, message: expect.stringContaining('may not be on disk') });
      }
      expect(heard).toEqual(['EIO', 'ENOSPC', 'EDQUOT'].map((c) => `${c} ${file}`));
      // An error that says nothing about lost data is thrown as it is, and nobody is told.
      code = 'EINVAL';
      const other = await syncToDisk(dir).catch((e: unknown) => e);
      expect(other).not.toBeInstanceOf(SyncFailed);
      expect(other).toMatchObject({ code: 'EINVAL' });
      expect(heard).toHaveLength(3);
      whenWriteBackFails(null);
    } finally {
      vi.doUnmock('./fs-callbacks.js');
      vi.resetModules();
    }
  });
});

describe('writeDurably', () => {
  it('creates the file with every byte, refuses one that exists, and leaves nothing when the sync fails', async () => {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'w');
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 7, 'ab');
    await writeDurably(file, bytes);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    await expect(writeDurably(file, Buffer.from('x'))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(file).equals(bytes)).toBe(true);

    vi.resetModules();
    vi.doMock('./fs-callbacks.js', async (original) => ({
      ...(await original<typeof import('./fs-callbacks.js')>()),
      fsyncFile: () => Promise.reject(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO', syscall: 'fsync' })),
    }));
    try {
      const fresh = await import('./sync-to-disk.js');
      const other = join(dir, 'v');
      await expect(fresh.writeDurably(other, bytes)).rejects.toBeInstanceOf(fresh.SyncFailed);
      expect(existsSync(other)).toBe(false);
    } finally {
      vi.doUnmock('./fs-callbacks.js');
      vi.resetModules();
    }
  });
});
