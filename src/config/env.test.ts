import { describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from './env.js';

const load = (env: NodeJS.ProcessEnv, flags: { dryRun?: boolean } = {}) => loadSettings({ data: '/tmp/intake-env-test', ...flags }, env);
const error = (env: NodeJS.ProcessEnv): string => {
  try {
    load(env);
  } catch (err) {
    if (err instanceof SettingsError) return err.message;
    throw err;
  }
  throw new Error('no error');
};

describe('SMTP settings', () => {
  it('no SMTP: replies go to files', () => {
    expect(load({}).smtp).toBeNull();
    expect(load({ SMTP_HOST: '' }).smtp).toBeNull();
  });

  it('the demo mail is seeded only into the default inbox, and never when replies would go out over SMTP (its senders are real addresses)', () => {
    expect(load({}).seedDemoInbox).toBe(true);
    expect(load({ INBOX_DIR: '/srv/mail/inbox' }).seedDemoInbox).toBe(false);
    expect(load({ SMTP_URL: 'smtps://jjszjjb%40sina.com:code@smtp.sina.com' }).seedDemoInbox).toBe(false);
  });

  it('SMTP_URL for Sina with an authorisation code: TLS on 465, the code decoded, never enumerable', () => {
    const s = load({ SMTP_URL: 'smtps://jjszjjb%40sina.com:a1b2%2Fc3%3Ad4@smtp.sina.com:465' }).smtp!;
    expect(s).toMatchObject({ host: 'smtp.sina.com', port: 465, tls: 'secure', user: 'jjszjjb@sina.com', display: 'smtps://jjszjjb@sina.com@smtp.sina.com:465' });
    expect(s.password).toBe('a1b2/c3:d4');
    expect(JSON.stringify(s)).not.toContain('a1b2');
    expect(Object.keys(s)).not.toContain('password');
  });

  it('smtp:// means STARTTLS on 587; SMTP_TLS overrides', () => {
    expect(load({ SMTP_URL: 'smtp://u:p@mail.example.com' }).smtp).toMatchObject({ tls: 'starttls', port: 587 });
    expect(load({ SMTP_URL: 'smtp://relay.local:25', SMTP_TLS: 'none' }).smtp).toMatchObject({ tls: 'none', port: 25, user: null });
  });

  it('SMTP_HOST and friends for QQ Mail: 465 with TLS by default; plain text only when asked', () => {
    const s = load({ SMTP_HOST: 'smtp.qq.com', SMTP_USER: '12345@qq.com', SMTP_PASSWORD: 'abcdefghijklmnop' }).smtp!;
    expect(s).toMatchObject({ host: 'smtp.qq.com', port: 465, tls: 'secure', user: '12345@qq.com', password: 'abcdefghijklmnop' });
    expect(load({ SMTP_HOST: 'h', SMTP_PORT: '587' }).smtp).toMatchObject({ tls: 'starttls', port: 587 });
    expect(load({ SMTP_HOST: 'h', SMTP_PORT: '2525' }).smtp).toMatchObject({ tls: 'starttls' });
    expect(load({ SMTP_HOST: 'h', SMTP_TLS: 'none' }).smtp).toMatchObject({ tls: 'none', port: 25 });
  });

  it('clear errors that name the variable and the fix, and never repeat the password', () => {
    expect(error({ SMTP_URL: 'smtps://u:secretpw@x', SMTP_HOST: 'y' })).toBe('set either SMTP_URL or SMTP_HOST (with SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_TLS), not both');
    const notUrl = error({ SMTP_URL: 'sina 465 secretpw' });
    expect(notUrl).toMatch(/^environment variable SMTP_URL: not a URL; write it as smtps:\/\//);
    expect(notUrl).not.toContain('secretpw');
    expect(error({ SMTP_URL: 'https://u:secretpw@x' })).toBe('environment variable SMTP_URL: must start with smtps:// (TLS, port 465) or smtp:// (STARTTLS, port 587)');
    expect(error({ SMTP_HOST: 'h', SMTP_USER: 'u' })).toMatch(/^an SMTP user is set without a password: set SMTP_PASSWORD \(for Sina and QQ Mail, the authorisation code/);
    expect(error({ SMTP_HOST: 'h', SMTP_PASSWORD: 'secretpw' })).toBe('an SMTP password is set without a user: set SMTP_USER (usually the mailbox address)');
    expect(error({ SMTP_USER: 'u', SMTP_PASSWORD: 'p' })).toBe('SMTP_USER, SMTP_PASSWORD or SMTP_PORT is set but no server: set SMTP_HOST (or SMTP_URL) too');
    expect(error({ SMTP_HOST: 'h', SMTP_TLS: 'ssl' })).toMatch(/^environment variable SMTP_TLS: SMTP_TLS must be "secure" .* "starttls" .* or "none"$/);
    expect(error({ SMTP_HOST: 'h', SMTP_PORT: 'smtp' })).toMatch(/^environment variable SMTP_PORT: SMTP_PORT must be a port number/);
  });
});

describe('Sent folder, retries, dry run', () => {
  it('SENT_IMAP_URL names the Sent folder to ask; the password is never enumerable', () => {
    const s = load({ SENT_IMAP_URL: 'imaps://jjszjjb%40sina.com:code123@imap.sina.com', SENT_FOLDER: '已发送' }).sentFolder!;
    expect(s).toMatchObject({ host: 'imap.sina.com', port: 993, secure: true, user: 'jjszjjb@sina.com', folder: '已发送', delayMs: 120_000, display: 'imaps://jjszjjb@sina.com@imap.sina.com:993' });
    expect(s.password).toBe('code123');
    expect(JSON.stringify(s)).not.toContain('code123');
    expect(load({}).sentFolder).toBeNull();
    expect(error({ SENT_FOLDER: 'Sent' })).toMatch(/^SENT_FOLDER is set but SENT_IMAP_URL is not/);
    expect(error({ SENT_IMAP_URL: 'imaps://imap.sina.com' })).toMatch(/needs a user and a password/);
  });

  it('without SENT_IMAP_URL, the watched IMAP account\'s own Sent folder is asked', () => {
    const s = load({ IMAP_URL: 'imaps://jjszjjb%40sina.com:code123@imap.sina.com/INBOX', SENT_FOLDER: '已发送' }).sentFolder!;
    expect(s).toMatchObject({ host: 'imap.sina.com', port: 993, secure: true, user: 'jjszjjb@sina.com', folder: '已发送' });
    expect(s.password).toBe('code123');
    expect(JSON.stringify(s)).not.toContain('code123');
    // SENT_IMAP_URL, when given, wins over the watched account.
    expect(load({ IMAP_URL: 'imaps://a%40sina.com:x@imap.sina.com', SENT_IMAP_URL: 'imaps://b%40qq.com:y@imap.qq.com' }).sentFolder).toMatchObject({ host: 'imap.qq.com', user: 'b@qq.com' });
  });

  it('READER_PROCESSES: one reading process by default, more when asked, validated', () => {
    expect(load({}).readerProcesses).toBe(1);
    expect(load({ READER_PROCESSES: '3' }).readerProcesses).toBe(3);
    expect(error({ READER_PROCESSES: '0' })).toBe('environment variable READER_PROCESSES: READER_PROCESSES must be 1 or more');
    expect(error({ READER_PROCESSES: 'two' })).toContain('READER_PROCESSES must be a whole number of processes, e.g. 2');
  });

  it('retry backoff and attempts from the environment', () => {
    expect(load({}).retry).toEqual({ maxAttempts: 10, baseDelayMs: 60_000, maxDelayMs: 3_600_000 });
    expect(load({ REPLY_MAX_ATTEMPTS: '3', REPLY_RETRY_SECONDS: '5' }).retry).toEqual({ maxAttempts: 3, baseDelayMs: 5000, maxDelayMs: 3_600_000 });
  });

  it('--dry-run and REPLIES=off record replies without sending, and say why', () => {
    expect(load({})).toMatchObject({ repliesEnabled: true, repliesOffReason: null });
    expect(load({ REPLIES: 'off' })).toMatchObject({ repliesEnabled: false, repliesOffReason: 'REPLIES=off: recorded, not sent' });
    expect(load({}, { dryRun: true })).toMatchObject({ repliesEnabled: false, repliesOffReason: 'dry run (--dry-run): recorded, not sent' });
  });
});
