import type { Logger } from '../log.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { answeredAlready } from '../replies/decide.js';
import type { Db } from '../store/db.js';
import type { OutboxRow } from '../store/tables.js';

/**
 * After a reply to a message failed for good: the reply the message's current decision calls
 * for, when it is owed and was never queued.
 *
 * A message decided again (a person's assignment, `rules apply`) while a reply of another kind
 * was on its way counts that reply as its answer and queues none of its own, so as never to
 * send two that contradict each other. When that reply then fails, the unit has had no answer
 * at all, and `outbox resend` refuses it (the message is no longer decided as it). Deciding the
 * message again now finds nothing sent and queues the reply its decision calls for, once.
 */
export function owedReply(db: Db, pipeline: Pipeline, log: Logger): (failed: OutboxRow) => Promise<void> {
  return async (failed) => {
    if (failed.message_row === null) return;
    const msg = await db.selectFrom('messages').selectAll().where('id', '=', failed.message_row).executeTakeFirst();
    const kind = msg?.reply_kind;
    if (!msg || msg.status !== 'decided' || !kind || kind === 'none' || kind === failed.kind) return;
    const rows = await db.selectFrom('outbox').select(['id', 'kind', 'status']).where('message_row', '=', msg.id).execute();
    // Queued once already (whatever became of it), or another answer did go: nothing is owed.
    if (rows.some((o) => o.kind === kind) || answeredAlready(rows, kind)) return;
    log.warn({ messageRow: msg.id, messageId: msg.message_id, failedReply: failed.id, failedKind: failed.kind, reply: kind }, 'the reply a message counted as its answer failed; deciding the message again to queue the reply it is owed');
    await pipeline.decide(msg, { redecide: true });
  };
}
