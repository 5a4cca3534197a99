import { EventEmitter } from 'node:events';
import type { ImapFlow } from 'imapflow';
import { afterEach, expect, it } from 'vitest';
import type { ImapSettings } from '../config/imap.js';
import { testApp, type TestApp } from '../testing/app.js';
import { ImapWatcher } from './imap-watcher.js';

// The supervisor's own bookkeeping, on a stand-in connection to an empty mailbox: which syncs
// SELECT the folder again. (Connections, reconnects and IDLE against Dovecot: imap.integration.test.ts.)

const settings = {
  mailbox: 'INBOX',
  user: 'jjszjjb@sina.com',
  host: 'imap.sina.com',
  port: 993,
  tls: 'tls',
  existingMail: 'all',
  after: { kind: 'none' },
  pollCron: '0 0 1 1 *',
  unreachableAfterMs: 600_000,
  reconnectMinMs: 100,
  reconnectMaxMs: 1000,
} as ImapSettings;

let app: TestApp | undefined;
afterEach(async () => {
  await app?.cleanup();
  app = undefined;
});

it('a poll that comes while a sync runs gets a sync that SELECTs the folder again (a UIDVALIDITY change shows only after a fresh SELECT)', async () => {
  app = await testApp();
  const calls: string[] = [];
  let slow: (() => void) | null = null;
  const client = Object.assign(new EventEmitter(), {
    usable: true,
    capabilities: new Set(['IDLE']),
    serverInfo: { name: 'test' },
    mailbox: { path: 'INBOX', exists: 0, uidValidity: 7n },
    async connect() {},
    async getMailboxLock() {
      return { release() {} };
    },
    async noop() {
      calls.push('noop');
      // The second sync (new mail) is held until the poll has come.
      if (calls.filter((c) => c === 'noop').length === 2) await new Promise<void>((r) => (slow = r));
    },
    async mailboxOpen() {
      calls.push('select');
    },
    async logout() {},
    close() {},
  }) as unknown as ImapFlow;
  const w = new ImapWatcher({ settings, db: app.db, raw: app.raw, log: app.log, opens: null, maxMessageBytes: 1 << 20, takeAll: async () => {}, createClient: () => client });
  await w.start();
  expect(calls).toEqual(['noop']);
  const running = w.syncNow('new mail (EXISTS)');
  while (!slow) await new Promise((r) => setTimeout(r, 5));
  const polled = w.syncNow('poll');
  (slow as () => void)();
  await running;
  await polled;
  expect(calls).toEqual(['noop', 'noop', 'select']);
  await w.stop();
});
