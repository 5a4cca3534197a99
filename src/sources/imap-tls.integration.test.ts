import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtureMail, tempDir } from '../testing/app.js';
import { runCli, startCli } from '../testing/cli.js';
import { startDovecot, type Dovecot } from '../testing/dovecot.js';
import { OTHER_NAME_CERT, TEST_TLS_CERT } from '../testing/tls.js';
import { waitFor } from '../testing/imap-service.js';

/**
 * `intake run` over TLS against a real Dovecot, as against every provider: implicit TLS (imaps,
 * 993 in real life) and STARTTLS (143). The server's certificate is self-signed, so intake runs
 * as a child process that trusts it through NODE_EXTRA_CA_CERTS, as an operator of a server with
 * a private CA would; without it, the certificate must be refused before any password is sent.
 */
let tls: Dovecot;
let plain: Dovecot;
let otherName: Dovecot;
let unavailable: unknown = null;
const users = Array.from({ length: 5 }, (_, i) => ({ user: `tls${i}@example.test`, password: `pw-${i}/#@` }));
beforeAll(async () => {
  try {
    [tls, plain, otherName] = await Promise.all([startDovecot({ tls: true, users }), startDovecot({ users }), startDovecot({ tls: OTHER_NAME_CERT, users })]);
  } catch (err) {
    unavailable = err;
  }
});
beforeEach(() => {
  if (unavailable) throw unavailable;
});
afterAll(async () => {
  await Promise.all([tls?.cleanup(), plain?.cleanup(), otherName?.cleanup()]);
});

interface Run {
  child: ChildProcess;
  data: string;
  stderr: () => string;
}
const runs: Run[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) {
    if (r.child.exitCode === null && r.child.signalCode === null) {
      r.child.kill('SIGKILL');
      await new Promise((res) => r.child.once('exit', res));
    }
    rmSync(r.data, { recursive: true, force: true });
  }
});

const july15 = new Date(Date.UTC(2021, 6, 15, 2));
const url = (scheme: 'imap' | 'imaps', port: number, i: number) =>
  `${scheme}://${encodeURIComponent(users[i]!.user)}:${encodeURIComponent(users[i]!.password)}@127.0.0.1:${port}/INBOX`;

function run(env: Record<string, string>): Run {
  const data = tempDir();
  // IMAP_TLS is left to the URL's scheme, as an operator's would be.
  const child = startCli(['run', '--data', data], { IMAP_POLL_CRON: '0 0 1 1 *', IMAP_TLS: '', ...env });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const r = { child, data, stderr: () => stderr };
  runs.push(r);
  return r;
}
/** The password appears nowhere in what intake logged, as written or URL-encoded. */
const noPassword = (r: Run, i: number) => {
  for (const p of [users[i]!.password, encodeURIComponent(users[i]!.password)]) expect(r.stderr()).not.toContain(p);
};
const replies = (r: Run) => (existsSync(join(r.data, 'outbox')) ? readdirSync(join(r.data, 'outbox')).filter((f) => f.endsWith('.eml')) : []);
/**
 * Dovecot's login lines for one user ("Login: user=<…>, method=PLAIN, …, TLS, session=<…>") from
 * sessions whose client named itself `name` in its RFC 2971 ID: intake says "intake", the test
 * harness's APPENDs come from a bare imapflow ("imapflow").
 */
function logins(d: Dovecot, i: number, name: 'intake' | 'not the harness'): string[] {
  const lines = d.log().split('\n');
  const sessionsOf = (client: string) => new Set(lines.flatMap((l) => (l.includes(`ID sent: name=${client},`) ? [/session=<([^>]+)>/.exec(l)?.[1]] : [])));
  const intake = sessionsOf('intake');
  const harness = sessionsOf('imapflow');
  return lines.filter((l) => {
    if (!l.includes('Login: ') || !l.includes(`user=<${users[i]!.user}>`)) return false;
    const session = /session=<([^>]+)>/.exec(l)?.[1];
    return name === 'intake' ? intake.has(session) : !harness.has(session);
  });
}

describe('IMAP over TLS against Dovecot', () => {
  it.each([
    ['implicit TLS (imaps://)', 'imaps', 0],
    ['STARTTLS (imap://)', 'imap', 1],
  ] as const)('%s: logs in over TLS and answers the submission', async (_name, scheme, i) => {
    await tls.append([{ raw: readFileSync(fixtureMail('01-xunyang-complete.eml')), date: july15 }], { user: users[i]!.user });
    const r = run({ IMAP_URL: url(scheme, scheme === 'imaps' ? tls.tlsPort : tls.port, i), NODE_EXTRA_CA_CERTS: TEST_TLS_CERT });
    await waitFor('the reply', () => replies(r).length === 1, 90_000);
    expect(logins(tls, i, 'intake')).not.toHaveLength(0);
    expect(logins(tls, i, 'intake').every((l) => l.includes(', TLS, '))).toBe(true);
    noPassword(r, i);
  });

  it('refuses a certificate it cannot verify, and logs in nowhere', async () => {
    const i = 2;
    await tls.append([{ raw: readFileSync(fixtureMail('01-xunyang-complete.eml')), date: july15 }], { user: users[i]!.user });
    const r = run({ IMAP_URL: url('imaps', tls.tlsPort, i) });
    await waitFor('the refusal in the log', () => /self[- ]signed certificate/i.test(r.stderr()), 60_000);
    expect(r.child.exitCode).toBeNull();
    expect(logins(tls, i, 'not the harness')).toEqual([]);
    expect(replies(r)).toEqual([]);
    // What `intake health` shows: disconnected, with the reason (unreachable, exit code 1, once
    // that has lasted IMAP_UNREACHABLE_MINUTES).
    const health = await runCli(['health', '--json', '--data', r.data], { IMAP_URL: url('imaps', tls.tlsPort, i), IMAP_TLS: '' });
    noPassword(r, i);
    expect(health.stdout).not.toContain(users[i]!.password);
    expect(JSON.parse(health.stdout)[0]).toMatchObject({ state: 'disconnected', lastSyncAt: null, lastError: expect.stringMatching(/self[- ]signed certificate/i) });
  });

  it('refuses a trusted certificate made out to another name', async () => {
    const i = 4;
    await otherName.append([{ raw: readFileSync(fixtureMail('01-xunyang-complete.eml')), date: july15 }], { user: users[i]!.user });
    // Trusted (its own CA), but for imap.example.test, not the 127.0.0.1 intake connects to.
    const r = run({ IMAP_URL: url('imaps', otherName.tlsPort, i), NODE_EXTRA_CA_CERTS: OTHER_NAME_CERT.cert });
    await waitFor('the refusal in the log', () => /does not match certificate|ERR_TLS_CERT_ALTNAME_INVALID/i.test(r.stderr()), 60_000);
    expect(logins(otherName, i, 'not the harness')).toEqual([]);
    expect(replies(r)).toEqual([]);
    noPassword(r, i);
  });

  it('STARTTLS is required: a server that does not offer it gets no password', async () => {
    const i = 3;
    await plain.append([{ raw: readFileSync(fixtureMail('01-xunyang-complete.eml')), date: july15 }], { user: users[i]!.user });
    const r = run({ IMAP_URL: url('imap', plain.port, i) });
    await waitFor('the refusal in the log', () => /STARTTLS/i.test(r.stderr()), 60_000);
    // The session ended before any AUTHENTICATE or LOGIN reached the server.
    await waitFor('the server to log the session', () => plain.log().includes('no auth attempts'), 10_000);
    expect(logins(plain, i, 'not the harness')).toEqual([]);
    expect(replies(r)).toEqual([]);
    noPassword(r, i);
  });
});
