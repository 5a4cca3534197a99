import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// What reached the disk, in order: the real syncs, recorded.
const events = vi.hoisted(() => [] as string[]);
vi.mock('../util/sync-to-disk.js', async (importOriginal) => (await import('../testing/recording-syncs.js')).recordingSyncs(await importOriginal(), events));
const { FileTransport, outboxFileName } = await import('./file-transport.js');

const dir = mkdtempSync(join(tmpdir(), 'file-transport-'));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mail = {
  from: { name: '九江市总工会', address: 'jjszjjb@sina.com' },
  to: 'blh@163.com',
  subject: '回复：参赛报名表',
  text: '已收到。',
  messageId: '<intake.7.ack.abc@sina.com>',
  autoSubmitted: 'auto-replied' as const,
};

describe('the file outbox', () => {
  it('a reply is on disk, file and name, before send() returns (the sender then records it sent)', async () => {
    const outbox = join(dir, 'outbox');
    const t = new FileTransport(outbox);
    const tmp = join(outbox, '.tmp', outboxFileName(mail.messageId));
    await t.send(mail, async () => void events.push('handed over'));
    expect(events).toEqual([`write ${tmp}`, 'handed over', `sync ${outbox}`]);
    expect(readdirSync(outbox).filter((f) => f.endsWith('.eml'))).toEqual([outboxFileName(mail.messageId)]);
    expect(readFileSync(join(outbox, outboxFileName(mail.messageId)), 'utf8')).toContain('Subject: =?UTF-8?');
    expect(existsSync(tmp)).toBe(false);
    expect(await t.wasDelivered(mail.messageId)).toBe(true);
  });

  it('a temp file a crash left for the same reply is replaced, not refused', async () => {
    const outbox = join(dir, 'outbox2');
    const t = new FileTransport(outbox);
    writeFileSync(join(outbox, '.tmp', outboxFileName(mail.messageId)), 'half a rep');
    await t.send(mail, async () => {});
    expect(readFileSync(join(outbox, outboxFileName(mail.messageId)), 'utf8')).toContain('Message-ID: <intake.7.ack.abc@sina.com>');
    expect(readFileSync(join(outbox, outboxFileName(mail.messageId)), 'utf8')).not.toContain('half a rep');
  });
});
