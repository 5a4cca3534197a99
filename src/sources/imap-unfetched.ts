import type { Db } from '../store/db.js';

/** A mailbox under one UIDVALIDITY: unfetched UIDs are only ever looked up under the one they were seen under. */
export interface FolderKey {
  account: string;
  mailbox: string;
  uidvalidity: string;
}

/** Why a message was not had: the server said NO; its answer left it out; the connection closed at it. */
export type UnfetchedCause = 'refused' | 'left-out' | 'dropped';

export interface Unfetched {
  uid: number;
  cause: UnfetchedCause;
  size: number;
  /** null: the server's INTERNALDATE was unreadable. */
  internalDate: Date | null;
  attempts: number;
  error: string;
  firstFailedAt: string;
  lastFailedAt: string;
}

/**
 * A message the server lists but did not hand over: recorded (or its count of attempts raised)
 * before the checkpoint may move past it, so the sync goes on with the mail after it and this one
 * is asked for again at every sync (see syncMailbox).
 */
export async function recordUnfetched(db: Db, key: FolderKey, m: { uid: number; size: number; internalDate: Date | null }, error: string, cause: UnfetchedCause, now: Date): Promise<void> {
  const at = now.toISOString();
  const text = error.slice(0, 1000);
  await db
    .insertInto('imap_unfetched')
    .values({ ...key, uid: m.uid, size: m.size, internal_date: m.internalDate?.toISOString() ?? null, attempts: 1, cause, error: text, first_failed_at: at, last_failed_at: at, resolved_at: null, resolution: null })
    .onConflict((oc) =>
      oc.columns(['account', 'mailbox', 'uidvalidity', 'uid']).doUpdateSet((eb) => ({
        attempts: eb(eb.ref('imap_unfetched.attempts'), '+', 1),
        cause,
        error: text,
        last_failed_at: at,
        // Seen again after it was settled (it came back, or was taken and the row was reused).
        resolved_at: null,
        resolution: null,
      })),
    )
    .execute();
}

/** Unsettled ones of a folder, by UID. */
export async function unfetchedOf(db: Db, key: FolderKey): Promise<Unfetched[]> {
  const rows = await db
    .selectFrom('imap_unfetched')
    .selectAll()
    .where('account', '=', key.account)
    .where('mailbox', '=', key.mailbox)
    .where('uidvalidity', '=', key.uidvalidity)
    .where('resolved_at', 'is', null)
    .orderBy('uid')
    .execute();
  return rows.map((r) => ({
    uid: Number(r.uid),
    cause: r.cause,
    size: Number(r.size),
    internalDate: r.internal_date ? new Date(r.internal_date) : null,
    attempts: r.attempts,
    error: r.error,
    firstFailedAt: r.first_failed_at,
    lastFailedAt: r.last_failed_at,
  }));
}

export async function settleUnfetched(db: Db, key: FolderKey, uid: number, resolution: 'taken' | 'gone', now: Date): Promise<void> {
  await db
    .updateTable('imap_unfetched')
    .set({ resolved_at: now.toISOString(), resolution })
    .where('account', '=', key.account)
    .where('mailbox', '=', key.mailbox)
    .where('uidvalidity', '=', key.uidvalidity)
    .where('uid', '=', uid)
    .execute();
}
