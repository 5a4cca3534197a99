import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import type { ImapSettings } from '../config/imap.js';
import type { Logger } from '../log.js';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0';
  }
}

/**
 * One IMAP connection. imapflow never reconnects by itself: the watcher builds a new client
 * after every close or error.
 */
export function createImapClient(s: ImapSettings, log: Logger): ImapFlow {
  return new ImapFlow({
    host: s.host,
    port: s.port,
    secure: s.tls === 'tls',
    // STARTTLS is required, never opportunistic: a stripped capability must not send the
    // password in cleartext. `none` is for loopback test servers.
    doSTARTTLS: s.tls === 'starttls' ? true : s.tls === 'none' ? false : undefined,
    auth: { user: s.user, pass: s.password },
    // RFC 2971 ID. 163.com and 126.com refuse SELECT ("Unsafe Login") from a client that did
    // not identify itself; imapflow sends ID before and after login when the server offers it.
    clientInfo: { name: 'intake', version: packageVersion(), vendor: 'intake' },
    // imapflow's own info lines (every command) would drown ours; its warnings and errors stay.
    logger: log.child({ component: 'imapflow' }, { level: log.levelVal > 40 ? log.level : 'warn' }),
    // Some providers drop an IDLE session after a few minutes without saying so; restarting IDLE
    // every 4 minutes keeps the session alive and proves it still is.
    maxIdleTime: 4 * 60_000,
    // imapflow waits 15 s of quiet before it enters IDLE, and a server only pushes EXISTS in
    // IDLE (or in answer to a command): mail arriving in that gap would wait for it. Our
    // command sequences run under a mailbox lock, which IDLE never interrupts.
    autoIdleDelay: 300,
    // Servers without IDLE: imapflow polls with STATUS; the watcher's cron poll fetches anyway.
    missingIdleCommand: 'STATUS',
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 10 * 60_000,
  });
}

/**
 * RFC 2971 ID once more, now that we are logged in. 163/126/yeah.net (Coremail) answer SELECT
 * with "NO Unsafe Login" unless ID came after authentication; imapflow repeats its pre-login ID
 * only when the server's first answer was nearly empty, which Coremail's is not. `run` is
 * imapflow's command runner (not in its typings); the ID response updates `serverInfo`.
 */
export async function identifyAfterLogin(client: ImapFlow): Promise<void> {
  if (!client.capabilities.has('ID')) return;
  await (client as unknown as { run(command: string, ...args: unknown[]): Promise<unknown> }).run('ID', client.clientInfo);
}
