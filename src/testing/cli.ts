import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './app.js';

const CLI = join(REPO, 'src', 'cli.ts');

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `ownGroup`: the CLI leads a process group of its own, as a command started in a terminal does. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, opts: { ownGroup?: boolean } = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: REPO, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.ownGroup ?? false });
}

/**
 * Runs the real CLI in a child process (TypeScript through tsx), as an operator would. Never
 * synchronously: peers in the test process (an SMTP server) must keep answering, and vitest's
 * worker must keep answering its runner, while the CLI works.
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = startCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/**
 * `intake run` (or another long-running command) until its output shows `ready` (60 s at most),
 * then SIGTERM: the result says whether it stopped cleanly, with everything it wrote.
 */
export async function runCliUntil(args: string[], env: NodeJS.ProcessEnv, ready: (out: { stdout: string; stderr: string }) => boolean): Promise<CliResult & { ready: boolean }> {
  const child = startCli(args, env);
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once('close', (status, signal) => r([status, signal])));
  let seen = false;
  try {
    for (let i = 0; i < 600 && !(seen = ready(out)) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
  } finally {
    child.kill('SIGTERM');
  }
  const [status, signal] = await closed;
  return { ...out, status, signal, ready: seen };
}

export interface WatchedCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Polls until `cond` holds (120 s at most); fails with what it waited for and all the output. */
  waitFor(cond: () => boolean, what: string): Promise<void>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** A long-running command (`intake run`) whose output a test reads as it goes. */
export function startWatched(args: string[], env: NodeJS.ProcessEnv = {}): WatchedCli {
  const child = startCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    async waitFor(cond, what) {
      for (let i = 0; i < 1200 && !cond(); i++) await new Promise((r) => setTimeout(r, 100));
      if (!cond()) throw new Error(`timed out waiting for ${what}; stdout:\n${stdout}\nstderr:\n${stderr}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
