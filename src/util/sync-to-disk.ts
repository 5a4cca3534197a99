import { close, fsync, open } from 'node:fs';
import { promisify } from 'node:util';

// The callback API rather than fs/promises: a FileHandle costs the event loop about twice as
// much per open/sync/close, and intake syncs a few times per message.
const openFd = promisify(open);
const fsyncFd = promisify(fsync);
const closeFd = promisify(close);

/**
 * fsync(2) of a file or a directory, on libuv's thread pool so that the event loop goes on
 * meanwhile. fsync flushes the file (the inode), whichever descriptor wrote to it: a file another
 * library writes (SQLite's WAL) is synced through a descriptor of our own.
 */
export async function syncToDisk(path: string, opts: { missingOk?: boolean } = {}): Promise<void> {
  let fd: number;
  try {
    fd = await openFd(path, 'r');
  } catch (err) {
    if (opts.missingOk && (err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await fsyncFd(fd);
  } finally {
    await closeFd(fd);
  }
}
