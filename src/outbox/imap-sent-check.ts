import type { ImapFlow as ImapFlowClient } from 'imapflow';
import type { SentFolderSettings } from '../config/env.js';
import type { SentFolderCheck } from './sent-check.js';

/**
 * The Sent folder over IMAP (imapflow): one short connection per check, read-only, one SEARCH
 * HEADER Message-ID per reply. IMAP header search matches substrings (RFC 3501 6.4.4); our
 * Message-IDs are searched with their angle brackets, so one never matches another.
 */
export class ImapSentFolder implements SentFolderCheck {
  readonly name: string;
  constructor(private readonly s: SentFolderSettings) {
    this.name = `${s.display}/${s.folder ?? '\\Sent'}`;
  }

  async find(messageIds: string[]): Promise<Set<string> | null> {
    // Loaded on first use: a Sent-folder check is rare (after a crash cut a delivery off).
    const { ImapFlow } = await import('imapflow');
    const client: ImapFlowClient = new ImapFlow({
      host: this.s.host,
      port: this.s.port,
      secure: this.s.secure,
      auth: { user: this.s.user, pass: this.s.password },
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: this.s.timeoutMs,
      greetingTimeout: this.s.timeoutMs,
      socketTimeout: this.s.timeoutMs,
    });
    // A dropped connection is reported as an event too; the pending command rejects as well.
    client.on('error', () => {});
    await client.connect();
    try {
      const path = this.s.folder ?? (await client.list()).find((m) => m.specialUse === '\\Sent')?.path;
      if (!path) return null;
      const lock = await client.getMailboxLock(path, { readOnly: true });
      try {
        const found = new Set<string>();
        for (const id of messageIds) {
          const hits = await client.search({ header: { 'message-id': id } }, { uid: true });
          if (hits === false || hits === undefined) return null;
          if (hits.length > 0) found.add(id);
        }
        return found;
      } finally {
        lock.release();
      }
    } finally {
      await client.logout().catch(() => client.close());
    }
  }

  async close(): Promise<void> {}
}
