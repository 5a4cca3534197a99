import { createTask, parse, type ScheduledTask } from 'node-cron';
import type { App } from '../service/app.js';
import { formatLocalTime } from '../util/time.js';
import { queueDigest, type QueuedDigest } from './send.js';

export interface DigestScheduleOptions {
  /** Delivers what was queued (`intake run` passes its outbox flush). */
  deliver: () => Promise<unknown>;
  now?: () => Date;
}

type ScheduleApp = Pick<App, 'db' | 'rules' | 'raw' | 'log' | 'settings'>;

const localDay = (d: Date | string, tz: string) => formatLocalTime(d, tz).slice(0, 10);
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/**
 * The daily digest inside `intake run`: node-cron fires at each time of `digest.cron` (read in
 * the digest's zone), on the days from the campaign's opening to `until_days_after_deadline`
 * days after the deadline. Each scheduled time is one slot, recorded in the digests table, so a
 * slot is sent at most once however often it fires, restarts or runs in two processes. A slot
 * missed while intake was down is sent once when it starts again, the same day only: the next
 * morning's digest says everything a stale one would.
 */
export class DigestSchedule {
  private readonly task: ScheduledTask;
  private readonly zone: string;
  private readonly seconds: number[];
  private readonly now: () => Date;
  private warnedNoRecipients = false;
  /** Digests being queued or delivered now: a stop waits for them. */
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    private readonly app: ScheduleApp,
    private readonly opts: DigestScheduleOptions,
  ) {
    const c = app.rules.campaign;
    this.zone = c.digest.timezone ?? c.timezone;
    this.now = opts.now ?? (() => new Date());
    this.seconds = [...parse(c.digest.cron).second].sort((a, b) => b - a);
    const log = app.log.child({ component: 'digest-schedule' });
    this.task = createTask(c.digest.cron, (ctx) => this.fire(ctx.date), {
      timezone: this.zone,
      name: 'digest',
      noOverlap: true,
      logger: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error({ err: String(m) }, 'node-cron'), debug: (m) => log.debug(String(m)) },
    });
    // A tick the event loop was too busy to run is still that slot's digest.
    this.task.on('execution:missed', (ctx) => void this.fire(ctx.date));
  }

  /** The digest runs on the days from the opening to a few days after the deadline. */
  inWindow(slot: Date): boolean {
    const c = this.app.rules.campaign;
    const day = localDay(slot, this.zone);
    if (c.opens && day < localDay(c.opens, this.zone)) return false;
    return day <= addDays(localDay(c.deadline, this.zone), c.digest.until_days_after_deadline);
  }

  /** The latest scheduled time at or before `now` on the same day (in the digest's zone). */
  latestSlotToday(now: Date): Date | null {
    const today = localDay(now, this.zone);
    const minute = Math.floor(now.getTime() / 60_000) * 60_000;
    for (let m = minute; localDay(new Date(m), this.zone) === today; m -= 60_000) {
      for (const s of this.seconds) {
        const t = new Date(m + s * 1000);
        if (t.getTime() <= now.getTime() && this.task.match(t)) return t;
      }
    }
    return null;
  }

  /** Queues the digest of one scheduled time (once) and delivers it. Never throws. */
  fire(at: Date): Promise<QueuedDigest | null> {
    if (this.stopped) return Promise.resolve(null);
    const run = this.fireOnce(at);
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return run;
  }

  private async fireOnce(at: Date): Promise<QueuedDigest | null> {
    const slot = new Date(Math.floor(at.getTime() / 1000) * 1000);
    const log = this.app.log;
    try {
      if (!this.inWindow(slot)) {
        log.debug({ slot: slot.toISOString() }, 'digest not due: outside the campaign days');
        return null;
      }
      if (this.app.rules.campaign.staff.digest_recipients.length === 0) {
        if (!this.warnedNoRecipients) log.warn('no digest sent: campaign.yaml staff.digest_recipients is empty');
        this.warnedNoRecipients = true;
        return null;
      }
      const queued = await queueDigest(this.app, { slot: slot.toISOString(), trigger: 'schedule', now: this.now() });
      if (!queued) {
        log.info({ slot: slot.toISOString() }, 'digest for this time already recorded; not sent again');
        return null;
      }
      log.info({ digest: queued.digest, slot: queued.slot, recipients: queued.recipients.length, outbox: queued.outbox }, 'digest queued');
      await this.opts.deliver();
      return queued;
    } catch (err) {
      log.error({ slot: slot.toISOString(), err: (err as Error).message }, 'digest failed; the next scheduled time tries again');
      return null;
    }
  }

  /**
   * On start: today's latest slot, if it passed while intake was down and no digest went out
   * since (a scheduled one for it, or one sent by hand after it).
   */
  async catchUp(now: Date = this.now()): Promise<QueuedDigest | null> {
    const slot = this.latestSlotToday(now);
    if (!slot || !this.inWindow(slot)) return null;
    const since = await this.app.db
      .selectFrom('digests')
      .select('id')
      .where((eb) => eb.or([eb('slot', '=', slot.toISOString()), eb('generated_at', '>=', slot.toISOString())]))
      .executeTakeFirst();
    if (since || this.stopped) return null;
    this.app.log.info({ slot: slot.toISOString() }, 'digest missed while intake was stopped; sending it now');
    return this.fire(slot);
  }

  start(): void {
    void this.task.start();
    this.app.log.info({ cron: this.app.rules.campaign.digest.cron, timezone: this.zone, next: this.task.getNextRun()?.toISOString() ?? null }, 'digest scheduled');
  }

  /** No more scheduled times; resolves once a digest being queued or delivered is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.task.destroy();
    await Promise.all(this.running);
  }
}
