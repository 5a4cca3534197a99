import { describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from './env.js';
import { describeImap } from './imap.js';

const settings = (env: NodeJS.ProcessEnv) => loadSettings({ data: '/tmp/intake-x' }, env);
const errorOf = (env: NodeJS.ProcessEnv): string => {
  try {
    settings(env);
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return (err as Error).message;
  }
  throw new Error('expected a SettingsError');
};

describe('IMAP settings from the environment', () => {
  it('is off without IMAP_URL or IMAP_HOST', () => {
    expect(settings({}).imap).toBeNull();
  });

  it('reads IMAP_URL: imaps with a percent-encoded address as user, mailbox from the path, defaults for the rest', () => {
    const s = settings({ IMAP_URL: 'imaps://jjszjjb%40sina.com:p%2Fw%23d@imap.sina.com/%E6%8A%A5%E5%90%8D' }).imap;
    expect(s).toMatchObject({ host: 'imap.sina.com', port: 993, tls: 'tls', user: 'jjszjjb@sina.com', password: 'p/w#d', mailbox: '报名', pollCron: '* * * * *', existingMail: 'since-opens', after: { kind: 'none' }, unreachableAfterMs: 15 * 60_000 });
  });

  it('reads IMAP_URL with the password in IMAP_PASSWORD; imap:// means STARTTLS on 143', () => {
    expect(settings({ IMAP_URL: 'imap://u@mail.example.cn', IMAP_PASSWORD: 'code' }).imap).toMatchObject({ host: 'mail.example.cn', port: 143, tls: 'starttls', user: 'u', password: 'code', mailbox: 'INBOX' });
  });

  it('reads IMAP_HOST and friends', () => {
    const s = settings({ IMAP_HOST: 'imap.qq.com', IMAP_USER: '12345@qq.com', IMAP_PASSWORD: 'abcdabcdabcdabcd', IMAP_MAILBOX: 'INBOX', IMAP_POLL_CRON: '*/30 * * * * *', IMAP_EXISTING_MAIL: 'baseline', IMAP_AFTER: 'move:已处理', IMAP_UNREACHABLE_MINUTES: '5' }).imap;
    expect(s).toMatchObject({ host: 'imap.qq.com', port: 993, tls: 'tls', user: '12345@qq.com', pollCron: '*/30 * * * * *', existingMail: 'baseline', after: { kind: 'move', folder: '已处理' }, unreachableAfterMs: 5 * 60_000 });
    expect(settings({ IMAP_HOST: 'h', IMAP_USER: 'u', IMAP_PASSWORD: 'p', IMAP_AFTER: 'keyword:$Intake' }).imap!.after).toEqual({ kind: 'keyword', keyword: '$Intake' });
    expect(settings({ IMAP_HOST: 'h', IMAP_USER: 'u', IMAP_PASSWORD: 'p', IMAP_AFTER: 'seen' }).imap!.after).toEqual({ kind: 'seen' });
  });

  it('says what is wrong and how to fix it, never echoing the password', () => {
    const secret = 'S3cr3t-auth-code';
    const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
      [{ IMAP_URL: `imaps://u:${secret}@` }, /IMAP_URL is not a valid URL: write it as imaps:\/\/user:password@host:993\/INBOX/],
      [{ IMAP_URL: `http://u:${secret}@h` }, /IMAP_URL must start with imaps:\/\/ .* not http:\/\//],
      [{ IMAP_URL: `imaps://u:${secret}@h`, IMAP_HOST: 'h' }, /IMAP_URL and IMAP_HOST are both set: use one/],
      [{ IMAP_URL: `imaps://u:${secret}@h`, IMAP_PASSWORD: secret }, /IMAP_URL carries a password and IMAP_PASSWORD is set too/],
      [{ IMAP_URL: 'imaps://h' }, /no IMAP user: .*IMAP_USER/],
      [{ IMAP_HOST: 'h', IMAP_USER: 'u' }, /no IMAP password: set IMAP_PASSWORD \(for QQ Mail and 163 this is the authorisation code/],
      [{ IMAP_HOST: 'h', IMAP_USER: 'u', IMAP_PASSWORD: secret, IMAP_PORT: '99999' }, /IMAP_PORT must be a port number/],
      [{ IMAP_HOST: 'h', IMAP_USER: 'u', IMAP_PASSWORD: secret, IMAP_TLS: 'yes' }, /IMAP_TLS must be tls .* starttls or none/],
      [{ IMAP_HOST: 'h', IMAP_USER: 'u', IMAP_PASSWORD: secret, IMAP_POLL_CRON: 'every minute' }, /IMAP_POLL_CRON is not a cron expression .* "\* \* \* \* \*" for every minute/],
      [{ IMAP_HOST: 'h', IMAP_USER: 'u', IMAP_PASSWORD: secret, IMAP_EXISTING_MAIL: 'some' }, /IMAP_EXISTING_MAIL must be since-opens .* all, or baseline/],
      [{ IMAP_HOST: 'h', IMAP_USER: 'u', IMAP_PASSWORD: secret, IMAP_AFTER: 'delete' }, /IMAP_AFTER must be none, seen, keyword:<name> or move:<folder>/],
      [{ IMAP_HOST: 'h', IMAP_USER: 'u', IMAP_PASSWORD: secret, IMAP_AFTER: 'keyword:two words' }, /not a valid IMAP keyword/],
      [{ IMAP_HOST: 'h', IMAP_USER: 'u', IMAP_PASSWORD: secret, IMAP_UNREACHABLE_MINUTES: '0' }, /IMAP_UNREACHABLE_MINUTES must be a positive number/],
      [{ IMAP_USER: 'u' }, /IMAP_USER is set but IMAP_URL and IMAP_HOST are not/],
      [{ MAX_MESSAGE_MB: 'lots' }, /MAX_MESSAGE_MB must be a number of megabytes/],
    ];
    for (const [env, expected] of cases) {
      const msg = errorOf(env);
      expect(msg).toMatch(expected);
      expect(msg).not.toContain(secret);
    }
  });

  it('describes the mailbox without the password', () => {
    const s = settings({ IMAP_URL: 'imaps://jjszjjb%40sina.com:topsecret@imap.sina.com:993/INBOX' }).imap!;
    expect(describeImap(s)).toBe('imaps://jjszjjb@sina.com@imap.sina.com:993/INBOX');
  });

  it('MAX_MESSAGE_MB sets the in-memory limit (default 50 MB)', () => {
    expect(settings({}).maxMessageBytes).toBe(50 * 1024 * 1024);
    expect(settings({ MAX_MESSAGE_MB: '0.5' }).maxMessageBytes).toBe(512 * 1024);
  });
});
