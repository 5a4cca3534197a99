import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UnreadableError } from '../containers/budget.js';
import type { FileFormat } from '../mail/file-format.js';
import { findSoffice } from './libreoffice.js';
import { ReaderUnavailable, type DocumentContent, type DocumentReader, type ReadHints } from './reader.js';
import { TOO_COMPLEX } from './read-document.js';
import type { ReadRequest, ReadResponse } from './read-worker.js';
import { ReaderPool } from './reader-pool.js';
import { SERVICE_V8_FLAGS } from '../util/v8-flags.js';
import { onProcessExit } from '../util/on-exit.js';

export interface IsolationOptions {
  /** SOFFICE: unset finds LibreOffice, "off" disables it, or a path. */
  soffice?: string;
  /** Longest a file may take to read, LibreOffice conversion included. */
  timeoutMs?: number;
  sofficeTimeoutMs?: number;
  /** Longest the process may take to load its libraries and say it is ready. */
  startTimeoutMs?: number;
  /**
   * After a start fails, reads fail at once for this long (doubling with each failure in a row, up
   * to ten minutes) instead of each file waiting out a start of its own.
   */
  startRetryMs?: number;
  /** Heap of the reading process; a file that needs more is unreadable, the service lives on. */
  maxMemoryMb?: number;
  /** Load pdf.js when the child starts rather than with the first PDF (it takes seconds). */
  preload?: boolean;
}

const FORMATS: readonly FileFormat[] = ['xlsx', 'docx', 'ole', 'pdf', 'text', 'rtf'];

/**
 * Files sent to a reading process before the one it is reading is answered: the next files are
 * already in its queue when it finishes one, so it never waits for the service's event loop (busy
 * deciding another message, ~10 ms) to hand it work. With two (one file waiting) a reader still
 * ran dry on a deadline-day backlog, where a message's two files take a few ms each; four cut the
 * benchmark's backlog by 0.4–0.5 s of 7–8 s (stop 18). The child holds up to three files queued
 * (each at most an attachment's or an archive's expansion limit, inside its heap limit); a crash
 * or timeout blames only the file being read (exited(), arm()).
 */
const IN_FLIGHT = 4;

/** A reading process that could not even be spawned (fork() threw, or emitted 'error'). */
const cannotStart = (err: unknown) => new ReaderUnavailable(`document reader process could not be started: ${err instanceof Error ? err.message : String(err)}`);

/** The longest pause between attempts to start a reading process that keeps failing to start. */
const MAX_START_PAUSE_MS = 10 * 60_000;

/**
 * Signals that stop a process from outside: a closed terminal, an operator's kill, a service being
 * shut down (the reading process outlives SIGINT and SIGTERM once it has started, read-worker.ts,
 * but not SIGHUP). A reader ended by one of them says nothing about the file it was reading.
 * SIGKILL is not among them: it is also how the kernel ends a process that ran the machine out of
 * memory, which a file can cause.
 */
const OUTSIDE_STOPS: readonly string[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

interface Job {
  id: number;
  /** The send failed (the process had already gone): it never had the file, so it is not to blame. */
  unsent?: boolean;
  format: FileFormat;
  filename: string;
  content: Buffer;
  hints?: ReadHints;
  resolve(content: DocumentContent): void;
  reject(err: unknown): void;
}

/**
 * Reading processes alive in this process. They end with the service: a reader idle or between
 * files sees its channel close, and one stuck in a file (synchronous code, which holds back its
 * handlers) is killed here when the service exits, as after a second Ctrl-C or a crash.
 */
const live = new Set<ChildProcess>();
onProcessExit(() => {
  for (const c of live) c.kill('SIGKILL');
});

/** How the reading process is started; tests put a scripted child in its place. */
export type SpawnReader = (worker: string, options: ForkOptions) => ChildProcess;

/**
 * Reads documents in a child process: a zip bomb in an .xlsx, a PDF that loops, a sheet that asks
 * for seventeen billion cells cannot hang or exhaust the service. The child reads one file at a
 * time, in the order sent; a file that takes longer than the timeout (counted from when the child
 * turns to it), or makes the reader run out of memory, gets a named error and the child is
 * replaced. Files sent behind it are innocent: they go to the new child. The child is started on
 * first use or by `warm()`, and never keeps the service alive; after a start fails, the next is
 * tried only after a pause (`startRetryMs`), and files fail at once (ReaderUnavailable) meanwhile.
 */
export class IsolatedReader implements DocumentReader {
  readonly name = 'isolated';
  readonly formats = FORMATS;
  private child: ChildProcess | null = null;
  private ready: Promise<ChildProcess> | null = null;
  /** Not yet sent, in order. */
  private readonly waiting: Job[] = [];
  /** Sent to `child`, in order: the first is being read. */
  private readonly sent: Job[] = [];
  private timer: NodeJS.Timeout | null = null;
  private pumping = false;
  /** Counts close() calls: a start that fails after one belongs to the process close() ended. */
  private closings = 0;
  private nextId = 1;
  /**
   * A start failed: until `until` (performance.now(), so that a clock set back does not stretch
   * it), files fail at once with `error` (see `startRetryMs`).
   */
  private down: { until: number; pauseMs: number; error: ReaderUnavailable } | null = null;
  private readonly timeoutMs: number;
  private readonly spawnReader: SpawnReader;

  constructor(private readonly opts: IsolationOptions & { spawn?: SpawnReader } = {}) {
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.spawnReader = opts.spawn ?? fork;
  }

  read(content: Buffer, filename: string, format: FileFormat = 'unknown', hints?: ReadHints): Promise<DocumentContent> {
    if (!FORMATS.includes(format)) return Promise.reject(new UnreadableError('unsupported', '暂不支持读取此格式'));
    return new Promise<DocumentContent>((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, format, filename, content, hints, resolve, reject });
      void this.pump();
    });
  }

  /**
   * Starts the reading process now, so that its libraries are loaded while the service connects
   * (about half a second here, more on a busy machine) rather than when the first message is read. A failed
   * start is reported by the first read, which tries again.
   */
  warm(): void {
    this.start().catch(() => {});
  }

  /** Ends the child (tests; the service lets it die with the process). Files not yet read fail. */
  close(): void {
    this.closings++;
    const child = this.child;
    this.retire();
    child?.kill('SIGKILL');
    const closed = new ReaderUnavailable('document reader closed');
    for (const job of [...this.sent.splice(0), ...this.waiting.splice(0)]) job.reject(closed);
  }

  private start(): Promise<ChildProcess> {
    if (this.ready && this.child && this.child.exitCode === null) return this.ready;
    const found = findSoffice(this.opts.soffice);
    const here = import.meta.url;
    const worker = fileURLToPath(new URL(here.endsWith('.ts') ? './read-worker.ts' : './read-worker.js', here));
    // Run from source (tests, tsx): the child needs the same TypeScript loader.
    const loader = here.endsWith('.ts') ? ['--import', 'tsx'] : [];
    let child: ChildProcess;
    try {
      child = this.spawnReader(worker, {
        execArgv: [...loader, ...SERVICE_V8_FLAGS, `--max-old-space-size=${this.opts.maxMemoryMb ?? 1024}`],
        serialization: 'advanced',
        // No stdio: the child's libraries chatter, and an orphaned child must not hold the service's pipes.
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
        env: {
          ...process.env,
          INTAKE_READER_SOFFICE: found.path ?? '',
          INTAKE_READER_SOFFICE_REASON: found.reason ?? '',
          INTAKE_READER_SOFFICE_TIMEOUT_MS: String(this.opts.sofficeTimeoutMs ?? 60_000),
          INTAKE_READER_PRELOAD: this.opts.preload ? '1' : '0',
        },
      });
    } catch (err) {
      // fork() itself threw (E2BIG, ENOMEM, EAGAIN) rather than emitting 'error': a start that
      // failed like any other, the reader's and not a file's, with the same pause.
      const failed = cannotStart(err);
      this.startFailed(failed);
      return Promise.reject(failed);
    }
    this.child = child;
    live.add(child);
    child.once('close', () => live.delete(child));
    const startMs = this.opts.startTimeoutMs ?? 60_000;
    const ready = new Promise<ChildProcess>((resolve, reject) => {
      // A process that never says it is ready (a stuck loader) must not hold every read forever.
      const startTimer = setTimeout(() => {
        reject(new ReaderUnavailable(`document reader process did not start within ${Math.round(startMs / 1000)} s`));
        if (this.child === child) this.retire();
        child.kill('SIGKILL');
      }, startMs);
      const onMessage = (m: { ready?: boolean }) => {
        if (m.ready) {
          clearTimeout(startTimer);
          child.off('message', onMessage);
          child.on('message', (r: ReadResponse) => this.answered(child, r));
          if (this.sent.length === 0) this.idle(child);
          resolve(child);
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) => {
        clearTimeout(startTimer);
        reject(new ReaderUnavailable(`document reader process exited at start (${signal ?? `code ${code}`})`));
      });
      // Spawning can fail without an exit (EAGAIN, EMFILE): without a listener that is an uncaught error.
      child.on('error', (err) => {
        clearTimeout(startTimer);
        reject(cannotStart(err));
        if (this.child === child) this.exited(child, null, null, err.message);
      });
    });
    this.ready = ready;
    // Registered before any caller awaits `ready`, so the pause is in place when they go on. A
    // start that fails after close() belongs to the process close() ended, and sets none.
    const closings = this.closings;
    ready.then(
      () => {
        if (closings === this.closings) this.down = null;
      },
      (err: unknown) => {
        if (closings === this.closings) this.startFailed(err);
      },
    );
    // 'close', not 'exit': it comes after every message the process wrote has been delivered, so an
    // answer it sent before it died is taken, not lost with it.
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => this.exited(child, code, signal));
    return ready;
  }

  /** No new start before a pause, doubling with each failure in a row (see `startRetryMs`). */
  private startFailed(err: unknown): void {
    const pauseMs = this.down ? Math.min(MAX_START_PAUSE_MS, this.down.pauseMs * 2) : (this.opts.startRetryMs ?? 30_000);
    const why = err instanceof Error ? err.message : String(err);
    this.down = { until: performance.now() + pauseMs, pauseMs, error: new ReaderUnavailable(`${why}; not started again before ${new Date(Date.now() + pauseMs).toISOString()}`) };
  }

  paused(): boolean {
    return this.down !== null && performance.now() < this.down.until;
  }

  /** Sends waiting files to the child, up to IN_FLIGHT, starting a child when there is none. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiting.length > 0 && this.sent.length < IN_FLIGHT) {
        // A process that could not start: a loader that hangs would otherwise cost every file its
        // own start timeout (a minute each, for every message of a backlog). The messages fail as
        // the reader's, not theirs, and are decided again at the next cycle.
        if (this.paused()) {
          for (const job of this.waiting.splice(0)) job.reject(this.down!.error);
          break;
        }
        let child: ChildProcess;
        const closings = this.closings;
        try {
          child = await this.start();
        } catch (err) {
          // The process close() ended: the files asked for since go to a new one.
          if (closings !== this.closings) continue;
          // A process that cannot start fails one file, the first waiting, as a read would have;
          // the files behind it fail at once until the pause (set by start()) is over, and the
          // first file after it tries a new process (the cause may have passed: EAGAIN, a full disk).
          this.waiting.shift()?.reject(err);
          continue;
        }
        // It may have ended while this waited; the loop then starts another.
        if (child !== this.child || child.exitCode !== null) continue;
        const job = this.waiting.shift()!;
        this.sent.push(job);
        if (this.sent.length === 1) {
          this.busy(child);
          this.arm(child);
        }
        const request: ReadRequest = { id: job.id, format: job.format, filename: job.filename, content: new Uint8Array(job.content.buffer, job.content.byteOffset, job.content.length), hints: job.hints };
        // A channel closed under us: the process had gone before it had this file, so its exit
        // (handled in exited()) does not blame it.
        child.send(request, (err) => {
          if (err) job.unsent = true;
        });
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The time limit of the file the child is now reading. */
  private arm(child: ChildProcess): void {
    this.disarm();
    this.timer = setTimeout(() => {
      this.timer = null;
      const job = this.sent.shift();
      this.retire();
      child.kill('SIGKILL');
      job?.reject(new UnreadableError('timeout', `文件读取超时（超过 ${Math.round(this.timeoutMs / 1000)} 秒），文件可能过大或结构异常，请另存后重新发送`));
      void this.pump();
    }, this.timeoutMs);
  }

  private answered(child: ChildProcess, m: ReadResponse): void {
    const job = this.sent[0];
    if (child !== this.child || !job || m.id !== job.id) return;
    this.sent.shift();
    if (this.sent.length > 0) this.arm(child);
    else {
      this.disarm();
      this.idle(child);
    }
    if ('ok' in m) job.resolve(m.ok);
    else if (m.error.unreadable) job.reject(new UnreadableError(m.error.code, m.error.message, m.error.detail));
    else job.reject(Object.assign(new Error(m.error.detail ?? m.error.message), { name: 'ReaderError' }));
    void this.pump();
  }

  /**
   * The child ended without being told to (out of memory, a crash): the file it was reading is the
   * cause, unless something outside stopped it.
   */
  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, error?: string): void {
    if (child !== this.child) return;
    // A file whose send failed never reached the process: it goes to the next one with the rest.
    const job = this.sent[0]?.unsent ? undefined : this.sent.shift();
    this.retire();
    const how = `reader process ended (${error ?? signal ?? `exit ${code}`})`;
    job?.reject(signal && OUTSIDE_STOPS.includes(signal) ? new ReaderUnavailable(how) : new UnreadableError('too-complex', TOO_COMPLEX, how));
    void this.pump();
  }

  /** Forgets the current child; the files sent to it but not read go first to the next one. */
  private retire(): void {
    this.disarm();
    this.child = null;
    this.ready = null;
    this.waiting.unshift(...this.sent.splice(0));
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private busy(child: ChildProcess): void {
    child.ref();
    child.channel?.ref();
  }

  private idle(child: ChildProcess): void {
    child.unref();
    child.channel?.unref();
  }
}

const shared = new Map<string, DocumentReader>();

/**
 * What the pipeline uses: a pool of reading processes shared by the whole service, per
 * LibreOffice setting and size. This module does not load the readers themselves; only the
 * children do. Each child is started on first use, or by `warm()`.
 */
export function isolatedReaders(soffice = process.env.SOFFICE, processes = 1): readonly DocumentReader[] {
  const key = `${soffice ?? ''}\0${processes}`;
  let r = shared.get(key);
  if (!r) shared.set(key, (r = new ReaderPool(Array.from({ length: Math.max(1, processes) }, () => new IsolatedReader({ soffice })))));
  return [r];
}
