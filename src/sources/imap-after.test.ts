import type { ImapFlow } from 'imapflow';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { ImapSettings } from '../config/imap.js';
import type { Db } from '../store/db.js';

const events = vi.hoisted(() => ({ log: [] as string[], flushFails: false }));
vi.mock('../store/durability.js', () => ({
  flushToDisk: async () => {
    if (events.flushFails) throw new Error('the database could not be synced to disk');
    events.log.push('flush');
  },
}));
const { applyAfterAction } = await import('./imap-after.js');

// A stand-in for the IMAP connection: what matters here is the order of the calls.
const client = { messageFlagsAdd: async (range: string, flags: string[]) => (events.log.push(`flag ${range} ${flags.join(' ')}`), true) } as unknown as ImapFlow;
const settings = { after: { kind: 'seen' } } as ImapSettings;
// Records which sources were marked done, after the server was told.
const db = {
  updateTable: () => ({ set: () => ({ where: (_c: string, _op: string, sources: string[]) => ({ execute: async () => void events.log.push(`recorded ${sources.join(' ')}`) }) }) }),
} as unknown as Db;

describe('the after-processing action', () => {
  it('syncs the decisions to disk before the server is told anything', async () => {
    events.log = [];
    events.flushFails = false;
    await applyAfterAction(client, db, { ...settings, mailbox: 'INBOX' }, '7', [3, 4, 5], pino({ level: 'silent' }));
    expect(events.log).toEqual(['flush', 'flag 3:5 \\Seen', 'recorded imap:INBOX/7/3 imap:INBOX/7/4 imap:INBOX/7/5']);
  });

  it('is not applied when the sync fails: the messages stay as they are, not recorded as done, and it is logged', async () => {
    events.log = [];
    events.flushFails = true;
    const warnings: unknown[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
    await applyAfterAction(client, db, settings, '7', [3], log);
    expect(events.log).toEqual([]);
    expect(warnings).toEqual([expect.objectContaining({ action: 'seen', err: expect.stringMatching(/synced to disk/) })]);
  });
});
