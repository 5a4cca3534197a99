import { dirname } from 'node:path';
import type SQLite from 'better-sqlite3';
import type { Db } from './db.js';
import { syncToDisk } from '../util/sync-to-disk.js';

/**
 * When a commit reaches the disk. SQLite runs in WAL mode with `synchronous = NORMAL`: every
 * commit is atomic and survives a crash of the process, but a power cut may lose the last few
 * commits (never one in the middle: the WAL is replayed in order, and a checkpoint syncs the WAL
 * before it copies it and the database after). That is safe for everything intake simply does
 * again after a restart (archive rows, decisions, checkpoints: the message is still on the server
 * and its raw file is fsynced before its row). It is not safe just before an effect outside the
 * database that cannot be taken back: handing a reply to the SMTP server, or telling the IMAP
 * server to flag or move a message; and, once per delivery round, the `sent` marks (which would
 * otherwise come back as hand-overs to settle). Those go through `durably` or `flushToDisk`,
 * which fsync the WAL, and with it every commit before them — what `synchronous = FULL` does at
 * every commit, but off the event loop and only where it matters (better-sqlite3's own syncs
 * block it).
 *
 * PostgreSQL commits are durable as they are (`synchronous_commit = on`), so both are plain there.
 */
const walOf = new WeakMap<Db, { path: string; dirSynced: boolean } | null>();

export function registerSqliteDurability(db: Db, sqlite: SQLite.Database): void {
  sqlite.pragma('synchronous = NORMAL');
  walOf.set(db, sqlite.memory ? null : { path: `${sqlite.name}-wal`, dirSynced: false });
}

/** Runs one write whose commit is on disk, with every commit before it, when it returns. */
export async function durably<T>(db: Db, write: () => Promise<T>): Promise<T> {
  const result = await write();
  await flushToDisk(db);
  return result;
}

/** Everything committed so far is on disk when this returns. */
export async function flushToDisk(db: Db): Promise<void> {
  const wal = walOf.get(db);
  if (!wal) return;
  // No WAL file: no connection has written since the last one closed, and closing checkpoints
  // the WAL into the database file and syncs it.
  await syncToDisk(wal.path, { missingOk: true });
  // The WAL is created anew when a database is opened after a clean close, and SQLite syncs
  // its directory entry only at its own first sync (under NORMAL, the first checkpoint): once
  // per open, the name is synced here too. It stays while intake holds the database open.
  if (!wal.dirSynced) {
    await syncToDisk(dirname(wal.path));
    wal.dirSynced = true;
  }
}
