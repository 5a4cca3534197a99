import { paperMissing, paperStates, type PaperState } from '../paper/paper.js';
import type { Rules } from '../rules/index.js';
import type { ItemKind } from '../rules/schema.js';
import type { Db } from '../store/db.js';
import { unitState, type ItemVersion } from '../submissions/unit-state.js';

/**
 * One required item of a unit. Two facts that differ for a unit complete on time that sends a
 * correction after the deadline: the version that counts now (the newest) is late, while the
 * item was in on time, which is what eligibility rests on.
 */
export interface ItemStatus {
  /** The version that counts: the newest readable one. */
  filename: string;
  receivedAt: string;
  /** That version came after the deadline, as its message did. */
  late: boolean;
  /** Some version of this item came on time. */
  onTime: boolean;
  /** When the newest on-time version came; null when none did. */
  onTimeAt: string | null;
  versions: number;
}

export interface UnitStatus {
  unit: string;
  name: string;
  items: Partial<Record<ItemKind, ItemStatus>>;
  /** What is still due: required items not emailed yet, and "paper" when the campaign requires it. */
  missing: Array<ItemKind | 'paper'>;
  /** Every required emailed item is on file. */
  itemsComplete: boolean;
  /** Every required item is in, the paper copy too when the campaign requires it. */
  complete: boolean;
  /** Complete with everything required received on time (what award eligibility needs). */
  onTime: boolean;
  /** A required item (or the paper copy) came only after the deadline: no version of it on time. */
  late: boolean;
  paper: PaperState;
  messages: number;
}

export interface CampaignStatus {
  deadline: string;
  units: UnitStatus[];
  totals: {
    units: number;
    complete: number;
    completeOnTime: number;
    incomplete: number;
    nothing: number;
    late: number;
    review: number;
    errors: number;
    /** Units whose paper copy is recorded. */
    paperReceived: number;
    /** Replies and reminders a person must look at: refused for good, given up, or held after an interrupted delivery. */
    repliesFailed: number;
    /** Replies and reminders waiting to go (retrying, rate-limited, or not yet sent). */
    repliesWaiting: number;
  };
}

/** Per unit: which required items are in, when, on time or late, complete or not. */
export async function campaignStatus(db: Db, rules: Rules): Promise<CampaignStatus> {
  const items = await db.selectFrom('submission_items').selectAll().orderBy('id').execute();
  const msgCounts = await db.selectFrom('messages').select(['unit_id']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy('unit_id').execute();
  const review = await db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('reply_kind', '=', 'review').executeTakeFirst();
  const errors = await db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'error').executeTakeFirst();
  const outbox = await db.selectFrom('outbox').select(['status']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy('status').execute();
  const outboxCount = (...s: string[]) => outbox.filter((o) => s.includes(o.status)).reduce((n, o) => n + Number(o.n), 0);
  const papers = await paperStates(db, rules);
  const units = rules.units.map((u): UnitStatus => {
    const versions: ItemVersion[] = items
      .filter((i) => i.unit_id === u.id)
      .map((i) => ({ item: i.item as ItemKind, filename: i.filename, receivedAt: i.received_at, late: i.late === 1, messageRow: i.message_row }));
    const state = unitState(versions, rules.campaign.required);
    const out: UnitStatus['items'] = {};
    for (const k of rules.campaign.required) {
      const v = state.current[k];
      if (!v) continue;
      const mine = versions.filter((x) => x.item === k);
      const onTimeAt = mine.filter((x) => !x.late).reduce<string | null>((at, x) => (at === null || x.receivedAt > at ? x.receivedAt : at), null);
      out[k] = { filename: v.filename, receivedAt: v.receivedAt, late: v.late, onTime: onTimeAt !== null, onTimeAt, versions: mine.length };
    }
    const paper = papers.get(u.id)!;
    const paperDue = paper.required && (!paper.received || paper.late);
    return {
      unit: u.id,
      name: u.name,
      items: out,
      missing: [...state.missing, ...(paperMissing(paper) ? (['paper'] as const) : [])],
      itemsComplete: state.complete,
      complete: state.complete && !paperMissing(paper),
      onTime: state.completeOnTime && !paperDue,
      late: Object.values(out).some((i) => !i.onTime) || (paper.required && paper.late),
      paper,
      messages: Number(msgCounts.find((m) => m.unit_id === u.id)?.n ?? 0),
    };
  });
  return {
    deadline: rules.campaign.deadline,
    units,
    totals: {
      units: units.length,
      complete: units.filter((u) => u.complete).length,
      completeOnTime: units.filter((u) => u.onTime).length,
      incomplete: units.filter((u) => !u.complete && (Object.keys(u.items).length > 0 || u.paper.received)).length,
      nothing: units.filter((u) => Object.keys(u.items).length === 0 && !u.paper.received).length,
      late: units.filter((u) => u.late).length,
      review: Number(review?.n ?? 0),
      errors: Number(errors?.n ?? 0),
      paperReceived: units.filter((u) => u.paper.received).length,
      repliesFailed: outboxCount('failed', 'held'),
      repliesWaiting: outboxCount('pending', 'sending'),
    },
  };
}
