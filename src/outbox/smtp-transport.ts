import nodemailer, { type Transporter } from 'nodemailer';
import { PermanentDeliveryError, toNodemailer, type OutgoingMail, type Transport } from './transport.js';

/** Replies over SMTP (nodemailer). 5xx answers are permanent; anything else is retried. */
export class SmtpTransport implements Transport {
  readonly name = 'smtp';
  private readonly transporter: Transporter;

  constructor(url: string) {
    this.transporter = nodemailer.createTransport(url);
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      await this.transporter.sendMail(toNodemailer(mail));
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      if (code !== undefined && code >= 500 && code < 600) throw new PermanentDeliveryError(`SMTP ${code}: ${(err as Error).message}`);
      throw err;
    }
  }

  /** SMTP cannot be asked whether it accepted a message earlier. */
  async wasDelivered(): Promise<null> {
    return null;
  }

  async close(): Promise<void> {
    this.transporter.close();
  }
}
