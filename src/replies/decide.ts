import type { ReplyKind } from '../store/tables.js';

export interface ReplyFacts {
  /** Why the message is from a machine, if it is. */
  machine: string | null;
  duplicateOf: number | null;
  unit: string | null;
  late: boolean;
  complete: boolean;
  /** Files the message carried (readable or not). */
  fileCount: number;
  /** Files of a required kind that could be read. */
  itemCount: number;
  /** Cloud-attachment links that a person must fetch. */
  linkCount: number;
  /** The message mentions the campaign (for mail without files). */
  mentionsCampaign: boolean;
  /** The message was received before the campaign opened. */
  beforeOpening: boolean;
  /** A person decided the message is from no unit. */
  dismissed?: boolean;
  /**
   * The receipt time is only when intake fetched the message (the server gave no readable
   * INTERNALDATE and no Received header): never earlier than the real one, maybe later.
   */
  receiptUncertain?: boolean;
  /**
   * The message answers mail intake sent (its In-Reply-To names one of our replies), and then
   * `mentionsCampaign` is about its own words only: the quote of our reply and the echoed
   * subject mention the campaign by themselves.
   */
  answersOurMail?: boolean;
}

export interface ReplyDecision {
  kind: ReplyKind;
  reason: string;
}

/**
 * The one place that decides which reply a message gets. Order matters: never answer machines
 * or duplicates; then doubt goes to a person; then lateness; then completeness.
 */
export function decideReply(f: ReplyFacts): ReplyDecision {
  if (f.machine) return { kind: 'none', reason: f.machine };
  if (f.duplicateOf !== null) return { kind: 'none', reason: `duplicate delivery of message #${f.duplicateOf}` };
  if (f.beforeOpening) return { kind: 'none', reason: 'received before the campaign opened' };
  if (f.dismissed) return { kind: 'none', reason: 'a person decided it is from no unit' };
  const plausible = f.fileCount > 0 || f.linkCount > 0 || f.mentionsCampaign;
  // "收到，谢谢" under our acknowledgment: answering it would only start a round of thanks.
  if (f.answersOurMail && !plausible) return { kind: 'none', reason: 'answers our reply with no files, and its own words are not about the campaign' };
  if (f.unit === null) {
    return plausible ? { kind: 'review', reason: 'no unit could be decided' } : { kind: 'none', reason: 'no unit and not a submission' };
  }
  // Files behind cloud links may be exactly what is missing: never tell such a unit it is incomplete.
  if (f.linkCount > 0 && !f.complete) return { kind: 'review', reason: 'files sent as cloud links must be fetched by a person' };
  if (f.fileCount === 0) {
    return plausible ? { kind: 'review', reason: 'no attachments: a person reads the message' } : { kind: 'none', reason: 'no attachments and not about the campaign' };
  }
  // Losing award eligibility on a time that may be intake's and not the server's is for a person to decide.
  if (f.late && f.receiptUncertain) return { kind: 'review', reason: 'fetched after the deadline, and the server gave no receipt time: a person decides whether it was late' };
  if (f.late) return { kind: 'late', reason: 'received after the deadline' };
  if (f.complete) return { kind: 'ack', reason: 'every required item is on file' };
  return { kind: 'missing', reason: 'required items are still missing' };
}

/**
 * Of a message's outbox rows, the answer already sent (or going) that a reply of `kind` would
 * contradict: any kind but this one and "we will review", after which the unit still gets its answer.
 */
export function answeredAlready<T extends { kind: string; status: string }>(rows: readonly T[], kind: string): T | undefined {
  return rows.find((o) => (o.status === 'sent' || o.status === 'sending') && o.kind !== 'review' && o.kind !== kind);
}
