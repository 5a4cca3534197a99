import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSource } from '../sources/files.js';
import { fixtureMail, tempDir, testApp, type TestApp } from '../testing/app.js';
import { ingestFrom } from './ingest.js';
import { queueDigest } from '../digest/send.js';
import { resolveOutbox } from '../report/outbox.js';
import { assignMessage } from '../review/assign.js';

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

/** A live process and a replies-off one (REPLIES=off) on one data folder. */
async function liveAndDry(test: (apps: { live: TestApp; dry: TestApp }) => Promise<void>): Promise<void> {
  const dataDir = tempDir();
  const live = await testApp({ dataDir });
  const dry = await testApp({ dataDir, env: { REPLIES: 'off' } });
  try {
    await test({ live, dry });
  } finally {
    await dry.cleanup();
    await live.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('replies off', () => {
  it('writes its own replies suppressed and leaves the ones another process queued pending', () =>
    liveAndDry(async ({ live, dry }) => {
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
    }));

  it('a digest queued while replies are off is recorded suppressed, never sent by a live process', () =>
    liveAndDry(async ({ live, dry }) => {
      const queued = await queueDigest(dry, { slot: 'manual:2021-07-20T01:00:00.000Z', trigger: 'manual', now: new Date('2021-07-20T01:00:00Z') });
      expect(queued?.outbox).toHaveLength(1);
      expect(await live.flushOutbox()).toBe(0);
      expect(await dry.db.selectFrom('outbox').select(['kind', 'status', 'last_error']).execute()).toEqual([{ kind: 'digest', status: 'suppressed', last_error: 'REPLIES=off: recorded, not sent' }]);
    }));

  it('a dry run\'s reply is not resent once its message is decided otherwise, or answered', () =>
    liveAndDry(async ({ live, dry }) => {
      await ingestFrom(dry, new FileSource([fixtureMail('09-unknown-sender-review.eml'), fixtureMail('01-xunyang-complete.eml')]));
      const rows = async () => live.db.selectFrom('outbox').select(['id', 'message_row', 'kind', 'status']).orderBy('id').execute();
      expect(await rows()).toEqual([
        { id: 1, message_row: 1, kind: 'ack', status: 'suppressed' },
        { id: 2, message_row: 2, kind: 'review', status: 'suppressed' },
      ]);
      await assignMessage(live, 2, 'hukou');
      await live.flushOutbox();
      expect((await rows()).slice(2)).toEqual([{ id: 3, message_row: 2, kind: 'missing', status: 'sent' }]);
      expect(await resolveOutbox(live.db, [1, 2], 'resend')).toEqual({ changed: [1], skipped: [{ id: 2, why: 'message #2 is now decided as "missing", not "review"' }] });
      expect(await live.flushOutbox()).toBe(1);
      expect((await rows()).map((r) => r.status)).toEqual(['sent', 'suppressed', 'sent']);
      // Decided as "review" once more (a decision that queues no second reply of a kind already
      // answered): the old review reply is still not resent, as the unit has had its answer.
      await live.db.updateTable('messages').set({ reply_kind: 'review' }).where('id', '=', 2).execute();
      expect(await resolveOutbox(live.db, [2], 'resend')).toEqual({ changed: [], skipped: [{ id: 2, why: 'reply #3 ("missing") to message #2 was sent already' }] });
    }));
});
