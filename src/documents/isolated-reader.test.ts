import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { UnreadableError } from '../containers/budget.js';
import { IsolatedReader } from './isolated-reader.js';
import { ReaderUnavailable } from './reader.js';
import { REPO, tempDir } from '../testing/app.js';
import type { ReadRequest } from './read-worker.js';

/**
 * A scripted reading process: it says ready, records what it is sent, and answers, dies or hangs
 * when the test says so. (The real process is exercised in documents.test.ts and hostile.test.ts.)
 */
class ScriptedChild extends EventEmitter {
  exitCode: number | null = null;
  killed = false;
  readonly received: string[] = [];
  readonly channel = { ref() {}, unref() {} };
  /** The request id each file was sent under, to answer it. */
  readonly lastIds = new Map<string, number>();
  constructor(silent = false) {
    super();
    if (!silent) setImmediate(() => this.emit('message', { id: 0, ready: true }));
  }
  send(m: ReadRequest, cb: (err: Error | null) => void): boolean {
    this.received.push(m.filename);
    this.lastIds.set(m.filename, m.id);
    cb(null);
    return true;
  }
  answer(filename: string): void {
    this.emit('message', { id: this.lastIds.get(filename), ok: { text: `read ${filename}`, tables: [] } });
  }
  /** Node emits 'exit' when the process ends and 'close' once its channel is drained. */
  die(signal: NodeJS.Signals = 'SIGABRT', before?: () => void): void {
    this.exitCode = 134;
    this.emit('exit', null, signal);
    before?.();
    this.emit('close', null, signal);
  }
  /** Ends before saying it is ready. */
  failToStart(): void {
    this.exitCode = 1;
    this.emit('exit', 1, null);
    this.emit('close', 1, null);
  }
  kill(): boolean {
    this.killed = true;
    setImmediate(() => {
      this.emit('exit', null, 'SIGKILL');
      this.emit('close', null, 'SIGKILL');
    });
    return true;
  }
  ref(): void {}
  unref(): void {}
}

function scripted(timeoutMs = 60_000, opts: { silent?: (n: number) => boolean; startTimeoutMs?: number; startRetryMs?: number } = {}) {
  const children: ScriptedChild[] = [];
  const reader = new IsolatedReader({
    soffice: 'off',
    timeoutMs,
    startTimeoutMs: opts.startTimeoutMs ?? 60_000,
    startRetryMs: opts.startRetryMs ?? 60_000,
    spawn: () => {
      const c = new ScriptedChild(opts.silent?.(children.length) ?? false);
      children.push(c);
      return c as unknown as ChildProcess;
    },
  });
  return { reader, children };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};
const file = (name: string) => Buffer.from(name);
const waitUntil = async (cond: () => boolean, ms: number) => {
  for (const end = Date.now() + ms; !cond() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
  expect(cond()).toBe(true);
};
/** The process has exited: gone, or a zombie waiting to be reaped. */
const ended = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0] === 'Z';
  } catch {
    return true;
  }
};

describe('the reading process is kept busy', () => {
  it('has the next files before it has answered the one it is reading, and reads them in order', async () => {
    const { reader, children } = scripted();
    const names = ['a.xlsx', 'b.docx', 'c.docx', 'd.pdf', 'e.docx'];
    const reads = names.map((n) => reader.read(file(n), n, n.endsWith('.pdf') ? 'pdf' : n.endsWith('.xlsx') ? 'xlsx' : 'docx'));
    await until(() => children[0]?.received.length === 4);
    // Four at a time: the fifth waits in the service until the first is answered.
    await new Promise((r) => setTimeout(r, 50));
    expect(children[0]!.received).toEqual(names.slice(0, 4));
    children[0]!.answer('a.xlsx');
    await expect(reads[0]).resolves.toMatchObject({ text: 'read a.xlsx' });
    await until(() => children[0]!.received.length === 5);
    for (const n of names.slice(1)) children[0]!.answer(n);
    for (const [i, n] of names.entries()) await expect(reads[i]).resolves.toMatchObject({ text: `read ${n}` });
    expect(children).toHaveLength(1);
    reader.close();
  });

  it('counts a file’s time limit from when the process turns to it, not from when it was sent', async () => {
    const { reader, children } = scripted(300);
    const a = reader.read(file('a'), 'a.xlsx', 'xlsx');
    const b = reader.read(file('b'), 'b.docx', 'docx');
    await until(() => children[0]?.received.length === 2);
    await new Promise((r) => setTimeout(r, 200));
    children[0]!.answer('a.xlsx');
    await a;
    // b was sent 200 ms ago; it has 300 ms from now.
    await new Promise((r) => setTimeout(r, 200));
    children[0]!.answer('b.docx');
    await expect(b).resolves.toMatchObject({ text: 'read b.docx' });
    reader.close();
  });

  it('blames a crash on the file being read and gives the files behind it to a new process', async () => {
    const { reader, children } = scripted();
    const bomb = reader.read(file('bomb'), 'bomb.xlsx', 'xlsx');
    const fine = reader.read(file('fine'), 'fine.docx', 'docx');
    await until(() => children[0]?.received.length === 2);
    children[0]!.die();
    await expect(bomb).rejects.toMatchObject({ code: 'too-complex', detail: expect.stringContaining('SIGABRT') });
    await until(() => children[1]?.received.length === 1);
    expect(children[1]!.received).toEqual(['fine.docx']);
    children[1]!.answer('fine.docx');
    await expect(fine).resolves.toMatchObject({ text: 'read fine.docx' });
    reader.close();
  });

  it('does not blame the file being read when the process is stopped from outside (SIGTERM, SIGINT, SIGHUP)', async () => {
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      const { reader, children } = scripted();
      const a = reader.read(file('a'), 'a.xlsx', 'xlsx');
      const b = reader.read(file('b'), 'b.docx', 'docx');
      await until(() => children[0]?.received.length === 2);
      children[0]!.die(signal);
      await expect(a).rejects.toBeInstanceOf(ReaderUnavailable);
      await expect(a).rejects.not.toBeInstanceOf(UnreadableError);
      await expect(a).rejects.toThrow(signal);
      // The file behind it is read by a new process.
      await until(() => children[1]?.received.length === 1);
      children[1]!.answer('b.docx');
      await expect(b).resolves.toMatchObject({ text: 'read b.docx' });
      reader.close();
    }
  });

  it('the real process reads on through a Ctrl-C or a SIGTERM meant for the service, while the service is there', async () => {
    const children: ChildProcess[] = [];
    const reader = new IsolatedReader({ soffice: 'off', spawn: (worker, o) => (children.push(fork(worker, o)), children.at(-1)!) });
    try {
      const form = readFileSync(join(REPO, 'fixtures', 'documents', 'form-merged-title.xlsx'));
      const first = await reader.read(form, 'form.xlsx', 'xlsx');
      expect(first.tables.length).toBeGreaterThan(0);
      const pending = reader.read(form, 'form.xlsx', 'xlsx');
      // Both reach every process of a terminal's foreground group or of a service manager's unit.
      process.kill(children[0]!.pid!, 'SIGINT');
      process.kill(children[0]!.pid!, 'SIGTERM');
      await expect(pending).resolves.toEqual(first);
      await new Promise((r) => setTimeout(r, 200));
      await expect(reader.read(form, 'form.xlsx', 'xlsx')).resolves.toEqual(first);
      expect(children).toHaveLength(1);
      expect(children[0]!.exitCode).toBeNull();
      expect(children[0]!.signalCode).toBeNull();
    } finally {
      reader.close();
    }
  }, 60_000);

  it('a service that exits (a second Ctrl-C, a crash) takes with it a reading process stuck in a file', async () => {
    const dir = tempDir();
    const script = join(dir, 'service.mts');
    // A reading process stopped with SIGSTOP runs no handler, as one stuck in synchronous code.
    writeFileSync(
      script,
      `import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { IsolatedReader } from ${JSON.stringify(join(REPO, 'src', 'documents', 'isolated-reader.ts'))};
const kids = [];
const reader = new IsolatedReader({ soffice: 'off', spawn: (w, o) => (kids.push(fork(w, o)), kids.at(-1)) });
await reader.read(readFileSync(${JSON.stringify(join(REPO, 'fixtures', 'documents', 'form-merged-title.xlsx'))}), 'f.xlsx', 'xlsx');
process.kill(kids[0].pid, 'SIGSTOP');
process.stdout.write(String(kids[0].pid));
process.exit(130);
`,
    );
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const p = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.on('close', (code) => resolve({ code, stdout }));
    });
    const pid = Number(out.stdout);
    expect(out.code).toBe(130);
    expect(pid).toBeGreaterThan(0);
    // Gone, or a zombie waiting to be reaped: not a stopped (or running) orphan.
    try {
      await until(() => ended(pid));
    } finally {
      if (!ended(pid)) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a LibreOffice conversion does not outlive a reading process killed while it runs', async () => {
    const dir = tempDir();
    // A stand-in for soffice that hangs, with a child of its own as soffice.bin is of oosplash.
    const soffice = join(dir, 'soffice');
    const pids = join(dir, 'pids');
    writeFileSync(soffice, `#!/bin/sh\nsleep 300 &\necho $$ $! > ${JSON.stringify(pids)}\nwait\n`, { mode: 0o755 });
    const children: ChildProcess[] = [];
    const reader = new IsolatedReader({ soffice, sofficeTimeoutMs: 3000, spawn: (worker, o) => (children.push(fork(worker, o)), children.at(-1)!) });
    let office: number[] = [];
    try {
      const read = reader.read(readFileSync(join(REPO, 'fixtures', 'documents', 'plan.rtf')), 'plan.rtf', 'rtf');
      read.catch(() => {});
      await waitUntil(() => existsSync(pids) && readFileSync(pids, 'utf8').trim().split(' ').length === 2, 30_000);
      office = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
      // As the service does to a process over a file's time limit, or on its way out: no
      // handler of the reading process runs.
      process.kill(children[0]!.pid!, 'SIGKILL');
      await waitUntil(() => office.every(ended), 15_000);
    } finally {
      reader.close();
      for (const pid of office) if (!ended(pid)) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('replaces a process stuck on one file; the file behind it is read by the next process', async () => {
    const { reader, children } = scripted(100);
    const stuck = reader.read(file('loop'), 'loop.pdf', 'pdf');
    const fine = reader.read(file('fine'), 'fine.docx', 'docx');
    await expect(stuck).rejects.toMatchObject({ code: 'timeout' });
    expect(children[0]!.killed).toBe(true);
    await until(() => children[1]?.received.length === 1);
    // A late answer from the killed process is not taken for the new one's.
    children[0]!.answer('fine.docx');
    children[1]!.answer('fine.docx');
    await expect(fine).resolves.toMatchObject({ text: 'read fine.docx' });
    expect(children[1]!.received).toEqual(['fine.docx']);
    reader.close();
  });

  it('takes an answer the process sent just before it died, and blames the file after it', async () => {
    const { reader, children } = scripted();
    const big = reader.read(file('big'), 'big.xlsx', 'xlsx');
    const bomb = reader.read(file('bomb'), 'bomb.xlsx', 'xlsx');
    await until(() => children[0]?.received.length === 2);
    // The answer for big.xlsx is still in the channel when the process ends on bomb.xlsx.
    children[0]!.die('SIGABRT', () => children[0]!.answer('big.xlsx'));
    await expect(big).resolves.toMatchObject({ text: 'read big.xlsx' });
    await expect(bomb).rejects.toMatchObject({ code: 'too-complex' });
    reader.close();
  });

  it('fails the first waiting file when a process cannot start, the files behind it at once, and starts anew after a pause', async () => {
    const { reader, children } = scripted(60_000, { silent: (n) => n === 0, startRetryMs: 150 });
    const a = reader.read(file('a'), 'a.xlsx', 'xlsx');
    const b = reader.read(file('b'), 'b.docx', 'docx');
    await until(() => children.length === 1);
    children[0]!.failToStart();
    await expect(a).rejects.toThrow('exited at start');
    await expect(a).rejects.toBeInstanceOf(ReaderUnavailable);
    // Not the file's fault, and no second start for it: it fails with the first one's reason.
    await expect(b).rejects.toBeInstanceOf(ReaderUnavailable);
    await expect(b).rejects.toThrow(/exited at start.*not started again before/);
    expect(children).toHaveLength(1);
    // The cause may have passed (EAGAIN, a full disk): after the pause a file gets a new process.
    await new Promise((r) => setTimeout(r, 200));
    const c = reader.read(file('c'), 'c.docx', 'docx');
    await until(() => children[1]?.received.length === 1);
    children[1]!.answer('c.docx');
    await expect(c).resolves.toMatchObject({ text: 'read c.docx' });
    reader.close();
  });

  it('gives up on a process that never says it is ready', async () => {
    const { reader, children } = scripted(60_000, { silent: (n) => n === 0, startTimeoutMs: 100, startRetryMs: 150 });
    const a = reader.read(file('a'), 'a.xlsx', 'xlsx');
    const b = reader.read(file('b'), 'b.docx', 'docx');
    await expect(a).rejects.toThrow('did not start');
    await expect(a).rejects.toBeInstanceOf(ReaderUnavailable);
    await expect(b).rejects.toThrow('did not start');
    expect(children[0]!.killed).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    const c = reader.read(file('c'), 'c.docx', 'docx');
    await until(() => children[1]?.received.length === 1);
    children[1]!.answer('c.docx');
    await expect(c).resolves.toMatchObject({ text: 'read c.docx' });
    reader.close();
  });

  it('costs one start timeout per pause, not one per file, while the process keeps hanging at start', async () => {
    const { reader, children } = scripted(60_000, { silent: () => true, startTimeoutMs: 100, startRetryMs: 300 });
    // A read that must fail, and when the pause its error names is over (with a margin).
    const failure = (p: Promise<unknown>) => p.then(() => new Error('read, not failed'), (e: Error) => e);
    const pauseEnd = (err: Error) => Date.parse(/before (\S+)$/.exec(err.message)![1]!) + 50;
    // A backlog's files, as the pipeline sends them: a few at once, then more as those fail.
    const first = ['a', 'b', 'c'].map((n) => reader.read(file(n), `${n}.xlsx`, 'xlsx'));
    for (const p of first) await expect(p).rejects.toBeInstanceOf(ReaderUnavailable);
    let last: Error | null = null;
    for (const n of ['d', 'e', 'f', 'g']) {
      last = await failure(reader.read(file(n), `${n}.docx`, 'docx'));
      expect(last).toBeInstanceOf(ReaderUnavailable);
      expect(last!.message).toContain('not started again before');
    }
    expect(children).toHaveLength(1);
    // After the pause one new attempt; it hangs too, and the next pause is twice as long.
    await new Promise((r) => setTimeout(r, Math.max(0, pauseEnd(last!) - Date.now())));
    await expect(reader.read(file('h'), 'h.xlsx', 'xlsx')).rejects.toThrow(/did not start within \d+ s$/);
    expect(children).toHaveLength(2);
    const next = await failure(reader.read(file('i'), 'i.xlsx', 'xlsx'));
    expect(next.message).toContain('not started again before');
    expect(children).toHaveLength(2);
    // Twice the first pause (300 ms), give or take the time between the failure and the message.
    expect(pauseEnd(next) - Date.now()).toBeGreaterThan(450);
    reader.close();
  });

  it('takes a fork() that throws (E2BIG, ENOMEM) as the reader failing, not the file, and pauses', async () => {
    let n = 0;
    const reader = new IsolatedReader({
      soffice: 'off',
      startRetryMs: 60_000,
      spawn: () => {
        n++;
        throw Object.assign(new Error('spawn E2BIG'), { code: 'E2BIG' });
      },
    });
    const a = reader.read(file('a'), 'a.xlsx', 'xlsx');
    const b = reader.read(file('b'), 'b.docx', 'docx');
    await expect(a).rejects.toBeInstanceOf(ReaderUnavailable);
    await expect(a).rejects.toThrow('could not be started: spawn E2BIG');
    await expect(b).rejects.toThrow(/spawn E2BIG; not started again before/);
    expect(n).toBe(1);
    reader.close();
  });

  it('pauses after a failed warm start too: the first file fails at once with its reason', async () => {
    const { reader, children } = scripted(60_000, { silent: (n) => n === 0, startTimeoutMs: 50 });
    reader.warm();
    await until(() => children[0]?.killed === true);
    await expect(reader.read(file('a'), 'a.xlsx', 'xlsx')).rejects.toThrow(/did not start within .*; not started again before/);
    expect(children).toHaveLength(1);
    reader.close();
  });

  it('after close() while a process starts, reads again with a new process', async () => {
    const { reader, children } = scripted(60_000, { silent: (n) => n === 0 });
    const a = reader.read(file('a'), 'a.xlsx', 'xlsx');
    await until(() => children.length === 1);
    reader.close();
    await expect(a).rejects.toThrow('document reader closed');
    const b = reader.read(file('b'), 'b.docx', 'docx');
    await until(() => children[1]?.received.length === 1);
    children[1]!.answer('b.docx');
    await expect(b).resolves.toMatchObject({ text: 'read b.docx' });
    reader.close();
  });

  it('fails the files it has not read when it is closed', async () => {
    const { reader, children } = scripted();
    const a = reader.read(file('a'), 'a.xlsx', 'xlsx');
    const b = reader.read(file('b'), 'b.docx', 'docx');
    const c = reader.read(file('c'), 'c.docx', 'docx');
    const d = reader.read(file('d'), 'd.docx', 'docx');
    const e = reader.read(file('e'), 'e.docx', 'docx');
    // Four sent to the process, one still waiting in the service.
    await until(() => children[0]?.received.length === 4);
    reader.close();
    for (const p of [a, b, c, d, e]) await expect(p).rejects.toThrow('document reader closed');
    await expect(a).rejects.toBeInstanceOf(ReaderUnavailable);
  });

  it('starts the process before the first file when warmed', async () => {
    const { reader, children } = scripted();
    reader.warm();
    expect(children).toHaveLength(1);
    const a = reader.read(file('a'), 'a.xlsx', 'xlsx');
    await until(() => children[0]!.received.length === 1);
    children[0]!.answer('a.xlsx');
    await expect(a).resolves.toMatchObject({ text: 'read a.xlsx' });
    expect(children).toHaveLength(1);
    reader.close();
  });
});
