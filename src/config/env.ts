import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseImapEnv, type ImapSettings } from './imap.js';

/**
 * Everything intake reads from the environment, parsed once. Secrets live here and nowhere
 * else; nothing in this object is ever logged whole.
 */
export interface Settings {
  rulesDir: string;
  dataDir: string;
  /** A SQLite file path (default <data>/intake.db). */
  database: string;
  /** The Maildir `intake run` watches when no IMAP server is configured. */
  inboxDir: string;
  /** Only the embedded default inbox (<data>/inbox, INBOX_DIR unset) is seeded with demo mail. */
  seedDemoInbox: boolean;
  /** Where replies are written as .eml files when no SMTP server is configured. */
  outboxDir: string;
  rawDir: string;
  smtpUrl: string | null;
  /** REPLIES=off records what would be sent without sending. */
  repliesEnabled: boolean;
  /** How often `intake run` rescans the inbox (fs events only make it sooner). */
  pollMs: number;
  /** The mailbox `intake run` watches over IMAP instead of the Maildir; null when not configured. */
  imap: ImapSettings | null;
  /**
   * Messages up to this size are read whole into memory to be parsed; a larger one is streamed
   * to the raw archive and recorded with a MessageTooLarge error for a person.
   */
  maxMessageBytes: number;
}

const EnvSchema = z.object({
  INTAKE_RULES: z.string().optional(),
  INTAKE_DATA: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  INBOX_DIR: z.string().optional(),
  OUTBOX_DIR: z.string().optional(),
  SMTP_URL: z.string().optional(),
  REPLIES: z.enum(['on', 'off'], { message: 'REPLIES must be "on" or "off"' }).optional(),
  POLL_SECONDS: z.coerce.number({ message: 'POLL_SECONDS must be a number of seconds' }).positive().optional(),
  MAX_MESSAGE_MB: z.coerce.number({ message: 'MAX_MESSAGE_MB must be a number of megabytes, e.g. 50' }).positive().optional(),
});

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export function loadSettings(flags: { rules?: string; data?: string }, env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = EnvSchema.safeParse(env);
  const errors = parsed.success ? [] : parsed.error.issues.map((i) => `environment variable ${String(i.path[0])}: ${i.message}`);
  const imap = parseImapEnv(env, errors);
  if (!parsed.success || errors.length > 0) throw new SettingsError(errors.join('\n'));
  const e = parsed.data;
  const dataDir = resolve(flags.data ?? e.INTAKE_DATA ?? './var');
  return {
    rulesDir: resolve(flags.rules ?? e.INTAKE_RULES ?? './rules'),
    dataDir,
    database: e.DATABASE_URL ?? join(dataDir, 'intake.db'),
    inboxDir: resolve(e.INBOX_DIR ?? join(dataDir, 'inbox')),
    seedDemoInbox: e.INBOX_DIR === undefined,
    outboxDir: resolve(e.OUTBOX_DIR ?? join(dataDir, 'outbox')),
    rawDir: join(dataDir, 'raw'),
    smtpUrl: e.SMTP_URL && e.SMTP_URL !== '' ? e.SMTP_URL : null,
    repliesEnabled: e.REPLIES !== 'off',
    pollMs: (e.POLL_SECONDS ?? 5) * 1000,
    imap,
    maxMessageBytes: Math.round((e.MAX_MESSAGE_MB ?? 50) * 1024 * 1024),
  };
}
