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
  /** Only the embedded default inbox (<data>/inbox, INBOX_DIR unset), and only without SMTP, is seeded with demo mail. */
  seedDemoInbox: boolean;
  /** Where replies are written as .eml files when no SMTP server is configured. */
  outboxDir: string;
  rawDir: string;
  /** The SMTP server replies go out through; null: replies are written as files to outboxDir. */
  smtp: SmtpSettings | null;
  /** REPLIES=off or --dry-run: replies are decided and recorded, never sent. */
  repliesEnabled: boolean;
  /** Why replies are not sent (the note recorded on each reply held back), or null when they are. */
  repliesOffReason: string | null;
  /** Delivery retries for temporary failures (4xx, server unreachable): attempts and backoff. */
  retry: RetrySettings;
  /** The mailbox's Sent folder over IMAP, asked about replies whose delivery was cut off; null: not asked. */
  sentFolder: SentFolderSettings | null;
  /** How often `intake run` rescans the inbox (fs events only make it sooner). */
  pollMs: number;
  /** SOFFICE: LibreOffice's soffice binary for documents the libraries cannot read; "off" disables it; unset finds it on PATH. */
  soffice: string | undefined;
  /** READER_PROCESSES: how many child processes read documents side by side. */
  readerProcesses: number;
  /** The mailbox `intake run` watches over IMAP instead of the Maildir; null when not configured. */
  imap: ImapSettings | null;
  /**
   * IMAP messages up to this size are fetched into memory; a larger one is streamed straight to
   * the raw archive (every message is parsed from the archive as a stream either way).
   */
  maxMessageBytes: number;
}

export type SmtpTls = 'secure' | 'starttls' | 'none';

/**
 * Where replies are sent. `password` is not enumerable, so neither JSON.stringify nor a logger
 * handed this object ever prints it; `display` is the safe way to name the server.
 */
export interface SmtpSettings {
  host: string;
  port: number;
  /** secure: TLS from the first byte (port 465); starttls: upgrade, refusing to go on without it; none: plain. */
  tls: SmtpTls;
  user: string | null;
  readonly password: string | null;
  timeoutMs: number;
  /** e.g. `smtps://jjszjjb@sina.com@smtp.sina.com:465`, never with the password. */
  display: string;
}

/** An IMAP account's Sent folder (SENT_IMAP_URL). `password` is not enumerable, as for SMTP. */
export interface SentFolderSettings {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  readonly password: string;
  /** The folder's path; null: the one the server marks \Sent (RFC 6154). */
  folder: string | null;
  /** How long after a cut-off delivery the folder is asked (a copy can be filed late). */
  delayMs: number;
  timeoutMs: number;
  display: string;
}

export interface RetrySettings {
  /** A reply that failed temporarily this many times is recorded as failed, for a person. */
  maxAttempts: number;
  /** The first retry waits this long; each next one twice as long, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

const DEFAULT_PORTS: Record<SmtpTls, number> = { secure: 465, starttls: 587, none: 25 };

const EnvSchema = z.object({
  INTAKE_RULES: z.string().optional(),
  INTAKE_DATA: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  INBOX_DIR: z.string().optional(),
  OUTBOX_DIR: z.string().optional(),
  SMTP_URL: z.string().optional(),
  SMTP_HOST: z.string().optional(),
  SMTP_PORT: z.coerce.number({ message: 'SMTP_PORT must be a port number, e.g. 465' }).int({ message: 'SMTP_PORT must be a whole number, e.g. 465' }).min(1).max(65535).optional(),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  SMTP_TLS: z.enum(['secure', 'starttls', 'none'], { message: 'SMTP_TLS must be "secure" (TLS from the start, port 465), "starttls" (port 587) or "none"' }).optional(),
  SMTP_TIMEOUT_SECONDS: z.coerce.number({ message: 'SMTP_TIMEOUT_SECONDS must be a number of seconds' }).positive().optional(),
  SENT_IMAP_URL: z.string().optional(),
  SENT_FOLDER: z.string().optional(),
  SENT_FOLDER_DELAY_SECONDS: z.coerce.number({ message: 'SENT_FOLDER_DELAY_SECONDS must be a number of seconds' }).min(0).optional(),
  REPLY_MAX_ATTEMPTS: z.coerce.number({ message: 'REPLY_MAX_ATTEMPTS must be a whole number' }).int().min(1).optional(),
  REPLY_RETRY_SECONDS: z.coerce.number({ message: 'REPLY_RETRY_SECONDS must be a number of seconds' }).positive().optional(),
  REPLIES: z.enum(['on', 'off'], { message: 'REPLIES must be "on" or "off"' }).optional(),
  SOFFICE: z.string().optional(),
  READER_PROCESSES: z.coerce.number({ message: 'READER_PROCESSES must be a whole number of processes, e.g. 2' }).int({ message: 'READER_PROCESSES must be a whole number of processes, e.g. 2' }).min(1, { message: 'READER_PROCESSES must be 1 or more' }).max(16, { message: 'READER_PROCESSES must be at most 16 (each process may use up to 1 GiB)' }).optional(),
  POLL_SECONDS: z.coerce.number({ message: 'POLL_SECONDS must be a number of seconds' }).positive().optional(),
  MAX_MESSAGE_MB: z.coerce.number({ message: 'MAX_MESSAGE_MB must be a number of megabytes, e.g. 50' }).positive().optional(),
});

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export function loadSettings(flags: { rules?: string; data?: string; dryRun?: boolean }, env: NodeJS.ProcessEnv = process.env): Settings {
  // An empty variable (`SMTP_HOST=` in a compose file) means unset.
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = EnvSchema.safeParse(set);
  const errors = parsed.success ? [] : parsed.error.issues.map((i) => `environment variable ${String(i.path[0])}: ${i.message}`);
  const imap = parseImapEnv(set, errors);
  if (!parsed.success || errors.length > 0) throw new SettingsError(errors.join('\n'));
  const e = parsed.data;
  const dataDir = resolve(flags.data ?? e.INTAKE_DATA ?? './var');
  const smtp = smtpSettings(e);
  return {
    rulesDir: resolve(flags.rules ?? e.INTAKE_RULES ?? './rules'),
    dataDir,
    database: e.DATABASE_URL ?? join(dataDir, 'intake.db'),
    inboxDir: resolve(e.INBOX_DIR ?? join(dataDir, 'inbox')),
    // The demo mail's senders are real addresses (at 163, QQ, 126): with an SMTP server set, its
    // replies would reach them. Demo mail only where replies go to the file outbox.
    seedDemoInbox: e.INBOX_DIR === undefined && smtp === null,
    outboxDir: resolve(e.OUTBOX_DIR ?? join(dataDir, 'outbox')),
    rawDir: join(dataDir, 'raw'),
    smtp,
    repliesEnabled: !flags.dryRun && e.REPLIES !== 'off',
    repliesOffReason: flags.dryRun ? 'dry run (--dry-run): recorded, not sent' : e.REPLIES === 'off' ? 'REPLIES=off: recorded, not sent' : null,
    retry: {
      maxAttempts: e.REPLY_MAX_ATTEMPTS ?? 10,
      baseDelayMs: (e.REPLY_RETRY_SECONDS ?? 60) * 1000,
      maxDelayMs: Math.max((e.REPLY_RETRY_SECONDS ?? 60) * 1000, 3600_000),
    },
    sentFolder: sentFolderSettings(e, imap),
    pollMs: (e.POLL_SECONDS ?? 5) * 1000,
    soffice: e.SOFFICE && e.SOFFICE !== '' ? e.SOFFICE : undefined,
    // One by default: with the read-ahead of a batch (Pipeline.processAll) it already keeps a
    // second core busy, and on the 2-core benchmark a second one was no faster (20.5 s against
    // 20.2 s for 500 submissions) while it cost another ~140 MB. More help with more cores.
    readerProcesses: e.READER_PROCESSES ?? 1,
    imap,
    maxMessageBytes: Math.round((e.MAX_MESSAGE_MB ?? 50) * 1024 * 1024),
  };
}

/**
 * SENT_IMAP_URL (imaps://user:password@imap.sina.com:993), SENT_FOLDER, SENT_FOLDER_DELAY_SECONDS;
 * without SENT_IMAP_URL, the watched IMAP account's own Sent folder (the mailbox replies are
 * sent from is the one intake watches, and Sina, QQ and 163 file what their SMTP sends there).
 */
function sentFolderSettings(e: z.infer<typeof EnvSchema>, imap: ImapSettings | null): SentFolderSettings | null {
  if (e.SENT_IMAP_URL === undefined) {
    if (imap) {
      const secure = imap.tls === 'tls';
      return sentFolder(e, { host: imap.host, port: imap.port, secure, user: imap.user, password: imap.password }, `${secure ? 'imaps' : 'imap'}://${imap.user}@${imap.host}:${imap.port} (the watched account)`);
    }
    if (e.SENT_FOLDER !== undefined) throw new SettingsError('SENT_FOLDER is set but SENT_IMAP_URL is not: set SENT_IMAP_URL=imaps://user:password@imap.example.com:993 too');
    return null;
  }
  const fail = (msg: string): never => {
    throw new SettingsError(`environment variable SENT_IMAP_URL: ${msg}`);
  };
  let url: URL;
  try {
    url = new URL(e.SENT_IMAP_URL);
  } catch {
    return fail('not a URL; write it as imaps://user:password@imap.example.com:993 (percent-encode @ : / in the user and password)');
  }
  if (url.protocol !== 'imaps:' && url.protocol !== 'imap:') fail('must start with imaps:// (TLS, port 993) or imap:// (port 143)');
  if (url.hostname === '') fail('names no server');
  if (url.username === '' || url.password === '') fail('needs a user and a password (for Sina and QQ Mail, the authorisation code)');
  let user = '';
  let password = '';
  try {
    user = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    fail('the user or password is wrongly percent-encoded (a literal % is written %25)');
  }
  const secure = url.protocol === 'imaps:';
  const port = url.port !== '' ? Number(url.port) : secure ? 993 : 143;
  return sentFolder(e, { host: url.hostname, port, secure, user, password }, `${url.protocol}//${user}@${url.hostname}:${port}`);
}

/** The Sent folder's settings for an account; the password is kept off enumeration (logs, JSON). */
function sentFolder(e: z.infer<typeof EnvSchema>, account: Pick<SentFolderSettings, 'host' | 'port' | 'secure' | 'user' | 'password'>, display: string): SentFolderSettings {
  const { password, ...visible } = account;
  const settings = {
    ...visible,
    folder: e.SENT_FOLDER ?? null,
    delayMs: (e.SENT_FOLDER_DELAY_SECONDS ?? 120) * 1000,
    timeoutMs: (e.SMTP_TIMEOUT_SECONDS ?? 60) * 1000,
    display,
  } as SentFolderSettings;
  Object.defineProperty(settings, 'password', { value: password, enumerable: false });
  return settings;
}

/**
 * SMTP_URL, or SMTP_HOST with SMTP_PORT, SMTP_USER, SMTP_PASSWORD and SMTP_TLS. Errors name the
 * variable and the fix, and never repeat a value (a URL holds the password).
 */
function smtpSettings(e: z.infer<typeof EnvSchema>): SmtpSettings | null {
  const fail = (msg: string): never => {
    throw new SettingsError(msg);
  };
  let host: string;
  let port: number | undefined = e.SMTP_PORT;
  let tls: SmtpTls | undefined = e.SMTP_TLS;
  let user = e.SMTP_USER ?? null;
  let password = e.SMTP_PASSWORD ?? null;
  if (e.SMTP_URL !== undefined) {
    if (e.SMTP_HOST !== undefined) fail('set either SMTP_URL or SMTP_HOST (with SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_TLS), not both');
    let url: URL;
    try {
      url = new URL(e.SMTP_URL);
    } catch {
      return fail('environment variable SMTP_URL: not a URL; write it as smtps://user:password@smtp.example.com:465 (percent-encode @ : / in the user and password)');
    }
    if (url.protocol !== 'smtps:' && url.protocol !== 'smtp:') fail('environment variable SMTP_URL: must start with smtps:// (TLS, port 465) or smtp:// (STARTTLS, port 587)');
    if (url.hostname === '') fail('environment variable SMTP_URL: names no server; write it as smtps://user:password@smtp.example.com:465');
    host = url.hostname;
    if (url.port !== '') port = Number(url.port);
    tls ??= url.protocol === 'smtps:' ? 'secure' : 'starttls';
    try {
      if (url.username !== '') user = decodeURIComponent(url.username);
      if (url.password !== '') password = decodeURIComponent(url.password);
    } catch {
      fail('environment variable SMTP_URL: the user or password is wrongly percent-encoded (a literal % is written %25)');
    }
  } else if (e.SMTP_HOST !== undefined) {
    host = e.SMTP_HOST.trim();
    // Plain text only when asked for: a password never crosses the network unencrypted by default.
    tls ??= port === undefined || port === 465 ? 'secure' : 'starttls';
  } else {
    if (e.SMTP_USER !== undefined || e.SMTP_PASSWORD !== undefined || e.SMTP_PORT !== undefined) fail('SMTP_USER, SMTP_PASSWORD or SMTP_PORT is set but no server: set SMTP_HOST (or SMTP_URL) too');
    return null;
  }
  if (user !== null && password === null) fail('an SMTP user is set without a password: set SMTP_PASSWORD (for Sina and QQ Mail, the authorisation code, not the login password)');
  if (password !== null && user === null) fail('an SMTP password is set without a user: set SMTP_USER (usually the mailbox address)');
  port ??= DEFAULT_PORTS[tls];
  const display = `${tls === 'secure' ? 'smtps' : 'smtp'}://${user ? `${user}@` : ''}${host}:${port}${tls === 'none' ? ' (no TLS)' : ''}`;
  const settings = { host, port, tls, user, timeoutMs: (e.SMTP_TIMEOUT_SECONDS ?? 60) * 1000, display } as SmtpSettings;
  Object.defineProperty(settings, 'password', { value: password, enumerable: false });
  return settings;
}
