import type { ItemKind } from '../rules/schema.js';

/** One version of a required item a unit sent. */
export interface ItemVersion {
  item: ItemKind;
  filename: string;
  receivedAt: string;
  late: boolean;
  messageRow: number | null;
}

export interface UnitState {
  /** The version that counts for each item: the newest readable one. */
  current: Partial<Record<ItemKind, ItemVersion>>;
  missing: ItemKind[];
  complete: boolean;
  /** Every required item has a version received on time (what award eligibility needs). */
  completeOnTime: boolean;
}

export function unitState(versions: ItemVersion[], required: readonly ItemKind[]): UnitState {
  const current: Partial<Record<ItemKind, ItemVersion>> = {};
  for (const v of versions) {
    const prev = current[v.item];
    if (!prev || v.receivedAt > prev.receivedAt || (v.receivedAt === prev.receivedAt && (v.messageRow ?? 0) > (prev.messageRow ?? 0))) current[v.item] = v;
  }
  const missing = required.filter((k) => !current[k]);
  const completeOnTime = required.every((k) => versions.some((v) => v.item === k && !v.late));
  return { current, missing, complete: missing.length === 0, completeOnTime };
}
