import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadRules } from './rules/index.js';
import { copyRules, FIXTURE_MAIL, fixtureMail, REPO, RULES_DIR, tempDir } from './testing/app.js';
import { runCli, startCli } from './testing/cli.js';
import { submissionMail } from './testing/submissions.js';
import { SERVICE_V8_FLAGS } from './util/v8-flags.js';

// Async: a synchronous spawn blocks this worker, and on a loaded machine vitest's runner gives up on it.

/** Each CLI run starts Node and tsx: seconds each on a loaded machine. */
const SLOW = 240_000;

const outboxFiles = (data: string) => readdirSync(join(data, 'outbox')).filter((f) => f.endsWith('.eml'));

// Each test runs the real CLI several times, each starting the document reader's child process:
// slow on a loaded 2-core machine.
describe('intake CLI', { timeout: SLOW }, () => {
  it('stops at a disk sync that fails (EIO) with exit code 74, having answered nothing; on a good disk the next run takes everything in', async () => {
    const data = tempDir();
    const preload = join(REPO, 'src', 'testing', 'fail-fsync.mjs');
    const failing = await runCli(['ingest', FIXTURE_MAIL, '--data', data], { NODE_OPTIONS: `--import ${preload}` });
    expect(failing.status).toBe(74);
    const fatal = failing.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: number; msg: string; code: string; path: string });
    expect(fatal).toEqual([expect.objectContaining({ level: 60, code: 'EIO', msg: expect.stringContaining('a disk sync failed') })]);
    expect(fatal[0]!.path.startsWith(data)).toBe(true);
    expect(existsSync(join(data, 'outbox')) ? outboxFiles(data) : []).toEqual([]);
    // Nothing half-recorded: the message whose file could not be synced has no row either.
    expect((await runCli(['messages', '--json', '--data', data])).stdout.trim()).toBe('');
    const again = await runCli(['ingest', FIXTURE_MAIL, '--data', data]);
    expect(again.stdout).toMatch(/^15 message\(s\): 15 decided, 0 already known, 0 error\(s\)$/m);
    expect(again.status).toBe(0);
  }, SLOW);

  it('output piped into a reader that stops early (`| head -1`) is dropped quietly; the command ends with its own exit code', async () => {
    const data = tempDir();
    expect((await runCli(['ingest', FIXTURE_MAIL, '--data', data])).status).toBe(0);
    // The reader is gone before the first line: every write meets a closed pipe (EPIPE).
    const closedPipe = async (args: string[]) => {
      const child = startCli(args);
      child.stdout!.destroy();
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const [code] = await new Promise<[number | null, string | null]>((r) => child.once('close', (c, sig) => r([c, sig])));
      return { code, stderr };
    };
    const listing = await closedPipe(['messages', '--json', '--data', data]);
    expect(listing.stderr).not.toMatch(/EPIPE|Error/);
    expect(listing.code).toBe(0);
    // A mailbox not synced for an hour: `intake health | grep -q ...` must still see exit code 1.
    const db = new SQLite(join(data, 'intake.db'));
    db.prepare("insert into mailbox_health (account, mailbox, state, idle, last_sync_at, unreachable_after_ms, updated_at) values ('jjszjjb@sina.com@imap.sina.com', 'INBOX', 'disconnected', 1, ?, 60000, ?)").run(new Date(Date.now() - 3600_000).toISOString(), new Date().toISOString());
    db.close();
    const health = await closedPipe(['health', '--data', data]);
    expect(health.stderr).not.toMatch(/EPIPE|Error/);
    expect(health.code).toBe(1);
  }, SLOW);

  it('ingest, messages --json, status --json', async () => {
    const data = tempDir();
    const ingest = await runCli(['ingest', FIXTURE_MAIL, '--data', data]);
    expect(ingest.stderr).toBe('');
    expect(ingest.stdout).toMatch(/^15 message\(s\): 15 decided, 0 already known, 0 error\(s\)$/m);
    expect(ingest.status).toBe(0);

    const lines = (await runCli(['messages', '--json', '--data', data])).stdout.trim().split('\n');
    expect(lines).toHaveLength(15);
    const first = JSON.parse(lines[0]!);
    for (const key of ['source', 'messageId', 'from', 'subject', 'receivedAt', 'unit', 'evidence', 'documents', 'late', 'reply']) expect(first).toHaveProperty(key);
    expect(first).toMatchObject({
      source: fixtureMail('01-xunyang-complete.eml'),
      messageId: '<20210715093012.xy01@163.com>',
      from: 'xyqzgh@163.com',
      receivedAt: '2021-07-15T01:30:12.000Z',
      unit: 'xunyang',
      late: false,
      reply: 'ack',
      documents: [
        { filename: '浔阳区参赛报名表.xlsx', kind: 'registration', readable: true },
        { filename: '浔阳区竞赛实施方案.docx', kind: 'plan', readable: true },
      ],
    });
    expect(first.evidence[0]).toEqual({ signal: 'address', unit: 'xunyang', match: 'xyqzgh@163.com', weight: 3 });

    const status = JSON.parse((await runCli(['status', '--json', '--data', data])).stdout);
    const duchang = status.units.find((u: { unit: string }) => u.unit === 'duchang');
    expect(duchang).toMatchObject({ complete: true, onTime: false, late: true });
    expect(status.totals).toMatchObject({ complete: 8, completeOnTime: 7, review: 1 });

    const table = (await runCli(['messages', '--data', data])).stdout;
    expect(table).toContain('浔阳区报送劳动和技能竞赛参赛报名表及实施方案');

    // A second ingest of the same files changes nothing and sends nothing.
    const before = outboxFiles(data).length;
    expect((await runCli(['ingest', FIXTURE_MAIL, '--data', data])).stdout).toMatch(/^15 message\(s\): 0 decided, 15 already known/m);
    expect(outboxFiles(data)).toHaveLength(before);

    // A person sets a receipt time: the message is decided again, an answer already sent is not repeated.
    const receipt = await runCli(['receipt', '1', '2021-07-15 09:30', '--note', '网页版显示 09:30 收到', '--data', data]);
    expect(receipt.stdout).toMatch(/^message #1: received 2021-07-15 09:30:12 \(received-header\) -> 2021-07-15 09:30:00 \(person\); on time; reply ack/m);
    expect(receipt.status).toBe(0);
    expect(outboxFiles(data)).toHaveLength(before);
    const noNote = await runCli(['receipt', '1', '2021-07-15 09:30', '--data', data]);
    expect(noNote.stderr).toMatch(/required option '--note <evidence>'/);
    const badTime = await runCli(['receipt', '1', '15/07/2021', '--note', 'x', '--data', data]);
    expect(badTime.stderr).toMatch(/"15\/07\/2021" is not a time: write it as YYYY-MM-DD HH:MM/);
    expect(badTime.status).toBe(2);
  }, SLOW);

  it('rules check: OK, and file:line:column with exit code 2 on a mistake', async () => {
    expect(await runCli(['rules', 'check'])).toMatchObject({ status: 0, stdout: expect.stringMatching(/^rules OK: 43 units/) });
    const rules = copyRules();
    const p = join(rules, 'campaign.yaml');
    writeFileSync(p, readFileSync(p, 'utf8').replace('mailbox: jjszjjb@sina.com', 'mailbox: jjszjjb'));
    const bad = await runCli(['rules', 'check', '--rules', rules]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:10: mailbox: must be an email address`));
  }, SLOW);

  it('run: seeds the demo inbox, answers it, prints the status table, then takes new mail as it arrives', async () => {
    const data = tempDir();
    const child = startCli(['run', '--data', data], { POLL_SECONDS: '1' });
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const waitFor = async (cond: () => boolean, what: string) => {
      for (let i = 0; i < 600 && !cond(); i++) await new Promise((r) => setTimeout(r, 100));
      if (!cond()) throw new Error(`timed out waiting for ${what}; stdout:\n${stdout}`);
    };
    try {
      await waitFor(() => stdout.includes('Watching'), 'the first status table');
      expect(stdout).toMatch(/xunyang\s+浔阳区总工会\s+07-15 09:30\s+07-15 09:30\s+complete/);
      expect(outboxFiles(data)).toHaveLength(10);
      // One reading process: the one `intake run` starts before it loads the rest (cli.ts) is the
      // one its service reads with, not a second one beside it.
      const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      expect(children.map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').find((a) => a.includes('read-worker')))).toEqual([expect.stringContaining('read-worker')]);
      // With the service's garbage-collector settings (src/util/v8-flags.ts).
      expect(readFileSync(`/proc/${children[0]}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining([...SERVICE_V8_FLAGS]));
      copyFileSync(fixtureMail('15-yongxiu-corrupt-attachment.eml'), join(data, 'inbox', 'new', '1626999999.M99P1.test'));
      await waitFor(() => outboxFiles(data).length === 11, 'the reply to the new message');
      expect(outboxFiles(data).some((f) => f.includes('.missing.'))).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(0);
  }, SLOW);

  /** `total` submissions, one unit after another, received on 20 July, as files named by `file`. */
  async function writeSubmissions(total: number, file: (i: number) => string): Promise<void> {
    const units = loadRules(RULES_DIR).units;
    for (let i = 0; i < total; i++) writeFileSync(file(i), await submissionMail(units[i % units.length]!, i, new Date(Date.UTC(2021, 6, 20, 2, i))));
  }

  /**
   * The CLI leading a process group of its own, as a terminal starts it: Ctrl-C there signals the
   * whole group, the reading process too.
   */
  function startInGroup(args: string[], env: NodeJS.ProcessEnv = {}) {
    const child = startCli(args, env, { ownGroup: true });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
    const running = () => child.exitCode === null && child.signalCode === null;
    return { child, exited, running, stderr: () => stderr, interrupt: () => process.kill(-child.pid!, 'SIGINT'), kill: () => running() && process.kill(-child.pid!, 'SIGKILL') };
  }

  /** Reads the data folder's database, read-only, while or after the CLI writes it. */
  function withDb<T>(data: string, read: (db: SQLite.Database) => T): T {
    const db = new SQLite(join(data, 'intake.db'), { readonly: true, fileMustExist: true });
    try {
      return read(db);
    } finally {
      db.close();
    }
  }
  const count = (db: SQLite.Database, sql: string) => (db.prepare(sql).get() as { n: number }).n;

  /** A Maildir holding a deadline-day backlog of `total` submissions, and `intake run` started on it once one is decided. */
  async function runOnBacklog(total: number) {
    const data = tempDir();
    const inbox = join(data, 'inbox');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(inbox, sub), { recursive: true });
    await writeSubmissions(total, (i) => join(inbox, 'new', `1626900000.M${i}P1.test`));
    const run = startInGroup(['run', '--data', data], { INBOX_DIR: inbox });
    const decided = () => {
      try {
        return withDb(data, (db) => count(db, "select count(*) n from messages where status = 'decided'"));
      } catch {
        return 0; // not created or not migrated yet
      }
    };
    for (let i = 0; i < 1200 && decided() === 0 && run.running(); i++) await new Promise((r) => setTimeout(r, 50));
    return { data, inbox, decided, ...run };
  }

  it('run: Ctrl-C pressed again and again while it stops: it exits (130 once a second one is taken), never dies of the signal', async () => {
    const run = await runOnBacklog(20);
    try {
      expect(run.decided()).toBeGreaterThan(0);
      // Signals sent back to back can merge into one, so they keep coming until it has gone.
      const again = setInterval(() => run.running() && run.interrupt(), 10);
      run.interrupt();
      const end = await run.exited;
      clearInterval(again);
      expect(end.signal).toBeNull();
      expect([0, 130]).toContain(end.code);
    } finally {
      run.kill();
    }
  }, SLOW);

  it('ingest: Ctrl-C ends it at once by exiting (130), so its reading processes go with it', async () => {
    const data = tempDir();
    const inbox = join(data, 'inbox');
    mkdirSync(inbox, { recursive: true });
    await writeSubmissions(20, (i) => join(inbox, `${i}.eml`));
    const ingest = startInGroup(['ingest', inbox, '--data', data]);
    try {
      for (let i = 0; i < 1200 && !existsSync(join(data, 'raw')) && ingest.running(); i++) await new Promise((r) => setTimeout(r, 50));
      ingest.interrupt();
      expect(await ingest.exited).toEqual({ code: 130, signal: null });
    } finally {
      ingest.kill();
    }
    // What it did not finish, the next ingest does, each message answered once.
    const next = await runCli(['ingest', inbox, '--data', data]);
    expect(next.stdout).toMatch(/^20 message\(s\): \d+ decided, \d+ already known, 0 error\(s\)$/m);
    expect(outboxFiles(data)).toHaveLength(20);
  }, SLOW);

  it('run: Ctrl-C during a backlog stops after the message in flight, blames no file, and the next start takes the rest', async () => {
    const total = 40;
    const run = await runOnBacklog(total);
    const { data, inbox } = run;
    try {
      expect(run.decided()).toBeGreaterThan(0);
      run.interrupt();
      expect(await run.exited).toEqual({ code: 0, signal: null });
    } finally {
      run.kill();
    }
    expect(run.stderr()).not.toMatch(/cycle failed|"level":50/);
    withDb(data, (db) => {
      // Stopped well before the backlog was done, with nothing recorded against a file or a message.
      expect(count(db, "select count(*) n from messages where status = 'decided'")).toBeLessThan(total);
      expect(count(db, 'select count(*) n from documents where readable = 0')).toBe(0);
      expect(count(db, "select count(*) n from messages where status = 'error'")).toBe(0);
    });
    const next = await runCli(['ingest', inbox, '--data', data], { INBOX_DIR: inbox });
    expect(next.stdout).toMatch(new RegExp(`^${total} message\\(s\\): \\d+ decided, \\d+ already known, 0 error\\(s\\)$`, 'm'));
    withDb(data, (db) => {
      expect(db.prepare('select status, count(*) n from messages group by status').all()).toEqual([{ status: 'decided', n: total }]);
      expect(db.prepare('select count(*) n, count(distinct message_row) d from outbox').get()).toEqual({ n: total, d: total });
      expect(count(db, 'select count(*) n from documents where readable = 0')).toBe(0);
    });
    expect(outboxFiles(data)).toHaveLength(total);
  }, SLOW);
});

describe('a crash (SIGKILL) at any point of a message or reply life', { timeout: SLOW }, () => {
  const points = ['archive', 'parse', 'expand', 'read', 'classify', 'match', 'decide', 'reply-claimed', 'reply-handed-over', 'reply-sent'];
  it.each(points)('at %s: after restart every message is decided and answered exactly once', async (point) => {
    const data = tempDir();
    const files = [fixtureMail('01-xunyang-complete.eml'), fixtureMail('03-xiushui-form-only-gb2312.eml')];
    const crashed = await runCli(['ingest', ...files, '--data', data], { INTAKE_CRASH_AT: point });
    expect(crashed.signal).toBe('SIGKILL');
    const again = await runCli(['ingest', ...files, '--data', data]);
    expect(again.status).toBe(0);
    const messages = (await runCli(['messages', '--json', '--data', data])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(messages.map((m) => [m.status, m.reply, m.replyStatus])).toEqual([
      ['decided', 'ack', 'sent'],
      ['decided', 'missing', 'sent'],
    ]);
    expect(outboxFiles(data).sort()).toEqual([expect.stringMatching(/^intake\.1\.ack\./), expect.stringMatching(/^intake\.2\.missing\./)]);
  }, SLOW);
});
