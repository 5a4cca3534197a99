import { closeFile, fsyncFile, openFile, removeFile, writeBytes } from './fs-callbacks.js';

/**
 * fsync(2) errors that say written data may not have reached the disk: the kernel could not
 * write it back. Linux reports such an error to fsync once and then forgets it, so a retried
 * fsync succeeds although the data is lost (PostgreSQL's "fsyncgate", 2018): what was committed
 * since the last good sync can no longer be trusted, and only a restart, which reads back what
 * really is on the disk, can tell. Other errors (EBADF, EINVAL on a file system that cannot sync
 * a directory) say nothing about lost data and are thrown as they are.
 */
const WRITE_BACK_FAILED = new Set(['EIO', 'ENOSPC', 'EDQUOT']);

export class SyncFailed extends Error {
  override name = 'SyncFailed';
  constructor(
    readonly path: string,
    readonly code: string,
    cause: unknown,
  ) {
    super(`fsync of ${path} failed (${code}): data written since the last sync may not be on disk`, { cause });
  }
}

let onWriteBackFailed: ((err: SyncFailed) => void) | null = null;

/**
 * What happens when a sync says data was lost, before the error is thrown (the CLI ends the
 * process there: cli.ts). A retry in this process would only be told, falsely, that it worked.
 */
export function whenWriteBackFails(handler: ((err: SyncFailed) => void) | null): void {
  onWriteBackFailed = handler;
}

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
    await syncDescriptor(fd, path);
  } finally {
    await closeFile(fd);
  }
}

/**
 * Creates `path` (which must not exist) with `bytes` and syncs it, through one descriptor: the
 * same durability as writing the file and then syncToDisk, in four trips to the thread pool
 * instead of six (a message's archive write is on the path of every message). A file left by a
 * failure is removed.
 */
export async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const fd = await openFile(path, 'wx');
  try {
    for (let at = 0; at < bytes.length; ) at += (await writeBytes(fd, bytes, at, bytes.length - at, null)).bytesWritten;
    await syncDescriptor(fd, path);
  } catch (err) {
    await closeFile(fd).catch(() => {});
    await removeFile(path).catch(() => {});
    throw err;
  }
  await closeFile(fd);
}

async function syncDescriptor(fd: number, path: string): Promise<void> {
  try {
    await fsyncFile(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!WRITE_BACK_FAILED.has(code)) throw err;
    const failed = new SyncFailed(path, code, err);
    onWriteBackFailed?.(failed);
    throw failed;
  }
}
