import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSettings } from '../config/env.js';
import pino from 'pino';
import { silentLogger, type Logger } from '../log.js';
import { openApp, type App, type OpenOptions } from '../service/app.js';
import { runService, type RunHandle } from '../service/run.js';
import { RULES_DIR, tempDir } from './app.js';
import type { Dovecot } from './dovecot.js';

/** `intake run` in this process, pointed at a test Dovecot. */
export interface RunningIntake {
  app: App;
  dataDir: string;
  /** True when startIntake made the data folder (a test removes it once everything stopped). */
  ownsDataDir: boolean;
  handle: RunHandle;
  /** Everything the service printed (status tables, "Watching ..."). */
  output: string[];
  /** Reply files in the outbox (the file transport), by name. */
  outbox(): string[];
  stop(): Promise<void>;
}

export interface StartIntakeOptions {
  dataDir?: string;
  rulesDir?: string;
  mailbox?: string;
  /** The Dovecot user whose mailbox intake watches (default: the first). */
  user?: string;
  /** Extra environment (IMAP_POLL_CRON, IMAP_AFTER, ...). */
  env?: Record<string, string>;
  log?: Logger;
  /** Reconnect backoff for tests: short, so a restart is noticed within seconds. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Called after each pipeline stage: a test throws here to make a stage fail. */
  afterStage?: OpenOptions['afterStage'];
  /** Stops the service when aborted, also during its first sync (as Ctrl-C does in `intake run`). */
  signal?: AbortSignal;
}

export async function startIntake(dovecot: Dovecot, opts: StartIntakeOptions = {}): Promise<RunningIntake> {
  const dataDir = opts.dataDir ?? tempDir('intake-imap-');
  const env = { ...dovecot.env(opts.mailbox ?? 'INBOX', opts.user), ...opts.env };
  const settings = loadSettings({ rules: opts.rulesDir ?? RULES_DIR, data: dataDir }, env);
  settings.imap!.reconnectMinMs = opts.reconnectMinMs ?? 200;
  settings.imap!.reconnectMaxMs = opts.reconnectMaxMs ?? 2000;
  const app = await openApp(settings, opts.log ?? silentLogger, { afterStage: opts.afterStage });
  const output: string[] = [];
  const handle = await runService(app, (s) => output.push(s), opts.signal);
  let stopped = false;
  return {
    app,
    dataDir,
    ownsDataDir: opts.dataDir === undefined,
    handle,
    output,
    outbox: () => (existsSync(join(dataDir, 'outbox')) ? readdirSync(join(dataDir, 'outbox')).filter((f) => f.endsWith('.eml')) : []),
    async stop() {
      if (stopped) return;
      stopped = true;
      handle.stop();
      await handle.done;
      await app.close();
    },
  };
}

/** Polls `cond` until it holds; a loaded machine gets time, a broken one a clear message. */
export async function waitFor<T>(what: string, cond: () => Promise<T | false | null | undefined> | T | false | null | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A logger that keeps its JSON lines, with the service's redaction, for tests that read logs. */
export function memoryLogger(level = 'debug'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = pino({ level, redact: { paths: ['password', '*.password', 'pass', '*.pass', 'auth', '*.auth'], censor: '[redacted]' } }, { write: (s: string) => void lines.push(s) });
  return { log, lines };
}
