import type { ReceivedBasis, ReplyKind } from '../store/tables.js';

export interface ReplyFacts {
  /** Why the message is from a machine, if it is. */
  machine: string | null;
  duplicateOf: number | null;
  unit: string | null;
  late: boolean;
  complete: boolean;
  /** The unit had a version of every required item on time, this message's included. */
  completeOnTime?: boolean;
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
   * The message answers mail intake sent (its In-Reply-To names one of our replies), and then
   * `mentionsCampaign` is about its own words only: the quote of our reply and the echoed
   * subject mention the campaign by themselves.
   */
  answersOurMail?: boolean;
  /** Where the receipt time came from; a server's unless said otherwise. */
  receivedBasis?: ReceivedBasis;
}

/**
 * Why a receipt time is not the server's, for the bases that are not; null for the server's own
 * (INTERNALDATE, or the Received header its delivery agent put on top).
 *
 * Both weaker times are never earlier than the real receipt, only later, so "on time" by them is
 * on time in fact while "late" by them proves nothing:
 * - fetched-at is the moment intake took the message from a server that already had it;
 * - file-mtime is when the file's bytes were last written (delivery to a Maildir, an export from
 *   a mail client, a copy), each of which comes after the server received the message; copying
 *   tools either keep the original's mtime (cp -p, rsync -a, tar) or stamp the copy's time, which
 *   is later still. It can be earlier only when someone set it back by hand (touch -d), when the
 *   clock of the machine that wrote it was wrong, or when the file is not of the received
 *   message at all (a sender's saved draft): cases no rule can see, and none of them makes a
 *   message look late that was not.
 */
export function untrustedReceipt(basis: ReceivedBasis | undefined): string | null {
  if (basis === 'fetched-at') return 'the time intake fetched it; the server gave no receipt time (no readable INTERNALDATE, no Received header)';
  if (basis === 'file-mtime') return "the file's modification time; the message has no Received header, and an mtime is when the file was last written or copied, not when the server received the message";
  return null;
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
  // Losing award eligibility on a time that is not the server's is for a person to decide.
  // (The digest tells staff why from how this reason starts: reviewWhy in digest/data.ts.)
  const untrusted = f.late ? untrustedReceipt(f.receivedBasis) : null;
  if (untrusted) return { kind: 'review', reason: `late only by a receipt time that is not the server's (${f.receivedBasis}: ${untrusted}): a person decides whether it was late` };
  // The message is late either way; what a late one means for the unit differs, and is recorded with it.
  if (f.late) return { kind: 'late', reason: f.completeOnTime ? 'received after the deadline; the unit had every required item on time, and that stands' : 'received after the deadline' };
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
