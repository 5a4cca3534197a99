import type { Kysely } from 'kysely';
import type { Rules } from '../rules/index.js';
import type { PaperContext } from '../rules/templates.js';
import type { Database, PaperCopyRow } from '../store/tables.js';
import { formatChineseDate, formatChineseTime, localDay, zonedInstant } from '../util/time.js';

/** A unit's paper copy with the official seal, as status, replies, reminders and the digest see it. */
export interface PaperState {
  /** campaign.yaml paper.required: the unit is complete only with it. */
  required: boolean;
  received: boolean;
  /** The day it arrived, YYYY-MM-DD in the campaign's time zone; null when not received. */
  receivedOn: string | null;
  /** The instant it arrived (ISO 8601, UTC) when staff gave one; null for a day only. */
  receivedAt: string | null;
  /** Arrived after the paper deadline (plus grace). A day alone is on time on the deadline's day. */
  late: boolean;
  /** When staff recorded it, and their note. */
  recordedAt: string | null;
  note: string | null;
  /** The paper copy's deadline (ISO 8601 with offset, as in campaign.yaml). */
  deadline: string;
}

type Reader = Kysely<Database>;

export function paperDeadline(rules: Rules): string {
  return rules.campaign.paper.deadline ?? rules.campaign.deadline;
}

/** The state from a unit's active record (at most one is active at a time). */
export function paperStateOf(row: PaperCopyRow | undefined, rules: Rules): PaperState {
  const base = { required: rules.campaign.paper.required, deadline: paperDeadline(rules) };
  if (!row) return { ...base, received: false, receivedOn: null, receivedAt: null, late: false, recordedAt: null, note: null };
  // A day alone is on time on the deadline's own day (the grace is minutes; it does not move a day).
  const late = row.received_at !== null ? Date.parse(row.received_at) > rules.paperCutoff.getTime() : row.received_on > localDay(paperDeadline(rules), rules.campaign.timezone);
  return { ...base, received: true, receivedOn: row.received_on, receivedAt: row.received_at, late, recordedAt: row.recorded_at, note: row.note };
}

async function activeRows(db: Reader, unit?: string): Promise<PaperCopyRow[]> {
  let q = db.selectFrom('paper_copies').selectAll().where('removed_at', 'is', null).orderBy('id');
  if (unit !== undefined) q = q.where('unit_id', '=', unit);
  return q.execute();
}

/** Every roster unit's paper state, by unit id. This is what the digest reads. */
export async function paperStates(db: Reader, rules: Rules): Promise<Map<string, PaperState>> {
  const rows = await activeRows(db);
  return new Map(rules.units.map((u) => [u.id, paperStateOf(rows.filter((r) => r.unit_id === u.id).at(-1), rules)]));
}

export async function unitPaperState(db: Reader, rules: Rules, unit: string): Promise<PaperState> {
  return paperStateOf((await activeRows(db, unit)).at(-1), rules);
}

/** What a unit still owes on paper: true when the campaign requires it and none is recorded. */
export function paperMissing(p: PaperState): boolean {
  return p.required && !p.received;
}

export function paperContext(p: PaperState, rules: Rules): PaperContext {
  const tz = rules.campaign.timezone;
  return {
    label: rules.campaign.paper.label,
    required: p.required,
    received: p.received,
    received_on: p.receivedOn ? formatChineseDate(p.receivedOn) : '',
    late: p.late,
    deadline: formatChineseTime(p.deadline, tz),
    deliver_to: rules.campaign.paper.deliver_to ?? rules.campaign.organiser.department,
  };
}

export class PaperDateError extends Error {}

/**
 * `--date`: a day (2021-07-20), a local time in the campaign's zone (2021-07-20T10:30 or
 * "2021-07-20 10:30"), or a time with an offset (2021-07-20T10:30+08:00, ...Z).
 */
export function parsePaperDate(text: string, rules: Rules, now: Date): { receivedOn: string; receivedAt: string | null } {
  const tz = rules.campaign.timezone;
  const t = text.trim();
  const usage = `--date ${JSON.stringify(text)}: write a day as YYYY-MM-DD (2021-07-20), or a time as 2021-07-20T10:30 (${tz}) or with an offset, 2021-07-20T10:30+08:00`;
  let receivedOn: string;
  let receivedAt: string | null = null;
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  const local = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)$/.exec(t);
  if (day) {
    const d = new Date(Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])));
    if (d.toISOString().slice(0, 10) !== t) throw new PaperDateError(`${usage} (${t} is not a calendar day)`);
    receivedOn = t;
  } else if (local) {
    const at = zonedInstant(local[1]!, local[2]!, tz);
    if (Number.isNaN(at.getTime()) || localDay(at, tz) !== local[1]) throw new PaperDateError(usage);
    receivedAt = at.toISOString();
    receivedOn = local[1]!;
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(t) && !Number.isNaN(Date.parse(t))) {
    receivedAt = new Date(t).toISOString();
    receivedOn = localDay(receivedAt, tz);
  } else {
    throw new PaperDateError(usage);
  }
  const today = localDay(now, tz);
  if (receivedOn > today || (receivedAt !== null && Date.parse(receivedAt) > now.getTime() + 5 * 60_000)) {
    throw new PaperDateError(`--date ${t} is in the future (today is ${today} in ${tz})`);
  }
  if (rules.campaign.opens && receivedOn < localDay(rules.campaign.opens, tz)) {
    throw new PaperDateError(`--date ${t} is before the campaign opened (${rules.campaign.opens})`);
  }
  return { receivedOn, receivedAt };
}

/**
 * Records a unit's paper copy. Recording again corrects the record: the earlier one is kept,
 * marked removed, so each unit has one paper copy at a time and its history.
 */
export async function recordPaper(db: Reader, rules: Rules, unit: string, opts: { date?: string; note?: string; now?: Date } = {}): Promise<{ state: PaperState; replaced: PaperCopyRow | null }> {
  const now = opts.now ?? new Date();
  const when = opts.date !== undefined ? parsePaperDate(opts.date, rules, now) : { receivedOn: localDay(now, rules.campaign.timezone), receivedAt: now.toISOString() };
  const replaced = await db.transaction().execute(async (trx) => {
    const previous = (await activeRows(trx, unit)).at(-1) ?? null;
    if (previous) await trx.updateTable('paper_copies').set({ removed_at: now.toISOString() }).where('unit_id', '=', unit).where('removed_at', 'is', null).execute();
    await trx
      .insertInto('paper_copies')
      .values({ unit_id: unit, received_on: when.receivedOn, received_at: when.receivedAt, note: opts.note ?? null, recorded_at: now.toISOString(), removed_at: null })
      .execute();
    return previous;
  });
  return { state: await unitPaperState(db, rules, unit), replaced };
}

/** Undoes a mistaken record: the unit has no paper copy again; the record is kept, marked removed. */
export async function undoPaper(db: Reader, unit: string, now = new Date()): Promise<PaperCopyRow | null> {
  const row = (await activeRows(db, unit)).at(-1);
  if (!row) return null;
  await db.updateTable('paper_copies').set({ removed_at: now.toISOString() }).where('id', '=', row.id).execute();
  return row;
}

/** Every record, removed ones too, newest first: what `intake paper --list` prints. */
export async function paperHistory(db: Reader): Promise<PaperCopyRow[]> {
  return db.selectFrom('paper_copies').selectAll().orderBy('id', 'desc').execute();
}
