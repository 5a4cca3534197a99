import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../log.js';
import type { ReminderTime, Rules } from '../rules/index.js';
import { formatLocalTime } from '../util/time.js';

/** The cron expression that fires at a reminder time, read in the campaign's time zone. */
export function cronExpression(t: ReminderTime, zone: string): string {
  const [day, time] = formatLocalTime(t.at, zone).split(' ') as [string, string];
  const [, month, dom] = day.split('-').map(Number);
  const [hour, minute] = time.split(':').map(Number);
  return `${minute} ${hour} ${dom} ${month} *`;
}

export interface ReminderSchedule {
  /** The reminder times still to come, as scheduled. */
  upcoming: Array<{ at: Date; cron: string }>;
  stop(): void;
}

/**
 * Inside `intake run`: a node-cron task for each reminder time still to come, and an hourly
 * catch-up for a time missed while the machine slept or the clock jumped. `remind` must be
 * idempotent (the outbox key makes it so); it is also called once now, which is the catch-up
 * for a reminder time missed while the service was down.
 */
export function startReminderSchedule(rules: Rules, remind: (now: Date) => Promise<void>, log: Logger, now = new Date()): ReminderSchedule {
  const tz = rules.campaign.timezone;
  const deadline = Date.parse(rules.campaign.deadline);
  if (rules.reminderTimes.length === 0 || now.getTime() >= deadline) return { upcoming: [], stop() {} };
  const fire = (why: string) => {
    remind(new Date()).catch((err: unknown) => log.error({ err: (err as Error).message, why }, 'reminders failed; the hourly catch-up tries again'));
  };
  const upcoming = rules.reminderTimes.filter((t) => t.at.getTime() > now.getTime()).map((t) => ({ at: t.at, cron: cronExpression(t, tz) }));
  const tasks: ScheduledTask[] = upcoming.map((u) => cron.schedule(u.cron, () => fire(`reminder time ${u.at.toISOString()}`), { timezone: tz, name: `reminder ${u.at.toISOString()}`, noOverlap: true }));
  tasks.push(cron.schedule('7 * * * *', () => fire('hourly catch-up'), { timezone: tz, name: 'reminder catch-up', noOverlap: true }));
  log.info({ reminders: upcoming.map((u) => u.at.toISOString()) }, 'reminders scheduled');
  fire('start');
  return {
    upcoming,
    stop() {
      for (const t of tasks) void t.destroy();
    },
  };
}
