import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSource } from '../sources/files.js';
import { fixtureMail, tempDir, testApp } from '../testing/app.js';
import { ingestFrom } from './ingest.js';

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

describe('replies off', () => {
  it('writes its own replies suppressed and leaves the ones another process queued pending', async () => {
    const dataDir = tempDir();
    const live = await testApp({ dataDir });
    const dry = await testApp({ dataDir, env: { REPLIES: 'off' } });
    try {
      await ingestFrom(live, new FileSource([fixtureMail('01-xunyang-complete.eml')]));
      await ingestFrom(dry, new FileSource([fixtureMail('03-xiushui-form-only-gb2312.eml')]));
      expect(await dry.flushOutbox()).toBe(0);
      const rows = async () => dry.db.selectFrom('outbox').select(['id', 'unit_id', 'status', 'last_error']).orderBy('id').execute();
      expect(await rows()).toEqual([
        { id: 1, unit_id: 'xunyang', status: 'pending', last_error: null },
        { id: 2, unit_id: 'xiushui', status: 'suppressed', last_error: 'REPLIES=off: recorded, not sent' },
      ]);
      // The live process sends its own reply, and never the dry run's.
      expect(await live.flushOutbox()).toBe(1);
      expect((await rows()).map((r) => r.status)).toEqual(['sent', 'suppressed']);
    } finally {
      await dry.cleanup();
      await live.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
