/**
 * `npm run bench`: intake against a real Dovecot on a deadline-day burst, next to a raw baseline.
 *
 *  1. 500 realistic submissions (a registration .xlsx and a plan .docx each, from the 43 units
 *     of rules/units.yaml) are APPENDed to a fresh Dovecot mailbox, INTERNALDATEs spread over
 *     22 July 2021.
 *  2. Raw baseline (scripts/bench/raw-baseline.mjs, a fresh process like intake): imapflow
 *     fetches the same messages, mailparser parses them, exceljs and mammoth read every
 *     attachment; no intake code.
 *  3. intake: `node dist/cli.js run`, with the Node flags `npm start` gives it, as a child
 *     process on an empty data folder; backlog time runs from spawn until every message is
 *     decided and every reply is in the outbox.
 *     Steps 2 and 3 run in rounds (3 by default), baseline then intake, each intake run on a new
 *     data folder: the ratio of a round compares two runs a few seconds apart, and the median
 *     of the rounds is reported with each round's figures (a shared machine's load changes by
 *     the minute; one baseline run took 8 s and the next 20 s here).
 *  4. Live latency, in the last round: with intake idle in IDLE, one message at a time is
 *     APPENDed; latency is from APPEND to its reply file in the outbox.
 *  5. Peak RSS of the intake process and of each of its document-reading processes (VmHWM
 *     from /proc); intake's CPU time counts its reading processes too.
 *
 * The burst sends each unit's address about a dozen replies in one day, over the shipped
 * per-recipient limit (10 a day; the rest would wait a day), so intake runs on a copy of the
 * rules with that limit raised: the benchmark measures the work, not the limit.
 *
 * BENCH_MESSAGES, BENCH_LIVE_SAMPLES and BENCH_ROUNDS change the sizes; BENCH_CPU_PROF=<dir> profiles intake;
 * BENCH_NODE_ARGS passes it more Node options; BENCH_LOG_LEVEL sets its LOG_LEVEL (default warn);
 * BENCH_LINK=<one-way delay ms>,<Mbit/s> reads the mailbox (baseline and intake) across a slow
 * link (scripts/bench/slow-link.mjs), as from a remote provider.
 *
 * Prints one JSON object. The machine's load average is printed with it: figures from a busy
 * machine are slower than the code is.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { loadRules } from '../../src/rules/index.js';
import { REPO, rulesWith, tempDir } from '../../src/testing/app.js';
import { startDovecot, type Dovecot } from '../../src/testing/dovecot.js';
import { submissionMail } from '../../src/testing/submissions.js';
import { SERVICE_V8_FLAGS } from '../../src/util/v8-flags.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 500);
const LIVE_SAMPLES = Number(process.env.BENCH_LIVE_SAMPLES ?? 40);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const DEADLINE_DAY = Date.UTC(2021, 6, 22, 0, 0); // 08:00 China time

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => Math.round(ms) / 1000;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

/** The raw baseline in a fresh process (scripts/bench/raw-baseline.mjs), timed from its start like intake. */
function rawBaseline(d: Dovecot, port: number): { ms: number; cpuMs: number; messages: number; attachments: number } {
  const out = execFileSync(process.execPath, [join(REPO, 'scripts', 'bench', 'raw-baseline.mjs')], {
    env: { ...process.env, BENCH_IMAP_PORT: String(port), BENCH_IMAP_USER: d.user, BENCH_IMAP_PASSWORD: d.password },
    encoding: 'utf8',
  });
  return JSON.parse(out) as { ms: number; cpuMs: number; messages: number; attachments: number };
}

/** BENCH_LINK=<one-way delay ms>,<Mbit/s>, e.g. `15,50`: the mailbox read across a slow link. */
interface Link {
  delayMs: number;
  mbps: number;
  proxy?: { port: number; child: ChildProcess };
}
function parseLink(v: string | undefined): Link | null {
  if (!v) return null;
  const m = /^(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$/.exec(v.trim());
  if (!m) throw new Error(`BENCH_LINK=${v}: expected <one-way delay ms>,<Mbit/s>, e.g. BENCH_LINK=15,50`);
  return { delayMs: Number(m[1]), mbps: Number(m[2]) };
}
const link = parseLink(process.env.BENCH_LINK);

/** scripts/bench/slow-link.mjs in front of Dovecot, in its own process (the baseline runs synchronously here). */
async function startSlowLink(target: number, l: Link): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(REPO, 'scripts', 'bench', 'slow-link.mjs'), String(target), String(l.delayMs), String((l.mbps * 1e6) / 8)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`slow-link.mjs exited with ${code}`)));
  });
  return { port, child };
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time (user + system) a process has used so far, from /proc (in clock ticks, CLK_TCK a second). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

function outboxCount(dir: string): number {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.eml')).length : 0;
}

function progress(db: SQLite.Database): string {
  try {
    const rows = db.prepare("select 'message ' || status s, count(*) n from messages group by status union all select 'reply ' || status || coalesce(' (' || error_class || ')', ''), count(*) from outbox group by status, error_class").all() as Array<{ s: string; n: number }>;
    return rows.map((r) => `${r.n} ${r.s}`).join(', ');
  } catch {
    return 'not migrated';
  }
}

/** The processes a process started (intake's document readers), from /proc. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

interface IntakeRun {
  backlogMs: number;
  cpuMs: number;
  readersCpuMs: number;
  outcomes: unknown[];
  latencies: number[];
  rssMb: number;
  readerRssMb: number[];
}

/**
 * One run of intake on an empty data folder: the backlog from spawn until every message is
 * decided and every reply is in the outbox, then (with `liveSamples`) the live latency.
 */
async function runIntake(dovecot: Dovecot, port: number, rulesDir: string, rules: ReturnType<typeof loadRules>, liveSamples: number): Promise<IntakeRun> {
  const data = tempDir('intake-bench-');
  const outbox = join(data, 'outbox');
  const env = { ...process.env, ...dovecot.env('INBOX', undefined, port), LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', INTAKE_DATA: data };
  const t0 = performance.now();
  // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the intake process, for `node --cpu-prof` tooling.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // As `npm start` runs it (src/util/v8-flags.ts); BENCH_NODE_ARGS adds Node options for the
  // intake process (not its reading processes), to try one.
  const nodeArgs = [...SERVICE_V8_FLAGS, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const child = spawn(process.execPath, [...prof, ...nodeArgs, join(REPO, 'dist', 'cli.js'), 'run', '--rules', rulesDir], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let db: SQLite.Database | null = null;
  try {
    const done = () => {
      if (!db) {
        if (!existsSync(join(data, 'intake.db'))) return false;
        db = new SQLite(join(data, 'intake.db'), { readonly: true, fileMustExist: true });
        db.pragma('busy_timeout = 5000');
      }
      try {
        const decided = (db.prepare("select count(*) n from messages where status in ('decided', 'error')").get() as { n: number }).n;
        const waiting = (db.prepare("select count(*) n from outbox where status in ('pending', 'sending')").get() as { n: number }).n;
        return decided >= MESSAGES && waiting === 0;
      } catch {
        return false; // tables not migrated yet
      }
    };
    // A run that stops making progress (a reply waiting on a limit, a hung reader) fails with
    // what it was waiting for instead of hanging the benchmark.
    let lastProgress = '';
    let lastChange = performance.now();
    while (!done()) {
      await sleep(50);
      const now = db ? progress(db) : '';
      if (now !== lastProgress) [lastProgress, lastChange] = [now, performance.now()];
      else if (performance.now() - lastChange > 120_000) throw new Error(`intake made no progress for 120 s: ${now}`);
    }
    const backlogMs = performance.now() - t0;
    // intake's CPU includes its reading processes' (the baseline reads in its own process).
    const readers = childrenOf(child.pid!);
    const readersCpuMs = readers.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
    const cpuMs = cpuMsOf(child.pid!) + readersCpuMs;
    const outcomes = db!.prepare('select status, reply_kind, count(*) n from messages group by status, reply_kind').all();

    const latencies: number[] = [];
    if (liveSamples > 0) {
      process.stderr.write('live latency ...\n');
      await sleep(2000); // settled, idle in IDLE
      for (let i = 0; i < liveSamples; i++) {
        const unit = rules.units[(i * 7) % rules.units.length]!;
        const raw = await submissionMail(unit, MESSAGES + i, new Date(DEADLINE_DAY + 16 * 3600_000 + i * 1000));
        const n = outboxCount(outbox);
        const t = performance.now();
        await dovecot.appendOne(raw, { date: new Date() });
        while (outboxCount(outbox) === n) await sleep(5);
        latencies.push(performance.now() - t);
        await sleep(1000);
      }
    }
    const rssMb = peakRssMb(child.pid!);
    const readerRssMb = childrenOf(child.pid!).map(peakRssMb);
    return { backlogMs, cpuMs, readersCpuMs, outcomes, latencies, rssMb, readerRssMb };
  } finally {
    // Also when the run failed: the folder is not removed under a running intake.
    child.kill('SIGTERM');
    await exited;
    (db as SQLite.Database | null)?.close();
    rmSync(data, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const loadBefore = loadavg();
  process.stderr.write('building dist/ ...\n');
  execFileSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO, 'tsconfig.build.json')], { stdio: 'inherit' });

  const rulesDir = rulesWith((campaign) => {
    if (!/per_recipient_per_day: \d+/.test(campaign)) throw new Error('rules/campaign.yaml: replies.per_recipient_per_day not found');
    return campaign.replace(/per_recipient_per_day: \d+/, 'per_recipient_per_day: 100000');
  });
  const rules = loadRules(rulesDir);
  const dovecot = await startDovecot();
  try {
    process.stderr.write(`building and appending ${MESSAGES} submissions ...\n`);
    const batch: Array<{ raw: Buffer; date: Date }> = [];
    let bytes = 0;
    for (let i = 0; i < MESSAGES; i++) {
      const unit = rules.units[i % rules.units.length]!;
      const at = new Date(DEADLINE_DAY + Math.floor((i / MESSAGES) * 15.9 * 3600_000));
      const raw = await submissionMail(unit, i, at);
      bytes += raw.length;
      batch.push({ raw, date: at });
    }
    await dovecot.append(batch);
    // BENCH_LINK: the mailbox is read across a slow link (the APPENDs above and below go direct).
    if (link) link.proxy = await startSlowLink(dovecot.port, link);
    const port = link?.proxy?.port ?? dovecot.port;

    // Rounds of (baseline, intake) one right after the other, so that each ratio compares two runs
    // on the same machine under about the same load; the median ratio is reported.
    const rounds: Array<{ baseline: ReturnType<typeof rawBaseline>; intake: IntakeRun }> = [];
    for (let r = 0; r < ROUNDS; r++) {
      process.stderr.write(`round ${r + 1} of ${ROUNDS}: raw baseline ...\n`);
      const baseline = rawBaseline(dovecot, port);
      process.stderr.write(`round ${r + 1} of ${ROUNDS}: intake backlog ...\n`);
      const intake = await runIntake(dovecot, port, rulesDir, rules, r === ROUNDS - 1 ? LIVE_SAMPLES : 0);
      rounds.push({ baseline, intake });
    }
    const last = rounds[rounds.length - 1]!;
    const ratios = rounds.map((r) => r.intake.backlogMs / r.baseline.ms);
    const cpuRatios = rounds.map((r) => r.intake.cpuMs / r.baseline.cpuMs);
    const latencies = last.intake.latencies;
    const rss = Math.max(...rounds.map((r) => r.intake.rssMb));
    // Per reading process, its highest peak over the rounds (a round may have started fewer).
    const readerRss = Array.from({ length: Math.max(...rounds.map((r) => r.intake.readerRssMb.length)) }, (_, i) => Math.max(...rounds.map((r) => r.intake.readerRssMb[i] ?? 0)));
    const round2 = (x: number) => Math.round(x * 100) / 100;

    const result = {
      messages: MESSAGES,
      megabytes: Math.round(bytes / 1e5) / 10,
      backlog: {
        seconds: seconds(median(rounds.map((r) => r.intake.backlogMs))),
        messagesPerSecond: Math.round((MESSAGES / median(rounds.map((r) => r.intake.backlogMs))) * 1e4) / 10,
        cpuSeconds: seconds(median(rounds.map((r) => r.intake.cpuMs))),
        readersCpuSeconds: seconds(median(rounds.map((r) => r.intake.readersCpuMs))),
      },
      baseline: {
        seconds: seconds(median(rounds.map((r) => r.baseline.ms))),
        messagesPerSecond: Math.round((MESSAGES / median(rounds.map((r) => r.baseline.ms))) * 1e4) / 10,
        cpuSeconds: seconds(median(rounds.map((r) => r.baseline.cpuMs))),
        attachments: last.baseline.attachments,
      },
      // The median over rounds of intake's backlog time over the baseline's time just before it
      // (not the quotient of the two medians above, which are printed for scale).
      ratio: round2(median(ratios)),
      // CPU time is what a busy machine disturbs least (wall time also waits for the CPU and fsync).
      cpuRatio: round2(median(cpuRatios)),
      rounds: rounds.map((r, i) => ({ baselineSeconds: seconds(r.baseline.ms), intakeSeconds: seconds(r.intake.backlogMs), ratio: round2(ratios[i]!), baselineCpuSeconds: seconds(r.baseline.cpuMs), intakeCpuSeconds: seconds(r.intake.cpuMs), cpuRatio: round2(cpuRatios[i]!) })),
      live: { samples: latencies.length, p50Ms: Math.round(pct(latencies, 50)), p95Ms: Math.round(pct(latencies, 95)), maxMs: Math.round(Math.max(...latencies)) },
      peakRssMb: rss,
      // Each reading process's own peak (separate heaps; the service's total is at most the sum).
      readerPeakRssMb: readerRss,
      // What the service as a whole may hold at its peak (an upper bound: the peaks may not coincide).
      totalPeakRssMb: rss + readerRss.reduce((a, b) => a + b, 0),
      outcomes: last.intake.outcomes,
      targets: { ratio: 1.5, p95Ms: 2000, peakRssMb: 300 },
      machine: { cpus: cpus().length, node: process.version, loadAverageBefore: loadBefore.map(round2), loadAverageAfter: loadavg().map(round2) },
      ...(link ? { link: { oneWayDelayMs: link.delayMs, megabitsPerSecond: link.mbps } } : {}),
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    link?.proxy?.child.kill();
    await dovecot.cleanup();
    rmSync(join(rulesDir, '..'), { recursive: true, force: true });
  }
}

await main();
