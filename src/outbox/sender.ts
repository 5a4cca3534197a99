import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import type { OutboxAttachment, OutboxRow } from '../store/tables.js';
import { crashPoint } from '../util/crash-point.js';
import { PermanentDeliveryError, type OutgoingMail, type Transport } from './transport.js';

export interface SenderOptions {
  from: { name: string; address: string };
  /** Give up on a reply after this many failed attempts. */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt. */
  retryBaseMs?: number;
  now?: () => Date;
}

/**
 * Delivers due outbox rows, each at most once. A row is claimed ("sending") and committed before
 * the transport sees it, and marked "sent" right after; a crash in between leaves a "sending"
 * row that `recoverInFlight` settles by asking the transport whether the Message-ID went out.
 */
export class OutboxSender {
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly db: Db,
    private readonly transport: Transport,
    private readonly opts: SenderOptions,
    private readonly log: Logger,
  ) {
    this.maxAttempts = opts.maxAttempts ?? 8;
    this.retryBaseMs = opts.retryBaseMs ?? 60_000;
    this.now = opts.now ?? (() => new Date());
  }

  async recoverInFlight(): Promise<void> {
    const rows = await this.db.selectFrom('outbox').selectAll().where('status', '=', 'sending').execute();
    for (const row of rows) {
      const delivered = await this.transport.wasDelivered(row.reply_message_id);
      if (delivered === true) {
        await this.mark(row.id, { status: 'sent', sent_at: this.now().toISOString(), last_error: null });
        this.log.info({ outbox: row.id, replyMessageId: row.reply_message_id }, 'reply found delivered after restart');
      } else if (delivered === false) {
        await this.mark(row.id, { status: 'pending', next_attempt_at: null });
      } else {
        // The transport cannot tell whether the server accepted it: never risk a second copy.
        await this.mark(row.id, { status: 'failed', last_error: 'interrupted during delivery; whether it was sent is unknown — check the Sent folder before resending' });
        this.log.warn({ outbox: row.id }, 'reply interrupted mid-delivery, held for a person');
      }
    }
  }

  /** Sends every due row once, oldest first; returns how many went out. */
  async deliverDue(): Promise<number> {
    let sent = 0;
    for (;;) {
      const now = this.now().toISOString();
      const row = await this.db
        .selectFrom('outbox')
        .selectAll()
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (!row) return sent;
      if (await this.deliver(row)) sent++;
    }
  }

  private async deliver(row: OutboxRow): Promise<boolean> {
    const claimed = await this.db
      .updateTable('outbox')
      .set({ status: 'sending', attempts: row.attempts + 1 })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return false;
    crashPoint('reply-claimed');
    try {
      await this.transport.send(this.mailOf(row));
      crashPoint('reply-sent');
    } catch (err) {
      const permanent = err instanceof PermanentDeliveryError || row.attempts + 1 >= this.maxAttempts;
      const delay = this.retryBaseMs * 2 ** row.attempts;
      await this.mark(row.id, {
        status: permanent ? 'failed' : 'pending',
        last_error: (err as Error).message.slice(0, 500),
        next_attempt_at: permanent ? null : new Date(this.now().getTime() + delay).toISOString(),
      });
      this.log.warn({ outbox: row.id, err: (err as Error).message, permanent }, 'reply delivery failed');
      return false;
    }
    await this.mark(row.id, { status: 'sent', sent_at: this.now().toISOString(), last_error: null });
    this.log.info({ outbox: row.id, kind: row.kind, message: row.message_row, replyMessageId: row.reply_message_id, transport: this.transport.name }, 'reply sent');
    return true;
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
      ...(row.body_html ? { html: row.body_html } : {}),
      ...(row.attachments_json ? { attachments: (JSON.parse(row.attachments_json) as OutboxAttachment[]).map((a) => ({ filename: a.filename, contentType: a.contentType, content: Buffer.from(a.contentBase64, 'base64') })) } : {}),
      // A row that answers no message (the digest) is mail intake generated on its own.
      ...(row.message_row === null ? { autoSubmitted: 'auto-generated' as const } : {}),
    };
  }

  private async mark(id: number, set: Partial<Pick<OutboxRow, 'status' | 'sent_at' | 'last_error' | 'next_attempt_at'>>): Promise<void> {
    await this.db.updateTable('outbox').set(set).where('id', '=', id).execute();
  }
}
