import { hostname } from 'node:os';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SmtpSettings } from '../config/env.js';
import { composeMime, DeliveryError, heldBackStream, type Delivery, type FailureClass, type HandOver, type OutgoingMail, type Transport } from './transport.js';

/** The parts of a nodemailer error that say what failed. */
export interface SmtpErrorFacts {
  code?: string | undefined;
  responseCode?: number | undefined;
  command?: string | undefined;
}

/**
 * What an SMTP failure means for the reply (see FailureClass). `handedOver`: the whole message
 * except its end-of-data mark had been written when the failure came.
 */
export function classifySmtpError(err: SmtpErrorFacts, handedOver: boolean): FailureClass {
  const code = err.responseCode;
  if (handedOver) {
    // No answer to the end of data (timeout, connection lost): the server may have accepted it.
    if (code === undefined) return 'ambiguous';
    // An answer refuses the message (RFC 5321 4.2.1): 5yz for good; 4yz for now, and as the
    // server's trouble rather than this reply's, so the queue waits and keeps its order.
    return code >= 500 && code !== 503 ? 'permanent' : 'connection';
  }
  // A refused login is the account's problem, not the reply's: every reply waits for the fix.
  if (err.code === 'EAUTH' || err.code === 'ENOAUTH' || err.command?.startsWith('AUTH')) return 'connection';
  // So is a connection that cannot be made secure: a server answering STARTTLS with "500
  // command not recognized" (the wrong port, or STARTTLS stripped on the way) would otherwise
  // fail every reply for good, one after another, though none of them is at fault.
  if (err.code === 'ETLS' || err.command === 'STARTTLS') return 'connection';
  if (code === 421) return 'connection';
  if (code !== undefined) {
    if (code >= 500 && code !== 503) return 'permanent';
    // A recipient refused for now (a full mailbox) is that reply's problem; any other 4xx
    // (MAIL FROM, DATA: the account is throttled, the server busy) holds every reply back.
    return err.command === 'RCPT TO' ? 'temporary' : 'connection';
  }
  // No server answer: an address nodemailer refuses to send to, or a message too large.
  if (err.code === 'EENVELOPE' || err.code === 'EMESSAGE') return 'permanent';
  // ECONNECTION, ESOCKET, ETIMEDOUT, EDNS, ETLS, EPROTOCOL: the server could not be used.
  return 'connection';
}

/**
 * Replies over SMTP with nodemailer's SMTP client. One connection per reply: a reply is a few
 * kilobytes, units number in the tens, and a fresh connection makes every failure belong to
 * one reply only. The client is driven step by step (connect, login, send) rather than through
 * nodemailer's transporter because the transporter reads a message ahead before the envelope
 * is accepted; here the message stream is piped only after the server's 354, and its end is
 * held back until the sender has recorded the hand-over (see heldBackStream). That narrows
 * "may have been accepted" to the end-of-data round trip.
 */
export class SmtpTransport implements Transport {
  readonly name = 'smtp';

  constructor(private readonly settings: SmtpSettings) {}

  private options(): SMTPConnection.Options {
    const s = this.settings;
    return {
      host: s.host,
      port: s.port,
      secure: s.tls === 'secure',
      requireTLS: s.tls === 'starttls',
      ignoreTLS: s.tls === 'none',
      name: hostname(),
      connectionTimeout: s.timeoutMs,
      greetingTimeout: s.timeoutMs,
      socketTimeout: s.timeoutMs,
      dnsTimeout: s.timeoutMs,
      logger: false,
    };
  }

  /** Connects and logs in; the caller sends on the connection, then quits. */
  private async open(): Promise<{ conn: SMTPConnection; failed: Promise<never> }> {
    const conn = new SMTPConnection(this.options());
    // The client reports a broken connection as an event as well as to the pending callback;
    // whichever comes first settles the step in progress.
    const failed = new Promise<never>((_, reject) => {
      conn.once('error', reject);
      conn.once('end', () => reject(Object.assign(new Error('connection closed by the server'), { code: 'ECONNECTION' })));
    });
    failed.catch(() => {});
    const step = <T>(run: (done: (err: Error | null | undefined, v?: T) => void) => void) =>
      Promise.race([failed, new Promise<T>((resolve, reject) => run((err, v) => (err ? reject(err) : resolve(v as T))))]);
    try {
      await step<void>((done) => conn.connect((err) => done(err)));
      if (this.settings.user !== null) {
        await step<boolean>((done) => conn.login({ user: this.settings.user!, pass: this.settings.password ?? '' }, (err, ok) => done(err, ok)));
      }
    } catch (err) {
      conn.close();
      throw err;
    }
    return { conn, failed };
  }

  async send(mail: OutgoingMail, handOver: HandOver): Promise<Delivery> {
    const bytes = await composeMime(mail);
    let handedOver = false;
    let conn: SMTPConnection | undefined;
    try {
      const opened = await this.open();
      conn = opened.conn;
      const c = conn;
      const info = await Promise.race([
        opened.failed,
        new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) =>
          c.send({ from: mail.from.address, to: [mail.to], size: bytes.length }, heldBackStream(bytes, handOver, () => (handedOver = true)), (err, i) => (err ? reject(err) : resolve(i))),
        ),
      ]);
      if (info.rejected.length > 0) throw Object.assign(new Error(`recipient refused: ${info.rejected.join(', ')}`), { code: 'EENVELOPE' });
      c.quit();
      return { response: info.response };
    } catch (err) {
      conn?.close();
      const e = err as Error & SmtpErrorFacts;
      throw new DeliveryError(`SMTP ${this.settings.host}:${this.settings.port}: ${e.message}${e.code && !e.message.includes(e.code) ? ` (${e.code})` : ''}`, classifySmtpError(e, handedOver));
    }
  }

  /** Connects and logs in without sending anything; throws what went wrong. */
  async verify(): Promise<void> {
    const { conn } = await this.open();
    conn.quit();
  }

  /** SMTP cannot be asked whether it accepted a message earlier. */
  async wasDelivered(): Promise<null> {
    return null;
  }

  async close(): Promise<void> {}
}
