import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { describe, expect, it } from 'vitest';
import { after0009, AFTER_0009 } from '../testing/source-id-migration.js';

describe('migration 0009: IMAP source ids name their account', () => {
  it('rewrites the rows of a folder one account checkpoints; a folder two accounts checkpoint is rescanned (SQLite)', async () => {
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(':memory:') }) });
    try {
      expect(await after0009(db, 'sqlite')).toEqual(AFTER_0009);
    } finally {
      await db.destroy();
    }
  });
});
