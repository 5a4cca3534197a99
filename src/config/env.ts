import { join, resolve } from 'node:path';
import { z } from 'zod';

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
  /** SOFFICE: LibreOffice's soffice binary for documents the libraries cannot read; "off" disables it; unset finds it on PATH. */
  soffice: string | undefined;
}

const EnvSchema = z.object({
  INTAKE_RULES: z.string().optional(),
  INTAKE_DATA: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  INBOX_DIR: z.string().optional(),
  OUTBOX_DIR: z.string().optional(),
  SMTP_URL: z.string().optional(),
  REPLIES: z.enum(['on', 'off'], { message: 'REPLIES must be "on" or "off"' }).optional(),
  SOFFICE: z.string().optional(),
  POLL_SECONDS: z.coerce.number({ message: 'POLL_SECONDS must be a number of seconds' }).positive().optional(),
});

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export function loadSettings(flags: { rules?: string; data?: string }, env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new SettingsError(parsed.error.issues.map((i) => `environment variable ${String(i.path[0])}: ${i.message}`).join('\n'));
  }
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
    soffice: e.SOFFICE && e.SOFFICE !== '' ? e.SOFFICE : undefined,
  };
}
