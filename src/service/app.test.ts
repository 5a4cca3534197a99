import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, testApp } from '../testing/app.js';

describe('opening the data folder', () => {
  it('removes the archive temp file a killed process left mid-write', async () => {
    const dataDir = tempDir();
    const stale = join(dataDir, 'raw', 'tmp', `${spawnSync(process.execPath, ['-e', '0']).pid}-0123456789abcdef`);
    mkdirSync(join(dataDir, 'raw', 'tmp'), { recursive: true });
    writeFileSync(stale, 'From: half a message');
    utimesSync(stale, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
    const app = await testApp({ dataDir });
    try {
      expect(existsSync(stale)).toBe(false);
    } finally {
      await app.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
