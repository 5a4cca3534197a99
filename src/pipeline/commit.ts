import type { ClassifiedFile } from '../classify/classify-files.js';
import type { ParsedMessage } from '../mail/parse.js';
import type { MatchResult } from '../match/unit-matcher.js';
import { replyContext } from '../replies/context.js';
import { decideReply, type ReplyDecision } from '../replies/decide.js';
import { replyEnvelope } from '../replies/envelope.js';
import type { Rules } from '../rules/index.js';
import type { ItemKind } from '../rules/schema.js';
import { renderReply } from '../rules/templates.js';
import type { Db } from '../store/db.js';
import type { MessageRow } from '../store/tables.js';
import { unitState, type ItemVersion } from '../submissions/unit-state.js';

export interface DecisionInput {
  row: MessageRow;
  parsed: ParsedMessage;
  files: ClassifiedFile[];
  match: MatchResult;
  links: string[];
  machine: string | null;
  rules: Rules;
}

export interface Decision extends ReplyDecision {
  unit: string | null;
  late: boolean;
  outboxId: number | null;
}

/** Thrown inside the transaction when another worker decided the message first. */
class AlreadyDecided extends Error {}

/**
 * Stages 7 and 8 in one transaction: the documents, the unit's items, the decision and the reply
 * in the outbox are written together or not at all, so a crash anywhere before the commit leaves
 * the message "archived" (decided again on the next run) and after it, decided with its reply due
 * exactly once. Returns null when another worker had already decided the message.
 */
export async function commitDecision(db: Db, input: DecisionInput, now = new Date()): Promise<Decision | null> {
  const { row, parsed, files, match, rules } = input;
  const receivedAt = new Date(row.received_at);
  const late = receivedAt.getTime() > rules.cutoff.getTime();
  const counts = input.machine === null && row.duplicate_of === null;
  const unit = match.unit;
  try {
    return await db.transaction().execute(async (trx) => {
      // Claim first: the write lock (SQLite) or row lock (PostgreSQL) is taken before anything is read.
      const claim = await trx
        .updateTable('messages')
        .set({ status: 'decided', decided_at: now.toISOString() })
        .where('id', '=', row.id)
        .where('status', 'in', ['archived', 'error'])
        .executeTakeFirst();
      if (Number(claim.numUpdatedRows) === 0) throw new AlreadyDecided();

      await trx.deleteFrom('submission_items').where('message_row', '=', row.id).execute();
      await trx.deleteFrom('documents').where('message_row', '=', row.id).execute();
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
            fields_json: f.form ? JSON.stringify(f.form) : null,
            evidence_json: JSON.stringify(f.classification.evidence),
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        docIds.set(f.seq, inserted.id);
      }

      const required = new Set<ItemKind>(rules.campaign.required);
      const brought = new Set<ItemKind>();
      let before: ItemVersion[] = [];
      let state = null;
      if (unit !== null && counts) {
        before = (await trx.selectFrom('submission_items').selectAll().where('unit_id', '=', unit).execute()).map(toVersion);
        for (const f of files) {
          if (!f.readable) continue;
          for (const k of f.classification.kinds) {
            if (!required.has(k)) continue;
            brought.add(k);
            await trx
              .insertInto('submission_items')
              .values({ unit_id: unit, item: k, message_row: row.id, document_id: docIds.get(f.seq) ?? null, filename: f.filename, received_at: row.received_at, late: late ? 1 : 0, created_at: now.toISOString() })
              .execute();
          }
        }
        const after = (await trx.selectFrom('submission_items').selectAll().where('unit_id', '=', unit).execute()).map(toVersion);
        state = unitState(after, rules.campaign.required);
      }
      const replaced = new Set([...brought].filter((k) => before.some((v) => v.item === k)));

      const reply = decideReply({
        machine: input.machine,
        duplicateOf: row.duplicate_of,
        unit,
        late,
        complete: state?.complete ?? false,
        fileCount: files.length,
        itemCount: brought.size,
        linkCount: input.links.length,
        mentionsCampaign: rules.campaign.replies.campaign_keywords.some((k) => parsed.subject.includes(k) || parsed.text.includes(k)),
        beforeOpening: rules.campaign.opens !== undefined && receivedAt.getTime() < Date.parse(rules.campaign.opens),
      });

      let outboxId: number | null = null;
      if (reply.kind !== 'none') {
        const envelope = replyEnvelope(parsed, row, reply.kind, rules);
        if (envelope) {
          const unitName = unit === null ? null : { id: unit, name: rules.units.find((u) => u.id === unit)?.name ?? unit };
          const body = renderReply(rules.templates, reply.kind, replyContext({ rules, parsed, receivedAt, unit: unitName, late, files, replaced, state, links: input.links }));
          const inserted = await trx
            .insertInto('outbox')
            .values({ ...envelope, body_text: body, message_row: row.id, kind: reply.kind, status: 'pending', attempts: 0, created_at: now.toISOString() })
            .onConflict((oc) => oc.column('dedupe_key').doNothing())
            .returning('id')
            .executeTakeFirst();
          outboxId = inserted?.id ?? null;
        } else {
          reply.reason += '; no address to reply to';
        }
      }

      await trx
        .updateTable('messages')
        .set({
          from_address: parsed.from?.address ?? null,
          from_name: parsed.from?.name ?? null,
          subject: parsed.subject,
          message_id: row.message_id ?? parsed.messageId,
          unit_id: unit,
          match_json: JSON.stringify(match),
          late: late ? 1 : 0,
          reply_kind: reply.kind,
          reply_reason: reply.reason,
          links_json: input.links.length > 0 ? JSON.stringify(input.links) : null,
          error: null,
        })
        .where('id', '=', row.id)
        .execute();
      return { ...reply, unit, late, outboxId };
    });
  } catch (err) {
    if (err instanceof AlreadyDecided) return null;
    throw err;
  }
}

function toVersion(r: { item: string; filename: string; received_at: string; late: number; message_row: number | null }): ItemVersion {
  return { item: r.item as ItemKind, filename: r.filename, receivedAt: r.received_at, late: r.late === 1, messageRow: r.message_row };
}
