import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { messageReports } from '../report/messages.js';
import { fixtureMail } from '../testing/app.js';
import { runCli, startCli } from '../testing/cli.js';
import { Dovecot, startDovecot } from '../testing/dovecot.js';
import { memoryLogger, startIntake, waitFor, type RunningIntake, type StartIntakeOptions } from '../testing/imap-service.js';
import { buildMail } from '../testing/mail.js';
import { submissionMail } from '../testing/submissions.js';
import { loadRules } from '../rules/index.js';
import { RULES_DIR } from '../testing/app.js';
import { tempDir } from '../testing/app.js';
import { mailboxHealth } from './health.js';
import { loadCheckpoint } from './imap-checkpoint.js';
import { createImapClient } from './imap-client.js';
import { syncMailbox } from './imap-sync.js';
import { imapAccount } from './imap-uids.js';
import { HealthRecorder } from './health.js';
import { testApp } from '../testing/app.js';

const fixture = (name: string) => readFileSync(fixtureMail(name));
/** Never fires during a test: new mail can only be seen through IDLE or a reconnect. */
const NO_POLL = { IMAP_POLL_CRON: '0 0 1 1 *' };
const july = (day: number, hour = 2) => new Date(Date.UTC(2021, 6, day, hour));

let dovecot: Dovecot;
const running: RunningIntake[] = [];
let userSeq = 0;

let unavailable: unknown = null;
beforeAll(async () => {
  try {
    dovecot = await startDovecot({ users: Array.from({ length: 25 }, (_, i) => ({ user: `unit${i}@example.test`, password: `pw-${i}/#@` })) });
  } catch (err) {
    unavailable = err;
  }
});
// Without Dovecot every test fails with the install command (a failed beforeAll would only skip them).
beforeEach(() => {
  if (unavailable) throw unavailable;
});
afterAll(async () => {
  await dovecot?.cleanup();
});
const scratch: string[] = [];
afterEach(async () => {
  const stopped = running.splice(0);
  for (const r of stopped) await r.stop();
  for (const r of stopped) if (r.ownsDataDir) rmSync(r.dataDir, { recursive: true, force: true });
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
});
const scratchDir = () => {
  const d = tempDir();
  scratch.push(d);
  return d;
};

/** Each test watches its own user's mailbox on the shared server. */
const nextUser = () => {
  const u = dovecot.users[userSeq++];
  if (!u) throw new Error('no Dovecot user left for this test: startDovecot above creates too few');
  return u.user;
};

async function intake(user: string, opts: StartIntakeOptions = {}) {
  const r = await startIntake(dovecot, { user, ...opts });
  running.push(r);
  return r;
}

const uidValidityOf = async (user: string, mailbox = 'INBOX') => (await dovecot.mailboxStatus(mailbox, user)).uidValidity.toString();

describe('IMAP source against Dovecot', () => {
  it('sees new mail through IDLE, stamps INTERNALDATE, answers once and leaves the flags alone', async () => {
    const user = nextUser();
    const svc = await intake(user, { env: NO_POLL });
    const printed = svc.output.join('\n');
    expect(printed).toContain(`Watching imap://${user}@127.0.0.1:${dovecot.port}/INBOX`);
    expect(printed).not.toContain('pw-');
    // RFC 2971 ID, which 163/126 require before SELECT.
    // RFC 2971 ID after login (Coremail's 163/126 refuse SELECT without it): Dovecot logs the
    // logged-in session's ID with the user's name.
    expect(dovecot.log()).toMatch(new RegExp(`imap\\(${user.replace(/[.@]/g, '\\$&')}\\).*ID sent: name=intake, version=[\\d.]+, vendor=intake`));

    // The Received header says 15 July 09:30 China time; the server's INTERNALDATE wins.
    const internalDate = july(16);
    const [uid] = await dovecot.append([{ raw: fixture('01-xunyang-complete.eml'), date: internalDate }], { user });
    await waitFor('the acknowledgment in the outbox', () => svc.outbox().length === 1);

    const [r] = await messageReports(svc.app.db);
    expect(r).toMatchObject({ source: `imap:${user}@127.0.0.1/INBOX/${await uidValidityOf(user)}/${uid}`, receivedAt: internalDate.toISOString(), receivedBasis: 'internaldate', unit: 'xunyang', reply: 'ack' });
    expect((await dovecot.messages('INBOX', user))[0]!.flags).not.toContain('\\Seen');

    const [h] = await mailboxHealth(svc.app.db);
    expect(h).toMatchObject({ account: `${user}@127.0.0.1`, mailbox: 'INBOX', state: 'connected', idle: true, unreachable: false, problem: null, lastMailReceivedAt: internalDate.toISOString() });
    expect(h!.lastSyncAt).not.toBeNull();
    expect(await loadCheckpoint(svc.app.db, `${user}@127.0.0.1`, 'INBOX')).toMatchObject({ uidvalidity: await uidValidityOf(user), last_uid: uid });
  });

  it('leaves mail from before the campaign opened alone, and takes mail that came while it was away exactly once', async () => {
    const user = nextUser();
    await dovecot.append(
      [
        { raw: fixture('03-xiushui-form-only-gb2312.eml'), date: new Date('2021-05-20T02:00:00Z') },
        { raw: fixture('01-xunyang-complete.eml'), date: july(15) },
      ],
      { user },
    );
    // A long first pause: the mail appended after the kick is certainly in before intake is back.
    let svc = await intake(user, { env: NO_POLL, reconnectMinMs: 3000, reconnectMaxMs: 3000 });
    expect((await messageReports(svc.app.db)).map((r) => r.unit)).toEqual(['xunyang']);
    expect(svc.outbox()).toHaveLength(1);

    expect(dovecot.kick(user)).toBe(true);
    await waitFor('intake to notice the dropped connection', async () => (await mailboxHealth(svc.app.db))[0]?.state === 'disconnected');
    await dovecot.append([{ raw: fixture('12-gongdian-docx-form.eml'), date: july(18) }], { user });
    await waitFor('the reply to mail that arrived while disconnected', () => svc.outbox().length === 2);

    // intake itself stops; mail keeps arriving; the next start takes it from the checkpoint.
    const dataDir = svc.dataDir;
    await svc.stop();
    await dovecot.append([{ raw: fixture('13-lushanxihai-complete.eml'), date: july(19) }], { user });
    svc = await intake(user, { env: NO_POLL, dataDir });
    const reports = await messageReports(svc.app.db);
    expect(reports.map((r) => r.unit)).toEqual(['xunyang', 'gongdian', 'lushanxihai']);
    expect(reports.every((r) => r.duplicateOf === null)).toBe(true);
    expect(svc.outbox()).toHaveLength(3);
  });

  it('survives a Dovecot restart mid-run: reports the mailbox unreachable, reconnects, resyncs by UID', async () => {
    const user = nextUser();
    // A poll every second proves the mailbox reachable; 3 s without one is "unreachable".
    const logs = memoryLogger('debug');
    const svc = await intake(user, { env: { IMAP_POLL_CRON: '* * * * * *', IMAP_UNREACHABLE_MINUTES: '0.05' }, reconnectMinMs: 200, reconnectMaxMs: 1000, log: logs.log });
    await dovecot.append([{ raw: fixture('01-xunyang-complete.eml'), date: july(15) }], { user });
    await waitFor('the first reply', () => svc.outbox().length === 1);
    await new Promise((r) => setTimeout(r, 3500));
    expect((await mailboxHealth(svc.app.db))[0]).toMatchObject({ state: 'connected', unreachable: false });

    await dovecot.stop();
    try {
      const down = await waitFor('the mailbox to be reported unreachable', async () => {
        const [h] = await mailboxHealth(svc.app.db);
        return h?.unreachable ? h : null;
      });
      expect(down.state).toBe('disconnected');
      expect(down.downSince).not.toBeNull();
      expect(down.problem).toMatch(/unreachable: no successful sync for \d+ min .*last error: (connect|connection closed)/);
      await waitFor('the unreachable warning in the log', () => logs.lines.some((l) => l.includes('"level":40') && l.includes('"msg":"mailbox unreachable')));
    } finally {
      await dovecot.restart();
    }
    await dovecot.append([{ raw: fixture('02-chaisang-zip-gbk.eml'), date: july(16) }], { user });
    await waitFor('the reply to mail after the restart', () => svc.outbox().length === 2);
    const [up] = await mailboxHealth(svc.app.db);
    expect(up).toMatchObject({ state: 'connected', unreachable: false, downSince: null });
    const entries = logs.lines.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(entries.filter((e) => e.msg === 'connected to the IMAP server').length).toBeGreaterThanOrEqual(2);
    expect(logs.lines.join('\n')).not.toContain(dovecot.users.find((u) => u.user === user)!.password);
    const reports = await messageReports(svc.app.db);
    expect(reports.map((r) => [r.unit, r.reply])).toEqual([
      ['xunyang', 'ack'],
      ['chaisang', 'ack'],
    ]);
  });

  it('resyncs after a UIDVALIDITY change (the mailbox recreated) without answering anything twice', async () => {
    const user = nextUser();
    await dovecot.withClient((c) => c.mailboxCreate('Submissions'), user);
    const first = [
      { raw: fixture('01-xunyang-complete.eml'), date: july(15) },
      { raw: fixture('02-chaisang-zip-gbk.eml'), date: july(16) },
    ];
    await dovecot.append(first, { user, mailbox: 'Submissions' });
    // Dovecot tells an IDLE session nothing when its folder is deleted and recreated; the
    // safety poll's NOOP is what finds out (the server ends the session, intake reconnects).
    const svc = await intake(user, { mailbox: 'Submissions', env: { IMAP_POLL_CRON: '*/2 * * * * *' } });
    expect(svc.outbox()).toHaveLength(2);
    const before = await uidValidityOf(user, 'Submissions');

    // A provider migration: the folder is rebuilt and its mail put back with new UIDs, while
    // intake idles in it; one new submission arrives with them.
    await dovecot.withClient(async (c) => {
      await c.mailboxDelete('Submissions');
      await c.mailboxCreate('Submissions');
    }, user);
    await dovecot.append([...first, { raw: fixture('13-lushanxihai-complete.eml'), date: july(19) }], { user, mailbox: 'Submissions' });
    const after = await uidValidityOf(user, 'Submissions');
    expect(after).not.toBe(before);

    await waitFor('the resync and its one reply', async () => (await messageReports(svc.app.db)).filter((r) => r.status === 'decided').length === 5 && svc.outbox().length === 3);
    const reports = await messageReports(svc.app.db);
    expect(reports.map((r) => [r.source.replace(/\/\d+$/, ''), r.unit, r.reply, r.duplicateOf])).toEqual([
      [`imap:${user}@127.0.0.1/Submissions/${before}`, 'xunyang', 'ack', null],
      [`imap:${user}@127.0.0.1/Submissions/${before}`, 'chaisang', 'ack', null],
      [`imap:${user}@127.0.0.1/Submissions/${after}`, 'xunyang', 'none', reports[0]!.id],
      [`imap:${user}@127.0.0.1/Submissions/${after}`, 'chaisang', 'none', reports[1]!.id],
      [`imap:${user}@127.0.0.1/Submissions/${after}`, 'lushanxihai', 'ack', null],
    ]);
    expect(svc.outbox()).toHaveLength(3);
    expect(await loadCheckpoint(svc.app.db, `${user}@127.0.0.1`, 'Submissions')).toMatchObject({ uidvalidity: after, last_uid: 3 });
  });

  it('IMAP_URL moved to another account whose INBOX has the same UIDVALIDITY: its mail is read, not taken for the first one\'s', async () => {
    const [first, second] = [nextUser(), nextUser()];
    await dovecot.append([{ raw: fixture('01-xunyang-complete.eml'), date: july(15) }], { user: first });
    await dovecot.append([{ raw: fixture('13-lushanxihai-complete.eml'), date: july(16) }], { user: second });
    dovecot.setUidValidity(await uidValidityOf(first), 'INBOX', second);
    expect(await uidValidityOf(second)).toBe(await uidValidityOf(first));

    let svc = await intake(first, { env: NO_POLL });
    const dataDir = svc.dataDir;
    expect((await messageReports(svc.app.db)).map((r) => [r.source, r.unit])).toEqual([[`imap:${first}@127.0.0.1/INBOX/${await uidValidityOf(first)}/1`, 'xunyang']]);
    await svc.stop();
    // Same folder, same UIDVALIDITY, same UID 1, another account's message.
    svc = await intake(second, { env: NO_POLL, dataDir });
    expect((await messageReports(svc.app.db)).map((r) => [r.unit, r.reply])).toEqual([
      ['xunyang', 'ack'],
      ['lushanxihai', 'ack'],
    ]);
    expect(svc.outbox()).toHaveLength(2);
  });

  it('upgrading a database whose account-less ids took a second account\'s mail for the first\'s: that folder is read again and the lost mail answered', async () => {
    const [first, second] = [nextUser(), nextUser()];
    await dovecot.append([{ raw: fixture('01-xunyang-complete.eml'), date: july(15) }], { user: first });
    await dovecot.append([{ raw: fixture('13-lushanxihai-complete.eml'), date: july(16) }], { user: second });
    dovecot.setUidValidity(await uidValidityOf(first), 'INBOX', second);
    let svc = await intake(first, { env: NO_POLL });
    const dataDir = svc.dataDir;
    await svc.stop();
    // As an older version left it: ids without the account, and the second account's first sync
    // past its UID 1, taken for the first account's message already archived.
    const db = new SQLite(join(dataDir, 'intake.db'));
    try {
      db.prepare("update messages set source = 'imap:' || substr(source, length(?) + 1) where source like 'imap:%'").run(`imap:${first}@127.0.0.1/`);
      db.prepare("delete from kysely_migration where name = '0009_imap_source_account'").run();
      db.prepare('insert into imap_checkpoints (account, mailbox, uidvalidity, last_uid, baseline_uid, baseline_count, scan_uid, cutoff, created_at, updated_at) select ?, mailbox, uidvalidity, last_uid, baseline_uid, baseline_count, scan_uid, cutoff, created_at, updated_at from imap_checkpoints where account = ?').run(`${second}@127.0.0.1`, `${first}@127.0.0.1`);
    } finally {
      db.close();
    }
    const logs = memoryLogger('info');
    svc = await intake(second, { env: NO_POLL, dataDir, log: logs.log });
    expect((await messageReports(svc.app.db)).map((r) => [r.unit, r.reply, r.duplicateOf])).toEqual([
      ['xunyang', 'ack', null],
      ['lushanxihai', 'ack', null],
    ]);
    expect(svc.outbox()).toHaveLength(2);
    // Said for what it is, not as a UIDVALIDITY change from "".
    const warned = logs.lines.map((l) => JSON.parse(l) as { msg: string }).map((l) => l.msg);
    expect(warned.some((m) => m.startsWith('reading the whole mailbox again, as an upgrade asked'))).toBe(true);
    expect(warned.some((m) => m.startsWith('UIDVALIDITY changed'))).toBe(false);
  });

  it('fetches the next batch of a backlog while the batch before it is decided', async () => {
    const user = nextUser();
    const units = loadRules(RULES_DIR).units;
    const mails = await Promise.all(Array.from({ length: 105 }, async (_, i) => ({ raw: await submissionMail(units[i % units.length]!, i, july(20)), date: july(20) })));
    await dovecot.append(mails, { user });
    const app = await testApp({ env: dovecot.env('INBOX', user) });
    const imap = app.settings.imap!;
    const client = createImapClient(imap, app.log);
    try {
      await client.connect();
      const bodyFetches: string[] = [];
      const fetch = client.fetch.bind(client);
      client.fetch = ((range, query, opts) => {
        if (query.source) bodyFetches.push(String(range));
        return fetch(range, query, opts);
      }) as typeof client.fetch;
      const seenWhileDeciding: string[][] = [];
      const account = imapAccount(imap);
      const result = await syncMailbox(client, {
        settings: imap,
        account,
        db: app.db,
        raw: app.raw,
        log: app.log,
        opens: null,
        maxMessageBytes: app.settings.maxMessageBytes,
        health: new HealthRecorder(app.db, account, imap.mailbox, 60_000),
        takeAll: async (msgs, each) => {
          // The first batch's decisions wait (up to 5 s) for the second batch to be asked for.
          if (seenWhileDeciding.length === 0) for (let t = 0; t < 50 && bodyFetches.length < 2; t++) await new Promise((r) => setTimeout(r, 100));
          seenWhileDeciding.push([...bodyFetches]);
          msgs.forEach((_, i) => each(i, { row: i, status: 'seen' }));
        },
      });
      expect(result.taken).toBe(105);
      expect(seenWhileDeciding).toEqual([
        ['1:100', '101:105'],
        ['1:100', '101:105'],
      ]);
    } finally {
      await client.logout().catch(() => {});
      await app.cleanup();
    }
  });

  it('records duplicate deliveries (same bytes, or the same message through another relay) and answers once', async () => {
    const user = nextUser();
    const svc = await intake(user, { env: NO_POLL });
    await dovecot.append(
      [
        { raw: fixture('01-xunyang-complete.eml'), date: july(15) },
        { raw: fixture('01-xunyang-complete.eml'), date: july(15) },
        { raw: fixture('14-xunyang-redelivered.eml'), date: july(15, 3) },
      ],
      { user },
    );
    await waitFor('all three decided and the reply sent', async () => (await messageReports(svc.app.db)).filter((r) => r.status === 'decided').length === 3 && svc.outbox().length === 1);
    const reports = await messageReports(svc.app.db);
    expect(reports.map((r) => [r.unit, r.reply, r.duplicateOf])).toEqual([
      ['xunyang', 'ack', null],
      ['xunyang', 'none', reports[0]!.id],
      ['xunyang', 'none', reports[0]!.id],
    ]);
    expect(svc.outbox()).toHaveLength(1);
  });

  it('after processing: marks \\Seen, adds a keyword, or moves to a folder', async () => {
    const [seenUser, keywordUser, moveUser] = [nextUser(), nextUser(), nextUser()];
    const mail = [
      { raw: fixture('01-xunyang-complete.eml'), date: july(15) },
      { raw: fixture('11-bounce.eml'), date: july(15, 4) },
    ];
    for (const u of [seenUser, keywordUser, moveUser]) await dovecot.append(mail, { user: u });
    await Promise.all([
      intake(seenUser, { env: { ...NO_POLL, IMAP_AFTER: 'seen' } }),
      intake(keywordUser, { env: { ...NO_POLL, IMAP_AFTER: 'keyword:$Intake' } }),
      intake(moveUser, { env: { ...NO_POLL, IMAP_AFTER: 'move:Processed/2021' } }),
    ]);
    expect((await dovecot.messages('INBOX', seenUser)).map((m) => m.flags.includes('\\Seen'))).toEqual([true, true]);
    expect((await dovecot.messages('INBOX', keywordUser)).map((m) => m.flags.includes('$Intake'))).toEqual([true, true]);
    expect(await dovecot.messages('INBOX', moveUser)).toEqual([]);
    expect(await dovecot.messages('Processed/2021', moveUser)).toHaveLength(2);
  });

  it('a message in error when its sync passed it gets the after-processing action once a retry decides it', async () => {
    const [seenUser, moveUser] = [nextUser(), nextUser()];
    const mail = [
      { raw: fixture('01-xunyang-complete.eml'), date: july(15) },
      { raw: fixture('02-chaisang-zip-gbk.eml'), date: july(16) },
    ];
    for (const u of [seenUser, moveUser]) await dovecot.append(mail, { user: u });
    // The first message's first analysis fails (as when the reading process cannot start): it is
    // recorded in error, the sync goes past it, and the retry after the sync decides it.
    const failingOnce = () => {
      let failures = 1;
      return (stage: string) => {
        if (stage === 'parse' && failures-- > 0) throw new Error('injected: document reader process could not be started');
      };
    };
    const [seen, moved] = await Promise.all([
      intake(seenUser, { env: { ...NO_POLL, IMAP_AFTER: 'seen' }, afterStage: failingOnce() }),
      intake(moveUser, { env: { ...NO_POLL, IMAP_AFTER: 'move:Processed' }, afterStage: failingOnce() }),
    ]);
    for (const svc of [seen, moved]) {
      await waitFor('both answered', () => svc.outbox().length === 2);
      const rows = await svc.app.db.selectFrom('messages').select(['status', 'attempts', 'after_action_at']).orderBy('id').execute();
      // One of the two was in error once (which one: whichever is parsed first of the two read ahead).
      expect(rows.map((r) => r.attempts).sort()).toEqual([0, 1]);
      expect(rows.every((r) => r.status === 'decided' && typeof r.after_action_at === 'string')).toBe(true);
    }
    expect((await dovecot.messages('INBOX', seenUser)).map((m) => m.flags.includes('\\Seen'))).toEqual([true, true]);
    expect(await dovecot.messages('INBOX', moveUser)).toEqual([]);
    expect(await dovecot.messages('Processed', moveUser)).toHaveLength(2);
  });

  it('streams a message above MAX_MESSAGE_MB to the archive and decides it from there in bounded memory, then carries on', async () => {
    const user = nextUser();
    const svc = await intake(user, { env: { ...NO_POLL, MAX_MESSAGE_MB: '0.1' } });
    const big = buildMail({
      from: { name: '武宁县总工会', address: 'wnxzgh@163.com' },
      subject: '武宁县参赛材料（扫描件）',
      messageId: '<big-scan.wn@163.com>',
      date: july(17),
      received: null,
      text: '扫描件见附件。',
      attachments: [{ filename: '武宁县实施方案扫描件.pdf', content: randomBytes(400_000) }],
    });
    await dovecot.append(
      [
        { raw: big, date: july(17) },
        { raw: big, date: july(17, 5) },
        { raw: fixture('01-xunyang-complete.eml'), date: july(18) },
      ],
      { user },
    );
    await waitFor('the replies to the large message and the one after it', () => svc.outbox().length === 2);
    const reports = await messageReports(svc.app.db);
    expect(reports.map((r) => [r.status, r.duplicateOf, r.reply])).toEqual([
      ['decided', null, 'missing'],
      ['decided', reports[0]!.id, 'none'],
      ['decided', null, 'ack'],
    ]);
    // Parsed from the archive: the unit, and the named reason its "PDF" could not be read.
    expect(reports[0]).toMatchObject({ unit: 'wuning', documents: [{ filename: '武宁县实施方案扫描件.pdf', readable: false, errorCode: 'corrupt' }] });
    const row = await svc.app.db.selectFrom('messages').selectAll().where('id', '=', reports[0]!.id).executeTakeFirstOrThrow();
    expect(row.sha256).toBe(createHash('sha256').update(big).digest('hex'));
    expect(row.size).toBe(big.length);
    expect(row.message_id).toBe('<big-scan.wn@163.com>');
    expect(svc.app.raw.read(row.sha256).equals(big)).toBe(true);
  });

  it('IMAP_EXISTING_MAIL=baseline leaves everything already there alone; =all takes it all', async () => {
    const [baselineUser, allUser] = [nextUser(), nextUser()];
    const old = [
      { raw: fixture('03-xiushui-form-only-gb2312.eml'), date: new Date('2021-05-20T02:00:00Z') },
      { raw: fixture('01-xunyang-complete.eml'), date: july(15) },
    ];
    for (const u of [baselineUser, allUser]) await dovecot.append(old, { user: u });
    const baseline = await intake(baselineUser, { env: { ...NO_POLL, IMAP_EXISTING_MAIL: 'baseline' } });
    const all = await intake(allUser, { env: { ...NO_POLL, IMAP_EXISTING_MAIL: 'all' } });
    expect(await messageReports(baseline.app.db)).toEqual([]);
    expect(await loadCheckpoint(baseline.app.db, `${baselineUser}@127.0.0.1`, 'INBOX')).toMatchObject({ last_uid: 2, baseline_uid: 2, baseline_count: 2 });
    expect((await messageReports(all.app.db)).map((r) => r.unit)).toEqual(['xiushui', 'xunyang']);

    await dovecot.append([{ raw: fixture('12-gongdian-docx-form.eml'), date: july(18) }], { user: baselineUser });
    await waitFor('new mail after the baseline', () => baseline.outbox().length === 1);
    expect((await messageReports(baseline.app.db)).map((r) => r.unit)).toEqual(['gongdian']);
  });

  it('a sync that fails part-way keeps old mail behind the checkpoint: it is never answered, and the failed message is taken on the retry', async () => {
    const user = nextUser();
    // Two messages from before the campaign opened, then a submission.
    await dovecot.append(
      [
        { raw: fixture('03-xiushui-form-only-gb2312.eml'), date: new Date('2021-05-20T02:00:00Z') },
        { raw: fixture('12-gongdian-docx-form.eml'), date: new Date('2021-05-21T02:00:00Z') },
        { raw: fixture('01-xunyang-complete.eml'), date: july(15) },
      ],
      { user },
    );
    let failures = 1;
    const svc = await intake(user, {
      env: NO_POLL,
      afterStage: (stage) => {
        if (stage === 'archive' && failures-- > 0) throw new Error('injected: the disk filled up');
      },
    });
    // The first sync fails after archiving the submission; the reconnect's sync settles it.
    await waitFor('the submission answered after the retry', () => svc.outbox().length === 1);
    expect(await loadCheckpoint(svc.app.db, `${user}@127.0.0.1`, 'INBOX')).toMatchObject({ last_uid: 3 });
    const reports = await messageReports(svc.app.db);
    expect(reports.map((r) => [r.source.replace(/\/\d+\/(\d+)$/, '/$1'), r.unit, r.reply])).toEqual([[`imap:${user}@127.0.0.1/INBOX/3`, 'xunyang', 'ack']]);
  });

  it('a message Dovecot cannot read (it closes the connection at it, every time) holds nothing up: after a few tries it is recorded, shown, and gone past', async () => {
    const user = nextUser();
    const rules = loadRules(RULES_DIR);
    const units = [rules.units[0]!, rules.units[1]!, rules.units[2]!];
    await dovecot.append(await Promise.all(units.map(async (u, i) => ({ raw: await submissionMail(u, i, july(15, 2 + i)), date: july(15, 2 + i) }))), { user });
    // UID 2's file unreadable to Dovecot: it logs "Permission denied" and drops the session at
    // every FETCH of its body (no NO), which a damaged file in its store also does.
    const dir = dovecot.maildir(user);
    const name = readFileSync(join(dir, 'dovecot-uidlist'), 'utf8').split('\n').find((l) => l.startsWith('2 '))!.split(':').slice(1).join(':');
    const sub = ['cur', 'new'].find((d) => readdirSync(join(dir, d)).some((f) => f.startsWith(name)))!;
    chmodSync(join(dir, sub, readdirSync(join(dir, sub)).find((f) => f.startsWith(name))!), 0o000);

    const svc = await intake(user, { env: NO_POLL });
    await waitFor('the two readable submissions answered', () => svc.outbox().length === 2);
    const reports = await messageReports(svc.app.db);
    expect(reports.map((r) => [r.source.split('/').at(-1), r.unit, r.reply])).toEqual([
      ['1', units[0]!.id, 'ack'],
      ['3', units[2]!.id, 'ack'],
    ]);
    expect(await loadCheckpoint(svc.app.db, `${user}@127.0.0.1`, 'INBOX')).toMatchObject({ last_uid: 3 });
    const rows = await svc.app.db.selectFrom('imap_unfetched').selectAll().execute();
    expect(rows).toMatchObject([{ uid: 2, cause: 'dropped', attempts: 1, resolved_at: null }]);
    const health = (await mailboxHealth(svc.app.db)).find((h) => h.account === `${user}@127.0.0.1`)!;
    expect(health.unfetched.map((u) => u.uid)).toEqual([2]);
    expect(health.problem).toContain('UID 2');
    // `intake health` says so too.
    const out = await runCli(['health', '--data', svc.dataDir]);
    expect(out.stdout).toContain('would not hand over 1 message');
  });

  it('on a server without IDLE, the cron poll finds new mail', async () => {
    const noIdle = await startDovecot({ extraConfig: 'imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ UIDPLUS MOVE NAMESPACE' });
    try {
      const svc = await startIntake(noIdle, { env: { IMAP_POLL_CRON: '*/2 * * * * *' } });
      running.push(svc);
      expect((await mailboxHealth(svc.app.db))[0]).toMatchObject({ idle: false });
      await noIdle.append([{ raw: fixture('01-xunyang-complete.eml'), date: july(15) }]);
      // imapflow's own fallback polls every 2 minutes; only the cron poll is this quick.
      await waitFor('the poll to take the mail in', () => svc.outbox().length === 1, 60_000);
      await svc.stop();
    } finally {
      await noIdle.cleanup();
    }
  });

  it('a crash at any point (archived, decided, reply claimed, batch done) loses nothing and answers once', async () => {
    const user = nextUser();
    const data = scratchDir();
    const env = { ...dovecot.env('INBOX', user), ...NO_POLL, IMAP_AFTER: 'seen' };
    await dovecot.append(
      [
        { raw: fixture('01-xunyang-complete.eml'), date: july(15) },
        { raw: fixture('02-chaisang-zip-gbk.eml'), date: july(16) },
      ],
      { user },
    );
    const runUntilExit = async (extra: Record<string, string>) => {
      const child = startCli(['run', '--data', data], { ...env, ...extra });
      return new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
    };
    for (const [i, point] of ['archive', 'decide', 'reply-claimed', 'imap-batch'].entries()) {
      if (i > 0) await dovecot.append([{ raw: buildMail({ from: { name: '武宁县总工会', address: 'wn@163.com' }, subject: `武宁县参赛报名表 ${point}`, messageId: `<crash-${point}@163.com>`, date: july(17), received: null, text: '报名表' }), date: july(17) }], { user });
      expect(await runUntilExit({ INTAKE_CRASH_AT: point })).toBe('SIGKILL');
    }
    const child = startCli(['run', '--data', data], env);
    try {
      await waitFor('every message answered', () => existsSync(join(data, 'outbox')) && readdirEml(join(data, 'outbox')).length === 5, 90_000);
      const reports = JSON.parse(`[${(await runCli(['messages', '--json', '--data', data], env)).stdout.trim().split('\n').join(',')}]`) as Array<{ status: string; reply: string; duplicateOf: number | null }>;
      expect(reports).toHaveLength(5);
      expect(reports.every((r) => r.status === 'decided' && r.duplicateOf === null && r.reply !== 'none')).toBe(true);
      await waitFor('every message marked \\Seen', async () => (await dovecot.messages('INBOX', user)).every((m) => m.flags.includes('\\Seen')));
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
    }
    expect(readdirEml(join(data, 'outbox'))).toHaveLength(5);
  });

  it('a stop during the first sync of a backlog ends after the message in flight; the next start takes the rest from the checkpoint, each once', async () => {
    const user = nextUser();
    const units = loadRules(RULES_DIR).units;
    const total = 30;
    await dovecot.append(await Promise.all(Array.from({ length: total }, async (_, i) => ({ raw: await submissionMail(units[i]!, i, july(20, 1)), date: july(20, 1) }))), { user });
    // Mail from before the campaign opened, behind the backlog (imported into the folder later):
    // the first sync leaves it alone, also when it is stopped before it gets there.
    const old = Array.from({ length: 3 }, (_, i) => ({ raw: buildMail({ from: { name: '武宁县总工会', address: 'wn@163.com' }, subject: `去年的材料 ${i}`, messageId: `<old-${i}@163.com>`, date: new Date('2021-05-10T02:00:00Z'), received: null, text: '附件' }), date: new Date('2021-05-10T02:00:00Z') }));
    await dovecot.append(old, { user });
    const stop = new AbortController();
    const env = { ...NO_POLL, IMAP_AFTER: 'seen' };
    // Stop asked for as the first message is decided, while startIntake still waits for the first sync.
    const first = await intake(user, { env, signal: stop.signal, afterStage: (stage) => void (stage === 'decide' && stop.abort()) });
    await first.handle.done;
    const firstReports = await messageReports(first.app.db);
    const decided = firstReports.filter((r) => r.status === 'decided');
    expect(decided.length).toBeGreaterThan(0);
    expect(decided.length).toBeLessThan(total);
    // What was read ahead is archived, to be decided first by the next start; nothing is in error.
    expect(firstReports.slice(decided.length).every((r) => r.status === 'archived')).toBe(true);
    const uidOf = (source: string) => Number(source.split('/').at(-1));
    expect(decided.map((r) => uidOf(r.source))).toEqual(decided.map((_, i) => i + 1));
    // Only what was decided is marked and has a reply queued (it goes out with the next start, as
    // the sender stops too); nothing is queued for the rest.
    expect((await dovecot.messages('INBOX', user)).filter((m) => m.flags.includes('\\Seen')).length).toBe(decided.length);
    expect(await first.app.db.selectFrom('outbox').select('message_row').execute()).toHaveLength(decided.length);
    expect(first.outbox().length).toBeLessThanOrEqual(decided.length);
    // The checkpoint is at the last message decided, not past the backlog (what was read ahead is
    // known by its source next time).
    expect((await loadCheckpoint(first.app.db, `${user}@127.0.0.1`, 'INBOX'))?.last_uid).toBe(decided.length);
    const dataDir = first.dataDir;
    await first.stop();

    const again = await intake(user, { env, dataDir });
    const reports = await messageReports(again.app.db);
    // The old mail is still left alone: only the backlog is taken in.
    expect(reports).toHaveLength(total);
    expect(reports.map((r) => uidOf(r.source))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(reports.every((r) => r.status === 'decided' && r.reply === 'ack' && r.duplicateOf === null)).toBe(true);
    expect(again.outbox()).toHaveLength(total);
    expect((await again.app.db.selectFrom('outbox').select('message_row').distinct().execute()).length).toBe(total);
    const seen = async () => (await dovecot.messages('INBOX', user)).map((m) => m.flags.includes('\\Seen'));
    await waitFor('the backlog marked \\Seen', async () => (await seen()).slice(0, total).every(Boolean));
    expect((await seen()).slice(total)).toEqual([false, false, false]);
  });

  it('`intake run` with IMAP_URL watches the mailbox instead of the Maildir, seeds no demo mail; `intake health` reports it', async () => {
    const user = nextUser();
    const data = scratchDir();
    const env = { ...dovecot.env('INBOX', user), ...NO_POLL };
    const child = startCli(['run', '--data', data], env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitFor(`"Watching imap://..." (stdout: ${stdout})`, () => stdout.includes('Watching imap://'));
      expect(existsSync(join(data, 'inbox'))).toBe(false);
      await dovecot.append([{ raw: fixture('01-xunyang-complete.eml'), date: july(15) }], { user });
      await waitFor('the reply', () => existsSync(join(data, 'outbox')) && readdirEml(join(data, 'outbox')).length === 1);
      const health = await runCli(['health', '--json', '--data', data], env);
      expect(health.status).toBe(0);
      expect(JSON.parse(health.stdout)).toMatchObject([{ account: `${user}@127.0.0.1`, mailbox: 'INBOX', state: 'connected', unreachable: false }]);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(0);
    expect(stderr).not.toContain('pw-');
    const after = await runCli(['health', '--data', data], env);
    expect(after.stdout).toMatch(/stopped/);
  });
});

function readdirEml(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.eml'));
}
