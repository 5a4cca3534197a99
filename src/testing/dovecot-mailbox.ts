import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { tempDir } from './app.js';

/**
 * Test material only: a real Dovecot IMAP server on a free port with one mailbox (INBOX and a
 * \Sent folder), in a temp dir, for the outbox's Sent-folder check. (The IMAP source's tests
 * have their own harness; the two can share one.)
 */
export class DovecotMailbox {
  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly user: string,
    readonly password: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(opts: { user?: string; password?: string } = {}): Promise<DovecotMailbox> {
    const binary = ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'].find((p) => existsSync(p));
    if (!binary) throw new Error('dovecot is not installed: the integration tests need it (apt-get install dovecot-imapd; .ci/run installs it)');
    const dir = tempDir('intake-dovecot-');
    const port = await freePort();
    const user = opts.user ?? 'jjszjjb@sina.com';
    const password = opts.password ?? 'authcode-测试-1';
    // Dovecot will not run its login process as root, nor give root mail access.
    const root = process.getuid?.() === 0;
    const me = userInfo();
    const mailUid = root ? Number(idOf('dovecot', 'u')) : me.uid;
    const mailGid = root ? Number(idOf('dovecot', 'g')) : me.gid;
    for (const d of ['run', 'state', 'mail', 'home']) mkdirSync(join(dir, d));
    if (root) {
      // Dovecot's auth and mail processes run as its own user: they must reach the temp dir.
      chmodSync(dir, 0o755);
      for (const d of ['mail', 'home']) chownSync(join(dir, d), mailUid, mailGid);
    }
    writeFileSync(join(dir, 'passwd'), `${user}:{PLAIN}${password}::::::\n`);
    const conf = `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = ${root ? 'dovecot' : me.username}
default_login_user = ${root ? 'dovenull' : me.username}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:${dir}/mail/%u
passdb {
  driver = passwd-file
  args = ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${mailUid} gid=${mailGid} home=${dir}/home/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
namespace inbox {
  inbox = yes
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
}
`;
    writeFileSync(join(dir, 'dovecot.conf'), conf);
    const child = spawn(binary, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: 'ignore' });
    const box = new DovecotMailbox(dir, port, user, password, child);
    const until = Date.now() + 30_000;
    while (!(await accepts(port))) {
      if (child.exitCode !== null || Date.now() > until) {
        const log = existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : '';
        await box.stop();
        throw new Error(`dovecot did not start on port ${port}:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return box;
  }

  /** The URL intake's Sent-folder check uses. */
  url(): string {
    return `imap://${encodeURIComponent(this.user)}:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}`;
  }

  private client(): ImapFlow {
    return new ImapFlow({ host: '127.0.0.1', port: this.port, secure: false, auth: { user: this.user, pass: this.password }, logger: false });
  }

  /** Files a message as a provider's SMTP server files what it sends. */
  async append(folder: string, raw: Buffer): Promise<void> {
    const c = this.client();
    await c.connect();
    try {
      await c.append(folder, raw, ['\\Seen']);
    } finally {
      await c.logout();
    }
  }

  async count(folder: string): Promise<number> {
    const c = this.client();
    await c.connect();
    try {
      const st = await c.status(folder, { messages: true });
      return st ? (st.messages ?? 0) : 0;
    } finally {
      await c.logout();
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function idOf(user: string, which: 'u' | 'g'): string {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`user ${user} is missing (it comes with the dovecot-core package)`);
  return line.split(':')[which === 'u' ? 2 : 3]!;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
