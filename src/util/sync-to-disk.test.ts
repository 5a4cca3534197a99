import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { syncToDisk } from './sync-to-disk.js';

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
