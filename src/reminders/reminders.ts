import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { campaignContext, itemLabel, onFile } from '../replies/context.js';
import { paperContext, paperMissing, unitPaperState } from '../paper/paper.js';
import { campaignStatus, type UnitStatus } from '../report/status.js';
import type { ReminderTime, Rules } from '../rules/index.js';
import type { ItemKind } from '../rules/schema.js';
import { renderReminder } from '../rules/templates.js';
import type { Db } from '../store/db.js';
import type { OutboxRow } from '../store/tables.js';
import { unitState, type ItemVersion } from '../submissions/unit-state.js';
import { addDays, formatChineseTime, localDay } from '../util/time.js';

/** One reminder occasion: a configured time, or an operator's `intake remind --now`. */
export interface Occasion {
  /** In the outbox key: one reminder per unit and occasion, ever. */
  key: string;
  at: Date;
  days_before: number;
}

export interface ReminderTarget {
  unit: string;
  name: string;
  address: string | null;
  /** Where the address comes from: the address the unit last wrote from, a learned one, the roster. */
  addressFrom: 'last-message' | 'learned' | 'roster' | null;
  missing: Array<ItemKind | 'paper'>;
}

export interface ReminderRun {
  occasion: Occasion;
  /** Units a reminder was queued for now. */
  queued: ReminderTarget[];
  /** Units that already had this occasion's reminder. */
  already: ReminderTarget[];
  /** Incomplete units intake has no address for. */
  noAddress: ReminderTarget[];
}

/**
 * The reminder occasion in force at `now`: the latest configured time that has come, while the
 * deadline has not passed. Only the latest: a service that was down through two reminder times
 * sends one reminder when it starts again, not two.
 */
export function dueOccasion(rules: Rules, now: Date): Occasion | null {
  if (now.getTime() >= Date.parse(rules.campaign.deadline)) return null;
  if (rules.campaign.opens && now.getTime() < Date.parse(rules.campaign.opens)) return null;
  const t = rules.reminderTimes.filter((r) => r.at.getTime() <= now.getTime()).at(-1);
  return t ? scheduled(t) : null;
}

export function nextOccasion(rules: Rules, now: Date): Occasion | null {
  const t = rules.reminderTimes.find((r) => r.at.getTime() > now.getTime() && r.at.getTime() < Date.parse(rules.campaign.deadline));
  return t ? scheduled(t) : null;
}

function scheduled(t: ReminderTime): Occasion {
  return { key: t.at.toISOString(), at: t.at, days_before: t.days_before };
}

/** An operator's extra reminder: at most one a unit a day. */
export function manualOccasion(rules: Rules, now: Date): Occasion {
  const tz = rules.campaign.timezone;
  const today = localDay(now, tz);
  const deadlineDay = localDay(rules.campaign.deadline, tz);
  let days = 0;
  while (addDays(today, days) < deadlineDay) days++;
  return { key: `manual:${today}`, at: now, days_before: days };
}

/** The address a reminder to the unit goes to, and where it comes from. */
async function unitAddress(db: Db, rules: Rules, unit: string): Promise<Pick<ReminderTarget, 'address' | 'addressFrom'>> {
  const own = rules.campaign.mailbox.toLowerCase();
  // The address the unit's last answered message came from (Reply-To honoured by the reply).
  const last = await db
    .selectFrom('outbox')
    .innerJoin('messages', 'messages.id', 'outbox.message_row')
    .select('outbox.to_address')
    .where('outbox.unit_id', '=', unit)
    .where('messages.unit_id', '=', unit)
    .where(sql<string>`lower(outbox.to_address)`, '!=', own)
    .orderBy('messages.received_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (last) return { address: last.to_address, addressFrom: 'last-message' };
  const learned = await db.selectFrom('learned_addresses').select('address').where('unit_id', '=', unit).where('removed_at', 'is', null).orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (learned) return { address: learned.address, addressFrom: 'learned' };
  const roster = rules.units.find((u) => u.id === unit)?.addresses.find((a) => a.toLowerCase() !== own);
  return roster ? { address: roster, addressFrom: 'roster' } : { address: null, addressFrom: null };
}

/** Every unit that is not complete, with the address a reminder would go to. */
export async function reminderTargets(db: Db, rules: Rules): Promise<ReminderTarget[]> {
  const status = await campaignStatus(db, rules);
  const out: ReminderTarget[] = [];
  for (const u of status.units.filter((x) => !x.complete)) out.push({ unit: u.unit, name: u.name, missing: u.missing, ...(await unitAddress(db, rules, u.unit)) });
  return out;
}

function reminderBody(rules: Rules, u: UnitStatus, occasion: Occasion): string {
  const state = unitState(
    rules.campaign.required.flatMap((k) => {
      const i = u.items[k];
      return i ? [{ item: k, filename: i.filename, receivedAt: i.receivedAt, late: i.late, messageRow: null }] : [];
    }),
    rules.campaign.required,
  );
  return renderReminder(rules.templates, {
    campaign: campaignContext(rules),
    unit: { id: u.unit, name: u.name },
    reminder: { days_before: occasion.days_before, at: formatChineseTime(occasion.at, rules.campaign.timezone) },
    on_file: onFile(rules, state),
    missing: u.missing.filter((k): k is ItemKind => k !== 'paper').map((k) => ({ kind: k, label: itemLabel(rules, k) })),
    paper: paperContext(u.paper, rules),
  });
}

/**
 * Queues the occasion's reminder for every incomplete unit with an address, in the outbox with
 * the key `reminder:<unit>:<occasion>`, so no unit ever gets two for one occasion. A reminder
 * expires at the deadline, and is withdrawn if the unit completes before it goes.
 * With `dryRun`, writes nothing and says what it would queue.
 */
export async function queueReminders(db: Db, rules: Rules, occasion: Occasion, opts: { now?: Date; dryRun?: boolean } = {}): Promise<ReminderRun> {
  const now = opts.now ?? new Date();
  const status = await campaignStatus(db, rules);
  const run: ReminderRun = { occasion, queued: [], already: [], noAddress: [] };
  const domain = rules.campaign.mailbox.split('@')[1] ?? 'intake.invalid';
  const compact = occasion.key.replace(/[^0-9A-Za-z]/g, '');
  for (const u of status.units.filter((x) => !x.complete)) {
    const target: ReminderTarget = { unit: u.unit, name: u.name, missing: u.missing, ...(await unitAddress(db, rules, u.unit)) };
    if (target.address === null) {
      run.noAddress.push(target);
      continue;
    }
    const dedupe_key = `reminder:${u.unit}:${occasion.key}`;
    const exists = await db.selectFrom('outbox').select('id').where('dedupe_key', '=', dedupe_key).executeTakeFirst();
    if (exists) {
      run.already.push(target);
      continue;
    }
    if (!opts.dryRun) {
      const inserted = await db
        .insertInto('outbox')
        .values({
          dedupe_key,
          message_row: null,
          unit_id: u.unit,
          kind: 'reminder',
          to_address: target.address,
          subject: rules.campaign.reminders.subject,
          body_text: reminderBody(rules, u, occasion),
          in_reply_to: null,
          references_text: null,
          reply_message_id: `<intake.reminder.${u.unit}.${compact}.${randomBytes(4).toString('hex')}@${domain}>`,
          status: 'pending',
          attempts: 0,
          created_at: now.toISOString(),
          expires_at: rules.campaign.deadline ? new Date(rules.campaign.deadline).toISOString() : null,
        })
        .onConflict((oc) => oc.column('dedupe_key').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
        run.already.push(target);
        continue;
      }
    }
    run.queued.push(target);
  }
  return run;
}

/** The scheduled reminder in force now, queued for the units that have not had it; null when none is due. */
export async function remindDue(db: Db, rules: Rules, now = new Date()): Promise<ReminderRun | null> {
  const occasion = dueOccasion(rules, now);
  return occasion ? queueReminders(db, rules, occasion, { now }) : null;
}

/**
 * For the outbox sender: a reminder to a unit that has completed since it was queued is no
 * longer due. Replies are always due.
 */
export function reminderStillDue(db: Db, rules: Rules): (row: OutboxRow, now: Date) => Promise<string | null> {
  return async (row) => {
    if (row.kind !== 'reminder' || row.unit_id === null) return null;
    const items = await db.selectFrom('submission_items').selectAll().where('unit_id', '=', row.unit_id).execute();
    const versions: ItemVersion[] = items.map((i) => ({ item: i.item as ItemKind, filename: i.filename, receivedAt: i.received_at, late: i.late === 1, messageRow: i.message_row }));
    const state = unitState(versions, rules.campaign.required);
    const paper = await unitPaperState(db, rules, row.unit_id);
    return state.complete && !paperMissing(paper) ? 'the unit has sent everything since the reminder was queued' : null;
  };
}
