import type { Rules } from '../rules/index.js';

/**
 * The two facts the digest needs from parts of intake that record them on their own: the sealed
 * paper copies units hand in, and whether the watched mailbox can be reached. Each comes through
 * a small interface so the digest does not depend on how they are stored.
 */

export interface PaperCopies {
  /** The campaign asks every unit for a sealed paper copy as well as the email. */
  required: boolean;
  /** Units whose paper copy was recorded as received, with when. */
  received: ReadonlyMap<string, { receivedAt: string }>;
}

export interface PaperCopySource {
  paperCopies(): Promise<PaperCopies>;
}

export interface MailboxHealth {
  /** The mailbox as people know it, e.g. jjszjjb@sina.com (INBOX). */
  mailbox: string;
  reachable: boolean;
  /** Last time intake reached it, ISO. */
  lastOkAt: string | null;
  /** The last failure, as the server or network said it; null when none. */
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface MailboxHealthSource {
  /** Null when the source keeps no health record (a local Maildir). */
  mailboxHealth(): Promise<MailboxHealth | null>;
}

/**
 * Paper copies as far as the rules say: whether they are required (`paper.required` in
 * campaign.yaml, when that field exists), and none recorded. Replace it with a source that reads
 * the recorded paper copies once they are stored.
 */
export function paperCopiesFromRules(rules: Rules): PaperCopySource {
  const paper = (rules.campaign as { paper?: { required?: unknown } }).paper;
  const required = paper?.required === true;
  return { paperCopies: async () => ({ required, received: new Map() }) };
}

/** A source that keeps no health record: the digest leaves the mailbox out. */
export const noMailboxHealth: MailboxHealthSource = { mailboxHealth: async () => null };
