import { mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileSource } from '../sources/files.js';
import type { MessageSource } from '../sources/source.js';
import { tempDir } from './app.js';

/**
 * Test material only: where end-to-end tests deliver units' mail for intake to take in. The
 * tests speak only to this interface, so the inbound side can be swapped: a Maildir here, an
 * IMAP mailbox on a real Dovecot (APPEND with an INTERNALDATE) with the IMAP source.
 */
export interface TestInbox {
  readonly name: string;
  /** Delivers one raw message; `receivedAt` is the server's receipt time where the store keeps one. */
  deliver(raw: Buffer, opts?: { receivedAt?: Date }): Promise<void>;
  /** The source intake reads the inbox with. */
  source(): MessageSource;
  /** The environment that makes `intake run` watch this inbox. */
  env(): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** A Maildir, as a local delivery agent writes it: tmp/ then a rename into new/. */
export class MaildirInbox implements TestInbox {
  readonly name = 'maildir';
  private n = 0;
  private constructor(readonly dir: string) {}

  static async create(dir = join(tempDir('intake-inbox-'), 'Maildir')): Promise<MaildirInbox> {
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
    return new MaildirInbox(dir);
  }

  async deliver(raw: Buffer, opts: { receivedAt?: Date } = {}): Promise<void> {
    const at = opts.receivedAt ?? new Date();
    const name = `${Math.floor(at.getTime() / 1000)}.M${++this.n}P${process.pid}.test`;
    const tmp = join(this.dir, 'tmp', name);
    writeFileSync(tmp, raw);
    // Files without a Received: header are stamped with their modification time.
    utimesSync(tmp, at, at);
    renameSync(tmp, join(this.dir, 'new', name));
  }

  source(): MessageSource {
    return new FileSource([this.dir]);
  }

  env(): NodeJS.ProcessEnv {
    return { INBOX_DIR: this.dir };
  }

  async close(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
