import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Column types are kept to what SQLite and PostgreSQL share: integers, text, ISO 8601 text for
 * times (UTC, with Z), 0/1 integers for booleans and JSON as text.
 */
export interface BlobsTable {
  sha256: string;
  size: number;
  created_at: string;
}

export type MessageStatus = 'archived' | 'decided' | 'error';
export type ReplyKind = 'ack' | 'missing' | 'late' | 'review' | 'none';
/**
 * Where a receipt time came from: the IMAP server's INTERNALDATE; the topmost Received header
 * (files, and IMAP mail whose INTERNALDATE the server gave unreadable); the file's mtime; or, when
 * the server gave neither, the time intake fetched the message (never earlier than the receipt);
 * or a person's (`intake receipt`), who found the server's time elsewhere.
 */
export type ReceivedBasis = 'internaldate' | 'received-header' | 'file-mtime' | 'fetched-at' | 'person';

export interface MessagesTable {
  id: Generated<number>;
  source: string;
  sha256: string;
  size: number;
  message_id: string | null;
  content_key: string;
  received_at: string;
  received_basis: ReceivedBasis;
  from_address: string | null;
  from_name: string | null;
  subject: string | null;
  status: MessageStatus;
  duplicate_of: number | null;
  unit_id: string | null;
  /** JSON: MatchResult (signals, scores, reason). */
  match_json: string | null;
  late: number;
  reply_kind: ReplyKind | null;
  /** Why the reply is what it is, e.g. "auto-reply (Auto-Submitted: auto-replied)". */
  reply_reason: string | null;
  /** JSON: string[] of cloud-attachment links found in the body. */
  links_json: string | null;
  error: string | null;
  attempts: number;
  archived_at: string;
  decided_at: string | null;
  /** A person's decision: a unit id, or "-" for "from no unit". Overrides matching. */
  assigned_unit: string | null;
  assigned_at: string | null;
  /** When IMAP_AFTER's action (\\Seen, a keyword, a move) was applied to it on the server; null: not yet, or IMAP_AFTER=none. */
  after_action_at: string | null;
  /** Before a person set the receipt time (`intake receipt`, 0012): the time and basis intake had found. */
  found_received_at: string | null;
  found_received_basis: ReceivedBasis | null;
  /** When a person set the receipt time, and the evidence they gave for it. */
  receipt_set_at: string | null;
  receipt_note: string | null;
}

export interface DocumentsTable {
  id: Generated<number>;
  message_row: number;
  seq: number;
  filename: string;
  /** Where inside the message the file was found, e.g. "转发：材料.eml / 材料.zip / 报名表.xlsx". */
  container_path: string;
  content_type: string | null;
  size: number;
  sha256: string;
  kind: 'registration' | 'plan' | 'other';
  /** JSON: every kind the file qualifies as (a file can hold both a form and a plan). */
  kinds_json: string;
  readable: number;
  error: string | null;
  text: string | null;
  /** JSON: registration form rows and other fields read from the file. */
  fields_json: string | null;
  /** JSON: classification evidence. */
  evidence_json: string | null;
  /** The file's real format, from its bytes (FileFormat: xlsx, ole, pdf, zip...). */
  format: string | null;
  /** The named reason the file is unreadable (too-large, zip-bomb, encrypted...), or null. */
  error_code: string | null;
}

export interface SubmissionItemsTable {
  id: Generated<number>;
  unit_id: string;
  item: string;
  message_row: number | null;
  document_id: number | null;
  filename: string;
  received_at: string;
  late: number;
  created_at: string;
}

/**
 * pending → sending → sent; a temporary failure goes back to pending with a later
 * next_attempt_at; failed: given up (permanent refusal, or too many attempts); held: delivery
 * was interrupted after the server may have accepted it, so a person decides (never resent
 * automatically); suppressed: never to be sent (superseded, REPLIES=off, --dry-run, expired).
 */
export const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'failed', 'held', 'suppressed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** How a new outbox row starts: due, or (replies off) recorded with its text and never sent. */
export function queuedStatus(repliesOffReason: string | null | undefined): { status: OutboxStatus; last_error: string | null } {
  return repliesOffReason ? { status: 'suppressed', last_error: repliesOffReason } : { status: 'pending', last_error: null };
}

/** What the last failure was, which decides what happens next. */
export type OutboxErrorClass = 'connection' | 'temporary' | 'permanent' | 'rate-limited' | 'interrupted';

export interface OutboxTable {
  id: Generated<number>;
  /** Unique: one reply of a kind per message, one reminder per unit and time. */
  dedupe_key: string;
  message_row: number | null;
  kind: string;
  to_address: string;
  subject: string;
  body_text: string;
  in_reply_to: string | null;
  references_text: string | null;
  /** The Message-ID we give the reply; how a lost "sent" mark is recovered. */
  reply_message_id: string;
  status: OutboxStatus;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
  sent_at: string | null;
  /** The unit the reply or reminder is about (0004). */
  unit_id: string | null;
  error_class: OutboxErrorClass | null;
  /** Which process is delivering a "sending" row (host:pid:token), and since when. */
  claimed_by: string | null;
  claimed_at: string | null;
  /**
   * Set when the whole message but its end-of-data mark had gone to the server: from here until
   * the "sent" mark, the server may have accepted it. Null on a "sending" row: it cannot have.
   */
  handed_over_at: string | null;
  /** Not to be sent after this instant (a reminder after the deadline). */
  expires_at: string | null;
  /** The server's answer when it accepted the reply (e.g. "250 2.0.0 Ok: queued as 4GTx1"). */
  server_response: string | null;
  /** An HTML alternative to body_text (the digest); null for text-only mail. */
  body_html: string | null;
  /** JSON: OutboxAttachment[]; null for none. */
  attachments_json: string | null;
}

/** A file sent with an outbox row, stored in the row so that the mail is rebuilt exactly. */
export interface OutboxAttachment {
  filename: string;
  contentType: string;
  contentBase64: string;
}

/** One digest sent to staff: at most one per scheduled slot (`slot` is unique). */
export interface DigestsTable {
  id: Generated<number>;
  /** The scheduled time as an ISO instant, or "manual:<time>" for `intake digest --send`. */
  slot: string;
  trigger: 'schedule' | 'manual';
  generated_at: string;
  /** The highest message row the digest covered; the next digest lists what came after. */
  through_message_row: number;
  recipients_json: string;
  subject: string;
}

/** Sender addresses learned from people's review decisions. Removal is recorded, not deleted. */
export interface LearnedAddressesTable {
  id: Generated<number>;
  address: string;
  unit_id: string;
  message_row: number | null;
  learned_at: string;
  removed_at: string | null;
}

/** The sealed paper copy, recorded by staff on receipt. An undone record is kept, marked removed. */
export interface PaperCopiesTable {
  id: Generated<number>;
  unit_id: string;
  /** The day it arrived, YYYY-MM-DD in the campaign's time zone. */
  received_on: string;
  /** The instant, when known (ISO 8601, UTC); null when only the day was given. */
  received_at: string | null;
  note: string | null;
  recorded_at: string;
  removed_at: string | null;
}

/** Where the IMAP source's last sync of a mailbox stopped. */
export interface ImapCheckpointsTable {
  /** user@host: a checkpoint never carries over to another account. */
  account: string;
  mailbox: string;
  /** UIDVALIDITY as decimal text (it is a 32-bit unsigned number). */
  uidvalidity: string;
  /** Highest UID archived (or left alone as old mail); every lower UID is settled too. */
  last_uid: number;
  /** Receipt time before which old mail is left alone, also on a resync after a UIDVALIDITY change; null: all mail. */
  cutoff: string | null;
  /** UIDs up to this one were present at the first connection and left alone (IMAP_EXISTING_MAIL=baseline). */
  baseline_uid: number;
  baseline_count: number;
  /**
   * Highest UID the last full scan (first sync, or after a UIDVALIDITY change) found: the cutoff
   * applies to UIDs up to it on later syncs too, so an interrupted scan leaves its old mail alone.
   */
  scan_uid: number;
  created_at: string;
  updated_at: string;
}

export type MailboxState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

/** The IMAP source's health, written by `intake run`, read by `intake health` and the digest. */
export interface MailboxHealthTable {
  account: string;
  mailbox: string;
  state: MailboxState;
  connected_at: string | null;
  /** The last sync that completed: every message up to then is taken in. */
  last_sync_at: string | null;
  /** When intake last took in a new message, and that message's receipt time. */
  last_mail_at: string | null;
  last_mail_received_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  /** Set at the first failure after a good sync; cleared by the next good sync. */
  down_since: string | null;
  /** 1 when the server supports IDLE (new mail is seen at once), 0 when only the poll finds it. */
  idle: number;
  /** The service's IMAP_UNREACHABLE_MINUTES, so readers judge health without the service's settings. */
  unreachable_after_ms: number;
  updated_at: string;
}

/** A message the IMAP server lists but would not hand over; retried at every sync (imap-unfetched.ts). */
export interface ImapUnfetchedTable {
  account: string;
  mailbox: string;
  uidvalidity: string;
  uid: number;
  size: number;
  /** INTERNALDATE as the listing gave it (ISO), null when the server's was unreadable. */
  internal_date: string | null;
  /** Fetches that failed so far (the first included). */
  attempts: number;
  /** Of the last failure: the server said NO; its FETCH answer left the message out; the connection closed at it. */
  cause: 'refused' | 'left-out' | 'dropped';
  /** The last failure, as the server or intake put it. */
  error: string;
  first_failed_at: string;
  last_failed_at: string;
  /** Set once settled: taken in after all, or gone from the mailbox. */
  resolved_at: string | null;
  resolution: 'taken' | 'gone' | null;
}

/** One `intake rules apply` run; a running service takes up the rules when a new row appears. */
export interface RulesAppliedTable {
  id: Generated<number>;
  applied_at: string;
  /**
   * The first message the run may not have decided again: messages from it on (archived after
   * the run listed what it would decide, or still undecided then) a running service may have
   * decided with its old rules.
   */
  from_message: number;
}

export interface Database {
  blobs: BlobsTable;
  messages: MessagesTable;
  documents: DocumentsTable;
  submission_items: SubmissionItemsTable;
  outbox: OutboxTable;
  learned_addresses: LearnedAddressesTable;
  paper_copies: PaperCopiesTable;
  digests: DigestsTable;
  imap_checkpoints: ImapCheckpointsTable;
  mailbox_health: MailboxHealthTable;
  imap_unfetched: ImapUnfetchedTable;
  rules_applied: RulesAppliedTable;
}

export type MessageRow = Selectable<MessagesTable>;
export type NewMessage = Insertable<MessagesTable>;
export type MessageUpdate = Updateable<MessagesTable>;
export type DocumentRow = Selectable<DocumentsTable>;
export type NewDocument = Insertable<DocumentsTable>;
export type SubmissionItemRow = Selectable<SubmissionItemsTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type NewOutbox = Insertable<OutboxTable>;
export type LearnedAddressRow = Selectable<LearnedAddressesTable>;
export type PaperCopyRow = Selectable<PaperCopiesTable>;
export type DigestRow = Selectable<DigestsTable>;
export type ImapCheckpointRow = Selectable<ImapCheckpointsTable>;
export type MailboxHealthRow = Selectable<MailboxHealthTable>;
