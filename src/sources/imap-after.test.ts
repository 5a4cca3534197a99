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

// A stand-in for the IMAP connection: what matters here is the order of the calls. `answer` is
// what imapflow returns for each STORE (false: a NO, a BAD, a connection lost mid-command).
function fakeClient(answer: (call: number) => boolean = () => true, permanentFlags?: Set<string>): ImapFlow {
  let calls = 0;
  return {
    usable: true,
    mailbox: { path: 'INBOX', permanentFlags },
    messageFlagsAdd: async (range: string, flags: string[]) => (events.log.push(`flag ${range} ${flags.join(' ')}`), answer(calls++)),
  } as unknown as ImapFlow;
}
const client = fakeClient();
const settings = { after: { kind: 'seen' }, mailbox: 'INBOX', user: 'jjszjjb@sina.com', host: 'imap.sina.com' } as ImapSettings;
const silent = pino({ level: 'silent' });
const warningsLog = () => {
  const warnings: Array<Record<string, unknown>> = [];
  return { warnings, log: pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) }) };
};
// Records which sources were marked done, after the server was told.
const db = {
  updateTable: () => ({ set: () => ({ where: (_c: string, _op: string, sources: string[]) => ({ execute: async () => void events.log.push(`recorded ${sources.join(' ')}`) }) }) }),
} as unknown as Db;

describe('the after-processing action', () => {
  it('syncs the decisions to disk before the server is told anything', async () => {
    events.log = [];
    events.flushFails = false;
    await applyAfterAction(client, db, settings, '7', [3, 4, 5], silent);
    expect(events.log).toEqual(['flush', 'flag 3:5 \\Seen', 'recorded imap:jjszjjb@sina.com@imap.sina.com/INBOX/7/3 imap:jjszjjb@sina.com@imap.sina.com/INBOX/7/4 imap:jjszjjb@sina.com@imap.sina.com/INBOX/7/5']);
  });

  it('is not applied when the sync fails: the messages stay as they are, not recorded as done, and it is logged', async () => {
    events.log = [];
    events.flushFails = true;
    const { warnings, log } = warningsLog();
    await applyAfterAction(client, db, settings, '7', [3], log);
    expect(events.log).toEqual([]);
    expect(warnings).toEqual([expect.objectContaining({ action: 'seen', err: expect.stringMatching(/synced to disk/) })]);
  });

  it('records nothing the server did not confirm: a refused or cut-off command is tried again later', async () => {
    events.log = [];
    events.flushFails = false;
    const { warnings, log } = warningsLog();
    await applyAfterAction(fakeClient(() => false), db, settings, '7', [3, 4], log);
    expect(events.log).toEqual(['flush', 'flag 3:4 \\Seen']);
    expect(warnings).toEqual([expect.objectContaining({ action: 'seen', messages: 2 })]);
  });

  it('a refusal that lasts is warned once an hour on a connection, not after every sync, and again at once after the action worked', async () => {
    events.flushFails = false;
    let refuse = true;
    const { warnings, log } = warningsLog();
    const readOnly = fakeClient(() => !refuse);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2021-07-22T08:00:00Z'));
      for (let sync = 0; sync < 30; sync++) {
        await applyAfterAction(readOnly, db, settings, '7', [3], log);
        vi.setSystemTime(Date.now() + 60_000);
      }
      expect(warnings).toHaveLength(1);
      vi.setSystemTime(new Date('2021-07-22T09:00:30Z'));
      await applyAfterAction(readOnly, db, settings, '7', [3], log);
      expect(warnings.map((w) => w.warnedBefore)).toEqual([undefined, '2021-07-22T08:00:00.000Z']);
      // Worked once, then refused again: said at once.
      refuse = false;
      await applyAfterAction(readOnly, db, settings, '7', [3], log);
      refuse = true;
      await applyAfterAction(readOnly, db, settings, '7', [3], log);
      expect(warnings).toHaveLength(3);
      // Another connection (a reconnect) says it again.
      await applyAfterAction(fakeClient(() => false), db, settings, '7', [3], log);
      expect(warnings).toHaveLength(4);
      expect(warnings.every((w) => w.msg === 'after-processing action not applied; the messages stay as they are until the next sync tries again')).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends a long set of UIDs in commands of 500, recording each as the server confirms it', async () => {
    events.log = [];
    events.flushFails = false;
    // Every other UID: no ranges to compress. The second command fails.
    const uids = Array.from({ length: 1200 }, (_, i) => 2 * i + 1);
    await applyAfterAction(fakeClient((call) => call !== 1), db, settings, '7', uids, silent);
    const stores = events.log.filter((l) => l.startsWith('flag'));
    expect(stores).toHaveLength(2);
    expect(stores.map((l) => l.split(' ')[1]!.split(',').length)).toEqual([500, 500]);
    const recorded = events.log.filter((l) => l.startsWith('recorded')).map((l) => l.split(' ').length - 1);
    expect(recorded).toEqual([500]);
  });

  it.each([
    ['with MOVE: a failed move is tried again later', ['MOVE'], ['flush', 'move 3:4 Processed']],
    ['without MOVE (copy, then delete): tried once, so a copy that worked is not made again on every sync', [], ['flush', 'move 3:4 Processed', 'recorded imap:jjszjjb@sina.com@imap.sina.com/INBOX/7/3 imap:jjszjjb@sina.com@imap.sina.com/INBOX/7/4']],
  ])('%s', async (_name, capabilities, expected) => {
    events.log = [];
    events.flushFails = false;
    const mover = {
      usable: true,
      capabilities: new Set(capabilities),
      list: async () => [{ path: 'Processed', name: 'Processed' }],
      messageMove: async (range: string, folder: string) => (events.log.push(`move ${range} ${folder}`), false),
    } as unknown as ImapFlow;
    await applyAfterAction(mover, db, { ...settings, after: { kind: 'move', folder: 'Processed' } } as ImapSettings, '7', [3, 4], silent);
    expect(events.log).toEqual(expected);
  });

  it('takes a keyword the folder does not allow as done, without a command, and says so', async () => {
    events.log = [];
    events.flushFails = false;
    const { warnings, log } = warningsLog();
    await applyAfterAction(fakeClient(() => true, new Set(['\\Seen', '\\Flagged'])), db, { ...settings, after: { kind: 'keyword', keyword: '$Intake' } } as ImapSettings, '7', [3], log);
    expect(events.log).toEqual(['flush', 'recorded imap:jjszjjb@sina.com@imap.sina.com/INBOX/7/3']);
    expect(warnings).toEqual([expect.objectContaining({ keyword: '$Intake', msg: expect.stringMatching(/does not allow the keyword/) })]);
  });
});
