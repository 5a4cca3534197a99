import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { sql } from 'kysely';
import type { RetrySettings } from '../config/env.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import { durably, flushToDisk } from '../store/durability.js';
import type { OutboxAttachment, OutboxErrorClass, OutboxRow, OutboxTable } from '../store/tables.js';
import { crashPoint } from '../util/crash-point.js';
import type { SentFolderCheck } from './sent-check.js';
import { DeliveryError, type FailureClass, type OutgoingMail, type Transport } from './transport.js';

export interface SenderOptions {
  from: { name: string; address: string };
  retry: RetrySettings;
  /** At most this many replies and reminders to one address in any 24 hours; more wait. */
  perRecipientPerDay: number;
  /** Asks the mailbox's Sent folder about a reply whose delivery was interrupted. */
  sentCheck?: SentFolderCheck | null;
  /**
   * Asked just before a row is sent; a reason suppresses it instead (a reminder to a unit that
   * has since completed, or after the deadline).
   */
  stillDue?: (row: OutboxRow, now: Date) => Promise<string | null>;
  /**
   * Told of a reply to a message that was given up on (failed for good). A message decided
   * again while this reply was on its way counted it as its answer; it did not go, so the
   * message's current decision may be owed a reply of its own (service/owed-reply.ts).
   */
  replyGivenUp?: (row: OutboxRow) => Promise<void>;
  /** A "sending" row older than this whose process cannot be seen is taken as abandoned. */
  leaseMs?: number;
  /** A Sent folder may file a copy some time after the server accepted the message. */
  sentFolderDelayMs?: number;
  now?: () => Date;
}

const DAY_MS = 24 * 3600_000;

type Update = Partial<Omit<OutboxTable, 'id'>>;

/** What a restart found in flight and did with it. */
export interface Recovery {
  resent: number[];
  foundSent: number[];
  held: number[];
}

/**
 * Delivers due outbox rows, each at most once, oldest first.
 *
 * A row is claimed ("sending", with this process's name) and committed before the transport
 * sees it. The transport calls back when only the end of the message is left to write; that
 * hand-over is committed too, then the row is marked "sent" when the server accepts it. After a
 * crash a "sending" row without a hand-over cannot have been delivered and is sent again; one
 * with a hand-over may have been, so it is settled by the transport (files), by the mailbox's
 * Sent folder when configured, or else held for a person. The only window where intake cannot
 * know is between the hand-over mark and the "sent" mark.
 */
export class OutboxSender {
  /** host:pid:token of this process, written on every row it claims. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly now: () => Date;
  private readonly leaseMs: number;
  private readonly sentFolderDelayMs: number;
  /** One delivery round at a time in this process (the service, reminders and commands share it). */
  private queue: Promise<unknown> = Promise.resolve();
  /** When the Sent folder was last asked: a held row it cannot settle is not asked about every round. */
  private lastSentCheck = 0;
  private stopping = false;

  constructor(
    private readonly db: Db,
    private readonly transport: Transport,
    private readonly opts: SenderOptions,
    private readonly log: Logger,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.leaseMs = opts.leaseMs ?? 15 * 60_000;
    this.sentFolderDelayMs = opts.sentFolderDelayMs ?? 2 * 60_000;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Settles rows a process that is gone left "sending", and held rows the Sent folder can settle. */
  recoverInFlight(): Promise<Recovery> {
    return this.serial(() => this.recover());
  }

  /** Sends every due row once, oldest first; returns how many went out. */
  deliverDue(): Promise<number> {
    return this.serial(async () => {
      await this.recover();
      let sent = await this.deliverAll();
      // A reply just sent can prove the Sent folder keeps copies, which settles a held one.
      if (sent > 0 && this.opts.sentCheck) {
        const settled = await this.settleHeld(this.now(), true);
        if (settled.resent.length > 0) sent += await this.deliverAll();
      }
      // One sync for the round's `sent` marks: a power cut after it cannot turn them back into
      // hand-overs a person must settle (store/durability.ts).
      if (sent > 0) await flushToDisk(this.db);
      return sent;
    });
  }

  /**
   * Stops delivering after the reply in flight (a service shutting down); rows still pending
   * wait for the next start.
   */
  stop(): void {
    this.stopping = true;
  }

  private async recover(): Promise<Recovery> {
    const now = this.now();
    const out: Recovery = { resent: [], foundSent: [], held: [] };
    const rows = await this.db.selectFrom('outbox').selectAll().where('status', '=', 'sending').execute();
    const ambiguous: OutboxRow[] = [];
    for (const r of rows.filter((x) => this.abandoned(x, now))) {
      // A row claimed before hand-overs were recorded (no claimed_by) may have gone out.
      const row = r.claimed_by === null && r.handed_over_at === null ? { ...r, handed_over_at: r.created_at } : r;
      if (row.handed_over_at === null) {
        // Claimed, but the server never had the whole message: it cannot have been accepted.
        await this.mark(row.id, { status: 'pending', error_class: 'interrupted', last_error: `interrupted before the message was handed over (${now.toISOString()}); sending again`, next_attempt_at: null }, 'sending');
        out.resent.push(row.id);
        this.log.info({ outbox: row.id, replyMessageId: row.reply_message_id }, 'reply interrupted before hand-over; sending again');
        continue;
      }
      const delivered = await this.transport.wasDelivered(row.reply_message_id);
      if (delivered === true) {
        await this.mark(row.id, { status: 'sent', sent_at: row.handed_over_at, error_class: null, last_error: null, server_response: `found delivered by the ${this.transport.name} transport after a restart` }, 'sending');
        out.foundSent.push(row.id);
      } else if (delivered === false) {
        await this.mark(row.id, { status: 'pending', error_class: 'interrupted', last_error: 'interrupted during delivery; the transport shows it was not delivered; sending again', next_attempt_at: null }, 'sending');
        out.resent.push(row.id);
      } else {
        await this.mark(row.id, { status: 'held', error_class: 'interrupted', last_error: `interrupted after the message was handed over (${row.handed_over_at}): the server may have accepted it` }, 'sending');
        ambiguous.push(row);
      }
    }
    const settled = await this.settleHeld(now);
    out.foundSent.push(...settled.foundSent);
    out.resent.push(...settled.resent);
    const stillHeld = ambiguous.filter((r) => !settled.foundSent.includes(r.id) && !settled.resent.includes(r.id)).map((r) => r.id);
    out.held.push(...stillHeld);
    for (const id of stillHeld) this.log.warn({ outbox: id }, 'reply interrupted mid-delivery, held for a person (intake outbox)');
    return out;
  }

  /** Whether the process that claimed a "sending" row is gone. */
  private abandoned(row: OutboxRow, now: Date): boolean {
    if (row.claimed_by === this.owner) return false;
    // Claimed by a version of intake before claims were recorded (0004): that process is gone.
    if (row.claimed_by === null) return true;
    const parts = row.claimed_by.split(':');
    const pid = Number(parts.at(-2));
    if (parts.slice(0, -2).join(':') === hostname()) {
      // Our pid, another token: the process that had this pid before us is gone.
      if (pid === process.pid) return true;
      try {
        process.kill(pid, 0);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
      }
    }
    // Another machine, or a live pid that may be a reused one: trust the claim for the lease.
    const since = Date.parse(row.claimed_at ?? row.created_at);
    return now.getTime() - since > this.leaseMs;
  }

  /**
   * Held rows that were interrupted after the hand-over, asked of the Sent folder. Found there:
   * sent. Absent: sent again only when the folder is known to keep what this mailbox sends (a
   * reply known to be sent earlier is there too) and the server has had time to file a copy.
   */
  private async settleHeld(now: Date, force = false): Promise<{ foundSent: number[]; resent: number[] }> {
    const out = { foundSent: [] as number[], resent: [] as number[] };
    const check = this.opts.sentCheck;
    if (!check) return out;
    if (!force && now.getTime() - this.lastSentCheck < 5 * 60_000) return out;
    const settledBefore = new Date(now.getTime() - this.sentFolderDelayMs).toISOString();
    const held = await this.db.selectFrom('outbox').selectAll().where('status', '=', 'held').where('error_class', '=', 'interrupted').where('handed_over_at', '<=', settledBefore).execute();
    if (held.length === 0) return out;
    const witness = await this.db
      .selectFrom('outbox')
      .select(['id', 'reply_message_id'])
      .where('status', '=', 'sent')
      .where('sent_at', '<=', settledBefore)
      .where((eb) => eb.or([eb('server_response', 'is', null), eb('server_response', 'not like', 'found%')]))
      .orderBy('sent_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    let found: Set<string> | null;
    this.lastSentCheck = now.getTime();
    try {
      found = await check.find([...held.map((r) => r.reply_message_id), ...(witness ? [witness.reply_message_id] : [])]);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'Sent folder check failed; interrupted replies stay held');
      return out;
    }
    if (found === null) return out;
    const folderKeepsSent = witness !== undefined && found.has(witness.reply_message_id);
    for (const row of held) {
      if (found.has(row.reply_message_id)) {
        await this.mark(row.id, { status: 'sent', sent_at: row.handed_over_at, error_class: null, last_error: null, server_response: `found in the Sent folder (${check.name}) after an interrupted delivery` }, 'held');
        out.foundSent.push(row.id);
        this.log.info({ outbox: row.id, replyMessageId: row.reply_message_id }, 'interrupted reply found in the Sent folder: it was sent');
      } else if (folderKeepsSent) {
        await this.mark(row.id, { status: 'pending', error_class: 'interrupted', next_attempt_at: null, last_error: `interrupted after hand-over and not in the Sent folder (${check.name}), which holds reply #${witness!.id}: sending again` }, 'held');
        out.resent.push(row.id);
        this.log.info({ outbox: row.id }, 'interrupted reply not in the Sent folder: sending again');
      }
    }
    return out;
  }

  /** A connection-level failure of the oldest reply holds the whole queue until its retry time. */
  private async pausedUntil(now: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('outbox')
      .select('next_attempt_at')
      .where('status', '=', 'pending')
      .where('error_class', '=', 'connection')
      .where('next_attempt_at', '>', now)
      .orderBy('next_attempt_at')
      .limit(1)
      .executeTakeFirst();
    return row?.next_attempt_at ?? null;
  }

  private async deliverAll(): Promise<number> {
    let sent = 0;
    // Checked when the round starts and after each connection failure, the only ways a pause
    // begins (a row of another process's failing shows at its next round): a query per reply
    // scanned every pending row, which on a deadline-day backlog is hundreds.
    let checkPause = true;
    for (;;) {
      if (this.stopping) return sent;
      const now = this.now();
      const iso = now.toISOString();
      if (checkPause && (await this.pausedUntil(iso))) return sent;
      checkPause = false;
      const row = await this.db
        .selectFrom('outbox')
        .selectAll()
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', iso)]))
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (!row) return sent;
      const stale = row.expires_at !== null && row.expires_at <= iso ? `expired at ${row.expires_at}` : await this.opts.stillDue?.(row, now);
      if (stale) {
        await this.mark(row.id, { status: 'suppressed', last_error: `not sent: ${stale}` }, 'pending');
        this.log.info({ outbox: row.id, kind: row.kind, reason: stale }, 'outbox row no longer due; suppressed');
        continue;
      }
      const waitUntil = await this.rateLimited(row, now);
      if (waitUntil) {
        await this.mark(row.id, { error_class: 'rate-limited', next_attempt_at: waitUntil, last_error: `rate limit: ${this.opts.perRecipientPerDay} mail(s) to ${row.to_address} in 24 hours; waits until ${waitUntil}` }, 'pending');
        this.log.info({ outbox: row.id, until: waitUntil }, 'reply waits for the per-recipient rate limit');
        continue;
      }
      const result = await this.deliver(row);
      if (result === 'sent') sent++;
      else if (result === 'connection') checkPause = true;
    }
  }

  /** When the row may go, if the recipient already had their day's share; null when it may go now. */
  private async rateLimited(row: OutboxRow, now: Date): Promise<string | null> {
    const since = new Date(now.getTime() - DAY_MS).toISOString();
    const recent = await this.db
      .selectFrom('outbox')
      .select('sent_at')
      .where(sql<string>`lower(to_address)`, '=', row.to_address.toLowerCase())
      .where('status', '=', 'sent')
      .where('sent_at', '>', since)
      .orderBy('sent_at')
      .execute();
    if (recent.length < this.opts.perRecipientPerDay) return null;
    const freeAt = Date.parse(recent[recent.length - this.opts.perRecipientPerDay]!.sent_at!) + DAY_MS;
    return new Date(Math.max(freeAt, now.getTime() + 1000)).toISOString();
  }

  /** 'sent', 'not-claimed' (another process has it), or the class of the failure recorded. */
  private async deliver(row: OutboxRow): Promise<'sent' | 'not-claimed' | FailureClass> {
    const claimedAt = this.now().toISOString();
    const claimed = await this.db
      .updateTable('outbox')
      .set({ status: 'sending', attempts: row.attempts + 1, claimed_by: this.owner, claimed_at: claimedAt, handed_over_at: null })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return 'not-claimed';
    crashPoint('reply-claimed');
    const attempts = row.attempts + 1;
    let delivery;
    try {
      delivery = await this.transport.send(this.mailOf(row), async () => {
        // The one commit that must be on disk before the server has the reply: after a power cut
        // it is what says "it may have gone" rather than "send it again" (store/durability.ts).
        await durably(this.db, () => this.mark(row.id, { handed_over_at: this.now().toISOString() }));
        crashPoint('reply-handed-over');
      });
    } catch (err) {
      const failure: FailureClass = err instanceof DeliveryError ? err.failure : 'temporary';
      await this.failed(row, attempts, failure, (err as Error).message);
      return failure;
    }
    crashPoint('reply-sent');
    await this.mark(row.id, { status: 'sent', sent_at: this.now().toISOString(), last_error: null, error_class: null, server_response: delivery.response.slice(0, 500) });
    this.log.info({ outbox: row.id, kind: row.kind, message: row.message_row, unit: row.unit_id, replyMessageId: row.reply_message_id, transport: this.transport.name }, 'reply sent');
    return 'sent';
  }

  private async failed(row: OutboxRow, attempts: number, failure: FailureClass, message: string): Promise<void> {
    const error = message.slice(0, 500);
    if (failure === 'ambiguous') {
      await this.mark(row.id, { status: 'held', error_class: 'interrupted', last_error: `${error} — the server may have accepted it; not resent automatically` });
      this.log.warn({ outbox: row.id, err: error }, 'reply delivery broke off after hand-over; held for a person');
      return;
    }
    const givingUp = failure === 'permanent' || attempts >= this.opts.retry.maxAttempts;
    const delay = Math.min(this.opts.retry.baseDelayMs * 2 ** (attempts - 1), this.opts.retry.maxDelayMs);
    const cls: OutboxErrorClass = failure;
    await this.mark(row.id, {
      status: givingUp ? 'failed' : 'pending',
      error_class: cls,
      last_error: givingUp && failure !== 'permanent' ? `${error} (gave up after ${attempts} attempts)` : error,
      next_attempt_at: givingUp ? null : new Date(this.now().getTime() + delay).toISOString(),
    });
    if (givingUp) {
      this.log.error({ outbox: row.id, to: row.to_address, err: error, failure, attempts }, 'reply delivery failed; recorded for a person (intake outbox)');
      if (row.message_row !== null && this.opts.replyGivenUp) {
        await this.opts.replyGivenUp(row).catch((err: unknown) => this.log.error({ outbox: row.id, message: row.message_row, err: String(err) }, 'could not check whether the message is owed another reply'));
      }
    } else this.log.warn({ outbox: row.id, err: error, failure, attempts, retryInMs: delay }, 'reply delivery failed; will retry');
  }

  private mailOf(row: OutboxRow): OutgoingMail {
    return {
      from: this.opts.from,
      to: row.to_address,
      subject: row.subject,
      text: row.body_text,
      messageId: row.reply_message_id,
      inReplyTo: row.in_reply_to,
      references: row.references_text,
      // RFC 3834: a reminder or the digest answers no message; mail intake generates on its own.
      autoSubmitted: row.kind === 'reminder' || row.message_row === null ? 'auto-generated' : 'auto-replied',
      ...(row.body_html ? { html: row.body_html } : {}),
      ...(row.attachments_json ? { attachments: (JSON.parse(row.attachments_json) as OutboxAttachment[]).map((a) => ({ filename: a.filename, contentType: a.contentType, content: Buffer.from(a.contentBase64, 'base64') })) } : {}),
    };
  }

  private async mark(id: number, set: Update, onlyIf?: OutboxRow['status']): Promise<void> {
    let q = this.db.updateTable('outbox').set(set).where('id', '=', id);
    if (onlyIf) q = q.where('status', '=', onlyIf);
    await q.execute();
  }
}
