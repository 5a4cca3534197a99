import { Readable } from 'node:stream';
import type { SendMailOptions } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

export interface OutgoingMail {
  from: { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  /** Our Message-ID for the reply, with angle brackets; how a delivery is recognised later. */
  messageId: string;
  inReplyTo?: string | null;
  references?: string | null;
  /** RFC 3834: "auto-replied" answers a message; "auto-generated" (a reminder, the digest) answers none. */
  autoSubmitted: 'auto-replied' | 'auto-generated';
  /** An HTML alternative to `text` (multipart/alternative); text-only when absent. */
  html?: string;
  attachments?: Array<{ filename: string; content: Buffer; contentType: string }>;
}

export interface Delivery {
  /** What the server said when it accepted the message, or where the file went. */
  response: string;
}

/**
 * Called by a transport at the last moment before the message can be accepted: over SMTP,
 * when the server has taken the whole message except its end-of-data mark; for files, just
 * before the rename. The sender records it durably, which splits "cannot have been delivered"
 * from "may have been". If it throws, the transport abandons the delivery undelivered.
 */
export type HandOver = () => Promise<void>;

/** Where replies go: SMTP, or files when no server is configured. */
export interface Transport {
  readonly name: string;
  send(mail: OutgoingMail, handOver: HandOver): Promise<Delivery>;
  /**
   * After a crash between handing a reply over and marking it sent: true when the reply is
   * known to have gone out, false when known not to, null when the transport cannot tell.
   */
  wasDelivered(messageId: string): Promise<boolean | null>;
  close(): Promise<void>;
}

/**
 * What a failed delivery means for the reply:
 * - connection: the server could not be used at all (unreachable, 421, login refused, TLS);
 *   every reply waits, the oldest is retried first, with backoff;
 * - temporary: this reply was refused for now (a 4xx answer); it is retried with backoff;
 * - permanent: this reply will never be accepted (5xx, a bad address); recorded for a person;
 * - ambiguous: the connection broke after the end of the message may have reached the server;
 *   it may have been accepted, so it is never resent automatically.
 */
export type FailureClass = 'connection' | 'temporary' | 'permanent' | 'ambiguous';

export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    readonly failure: FailureClass,
  ) {
    super(message);
  }
}

/**
 * The RFC 5322 bytes of a reply, built the same way whichever transport sends it. nodemailer's
 * composer alone, without a transport around it: the same bytes (lines end in CRLF, in the .eml
 * files as on the wire) for about half the CPU of its stream transport.
 */
export function composeMime(mail: OutgoingMail): Promise<Buffer> {
  return new Promise((resolve, reject) => new MailComposer(toNodemailer(mail)).compile().build((err, bytes) => (err ? reject(err) : resolve(bytes))));
}

export function toNodemailer(mail: OutgoingMail): SendMailOptions {
  return {
    from: { name: mail.from.name, address: mail.from.address },
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    ...(mail.html !== undefined ? { html: mail.html } : {}),
    ...(mail.attachments && mail.attachments.length > 0 ? { attachments: mail.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })) } : {}),
    messageId: mail.messageId,
    inReplyTo: mail.inReplyTo ?? undefined,
    references: mail.references ?? undefined,
    textEncoding: 'base64',
    headers: {
      // RFC 3834: marks the mail as automatic, so well-behaved auto-responders stay quiet.
      'Auto-Submitted': mail.autoSubmitted,
      // Exchange/Outlook honour this one instead of Auto-Submitted.
      'X-Auto-Response-Suppress': 'All',
    },
  };
}

/**
 * The message as a stream that holds back its end until `handOver` has resolved. An SMTP
 * client writes the end-of-data mark (CRLF.CRLF) only when its source ends, and a server can
 * accept a message only after that mark (RFC 5321 4.1.1.4), so until then nothing is accepted.
 */
export function heldBackStream(bytes: Buffer, handOver: HandOver, onHandedOver: () => void): Readable {
  let started = false;
  return new Readable({
    read() {
      if (started) return;
      started = true;
      this.push(bytes);
      handOver().then(
        () => {
          onHandedOver();
          this.push(null);
        },
        (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))),
      );
    },
  });
}
