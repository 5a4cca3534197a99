import { documentFields } from '../classify/classify-files.js';
import { replyContext } from '../replies/context.js';
import { answeredAlready, type ReplyDecision } from '../replies/decide.js';
import { replyEnvelope } from '../replies/envelope.js';
import { unitNameOf, type Rules } from '../rules/index.js';
import type { ItemKind } from '../rules/schema.js';
import { renderReply } from '../rules/templates.js';
import type { Db } from '../store/db.js';
import type { Transaction } from 'kysely';
import { queuedStatus, type Database, type MessageRow } from '../store/tables.js';
import type { ItemVersion } from '../submissions/unit-state.js';
import { decidedByPerson, evaluate, receivedBefore, type Analysed } from './evaluate.js';
import { unitPaperState } from '../paper/paper.js';

export interface Decision extends ReplyDecision {
  unit: string | null;
  late: boolean;
  /** The outbox row this decision queued, or null when nothing new is due. */
  outboxId: number | null;
}

/** Thrown inside the transaction when another worker decided the message first. */
class AlreadyDecided extends Error {}

export interface CommitOptions {
  /** Decide a message that was decided before (a person's assignment, `rules apply`). */
  redecide?: boolean;
  now?: Date;
  /** Replies are off: the reply is recorded suppressed with this reason, never pending. */
  repliesOffReason?: string | null;
}

/**
 * The decide stage in one transaction: the documents, the unit's items, the decision and the
 * reply in the outbox are written together or not at all. A crash before the commit leaves the
 * message "archived" (decided again on the next run); after it, decided with its reply due
 * exactly once. Returns null when another worker had already decided the message.
 *
 * Replies are at most one per message and kind (the outbox's unique key). When a message is
 * decided again, a new kind of reply is queued only if the unit has not already been answered
 * with something other than "we will review": an acknowledgment that went out is never followed
 * by a contradicting notice for the same message; a reply still waiting is superseded.
 */
export async function commitDecision(db: Db, a: Analysed & { row: MessageRow }, rules: Rules, opts: CommitOptions = {}): Promise<Decision | null> {
  const now = opts.now ?? new Date();
  const { row, files } = a;
  const unit = a.match.unit;
  try {
    return await db.transaction().execute(async (trx) => {
      // Claim first: the write lock (SQLite) or row lock (PostgreSQL) is taken before anything is read.
      const claim = await trx
        .updateTable('messages')
        .set({ status: 'decided', decided_at: now.toISOString() })
        .where('id', '=', row.id)
        .where('status', 'in', opts.redecide ? ['archived', 'error', 'decided'] : ['archived', 'error'])
        .executeTakeFirst();
      if (Number(claim.numUpdatedRows) === 0) throw new AlreadyDecided();

      // Documents, items and replies of a message are written only here, with its status set to
      // decided, and no status leaves decided: a message claimed from archived or error (a first
      // decision, or a retry after an error whose transaction rolled back) has none to replace;
      // only a re-decision may find some.
      const mayHaveEarlier = opts.redecide === true;
      if (mayHaveEarlier) {
        await trx.deleteFrom('submission_items').where('message_row', '=', row.id).execute();
        await trx.deleteFrom('documents').where('message_row', '=', row.id).execute();
      }
      const docIds = new Map<number, number>();
      for (const f of files) {
        const inserted = await trx
          .insertInto('documents')
          .values({
            message_row: row.id,
            seq: f.seq,
            filename: f.filename,
            container_path: f.containerPath,
            content_type: f.contentType || null,
            size: f.size,
            sha256: f.sha256,
            kind: f.classification.kind,
            kinds_json: JSON.stringify(f.classification.kinds),
            readable: f.readable ? 1 : 0,
            error: f.error ? `${f.error.code}: ${f.error.message}${f.error.detail ? ` [${f.error.detail}]` : ''}` : null,
            text: f.content ? f.content.text.slice(0, rules.documents.limits.max_text_chars) : null,
            fields_json: JSON.stringify(documentFields(f, rules.documents.limits.max_text_chars)),
            evidence_json: JSON.stringify(f.classification.evidence),
            format: f.format,
            error_code: f.error?.code ?? null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        docIds.set(f.seq, inserted.id);
      }

      let prior: ItemVersion[] = [];
      let later: ItemVersion[] = [];
      if (unit !== null) {
        const items = (await trx.selectFrom('submission_items').selectAll().where('unit_id', '=', unit).execute()).map((r) => ({
          item: r.item as ItemKind,
          filename: r.filename,
          receivedAt: r.received_at,
          late: r.late === 1,
          messageRow: r.message_row,
        }));
        prior = items.filter((v) => receivedBefore(v, row));
        if (decidedByPerson(row)) later = items.filter((v) => !receivedBefore(v, row) && v.messageRow !== row.id);
      }
      const ev = evaluate(a, prior, rules, later);
      for (const b of ev.brought) {
        await trx
          .insertInto('submission_items')
          .values({ unit_id: unit!, item: b.item, message_row: row.id, document_id: docIds.get(b.seq) ?? null, filename: b.filename, received_at: row.received_at, late: b.late ? 1 : 0, created_at: now.toISOString() })
          .execute();
      }

      const reply = { ...ev.reply };
      let outboxId: number | null = null;
      // Read with their row locks taken (an UPDATE that changes nothing, which both dialects
      // lock for): under PostgreSQL the service's sender may be claiming one of them right now
      // (pending → sending, in a transaction of its own). The read waits for that claim and sees
      // it, so a reply already going out counts as answered; a claim that comes later waits for
      // this commit and finds the reply superseded. (SQLite holds the write lock already.)
      const earlier = mayHaveEarlier ? await trx.updateTable('outbox').set((eb) => ({ id: eb.ref('id') })).where('message_row', '=', row.id).returning(['id', 'kind', 'status']).execute() : [];
      const answered = answeredAlready(earlier, reply.kind);
      if (reply.kind === 'none' || answered) {
        if (answered) reply.reason += `; not answered again: a "${answered.kind}" reply was already sent`;
        await supersede(trx, earlier, null, now);
      } else if (!earlier.some((o) => o.kind === reply.kind)) {
        const envelope = replyEnvelope(a.parsed, row, reply.kind, rules);
        if (envelope) {
          const unitName = unit === null ? null : { id: unit, name: unitNameOf(rules, unit) };
          const paper = unit === null ? undefined : await unitPaperState(trx, rules, unit);
          const body = renderReply(
            rules.templates,
            reply.kind,
            replyContext({ rules, parsed: a.parsed, receivedAt: new Date(row.received_at), unit: unitName, late: ev.late, files, replaced: ev.replaced, state: ev.state, links: a.links, unitsNamed: a.match.scores.map((s) => s.unit), paper, messageRow: row.id }),
          );
          const inserted = await trx
            .insertInto('outbox')
            .values({ ...envelope, body_text: body, message_row: row.id, unit_id: unit, kind: reply.kind, ...queuedStatus(opts.repliesOffReason), attempts: 0, created_at: now.toISOString() })
            .returning('id')
            .executeTakeFirstOrThrow();
          outboxId = inserted.id;
          await supersede(trx, earlier, reply.kind, now);
        } else {
          reply.reason += '; no address to reply to';
        }
      }

      await trx
        .updateTable('messages')
        .set({
          from_address: a.parsed.from?.address ?? null,
          from_name: a.parsed.from?.name ?? null,
          subject: a.parsed.subject,
          message_id: row.message_id ?? a.parsed.messageId,
          unit_id: unit,
          match_json: JSON.stringify(a.match),
          late: ev.late ? 1 : 0,
          reply_kind: reply.kind,
          reply_reason: reply.reason,
          links_json: a.links.length > 0 ? JSON.stringify(a.links) : null,
          error: null,
        })
        .where('id', '=', row.id)
        .execute();
      return { ...reply, unit, late: ev.late, outboxId };
    });
  } catch (err) {
    if (err instanceof AlreadyDecided) return null;
    throw err;
  }
}

/** Replies of other kinds still waiting in the outbox no longer say the truth: never send them. */
async function supersede(trx: Transaction<Database>, earlier: Array<{ id: number; kind: string; status: string }>, keep: string | null, now: Date): Promise<void> {
  const stale = earlier.filter((o) => o.status === 'pending' && o.kind !== keep).map((o) => o.id);
  if (stale.length === 0) return;
  await trx
    .updateTable('outbox')
    .set({ status: 'suppressed', last_error: `superseded ${now.toISOString()}${keep ? ` by a "${keep}" reply` : ''}` })
    .where('id', 'in', stale)
    // Never one already claimed: a reply on its way is not taken back (the rows are locked, so this only restates it).
    .where('status', '=', 'pending')
    .execute();
}
