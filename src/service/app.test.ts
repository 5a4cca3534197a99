import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureMail, tempDir, testApp, type TestApp } from '../testing/app.js';

const receive = (app: TestApp, name: string) =>
  app.pipeline.process({ source: `test:${name}`, raw: readFileSync(fixtureMail(name)), receivedAt: new Date('2021-07-15T01:30:00Z'), receivedBasis: 'received-header' });
const outbox = async (app: TestApp) => (await app.db.selectFrom('outbox').select(['id', 'status', 'last_error']).orderBy('id').execute()).map((r) => [r.id, r.status, r.last_error]);

describe('replies off (REPLIES=off, --dry-run)', () => {
  it('suppresses what this process queues; a reply an earlier run queued stays pending and goes out once replies are on', async () => {
    const dataDir = tempDir();
    try {
      // An earlier run queued a reply it has not sent yet (waiting out a retry, or the per-recipient limit).
      const on = await testApp({ dataDir });
      expect(await receive(on, '01-xunyang-complete.eml')).toMatchObject({ status: 'decided' });
      await on.close();

      const off = await testApp({ dataDir, env: { REPLIES: 'off' } });
      expect(await receive(off, '03-xiushui-form-only-gb2312.eml')).toMatchObject({ status: 'decided' });
      await off.flushOutbox();
      expect(await outbox(off)).toEqual([
        [1, 'pending', null],
        [2, 'suppressed', 'REPLIES=off: recorded, not sent'],
      ]);
      await off.close();

      const later = await testApp({ dataDir });
      await later.flushOutbox();
      expect((await outbox(later)).map(([id, status]) => [id, status])).toEqual([
        [1, 'sent'],
        [2, 'suppressed'],
      ]);
      await later.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('opening the data folder', () => {
  it('removes the archive temp file a killed process left mid-write', async () => {
    const dataDir = tempDir();
    const stale = join(dataDir, 'raw', 'tmp', `${spawnSync(process.execPath, ['-e', '0']).pid}-0123456789abcdef`);
    mkdirSync(join(dataDir, 'raw', 'tmp'), { recursive: true });
    writeFileSync(stale, 'From: half a message');
    const app = await testApp({ dataDir });
    try {
      expect(existsSync(stale)).toBe(false);
    } finally {
      await app.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
