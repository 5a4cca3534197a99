import type { Rules } from '../rules/index.js';
import type { ItemKind } from '../rules/schema.js';
import type { Db } from '../store/db.js';
import { unitState, type ItemVersion } from '../submissions/unit-state.js';

export interface UnitStatus {
  unit: string;
  name: string;
  items: Partial<Record<ItemKind, { filename: string; receivedAt: string; late: boolean; versions: number }>>;
  missing: ItemKind[];
  complete: boolean;
  /** Complete with every required item received on time. */
  onTime: boolean;
  late: boolean;
  messages: number;
}

export interface CampaignStatus {
  deadline: string;
  units: UnitStatus[];
  totals: { units: number; complete: number; completeOnTime: number; incomplete: number; nothing: number; late: number; review: number; errors: number };
}

/** Per unit: which required items are in, when, on time or late, complete or not. */
export async function campaignStatus(db: Db, rules: Rules): Promise<CampaignStatus> {
  const items = await db.selectFrom('submission_items').selectAll().orderBy('id').execute();
  const msgCounts = await db.selectFrom('messages').select(['unit_id']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy('unit_id').execute();
  const review = await db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('reply_kind', '=', 'review').executeTakeFirst();
  const errors = await db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'error').executeTakeFirst();
  const units = rules.units.map((u): UnitStatus => {
    const versions: ItemVersion[] = items
      .filter((i) => i.unit_id === u.id)
      .map((i) => ({ item: i.item as ItemKind, filename: i.filename, receivedAt: i.received_at, late: i.late === 1, messageRow: i.message_row }));
    const state = unitState(versions, rules.campaign.required);
    const out: UnitStatus['items'] = {};
    for (const k of rules.campaign.required) {
      const v = state.current[k];
      if (v) out[k] = { filename: v.filename, receivedAt: v.receivedAt, late: !versions.some((x) => x.item === k && !x.late), versions: versions.filter((x) => x.item === k).length };
    }
    return {
      unit: u.id,
      name: u.name,
      items: out,
      missing: state.missing,
      complete: state.complete,
      onTime: state.completeOnTime,
      late: Object.values(out).some((i) => i.late),
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
      incomplete: units.filter((u) => !u.complete && Object.keys(u.items).length > 0).length,
      nothing: units.filter((u) => Object.keys(u.items).length === 0).length,
      late: units.filter((u) => u.late).length,
      review: Number(review?.n ?? 0),
      errors: Number(errors?.n ?? 0),
    },
  };
}
