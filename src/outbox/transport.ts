import nodemailer, { type SendMailOptions } from 'nodemailer';

export interface OutgoingMail {
  from: { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  /** Our Message-ID for the reply, with angle brackets; how a delivery is recognised later. */
  messageId: string;
  inReplyTo?: string | null;
  references?: string | null;
  /** An HTML alternative to `text` (multipart/alternative); text-only when absent. */
  html?: string;
  attachments?: Array<{ filename: string; content: Buffer; contentType: string }>;
  /**
   * RFC 3834: "auto-replied" for an answer to a message (the default), "auto-generated" for
   * mail intake sends on its own (the digest).
   */
  autoSubmitted?: 'auto-replied' | 'auto-generated';
}

/** Where replies go: SMTP, or files when no server is configured. */
export interface Transport {
  readonly name: string;
  send(mail: OutgoingMail): Promise<void>;
  /**
   * After a crash between handing a reply over and marking it sent: true when the reply is
   * known to have gone out, false when known not to, null when the transport cannot tell.
   */
  wasDelivered(messageId: string): Promise<boolean | null>;
  close(): Promise<void>;
}

/** A delivery failure that will not succeed by retrying (5xx, a bad address). */
export class PermanentDeliveryError extends Error {
  override name = 'PermanentDeliveryError';
}

const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'crlf' });

/** The RFC 5322 bytes of a reply, built the same way whichever transport sends it. */
export async function composeMime(mail: OutgoingMail): Promise<Buffer> {
  const info = await composer.sendMail(toNodemailer(mail));
  return info.message as Buffer;
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
      // RFC 3834: marks the reply as automatic, so well-behaved auto-responders stay quiet.
      'Auto-Submitted': mail.autoSubmitted ?? 'auto-replied',
      // Exchange/Outlook honour this one instead of Auto-Submitted.
      'X-Auto-Response-Suppress': 'All',
    },
  };
}
