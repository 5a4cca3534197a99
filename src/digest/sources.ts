import type { App } from '../service/app.js';
import { noMailboxHealth, type MailboxHealthSource } from './inputs.js';

export interface DigestSources {
  mailbox: MailboxHealthSource;
}

/**
 * Where the digest learns the mailbox's health. A Maildir inbox keeps no health record; the one
 * place to plug in the IMAP source's.
 */
export function digestSources(_app: Pick<App, 'rules' | 'db'>): DigestSources {
  return { mailbox: noMailboxHealth };
}
