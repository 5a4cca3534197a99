import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UnreadableError } from '../containers/budget.js';
import type { FileFormat } from '../mail/file-format.js';
import { findSoffice } from './libreoffice.js';
import type { DocumentContent, DocumentReader } from './reader.js';
import { TOO_COMPLEX } from './read-document.js';
import type { ReadRequest, ReadResponse } from './read-worker.js';
import { ReaderPool } from './reader-pool.js';

export interface IsolationOptions {
  /** SOFFICE: unset finds LibreOffice, "off" disables it, or a path. */
  soffice?: string;
  /** Longest a file may take to read, LibreOffice conversion included. */
  timeoutMs?: number;
  sofficeTimeoutMs?: number;
  /** Heap of the reading process; a file that needs more is unreadable, the service lives on. */
  maxMemoryMb?: number;
  /** Load pdf.js when the child starts rather than with the first PDF (it takes seconds). */
  preload?: boolean;
}

const FORMATS: readonly FileFormat[] = ['xlsx', 'docx', 'ole', 'pdf', 'text', 'rtf'];

/**
 * Reads documents in a child process: a zip bomb in an .xlsx, a PDF that loops, a sheet that asks
 * for seventeen billion cells cannot hang or exhaust the service. One file at a time; a file
 * that takes longer than the timeout, or makes the reader run out of memory, gets a named error
 * and the child is replaced. The child is started on first use and never keeps the service alive.
 */
export class IsolatedReader implements DocumentReader {
  readonly name = 'isolated';
  readonly formats = FORMATS;
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private readonly timeoutMs: number;

  constructor(private readonly opts: IsolationOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  read(content: Buffer, filename: string, format: FileFormat = 'unknown'): Promise<DocumentContent> {
    if (!FORMATS.includes(format)) return Promise.reject(new UnreadableError('unsupported', '暂不支持读取此格式'));
    const run = this.queue.then(() => this.readNow(content, filename, format));
    this.queue = run.catch(() => {});
    return run;
  }

  /** Ends the child (tests; the service lets it die with the process). */
  close(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
    this.ready = null;
  }

  private start(): Promise<void> {
    if (this.ready && this.child && this.child.exitCode === null) return this.ready;
    const found = findSoffice(this.opts.soffice);
    const here = import.meta.url;
    const worker = fileURLToPath(new URL(here.endsWith('.ts') ? './read-worker.ts' : './read-worker.js', here));
    // Run from source (tests, tsx): the child needs the same TypeScript loader.
    const loader = here.endsWith('.ts') ? ['--import', 'tsx'] : [];
    const child = fork(worker, [], {
      execArgv: [...loader, `--max-old-space-size=${this.opts.maxMemoryMb ?? 1024}`],
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
    this.child = child;
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: { ready?: boolean }) => {
        if (m.ready) {
          child.off('message', onMessage);
          this.idle(child);
          resolve();
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`document reader process exited at start (code ${code})`)));
    });
    return this.ready;
  }

  private busy(child: ChildProcess): void {
    child.ref();
    child.channel?.ref();
  }

  private idle(child: ChildProcess): void {
    child.unref();
    child.channel?.unref();
  }

  private async readNow(content: Buffer, filename: string, format: FileFormat): Promise<DocumentContent> {
    await this.start();
    const child = this.child!;
    const id = this.nextId++;
    this.busy(child);
    return new Promise<DocumentContent>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (child.exitCode === null && !child.killed) this.idle(child);
      };
      const replace = () => {
        child.kill('SIGKILL');
        if (this.child === child) {
          this.child = null;
          this.ready = null;
        }
      };
      const timer = setTimeout(() => {
        done();
        replace();
        reject(new UnreadableError('timeout', `文件读取超时（超过 ${Math.round(this.timeoutMs / 1000)} 秒），文件可能过大或结构异常，请另存后重新发送`));
      }, this.timeoutMs);
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        done();
        if (this.child === child) {
          this.child = null;
          this.ready = null;
        }
        reject(new UnreadableError('too-complex', TOO_COMPLEX, `reader process ended (${signal ?? `exit ${code}`})`));
      };
      const onMessage = (m: ReadResponse) => {
        if (m.id !== id) return;
        done();
        if ('ok' in m) resolve(m.ok);
        else if (m.error.unreadable) reject(new UnreadableError(m.error.code, m.error.message, m.error.detail));
        else reject(Object.assign(new Error(m.error.detail ?? m.error.message), { name: 'ReaderError' }));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ id, format, filename, content: new Uint8Array(content.buffer, content.byteOffset, content.length) } satisfies ReadRequest);
    });
  }
}

const shared = new Map<string, DocumentReader>();

/**
 * What the pipeline uses: a pool of reading processes shared by the whole service, per
 * LibreOffice setting and size. This module does not load the readers themselves; only the
 * children do. Each child is started on first use.
 */
export function isolatedReaders(soffice = process.env.SOFFICE, processes = 1): readonly DocumentReader[] {
  const key = `${soffice ?? ''}\0${processes}`;
  let r = shared.get(key);
  if (!r) shared.set(key, (r = new ReaderPool(Array.from({ length: Math.max(1, processes) }, () => new IsolatedReader({ soffice })))));
  return [r];
}
