import { Migrator, type Kysely } from 'kysely';
import { migrationProvider, type DialectName } from '../store/migrations.js';

/** Source ids as migration 0008 left them: IMAP ones without their account. */
const BEFORE = ['imap:INBOX/7/1', 'imap:INBOX/7/12', 'imap:INBOX/77/1', 'imap:INBOX/3/1', 'imap:Sub_%/5/2', 'imap:SubA%/5/3', 'imap:INBOX/1/4', '/mail/new/1.eml'];

/**
 * What 0009 must make of BEFORE, given checkpoints for a@ (INBOX under UIDVALIDITY 7, "Sub_%"
 * under 5) and for both b@ and c@ (INBOX under 1): a@'s rows name a@; 77 is not 7; an older
 * UIDVALIDITY (3), a folder that only matches as a LIKE pattern, a mailbox two accounts share,
 * and a file keep theirs.
 */
export const AFTER_0009 = [
  'imap:a@imap.example/INBOX/7/1',
  'imap:a@imap.example/INBOX/7/12',
  'imap:INBOX/77/1',
  'imap:INBOX/3/1',
  'imap:a@imap.example/Sub_%/5/2',
  'imap:SubA%/5/3',
  'imap:INBOX/1/4',
  '/mail/new/1.eml',
];

/** A database brought to 0008, given BEFORE's rows and the checkpoints, then migrated to the latest: its source ids. */
export async function sourceIdsAfter0009(db: Kysely<any>, dialect: DialectName): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect), allowUnorderedMigrations: true });
  const to0008 = await migrator.migrateTo('0008_imap_after_action');
  if (to0008.error) throw to0008.error;
  const now = '2021-07-22T00:00:00.000Z';
  const checkpoint = (account: string, mailbox: string, uidvalidity: string) => ({ account, mailbox, uidvalidity, last_uid: 0, created_at: now, updated_at: now });
  await db
    .insertInto('imap_checkpoints')
    .values([checkpoint('a@imap.example', 'INBOX', '7'), checkpoint('a@imap.example', 'Sub_%', '5'), checkpoint('b@imap.example', 'INBOX', '1'), checkpoint('c@imap.example', 'INBOX', '1')])
    .execute();
  await db
    .insertInto('messages')
    .values(BEFORE.map((source, i) => ({ source, sha256: `sha${i}`, size: 1, content_key: `key${i}`, received_at: now, received_basis: 'internaldate', status: 'decided', archived_at: now })))
    .execute();
  const latest = await migrator.migrateToLatest();
  if (latest.error) throw latest.error;
  return (await db.selectFrom('messages').select('source').orderBy('id').execute()).map((r) => r.source as string);
}
