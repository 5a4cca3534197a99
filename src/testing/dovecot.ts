import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { TEST_TLS_CERT, TEST_TLS_KEY } from './tls.js';
import { onProcessExit } from '../util/on-exit.js';

/**
 * Test harness: a real Dovecot IMAP server in a temp dir, on a free loopback port, run as the
 * current user (no root needed), with passwd-file users and Maildir storage. Used by the IMAP
 * source's integration tests and the benchmark; other suites may reuse it for end-to-end tests.
 *
 * Where Dovecot is not installed, `startDovecot` throws with the install command. A test file
 * should keep that error from beforeAll and throw it in beforeEach, so every test fails with it
 * (a failing beforeAll only marks them skipped); see src/sources/imap.integration.test.ts.
 * `npm run test:unit` runs without Dovecot. $DOVECOT names the binary when it is elsewhere.
 */

export const DOVECOT_INSTALL_HINT = 'Dovecot is not installed: `sudo apt-get install dovecot-imapd` (Debian/Ubuntu), or run `npm run test:unit` to leave out the integration tests';

const SEARCH_PATH = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin', ...(process.env.PATH ?? '').split(':')];

function findBinary(name: string): string | null {
  for (const dir of SEARCH_PATH) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return null;
}

/** The dovecot binary: $DOVECOT if set, else found in the sbin directories and PATH. */
export function dovecotBinary(): string {
  const bin = process.env.DOVECOT ? (existsSync(process.env.DOVECOT) ? process.env.DOVECOT : null) : findBinary('dovecot');
  if (!bin) throw new Error(DOVECOT_INSTALL_HINT);
  return bin;
}

export interface DovecotUser {
  user: string;
  password: string;
}

export interface DovecotOptions {
  users?: DovecotUser[];
  /** Appended to the generated dovecot.conf, e.g. `imap_capability = ...` to hide IDLE. */
  extraConfig?: string;
  /**
   * TLS as providers offer it: STARTTLS on the IMAP port and implicit TLS on `tlsPort`, with the
   * certificate given, by default TEST_TLS_CERT (tls.ts: for 127.0.0.1 and localhost,
   * self-signed, so a client trusts it only when told to, e.g. NODE_EXTRA_CA_CERTS).
   */
  tls?: boolean | { cert: string; key: string };
}

export interface AppendOptions {
  /** The INTERNALDATE the server records (receipt time). */
  date?: Date;
  mailbox?: string;
  flags?: string[];
  user?: string;
}

function idOf(name: string, flag: '-u' | '-g'): number {
  return Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
}

function systemUser(name: string): string | null {
  return spawnSync('id', ['-u', name]).status === 0 ? name : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Process groups of the servers running in this process. A detached server outlives a test
 * process that dies without afterAll: never leave one.
 */
const liveServers = new Set<number>();
onProcessExit(() => {
  for (const pid of liveServers) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Resolves once the port answers with an IMAP greeting. */
async function waitForGreeting(port: number, deadline: number, exited: () => string | null): Promise<void> {
  for (;;) {
    const why = exited();
    if (why) throw new Error(why);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      const done = (v: boolean) => {
        s.destroy();
        resolve(v);
      };
      s.setTimeout(2000, () => done(false));
      s.once('data', (d) => done(d.toString('latin1').startsWith('* OK')));
      s.once('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Dovecot did not answer on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class Dovecot {
  readonly host = '127.0.0.1';
  readonly users: DovecotUser[];
  private proc: ChildProcess | null = null;
  private exitNote: string | null = null;

  private constructor(
    readonly dir: string,
    public port: number,
    users: DovecotUser[],
    private readonly extraConfig: string,
    /** The implicit-TLS (imaps) port; 0 without `tls`. */
    readonly tlsPort = 0,
    private readonly certificate = { cert: TEST_TLS_CERT, key: TEST_TLS_KEY },
  ) {
    this.users = users;
  }

  static async start(opts: DovecotOptions = {}): Promise<Dovecot> {
    dovecotBinary();
    const dir = mkdtempSync(join(tmpdir(), 'intake-dovecot-'));
    const users = opts.users ?? [{ user: 'jjszjjb', password: 'secret-pw' }];
    let lastError: unknown;
    // A free port can be taken between probing and binding by another engineer's test: retry.
    for (let attempt = 0; attempt < 5; attempt++) {
      const d = new Dovecot(dir, await freePort(), users, opts.extraConfig ?? '', opts.tls ? await freePort() : 0, typeof opts.tls === 'object' ? opts.tls : undefined);
      d.writeConfig();
      try {
        await d.startServer();
        return d;
      } catch (err) {
        lastError = err;
        await d.stop();
      }
    }
    rmSync(dir, { recursive: true, force: true });
    throw lastError;
  }

  get configPath(): string {
    return join(this.dir, 'dovecot.conf');
  }

  get logPath(): string {
    return join(this.dir, 'dovecot.log');
  }

  /** The server's log so far. */
  log(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
  }

  /** The first user's credentials. */
  get user(): string {
    return this.users[0]!.user;
  }

  get password(): string {
    return this.users[0]!.password;
  }

  maildir(user = this.user): string {
    return join(this.dir, 'mail', user);
  }

  /** The account's URL without a folder, as SENT_IMAP_URL takes it. */
  accountUrl(username?: string): string {
    const user = this.account(username);
    return `imap://${encodeURIComponent(user.user)}:${encodeURIComponent(user.password)}@${this.host}:${this.port}`;
  }

  /** Environment that points intake at this server (plain IMAP on loopback), or at a proxy of it on `port`. */
  env(mailbox = 'INBOX', username?: string, port = this.port): Record<string, string> {
    const user = this.account(username);
    return {
      IMAP_URL: `imap://${encodeURIComponent(user.user)}:${encodeURIComponent(user.password)}@${this.host}:${port}/${encodeURIComponent(mailbox)}`,
      IMAP_TLS: 'none',
    };
  }

  private writeConfig(): void {
    const { username, uid, gid } = userInfo();
    const group = spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim() || username;
    // Dovecot refuses to run its login and internal processes as root; under root (CI
    // containers) they run as the package's unprivileged users, which must reach base_dir.
    const asRoot = uid === 0;
    const loginUser = asRoot ? (systemUser('dovenull') ?? 'nobody') : username;
    const internalUser = asRoot ? (systemUser('dovecot') ?? 'nobody') : username;
    // Mail is never accessed as root either: under root it belongs to the internal user.
    const mailUid = asRoot ? idOf(internalUser, '-u') : uid;
    const mailGid = asRoot ? idOf(internalUser, '-g') : gid;
    for (const sub of ['run', 'state', 'mail', 'home']) mkdirSync(join(this.dir, sub), { recursive: true });
    if (asRoot) {
      for (const sub of ['', 'run']) chmodSync(join(this.dir, sub), 0o755);
      for (const sub of ['mail', 'home']) chownSync(join(this.dir, sub), mailUid, mailGid);
    }
    writeFileSync(join(this.dir, 'passwd'), this.users.map((u) => `${u.user}:{PLAIN}${u.password}:${mailUid}:${mailGid}::${join(this.dir, 'home', u.user)}`).join('\n') + '\n');
    // Running without root: every service runs as the current user, nothing chroots, and all
    // state lives in the temp dir (base_dir, state_dir), so parallel servers never meet.
    const conf = `
instance_name = intake-test-${this.port}
base_dir = ${join(this.dir, 'run')}
state_dir = ${join(this.dir, 'state')}
listen = 127.0.0.1
protocols = imap
${this.tlsPort ? `ssl = yes\nssl_cert = <${this.certificate.cert}\nssl_key = <${this.certificate.key}` : 'ssl = no'}
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = ${this.logPath}
default_internal_user = ${internalUser}
${asRoot ? '' : `default_internal_group = ${group}`}
default_login_user = ${loginUser}
first_valid_uid = 0
first_valid_gid = 0
mail_fsync = never
# Every client's RFC 2971 ID is logged: tests check what intake sends.
imap_id_log = *
mail_location = maildir:${join(this.dir, 'mail')}/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${join(this.dir, 'passwd')}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${join(this.dir, 'passwd')}
}
namespace inbox {
  inbox = yes
  separator = /
  # Providers mark their Sent folder (RFC 6154); the outbox's Sent-folder check looks for it.
  mailbox Sent {
    auto = create
    special_use = \\Sent
  }
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${this.port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${this.tlsPort}
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-reader {
    user = ${internalUser}
  }
  unix_listener stats-writer {
    user = ${internalUser}
  }
}
${this.extraConfig}
`;
    writeFileSync(this.configPath, conf);
  }

  private async startServer(): Promise<void> {
    this.exitNote = null;
    // Its own process group: stopping it signals the master and every session process at once,
    // as a machine's shutdown does (the master alone lets IDLE sessions linger for ~30 s).
    const proc = spawn(dovecotBinary(), ['-F', '-c', this.configPath], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.once('exit', (code, signal) => {
      liveServers.delete(proc.pid!);
      const log = existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8').split('\n').slice(-15).join('\n') : '';
      this.exitNote = `Dovecot exited (code ${code}, signal ${signal}): ${stderr.trim()}\n${log}`;
      if (this.proc === proc) this.proc = null;
    });
    this.proc = proc;
    liveServers.add(proc.pid!);
    await waitForGreeting(this.port, Date.now() + 30_000, () => this.exitNote);
  }

  get running(): boolean {
    return this.proc !== null;
  }

  /** Starts the server again on the same port and storage (after `stop`). */
  async restart(): Promise<void> {
    if (this.proc) await this.stop();
    await this.startServer();
  }

  /** Stops the server; connected clients see their connection closed. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-proc.pid!, sig);
      } catch {
        proc.kill(sig);
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    this.proc = null;
  }

  /** Stops the server and removes its directory. */
  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private account(user?: string): DovecotUser {
    const u = user === undefined ? this.users[0] : this.users.find((x) => x.user === user);
    if (!u) throw new Error(`no Dovecot user ${user}`);
    return u;
  }

  /** Drops every connection of a user, as a provider does when it restarts a frontend; false when none was open. */
  kick(user = this.user): boolean {
    const r = spawnSync(this.doveadm(), ['-c', this.configPath, 'kick', user], { encoding: 'utf8' });
    // 68 (EX_NOUSER): nobody was connected.
    if (r.status === 68) return false;
    if (r.status !== 0) throw new Error(`doveadm kick failed (${r.status}): ${r.stdout}${r.stderr}`);
    return true;
  }

  /**
   * Gives a user's existing mailbox the UIDVALIDITY of choice, as servers that number every
   * account's INBOX alike do.
   */
  setUidValidity(value: string, mailbox = 'INBOX', user = this.user): void {
    const r = spawnSync(this.doveadm(), ['-c', this.configPath, 'mailbox', 'update', '-u', user, '--uid-validity', value, mailbox], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`doveadm mailbox update failed (${r.status}): ${r.stdout}${r.stderr}`);
  }

  private doveadm(): string {
    const doveadm = process.env.DOVECOT ? join(process.env.DOVECOT, '..', '..', 'bin', 'doveadm') : findBinary('doveadm');
    if (!doveadm) throw new Error(DOVECOT_INSTALL_HINT);
    return doveadm;
  }

  /** A connected client for a user (default: the first); the caller logs it out. */
  async client(user?: string): Promise<ImapFlow> {
    const u = this.account(user);
    const c = new ImapFlow({ host: this.host, port: this.port, secure: false, doSTARTTLS: false, auth: { user: u.user, pass: u.password }, logger: false, disableAutoIdle: true });
    await c.connect();
    return c;
  }

  /** Runs `fn` with a connected client, logged out afterwards. */
  async withClient<T>(fn: (c: ImapFlow) => Promise<T>, user?: string): Promise<T> {
    const c = await this.client(user);
    try {
      return await fn(c);
    } finally {
      await c.logout().catch(() => c.close());
    }
  }

  /** APPENDs messages (as a delivery would), with chosen INTERNALDATEs; returns their UIDs. */
  async append(messages: Array<{ raw: Buffer } & AppendOptions>, defaults: AppendOptions = {}): Promise<number[]> {
    return this.withClient(async (c) => {
      const uids: number[] = [];
      for (const m of messages) {
        const r = await c.append(m.mailbox ?? defaults.mailbox ?? 'INBOX', m.raw, m.flags ?? defaults.flags ?? [], m.date ?? defaults.date);
        if (!r || r.uid === undefined) throw new Error('APPEND gave no UID');
        uids.push(r.uid);
      }
      return uids;
    }, defaults.user);
  }

  async appendOne(raw: Buffer, opts: AppendOptions = {}): Promise<number> {
    return (await this.append([{ raw, ...opts }]))[0]!;
  }

  /** UIDVALIDITY, UIDNEXT and message count of a mailbox. */
  async mailboxStatus(mailbox = 'INBOX', user?: string): Promise<{ uidValidity: bigint; uidNext: number; messages: number }> {
    return this.withClient(async (c) => {
      const s = await c.status(mailbox, { uidValidity: true, uidNext: true, messages: true });
      if (!s) throw new Error(`no status for ${mailbox}`);
      return { uidValidity: s.uidValidity!, uidNext: s.uidNext!, messages: s.messages! };
    }, user);
  }

  /** UID and flags of every message in a mailbox. */
  async messages(mailbox = 'INBOX', user?: string): Promise<Array<{ uid: number; flags: string[] }>> {
    return this.withClient(async (c) => {
      const lock = await c.getMailboxLock(mailbox);
      try {
        if (c.mailbox && c.mailbox.exists === 0) return [];
        const out: Array<{ uid: number; flags: string[] }> = [];
        for await (const m of c.fetch('1:*', { uid: true, flags: true })) out.push({ uid: m.uid, flags: [...(m.flags ?? [])] });
        return out;
      } finally {
        lock.release();
      }
    }, user);
  }
}

export const startDovecot = (opts?: DovecotOptions) => Dovecot.start(opts);
