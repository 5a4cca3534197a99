import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureMail, tempDir } from '../testing/app.js';
import { runCli } from '../testing/cli.js';
import { TestSmtpServer } from '../testing/smtp.js';
import { TEST_TLS_CERT } from '../testing/tls.js';

/**
 * Replies over TLS, as every provider takes them (Sina, QQ, 163: 465 or STARTTLS on 587): the
 * real CLI (`intake ingest`) against the smtp-server package with the self-signed certificate in
 * fixtures/tls, trusted through NODE_EXTRA_CA_CERTS as an operator with a private CA would.
 */
let secure: TestSmtpServer;
let starttls: TestSmtpServer;
let plain: TestSmtpServer;
beforeAll(async () => {
  [secure, starttls, plain] = await Promise.all([TestSmtpServer.start({ tls: 'secure' }), TestSmtpServer.start({ tls: 'starttls' }), TestSmtpServer.start()]);
});
afterAll(async () => {
  await Promise.all([secure?.stop(), starttls?.stop(), plain?.stop()]);
});

const submission = fixtureMail('01-xunyang-complete.eml');
const smtpUrl = (scheme: 'smtp' | 'smtps', s: TestSmtpServer) => `${scheme}://${encodeURIComponent(s.user)}:${encodeURIComponent(s.password)}@127.0.0.1:${s.port}`;

async function ingest(env: Record<string, string>) {
  const data = tempDir();
  const run = await runCli(['ingest', submission, '--data', data], env);
  const outbox = await runCli(['outbox', '--json', '--data', data], env);
  const rows = outbox.stdout.trim().split('\n').map((l) => JSON.parse(l) as { status: string; lastError: string | null; replyMessageId: string });
  // The password appears nowhere in what intake printed or logged, as written or URL-encoded.
  for (const out of [run.stdout, run.stderr, outbox.stdout, outbox.stderr]) {
    for (const s of [secure, starttls, plain]) for (const p of [s.password, encodeURIComponent(s.password)]) expect(out).not.toContain(p);
  }
  return { run, rows };
}

describe('replies over TLS', () => {
  it.each([
    ['TLS from the first byte (smtps://)', 'smtps', () => secure],
    ['STARTTLS (smtp://)', 'smtp', () => starttls],
  ] as const)('%s: logs in and delivers over TLS', async (_name, scheme, server) => {
    const s = server();
    const { run, rows } = await ingest({ SMTP_URL: smtpUrl(scheme, s), NODE_EXTRA_CA_CERTS: TEST_TLS_CERT });
    expect(run.status).toBe(0);
    expect(rows).toMatchObject([{ status: 'sent' }]);
    expect(s.messages.map((m) => [m.messageId, m.secure, m.user])).toEqual([[rows[0]!.replyMessageId, true, s.user]]);
  });

  it('refuses a certificate it cannot verify: nothing sent, no login, the reply waits with the reason', async () => {
    const before = { messages: secure.messages.length, auth: secure.authAttempts };
    const { rows } = await ingest({ SMTP_URL: smtpUrl('smtps', secure) });
    expect(rows).toMatchObject([{ status: 'pending', lastError: expect.stringMatching(/self[- ]signed certificate/i) }]);
    expect(secure.messages.length).toBe(before.messages);
    expect(secure.authAttempts).toBe(before.auth);
    // The server saw the client give up in the handshake.
    expect(secure.errors.map((e) => e.message)).toContainEqual(expect.stringMatching(/TLS/));
  });

  it('STARTTLS is required: a server that does not offer it gets no password and no reply', async () => {
    const { rows } = await ingest({ SMTP_URL: smtpUrl('smtp', plain) });
    expect(rows).toMatchObject([{ status: 'pending', lastError: expect.stringMatching(/STARTTLS/i) }]);
    expect(plain.authAttempts).toBe(0);
    expect(plain.messages).toEqual([]);
  });
});
