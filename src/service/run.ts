import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeImap } from '../config/imap.js';
import { DigestSchedule } from '../digest/schedule.js';
import { remindDue } from '../reminders/reminders.js';
import { startReminderSchedule } from '../reminders/schedule.js';
import { campaignStatus } from '../report/status.js';
import { renderStatusTable } from '../report/status-table.js';
import { FileSource } from '../sources/files.js';
import type { ImapWatcher } from '../sources/imap-watcher.js';
import { PipelineStopped } from '../pipeline/pipeline.js';
import type { App } from './app.js';
import { ingestFrom } from './ingest.js';
import { followRulesApplied, latestRulesApplied } from './rules-follow.js';

export const DEMO_MAILBOX = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'demo-mailbox');

/** First start on the embedded default: the inbox is seeded from the demo mailbox. */
export function seedInbox(inboxDir: string, log: App['log']): void {
  if (existsSync(inboxDir)) return;
  cpSync(DEMO_MAILBOX, inboxDir, { recursive: true, preserveTimestamps: true });
  log.info({ inbox: inboxDir }, 'inbox seeded from the demo mailbox');
}

/** Why the service stopped: asked to, or to start again on rules `intake rules apply` applied. */
export type StopReason = { kind: 'stopped' } | { kind: 'rules-applied'; run: { id: number; from_message: number } };

export interface RunHandle {
  /** Resolves when the service has stopped, with why. */
  done: Promise<StopReason>;
  /**
   * Stops after the message being decided and the reply being sent; what is left waits for the
   * next start. Scheduled work already running (a digest) is finished first.
   */
  stop(): void;
}

/** Runs one piece of work at a time, in call order: the service never runs two cycles at once. */
function serialQueue(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => {});
    return run;
  };
}

/** Where the service takes mail from, and how it keeps watching. */
interface Watch {
  /** For the "Watching ..." line; never carries a password. */
  label: string;
  /** Takes in what is waiting; resolves when that first pass is over. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

type Serial = ReturnType<typeof serialQueue>;

/**
 * Replies to one batch go out while the next batch is fetched and decided: on a deadline-day
 * backlog the main process sends while the reading process reads, and a batch's units need not
 * wait for the next batch's decisions. Delivery only delivers (each row is claimed before it
 * goes, so a delivery beside a decision never sends twice); a kick while one is waiting to run
 * adds nothing.
 */
function backgroundDelivery(app: App) {
  let running: Promise<void> = Promise.resolve();
  let waiting = false;
  return {
    kick() {
      if (waiting) return;
      waiting = true;
      running = running.then(async () => {
        waiting = false;
        try {
          await app.flushOutbox();
        } catch (err) {
          app.log.error({ err: (err as Error).message }, 'delivering replies failed; will retry');
        }
      });
    },
    settled: () => running,
  };
}

/** The Maildir (INBOX_DIR): rescanned every POLL_SECONDS and on file events. */
function maildirWatch(app: App, serial: Serial, tookMail: () => Promise<void>): Watch {
  const { settings, log } = app;
  if (settings.seedDemoInbox) seedInbox(settings.inboxDir, log);
  else if (!existsSync(settings.inboxDir)) for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(settings.inboxDir, sub), { recursive: true });
  const source = new FileSource([settings.inboxDir]);
  const cycle = () =>
    serial(async () => {
      try {
        await app.pipeline.recover();
        const n = (await ingestFrom(app, source)).filter((o) => o.status !== 'seen').length;
        await app.flushOutbox();
        return n;
      } catch (err) {
        if (!(err instanceof PipelineStopped)) log.error({ err: (err as Error).message }, 'cycle failed; will retry');
        return 0;
      }
    });
  let busy: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  // File events come in bursts: one more cycle after the running one covers all of them.
  const tick = () => {
    if (busy) {
      again = true;
      return busy;
    }
    busy = (async () => {
      try {
        do {
          let n = 0;
          do {
            again = false;
            n += await cycle();
          } while (again && !stopped);
          if (n > 0 && !stopped) await tookMail().catch((err: unknown) => log.error({ err: (err as Error).message }, 'printing the status failed'));
          // Files that came while the status was printed.
        } while (again && !stopped);
      } finally {
        busy = null;
      }
    })();
    return busy;
  };
  let stopWatch = () => {};
  let timer: NodeJS.Timeout | undefined;
  let debounce: NodeJS.Timeout | undefined;
  return {
    label: settings.inboxDir,
    async start() {
      await cycle();
      // Stopped during the first cycle (a backlog at start): nothing is left to watch with.
      if (stopped) return;
      stopWatch = source.watch(() => {
        clearTimeout(debounce);
        debounce = setTimeout(() => void tick(), 300);
      });
      timer = setInterval(() => void tick(), settings.pollMs);
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(debounce);
      stopWatch();
      await busy;
      await serial(async () => {});
    },
  };
}

/** The IMAP mailbox (IMAP_URL or IMAP_HOST): IDLE, a cron poll, reconnects; see ImapWatcher. */
function imapWatch(app: App, serial: Serial, tookMail: () => Promise<void>): Watch {
  const { settings, log } = app;
  const imap = settings.imap!;
  let watcher: ImapWatcher | null = null;
  let stopped = false;
  const delivery = backgroundDelivery(app);
  // Messages left undecided or in error by an earlier run or attempt, and replies due; a stop
  // (PipelineStopped) ends it quietly.
  const settle = () =>
    serial(async () => {
      await app.pipeline.recover();
      await app.flushOutbox();
    }).catch((err: unknown) => {
      if (!(err instanceof PipelineStopped)) throw err;
    });
  return {
    label: describeImap(imap),
    async start() {
      // Loaded only here: every other command starts faster without the IMAP client.
      const { ImapWatcher } = await import('../sources/imap-watcher.js');
      const w = new ImapWatcher({
        settings: imap,
        db: app.db,
        raw: app.raw,
        log,
        opens: app.rules.campaign.opens ? new Date(app.rules.campaign.opens) : null,
        maxMessageBytes: settings.maxMessageBytes,
        takeAll: (msgs, each) => serial(() => app.pipeline.processAll(msgs, each)),
        afterBatch: async () => delivery.kick(),
        afterSync: async (r) => {
          if (stopped) return;
          // Messages left in error by an earlier attempt are tried again with every sync.
          await settle();
          if (r.taken > 0 && !stopped) await tookMail();
        },
      });
      await settle();
      // Stopped while loading or recovering: never connect.
      if (stopped) return;
      watcher = w;
      await w.start();
    },
    async stop() {
      stopped = true;
      try {
        await watcher?.stop();
      } finally {
        await delivery.settled();
      }
    },
  };
}

/**
 * The service: settle what a previous run left (undecided messages, replies in flight), take in
 * everything new, print the status, then keep watching. One cycle at a time, never two at once.
 */
export async function runService(app: App, out: (s: string) => void = (s) => process.stdout.write(s + '\n'), signal?: AbortSignal): Promise<RunHandle> {
  const { settings } = app;
  const serial = serialQueue();
  const printStatus = async () => out(renderStatusTable(await campaignStatus(app.db, app.rules), app.rules));
  const watch = settings.imap ? imapWatch(app, serial, printStatus) : maildirWatch(app, serial, printStatus);
  let digest: DigestSchedule | null = null;
  let reminders: ReturnType<typeof startReminderSchedule> | null = null;

  // A stop can come at any time, also while the first pass takes in a deadline-day backlog.
  let stopping: Promise<void> | null = null;
  const isStopping = () => stopping !== null;
  let reason: StopReason = { kind: 'stopped' };
  let resolveDone!: (r: StopReason) => void;
  const done = new Promise<StopReason>((r) => (resolveDone = r));
  // Read before the first pass: an apply made while a backlog is taken in is seen afterwards.
  const appliedSince = (await latestRulesApplied(app.db))?.id ?? 0;
  let rulesFollow: { stop(): void } | null = null;
  const stop = () =>
    void (stopping ??= (async () => {
      rulesFollow?.stop();
      app.pipeline.stop();
      app.sender.stop();
      const digestRunning = digest?.stop();
      reminders?.stop();
      await watch.stop().catch((err) => app.log.error({ err: (err as Error).message }, 'stopping the mailbox watch failed'));
      // A digest or reminder run already going or queued finishes before the database is closed.
      await digestRunning;
      await serial(async () => {});
    })().finally(() => resolveDone(reason)));
  signal?.addEventListener('abort', stop, { once: true });
  // A service started again on applied rules listens in its place (commands.ts).
  void done.then(() => signal?.removeEventListener('abort', stop));
  if (signal?.aborted) stop();

  // The reading process loads its libraries while the mailbox is being connected and fetched.
  app.pipeline.warmReaders();
  await watch.start();
  if (isStopping()) return { done, stop };
  await printStatus();
  if (isStopping()) return { done, stop };
  // With replies off a digest or reminder would only be recorded suppressed, and its slot or key
  // would keep the real one from ever going: no schedule at all; once replies are on, the
  // start-up catch-ups send the digest of the day's latest time and queue the reminder in force.
  if (!settings.repliesEnabled) {
    app.log.info({ reason: settings.repliesOffReason }, 'digests and reminders not queued: replies are off');
  } else {
    // Scheduled mail (the staff digest, reminders to units) goes through the same queue as the
    // mailbox, so it never interleaves with a message being decided.
    digest = new DigestSchedule(app, { deliver: () => serial(() => app.flushOutbox()) });
    await digest.catchUp();
    if (isStopping()) return { done, stop };
    digest.start();
    reminders = startReminderSchedule(
      app.rules,
      (now) =>
        serial(async () => {
          const r = await remindDue(app.db, app.rules, now);
          if (r && r.queued.length > 0) app.log.info({ occasion: r.occasion.key, units: r.queued.map((t) => t.unit) }, 'reminders queued');
          await app.flushOutbox();
        }),
      app.log,
    );
  }
  rulesFollow = followRulesApplied({
    db: app.db,
    rulesDir: app.rules.dir,
    log: app.log,
    everyMs: settings.pollMs,
    since: appliedSince,
    applied: (run) => {
      // A stop asked for meanwhile stays a stop.
      if (isStopping()) return;
      app.log.info({ rulesApplied: run.id }, 'rules were applied (intake rules apply): starting again with them');
      reason = { kind: 'rules-applied', run };
      stop();
    },
  });
  out(`\nWatching ${watch.label} (replies: ${settings.repliesEnabled ? (settings.smtp ? settings.smtp.display : settings.outboxDir) : (settings.repliesOffReason ?? 'off')}). Ctrl-C to stop.`);
  return { done, stop };
}
