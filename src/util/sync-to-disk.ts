import { open } from 'node:fs/promises';

/**
 * fsync(2) of a file or a directory, on libuv's thread pool so that the event loop goes on
 * meanwhile. fsync flushes the file (the inode), whichever descriptor wrote to it: a file another
 * library writes (SQLite's WAL) is synced through a descriptor of our own.
 */
export async function syncToDisk(path: string, opts: { missingOk?: boolean } = {}): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if (opts.missingOk && (err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
