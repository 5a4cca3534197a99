import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { removeFile, renameFile } from '../util/fs-callbacks.js';
import { syncToDisk, writeDurably } from '../util/sync-to-disk.js';
import { composeMime, type Delivery, type HandOver, type OutgoingMail, type Transport } from './transport.js';

export function outboxFileName(messageId: string): string {
  return messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9._@-]/g, '_') + '.eml';
}

/**
 * Writes each reply as an .eml file. The name comes from the reply's Message-ID and the file is
 * renamed into place only when complete and on disk, and the rename is on disk before send()
 * returns (the sender then records the reply sent): "the file exists" means "the reply was
 * delivered", also after a power cut.
 */
export class FileTransport implements Transport {
  readonly name = 'file';
  constructor(readonly dir: string) {
    mkdirSync(join(dir, '.tmp'), { recursive: true });
  }

  async send(mail: OutgoingMail, handOver: HandOver): Promise<Delivery> {
    const bytes = await composeMime(mail);
    const name = outboxFileName(mail.messageId);
    const tmp = join(this.dir, '.tmp', name);
    // Asynchronous: creating a file can wait for the file system's journal behind an fsync
    // (ext4), and the service goes on deciding mail meanwhile. A temp file a crash left behind
    // (this reply's, from the try before) is replaced.
    await removeFile(tmp).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await writeDurably(tmp, bytes);
    await handOver();
    await renameFile(tmp, join(this.dir, name));
    // A rename reaches the disk with its directory (POSIX; ext4 and XFS need the fsync).
    await syncToDisk(this.dir);
    return { response: `written to ${join(this.dir, name)}` };
  }

  async wasDelivered(messageId: string): Promise<boolean> {
    return existsSync(join(this.dir, outboxFileName(messageId)));
  }

  async close(): Promise<void> {}
}
