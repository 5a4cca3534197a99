/**
 * Whether the watched mailbox can be reached: recorded by the mail source, not by the digest, so
 * it comes through a small interface. (Paper copies are part of each unit's status.)
 */

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

/** A source that keeps no health record: the digest leaves the mailbox out. */
export const noMailboxHealth: MailboxHealthSource = { mailboxHealth: async () => null };
