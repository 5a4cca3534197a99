import { createRequire } from 'node:module';

// node-cron is loaded only when an IMAP mailbox is configured: every other command starts faster.
const validateCron = (expr: string) => (createRequire(import.meta.url)('node-cron') as typeof import('node-cron')).validateDetailed(expr);

/** What to do with old mail the first time intake sees a mailbox. */
export type ExistingMail = 'since-opens' | 'all' | 'baseline';

/** What intake does to a message in the mailbox once it is archived and decided. */
export type AfterAction = { kind: 'none' } | { kind: 'seen' } | { kind: 'keyword'; keyword: string } | { kind: 'move'; folder: string };

export type ImapTls = 'tls' | 'starttls' | 'none';

export interface ImapSettings {
  host: string;
  port: number;
  /** tls: implicit TLS (993); starttls: upgrade required; none: cleartext (loopback test servers only). */
  tls: ImapTls;
  user: string;
  /** Never logged; `describeImap` leaves it out. */
  password: string;
  mailbox: string;
  /** node-cron expression of the safety poll that catches what IDLE missed. */
  pollCron: string;
  existingMail: ExistingMail;
  after: AfterAction;
  /** Warn when no sync has succeeded for this long. */
  unreachableAfterMs: number;
  /** Reconnect backoff: first delay and ceiling. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

const TLS_VALUES = ['tls', 'starttls', 'none'] as const;
const EXISTING_VALUES = ['since-opens', 'all', 'baseline'] as const;

/** The IMAP variables intake reads; README "Configuration" documents each. */
export const IMAP_VARIABLES = ['IMAP_URL', 'IMAP_HOST', 'IMAP_PORT', 'IMAP_USER', 'IMAP_PASSWORD', 'IMAP_TLS', 'IMAP_MAILBOX', 'IMAP_POLL_CRON', 'IMAP_EXISTING_MAIL', 'IMAP_AFTER', 'IMAP_UNREACHABLE_MINUTES'] as const;

/** `user@host:port/mailbox` for logs and screens: never the password. */
export function describeImap(s: Pick<ImapSettings, 'user' | 'host' | 'port' | 'mailbox' | 'tls'>): string {
  return `${s.tls === 'tls' ? 'imaps' : 'imap'}://${s.user}@${s.host}:${s.port}/${s.mailbox}`;
}

export function parseAfterAction(v: string): AfterAction | string {
  const t = v.trim();
  if (t === 'none') return { kind: 'none' };
  if (t === 'seen' || t === '\\Seen') return { kind: 'seen' };
  const m = /^(keyword|move):(.+)$/.exec(t);
  if (m?.[1] === 'keyword') {
    // RFC 3501 flag-keyword is an atom: no spaces, parentheses, braces, quotes, % * ] or backslash.
    if (!/^[^\s(){%*"\\\]\x00-\x1f\x7f]+$/.test(m[2]!)) return `IMAP_AFTER: "${m[2]}" is not a valid IMAP keyword (letters, digits, $ - _ . are safe; no spaces)`;
    return { kind: 'keyword', keyword: m[2]! };
  }
  if (m?.[1] === 'move') return { kind: 'move', folder: m[2]!.trim() };
  return `IMAP_AFTER must be none, seen, keyword:<name> or move:<folder> (got "${t}")`;
}

/**
 * The IMAP source's settings from the environment, or null when no IMAP server is configured.
 * Problems are pushed to `errors` (one line each, naming the variable and the fix); no message
 * ever contains the password or the URL that carries it.
 */
export function parseImapEnv(env: NodeJS.ProcessEnv, errors: string[]): ImapSettings | null {
  const get = (k: string) => {
    const v = env[k];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const url = get('IMAP_URL');
  const host = get('IMAP_HOST');
  if (!url && !host) {
    for (const k of ['IMAP_USER', 'IMAP_PASSWORD']) if (get(k)) errors.push(`environment variable ${k} is set but IMAP_URL and IMAP_HOST are not: set IMAP_URL (e.g. imaps://user@imap.sina.com:993/INBOX) or IMAP_HOST`);
    return null;
  }
  if (url && host) {
    errors.push('environment variables IMAP_URL and IMAP_HOST are both set: use one (IMAP_URL, or IMAP_HOST with IMAP_PORT/IMAP_USER/IMAP_PASSWORD/IMAP_TLS/IMAP_MAILBOX)');
    return null;
  }
  const before = errors.length;
  let fromUrl: { host: string; port?: number; user?: string; password?: string; mailbox?: string; tls: ImapTls } | null = null;
  if (url) {
    let u: URL | null = null;
    try {
      u = new URL(url);
    } catch {
      errors.push('environment variable IMAP_URL is not a valid URL: write it as imaps://user:password@host:993/INBOX (percent-encode @ / : # in the user and password, e.g. jjszjjb%40sina.com)');
    }
    if (u) {
      if (u.protocol !== 'imaps:' && u.protocol !== 'imap:') errors.push(`environment variable IMAP_URL must start with imaps:// (TLS, port 993) or imap:// (STARTTLS, port 143), not ${u.protocol}//`);
      if (u.search || u.hash) errors.push('environment variable IMAP_URL has a query or fragment: a # or ? in the password must be percent-encoded (%23, %3F), or put the password in IMAP_PASSWORD');
      const dec = (s: string, what: string) => {
        try {
          return decodeURIComponent(s);
        } catch {
          errors.push(`environment variable IMAP_URL: the ${what} has a broken %-escape`);
          return s;
        }
      };
      const path = u.pathname.replace(/^\//, '');
      fromUrl = {
        host: u.hostname,
        port: u.port ? Number(u.port) : undefined,
        user: u.username ? dec(u.username, 'user name') : undefined,
        password: u.password ? dec(u.password, 'password') : undefined,
        mailbox: path ? dec(path, 'mailbox') : undefined,
        tls: u.protocol === 'imap:' ? 'starttls' : 'tls',
      };
    }
  }

  const tlsVar = get('IMAP_TLS');
  if (tlsVar && !(TLS_VALUES as readonly string[]).includes(tlsVar)) errors.push(`environment variable IMAP_TLS must be tls (implicit TLS, port 993), starttls or none (cleartext: local test servers only), not "${tlsVar}"`);
  const portVar = get('IMAP_PORT');
  let port: number | undefined;
  if (portVar !== undefined) {
    port = Number(portVar);
    if (!Number.isInteger(port) || port < 1 || port > 65535) errors.push(`environment variable IMAP_PORT must be a port number (993 for imaps), not "${portVar}"`);
  }

  const pick = (name: string, a: string | undefined, b: string | undefined): string | undefined => {
    if (a !== undefined && b !== undefined && a !== b) errors.push(`IMAP_URL and ${name} disagree: set it in one place`);
    return a ?? b;
  };
  const tls = (tlsVar as ImapTls | undefined) ?? fromUrl?.tls ?? (port === 143 ? 'starttls' : 'tls');
  const user = pick('IMAP_USER', fromUrl?.user, get('IMAP_USER'));
  const password = fromUrl?.password !== undefined && get('IMAP_PASSWORD') !== undefined ? (errors.push('IMAP_URL carries a password and IMAP_PASSWORD is set too: keep one'), undefined) : (fromUrl?.password ?? env.IMAP_PASSWORD);
  const mailbox = pick('IMAP_MAILBOX', fromUrl?.mailbox, get('IMAP_MAILBOX')) ?? 'INBOX';
  const resolvedPort = pick('IMAP_PORT', fromUrl?.port?.toString(), port?.toString());
  if (!user) errors.push('no IMAP user: put it in IMAP_URL (imaps://user@host/INBOX) or IMAP_USER (usually the whole address, e.g. jjszjjb@sina.com)');
  if (password === undefined || password === '') errors.push('no IMAP password: set IMAP_PASSWORD (for QQ Mail and 163 this is the authorisation code from the web settings, not the login password)');

  const pollCron = get('IMAP_POLL_CRON') ?? '* * * * *';
  const cron = validateCron(pollCron);
  if (!cron.valid) errors.push(`environment variable IMAP_POLL_CRON is not a cron expression (${cron.errors.map((e) => e.message).join('; ')}): e.g. "* * * * *" for every minute, "*/30 * * * * *" for every 30 seconds`);

  const existing = get('IMAP_EXISTING_MAIL') ?? 'since-opens';
  if (!(EXISTING_VALUES as readonly string[]).includes(existing)) errors.push(`environment variable IMAP_EXISTING_MAIL must be since-opens (default: old mail received since the campaign opened is processed), all, or baseline (old mail is left alone), not "${existing}"`);

  const afterParsed = parseAfterAction(get('IMAP_AFTER') ?? 'none');
  if (typeof afterParsed === 'string') errors.push(`environment variable ${afterParsed}`);

  const minutesVar = get('IMAP_UNREACHABLE_MINUTES');
  const minutes = minutesVar === undefined ? 15 : Number(minutesVar);
  if (!Number.isFinite(minutes) || minutes <= 0) errors.push(`environment variable IMAP_UNREACHABLE_MINUTES must be a positive number of minutes, not "${minutesVar}"`);

  const finalHost = fromUrl?.host ?? host;
  if (!finalHost) errors.push('environment variable IMAP_URL has no host: imaps://user@imap.sina.com:993/INBOX');
  if (errors.length > before) return null;
  return {
    host: finalHost!,
    port: resolvedPort ? Number(resolvedPort) : tls === 'tls' ? 993 : 143,
    tls,
    user: user!,
    password: password!,
    mailbox,
    pollCron,
    existingMail: existing as ExistingMail,
    after: afterParsed as AfterAction,
    unreachableAfterMs: minutes * 60_000,
    reconnectMinMs: 1000,
    reconnectMaxMs: 5 * 60_000,
  };
}
