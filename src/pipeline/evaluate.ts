import type { ClassifiedFile } from '../classify/classify-files.js';
import type { ParsedMessage } from '../mail/parse.js';
import type { MatchResult } from '../match/unit-matcher.js';
import { answersOurMail, ownWords } from '../mail/own-words.js';
import { decideReply, type ReplyDecision } from '../replies/decide.js';
import type { Rules } from '../rules/index.js';
import type { ItemKind } from '../rules/schema.js';
import type { ReceivedBasis } from '../store/tables.js';
import { unitState, type ItemVersion, type UnitState } from '../submissions/unit-state.js';

/** Everything the pipeline learned about one message before deciding it. */
export interface Analysed {
  row: { id: number; received_at: string; received_basis: ReceivedBasis; duplicate_of: number | null };
  parsed: ParsedMessage;
  files: ClassifiedFile[];
  match: MatchResult;
  links: string[];
  machine: string | null;
}

export interface Evaluation {
  late: boolean;
  /** Whether the message's documents count for its unit (not a machine's, not a duplicate). */
  counts: boolean;
  /** Required items this message brings, one per file and kind. */
  brought: Array<ItemVersion & { seq: number }>;
  /** The unit's state after this message, or null without a unit. */
  state: UnitState | null;
  /** Items this message brought that supersede an earlier version. */
  replaced: Set<ItemKind>;
  reply: ReplyDecision;
}

/**
 * The decision for one message, from what it carries and what its unit had sent before it.
 * Pure: the pipeline feeds it the stored history, `intake rules test` an in-memory replay.
 * `prior` must hold only the unit's items received before this message, so that deciding a
 * message again (a rules change) gives the reply it would have had then.
 *
 * `later` holds the unit's items received after this message, for a message a person decided
 * (`decidedByPerson`): its reply goes out now, days after the message perhaps, and says where the
 * unit stands now ("截至目前"). Without them a unit whose later mail was acknowledged complete would
 * be told that what it sent since is still missing.
 */
export function evaluate(a: Analysed, prior: ItemVersion[], rules: Rules, later: ItemVersion[] = []): Evaluation {
  const receivedAt = new Date(a.row.received_at);
  const late = receivedAt.getTime() > rules.cutoff.getTime();
  const counts = a.machine === null && a.row.duplicate_of === null;
  const unit = a.match.unit;
  const required = new Set<ItemKind>(rules.campaign.required);
  const brought: Evaluation['brought'] = [];
  if (unit !== null && counts) {
    for (const f of a.files) {
      if (!f.readable) continue;
      for (const k of f.classification.kinds) {
        if (required.has(k)) brought.push({ item: k, filename: f.filename, receivedAt: a.row.received_at, late, messageRow: a.row.id, seq: f.seq });
      }
    }
  }
  const state = unit !== null && counts ? unitState([...prior, ...brought, ...later], rules.campaign.required) : null;
  const replaced = new Set(brought.filter((b) => prior.some((v) => v.item === b.item)).map((b) => b.item));
  const answersUs = answersOurMail(a.parsed, rules.campaign.mailbox);
  const text = answersUs ? ownWords(a.parsed.text) : `${a.parsed.subject}\n${a.parsed.text}`;
  const reply = decideReply({
    machine: a.machine,
    duplicateOf: a.row.duplicate_of,
    unit,
    late,
    complete: state?.complete ?? false,
    completeOnTime: state?.completeOnTime ?? false,
    fileCount: a.files.length,
    itemCount: brought.length,
    linkCount: a.links.length,
    mentionsCampaign: rules.campaign.replies.campaign_keywords.some((k) => text.includes(k)),
    beforeOpening: rules.campaign.opens !== undefined && receivedAt.getTime() < Date.parse(rules.campaign.opens),
    dismissed: a.match.assigned === true && unit === null,
    receivedBasis: a.row.received_basis,
    answersOurMail: answersUs,
  });
  return { late, counts, brought, state, replaced, reply };
}

/** True when `v` was received before the message (ties broken by arrival order). */
export function receivedBefore(v: { receivedAt: string; messageRow: number | null }, row: { id: number; received_at: string }): boolean {
  return v.receivedAt < row.received_at || (v.receivedAt === row.received_at && (v.messageRow ?? 0) < row.id);
}

/**
 * A message whose unit or receipt time a person set (`intake assign`, `intake receipt`): it is
 * answered as of its decision, with what its unit has sent since (see `evaluate`).
 */
export function decidedByPerson(row: { assigned_unit?: string | null; received_basis: ReceivedBasis }): boolean {
  return (row.assigned_unit ?? null) !== null || row.received_basis === 'person';
}
