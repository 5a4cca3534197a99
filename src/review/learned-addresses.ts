import type { Db } from '../store/db.js';
import type { LearnedAddressRow } from '../store/tables.js';

/** Addresses learned from people's decisions and not removed, address → unit. */
export async function activeLearnedAddresses(db: Db): Promise<Map<string, string>> {
  const rows = await db.selectFrom('learned_addresses').select(['address', 'unit_id']).where('removed_at', 'is', null).orderBy('id').execute();
  return new Map(rows.map((r) => [r.address, r.unit_id]));
}

export async function learnedAddresses(db: Db, opts: { includeRemoved?: boolean } = {}): Promise<LearnedAddressRow[]> {
  let q = db.selectFrom('learned_addresses').selectAll().orderBy('id');
  if (!opts.includeRemoved) q = q.where('removed_at', 'is', null);
  return q.execute();
}

/**
 * Records that `address` belongs to `unit`. An address learned for another unit before is
 * moved (the old record is marked removed), so each address names one unit at a time.
 */
export async function learnAddress(db: Db, address: string, unit: string, messageRow: number | null, now = new Date()): Promise<'learned' | 'known'> {
  const key = address.toLowerCase();
  return db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('learned_addresses').selectAll().where('address', '=', key).where('removed_at', 'is', null).executeTakeFirst();
    if (current?.unit_id === unit) return 'known';
    if (current) await trx.updateTable('learned_addresses').set({ removed_at: now.toISOString() }).where('id', '=', current.id).execute();
    await trx.insertInto('learned_addresses').values({ address: key, unit_id: unit, message_row: messageRow, learned_at: now.toISOString(), removed_at: null }).execute();
    return 'learned';
  });
}

/** Forgets a learned address; the record stays, marked removed. Returns how many were removed. */
export async function forgetAddress(db: Db, address: string, now = new Date()): Promise<number> {
  const r = await db.updateTable('learned_addresses').set({ removed_at: now.toISOString() }).where('address', '=', address.toLowerCase()).where('removed_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}
