import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Dialect, type SqliteDatabase } from 'kysely';
import type pg from 'pg';
import { registerSqliteDurability } from './durability.js';
import { migrationProvider, type DialectName } from './migrations.js';
import type { Database } from './tables.js';

export type Db = Kysely<Database>;

export interface OpenedDb {
  db: Db;
  dialect: DialectName;
  close(): Promise<void>;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//;

export function dialectOf(location: string): DialectName {
  return POSTGRES_URL.test(location) ? 'postgres' : 'sqlite';
}

/** Opens the database named by a URL (postgres://…) or a SQLite file path and brings its schema up to date. */
export async function openDatabase(location: string): Promise<OpenedDb> {
  const dialectName = dialectOf(location);
  const sqlite = dialectName === 'sqlite' ? openSqlite(location) : null;
  const dialect = sqlite ? new SqliteDialect({ database: reusingStatements(sqlite) }) : await postgresDialect(location);
  const db = new Kysely<Database>({ dialect });
  if (sqlite) registerSqliteDurability(db, sqlite);
  try {
    await migrate(db, dialectName);
  } catch (err) {
    await db.destroy().catch(() => {});
    throw err;
  }
  return { db, dialect: dialectName, close: () => db.destroy() };
}

function openSqlite(location: string): SQLite.Database {
  const file = location.replace(/^sqlite:(\/\/)?/, '');
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  // WAL lets `intake messages` read while `intake run` writes; the busy timeout covers two writers.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  // `synchronous` is set by registerSqliteDurability (durability.ts says which commits sync).
  return sqlite;
}

/**
 * Kysely prepares every query anew; intake runs the same few hundred queries over and over, so
 * their prepared statements are kept (SQLite re-prepares one by itself after a schema change).
 * A statement busy with a streamed query (`.stream()`) is not handed out twice.
 */
function reusingStatements(sqlite: SQLite.Database, max = 500): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let st = statements.get(sql);
      // A statement still iterating (a streamed query) cannot run again: use a fresh one.
      if (st?.busy) return sqlite.prepare(sql);
      if (!st) {
        if (statements.size >= max) statements.delete(statements.keys().next().value!);
        statements.set(sql, (st = sqlite.prepare(sql)));
      }
      return st;
    },
  };
}

/**
 * node-postgres returns BIGINT (sizes, COUNT(*)) as strings, because a JavaScript number loses
 * precision above 2^53. Our BIGINTs are byte sizes and row counts, far below that, and the code
 * is written for numbers (as SQLite gives them), so they are parsed here, per pool, not globally.
 */
const INT8_OID = 20;

async function postgresDialect(url: string): Promise<Dialect> {
  // Loaded only for a PostgreSQL URL: SQLite users never pay for it.
  const { default: pgLib } = await import('pg');
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8_OID && format !== 'binary') return (v: string) => Number(v);
      return pgLib.types.getTypeParser(oid, format as 'text');
    },
  };
  const pool = new pgLib.Pool({ connectionString: url, max: 5, types: types as pg.CustomTypesConfig });
  // An idle client that loses its connection (server restart) emits 'error' on the pool; without a
  // listener that would crash the process. The next query gets a fresh connection.
  pool.on('error', () => {});
  return new PostgresDialect({ pool });
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
