import type { App } from '../service/app.js';
import { noMailboxHealth, paperCopiesFromRules, type MailboxHealthSource, type PaperCopySource } from './inputs.js';

export interface DigestSources {
  paper: PaperCopySource;
  mailbox: MailboxHealthSource;
}

/**
 * Where the digest learns about paper copies and the mailbox's health. This build records
 * neither: paper copies are taken as required or not from the rules, with none recorded, and a
 * Maildir inbox keeps no health record. The one place to plug in the stored records.
 */
export function digestSources(app: Pick<App, 'rules' | 'db'>): DigestSources {
  return { paper: paperCopiesFromRules(app.rules), mailbox: noMailboxHealth };
}
