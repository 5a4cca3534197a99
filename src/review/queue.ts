import { messageReports, type MessageReport } from '../report/messages.js';
import type { Db } from '../store/db.js';

/**
 * Messages waiting for a person: those intake sent to review (no unit it could trust, or a
 * submission it cannot read by itself such as cloud links) and those that ended in an error,
 * until a person assigns them.
 */
export async function reviewQueue(db: Db): Promise<MessageReport[]> {
  const rows = await db
    .selectFrom('messages')
    .select('id')
    .where('assigned_at', 'is', null)
    .where((eb) => eb.or([eb('reply_kind', '=', 'review'), eb('status', '=', 'error')]))
    .orderBy('received_at')
    .execute();
  return messageReports(db, { ids: rows.map((r) => r.id) });
}
