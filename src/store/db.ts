import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider, type DialectName } from './migrations.js';
import type { Database } from './tables.js';

export type Db = Kysely<Database>;

export interface OpenedDb {
  db: Db;
  dialect: DialectName;
  close(): Promise<void>;
}

/** Opens the database named by a URL or a file path and brings its schema up to date. */
export async function openDatabase(location: string): Promise<OpenedDb> {
  if (/^postgres(ql)?:\/\//.test(location)) {
    throw new Error('PostgreSQL storage is not available in this build yet: set DATABASE_URL to a SQLite file path');
  }
  const file = location.replace(/^sqlite:(\/\/)?/, '');
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  // WAL lets `intake messages` read while `intake run` writes; the busy timeout covers two writers.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  // FULL: a "sent" mark or a decision must survive a power cut, not only a process crash.
  sqlite.pragma('synchronous = FULL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrate(db, 'sqlite');
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

async function migrate(db: Db, dialect: DialectName): Promise<void> {
  // Migrations are added by independent changes; their order by name is not a dependency order.
  const migrator = new Migrator({ db, provider: migrationProvider(dialect), allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
