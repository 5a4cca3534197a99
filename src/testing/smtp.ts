import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { readFileSync } from 'node:fs';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { TEST_TLS_CERT, TEST_TLS_KEY } from './tls.js';

/** Test material only: a real SMTP server (the smtp-server package) in the test process. */

export interface CapturedMail {
  envelope: { from: string; to: string[] };
  /** The login the client used. */
  user: string | undefined;
  raw: Buffer;
  parsed: ParsedMail;
  messageId: string;
  /** Whether the session was encrypted (TLS from the start, or after STARTTLS). */
  secure: boolean;
}

/**
 * How the server answers, switchable while it runs:
 * - accept: takes every message;
 * - refuse-421: answers every connection "421 service not available" (a server in trouble);
 * - temporary-451: takes the envelope, refuses the message with 451 after its end;
 * - hang-after-data: reads the whole message and never answers its end (the client times out
 *   not knowing whether the message was accepted); the message is kept, as a server that
 *   accepted it and then lost the connection would.
 */
export type SmtpMode = 'accept' | 'refuse-421' | 'temporary-451' | 'hang-after-data';

export interface TestSmtpOptions {
  user?: string;
  password?: string;
  /** Recipients refused with 550 (no such user). */
  rejectRecipients?: string[];
  /** Called with each accepted message, e.g. to file a copy in a Sent folder as Sina does. */
  onAccepted?: (mail: CapturedMail) => Promise<void> | void;
  /**
   * TLS as providers offer it, with the certificate in fixtures/tls (self-signed, for 127.0.0.1):
   * `secure` from the first byte (465), `starttls` offered on a plain port (587), login only
   * after it. Without it the server is plain text and offers no STARTTLS.
   */
  tls?: 'secure' | 'starttls';
}

export class TestSmtpServer {
  readonly messages: CapturedMail[] = [];
  mode: SmtpMode = 'accept';
  /** Failed logins, to show a wrong password is refused. */
  authFailures = 0;
  /** Connections the server saw, including refused ones. */
  connections = 0;
  /** Logins tried, right or wrong: a client that must not send its password sends none. */
  authAttempts = 0;
  /** Connection errors the server saw (a client dropping the TLS handshake). */
  readonly errors: Error[] = [];
  private server: SMTPServer | null = null;

  private constructor(
    readonly user: string,
    readonly password: string,
    private readonly opts: TestSmtpOptions,
    public port: number,
  ) {}

  static async start(opts: TestSmtpOptions = {}): Promise<TestSmtpServer> {
    const s = new TestSmtpServer(opts.user ?? 'jjszjjb@sina.com', opts.password ?? 'authcode-测试-1', opts, 0);
    await s.listen();
    return s;
  }

  private listen(): Promise<void> {
    const tls = this.opts.tls;
    const server = new SMTPServer({
      // Without `tls`: plain text on loopback, the client configured with SMTP_TLS=none.
      secure: tls === 'secure',
      ...(tls ? { key: readFileSync(TEST_TLS_KEY), cert: readFileSync(TEST_TLS_CERT) } : {}),
      disabledCommands: tls === 'starttls' ? [] : ['STARTTLS'],
      allowInsecureAuth: !tls,
      authMethods: ['PLAIN', 'LOGIN'],
      logger: false,
      onConnect: (_session: SMTPServerSession, cb: (err?: Error | null) => void) => {
        this.connections++;
        if (this.mode === 'refuse-421') return cb(Object.assign(new Error('Service not available, try again later'), { responseCode: 421 }));
        cb();
      },
      onAuth: (auth, _session, cb) => {
        this.authAttempts++;
        if (auth.username === this.user && auth.password === this.password) return cb(null, { user: auth.username });
        this.authFailures++;
        cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onRcptTo: (address, _session, cb) => {
        if ((this.opts.rejectRecipients ?? []).includes(address.address)) return cb(Object.assign(new Error(`<${address.address}>: no such user`), { responseCode: 550 }));
        cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          void (async () => {
            const raw = Buffer.concat(chunks);
            if (this.mode === 'temporary-451') return cb(Object.assign(new Error('Temporary local problem, try again'), { responseCode: 451 }));
            const parsed = await simpleParser(raw);
            const mail: CapturedMail = {
              envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address) },
              user: session.user as string | undefined,
              raw,
              parsed,
              messageId: parsed.messageId ?? '',
              secure: session.secure,
            };
            try {
              await this.opts.onAccepted?.(mail);
            } catch (err) {
              return cb(Object.assign(new Error(`test server could not file the message: ${(err as Error).message}`), { responseCode: 451 }));
            }
            this.messages.push(mail);
            if (this.mode === 'hang-after-data') return; // never answers
            cb(null, `Ok: queued as Q${this.messages.length}`);
          })();
        });
      },
    });
    this.server = server;
    // A client that gives up mid-handshake (a certificate it refuses) is an 'error' of the
    // server; unheard, it would be an uncaught exception in the test process.
    server.on('error', (err: Error) => this.errors.push(err));
    return new Promise((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** The environment that points intake at this server. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(this.port), SMTP_USER: this.user, SMTP_PASSWORD: this.password, SMTP_TLS: 'none', ...extra };
  }

  /** Copies of one Message-ID the server accepted. */
  copiesOf(messageId: string): number {
    return this.messages.filter((m) => m.messageId === messageId).length;
  }

  async waitFor(count: number, timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      if (Date.now() > until) throw new Error(`SMTP server got ${this.messages.length} message(s), expected ${count}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops listening and drops open connections: the server is down. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const c of server.connections) (c as unknown as { close(): void }).close();
    await new Promise<void>((r) => server.close(() => r()));
  }

  /** Back up on the same port. */
  async restart(): Promise<void> {
    if (!this.server) await this.listen();
  }
}
