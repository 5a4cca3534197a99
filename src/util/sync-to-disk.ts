import { closeFile, fsyncFile, openFile } from './fs-callbacks.js';

/**
 * fsync(2) of a file or a directory, on libuv's thread pool so that the event loop goes on
 * meanwhile. fsync flushes the file (the inode), whichever descriptor wrote to it: a file another
 * library writes (SQLite's WAL) is synced through a descriptor of our own.
 */
export async function syncToDisk(path: string, opts: { missingOk?: boolean } = {}): Promise<void> {
  let fd: number;
  try {
    fd = await openFile(path, 'r');
  } catch (err) {
    if (opts.missingOk && (err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await fsyncFile(fd);
  } finally {
    await closeFile(fd);
  }
}
