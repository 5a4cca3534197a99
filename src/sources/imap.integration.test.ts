import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { messageReports } from '../report/messages.js';
import { fixtureMail } from '../testing/app.js';
import { Dovecot, startDovecot } from '../testing/dovecot.js';
import { startIntake, waitFor, type RunningIntake } from '../testing/imap-service.js';
import { mailboxHealth } from './health.js';

const fixture = (name: string) => readFileSync(fixtureMail(name));
/** Never fires during a test: new mail can only be seen through IDLE or a reconnect. */
const NO_POLL = { IMAP_POLL_CRON: '0 0 1 1 *' };

let dovecot: Dovecot;
const running: RunningIntake[] = [];
let userSeq = 0;

beforeAll(async () => {
  dovecot = await startDovecot({ users: Array.from({ length: 12 }, (_, i) => ({ user: `unit${i}@example.test`, password: `pw-${i}` })) });
});
afterAll(async () => {
  await dovecot?.cleanup();
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});

/** Each test has its own mailbox user on the shared server. */
function nextUser() {
  return dovecot.users[userSeq++]!;
}

async function intake(user: ReturnType<typeof nextUser>, opts: Parameters<typeof startIntake>[1] = {}) {
  const r = await startIntake(dovecot, { user: user.user, ...opts });
  running.push(r);
  return r;
}

describe('IMAP source against Dovecot', () => {
  it('sees new mail through IDLE, stamps INTERNALDATE, answers once and leaves the flags alone', async () => {
    const user = nextUser();
    const svc = await intake(user, { env: NO_POLL });
    expect(svc.output.join('\n')).toContain(`Watching imap://${user.user}@127.0.0.1:${dovecot.port}/INBOX`);
    expect(svc.output.join('\n')).not.toContain(user.password);

    const internalDate = new Date('2021-07-16T02:00:00Z');
    const uid = await dovecot.append([{ raw: fixture('01-xunyang-complete.eml'), date: internalDate }], { user: user.user });
    await waitFor('the acknowledgment in the outbox', () => svc.outbox().length === 1);

    const [r] = await messageReports(svc.app.db);
    const { uidValidity } = await dovecot.withClient(async (c) => (await c.status('INBOX', { uidValidity: true })) as { uidValidity: bigint }, user.user);
    expect(r).toMatchObject({ source: `imap:INBOX/${uidValidity}/${uid[0]}`, receivedAt: internalDate.toISOString(), receivedBasis: 'internaldate', unit: 'xunyang', reply: 'ack' });
    expect((await dovecot.messages('INBOX', user.user))[0]!.flags).not.toContain('\\Seen');

    const [h] = await mailboxHealth(svc.app.db);
    expect(h).toMatchObject({ account: `${user.user}@127.0.0.1`, mailbox: 'INBOX', state: 'connected', idle: true, unreachable: false, problem: null, lastMailReceivedAt: internalDate.toISOString() });
    expect(h!.lastSyncAt).not.toBeNull();
  });
});
