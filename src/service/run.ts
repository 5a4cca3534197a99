import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DigestSchedule } from '../digest/schedule.js';
import { campaignStatus } from '../report/status.js';
import { renderStatusTable } from '../report/status-table.js';
import { remindDue } from '../reminders/reminders.js';
import { startReminderSchedule } from '../reminders/schedule.js';
import { FileSource } from '../sources/files.js';
import type { App } from './app.js';
import { ingestFrom } from './ingest.js';

export const DEMO_MAILBOX = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'demo-mailbox');

/** First start on the embedded default: the inbox is seeded from the demo mailbox. */
export function seedInbox(inboxDir: string, log: App['log']): void {
  if (existsSync(inboxDir)) return;
  cpSync(DEMO_MAILBOX, inboxDir, { recursive: true, preserveTimestamps: true });
  log.info({ inbox: inboxDir }, 'inbox seeded from the demo mailbox');
}

export interface RunHandle {
  /** Resolves when the service has stopped. */
  done: Promise<void>;
  stop(): void;
}

/**
 * The service: settle what a previous run left (undecided messages, replies in flight), take in
 * everything new, print the status, then keep watching. One cycle at a time, never two at once.
 */
export async function runService(app: App, out: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<RunHandle> {
  const { settings, log } = app;
  if (settings.seedDemoInbox) seedInbox(settings.inboxDir, log);
  else if (!existsSync(settings.inboxDir)) for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(settings.inboxDir, sub), { recursive: true });
  const source = new FileSource([settings.inboxDir]);

  let running = false;
  let again = false;
  const cycle = async (): Promise<number> => {
    if (running) {
      again = true;
      return 0;
    }
    running = true;
    let processed = 0;
    try {
      do {
        again = false;
        await app.pipeline.recover();
        processed += (await ingestFrom(app, source)).filter((o) => o.status !== 'seen').length;
        await app.flushOutbox();
      } while (again);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'cycle failed; will retry');
    } finally {
      running = false;
    }
    return processed;
  };

  await cycle();
  out(renderStatusTable(await campaignStatus(app.db, app.rules), app.rules));
  const digest = new DigestSchedule(app, { deliver: () => app.flushOutbox() });
  await digest.catchUp();
  digest.start();
  out(`\nWatching ${settings.inboxDir} (replies: ${settings.repliesEnabled ? (settings.smtp ? settings.smtp.display : settings.outboxDir) : (settings.repliesOffReason ?? 'off')}). Ctrl-C to stop.`);
  const reminders = startReminderSchedule(app.rules, async (now) => {
    const r = await remindDue(app.db, app.rules, now);
    if (r && r.queued.length > 0) log.info({ occasion: r.occasion.key, units: r.queued.map((t) => t.unit) }, 'reminders queued');
    await app.flushOutbox();
  }, log);

  let stopWatch = () => {};
  let timer: NodeJS.Timeout | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const tick = async () => {
    const n = await cycle();
    if (n > 0) out(renderStatusTable(await campaignStatus(app.db, app.rules), app.rules));
  };
  let debounce: NodeJS.Timeout | undefined;
  stopWatch = source.watch(() => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void tick(), 300);
  });
  timer = setInterval(() => void tick(), settings.pollMs);
  const stop = () => {
    digest.stop();
    clearInterval(timer);
    clearTimeout(debounce);
    stopWatch();
    reminders.stop();
    const wait = async () => {
      while (running) await new Promise((r) => setTimeout(r, 50));
      resolveDone();
    };
    void wait();
  };
  return { done, stop };
}
