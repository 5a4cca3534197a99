import type { Db } from '../store/db.js';
import type { ImapCheckpointRow } from '../store/tables.js';

export type Checkpoint = Omit<ImapCheckpointRow, 'created_at' | 'updated_at'>;

export async function loadCheckpoint(db: Db, account: string, mailbox: string): Promise<Checkpoint | null> {
  const row = await db.selectFrom('imap_checkpoints').selectAll().where('account', '=', account).where('mailbox', '=', mailbox).executeTakeFirst();
  if (!row) return null;
  return { account: row.account, mailbox: row.mailbox, uidvalidity: row.uidvalidity, last_uid: Number(row.last_uid), cutoff: row.cutoff, baseline_uid: Number(row.baseline_uid), baseline_count: Number(row.baseline_count), scan_uid: Number(row.scan_uid) };
}

/**
 * Writes the checkpoint. Callers only ever pass a last_uid whose messages, and every one below
 * it, are archived (or were deliberately left alone as old mail).
 */
export async function saveCheckpoint(db: Db, cp: Checkpoint, now = new Date()): Promise<void> {
  const at = now.toISOString();
  await db
    .insertInto('imap_checkpoints')
    .values({ ...cp, created_at: at, updated_at: at })
    .onConflict((oc) => oc.columns(['account', 'mailbox']).doUpdateSet({ uidvalidity: cp.uidvalidity, last_uid: cp.last_uid, cutoff: cp.cutoff, baseline_uid: cp.baseline_uid, baseline_count: cp.baseline_count, scan_uid: cp.scan_uid, updated_at: at }))
    .execute();
}
