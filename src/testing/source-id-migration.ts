import { Migrator, type Kysely } from 'kysely';
import { migrationProvider, type DialectName } from '../store/migrations.js';

type Checkpoint = [account: string, mailbox: string, uidvalidity: string];

/** Checkpoints as migration 0008 left them; "Shared" is checkpointed by two accounts. */
const CHECKPOINTS: Checkpoint[] = [
  ['a@imap.example', 'INBOX', '7'],
  ['a@imap.example', 'Sub_%', '5'],
  ['a@imap.example', 'A', '5'],
  ['b@imap.example', 'A/5', '7'],
  ['b@imap.example', 'Shared', '1'],
  ['c@imap.example', 'Shared', '1'],
  ['a@imap.example', '收件箱/报名', '3'],
  ['a@imap.example', '📥', '2'],
];

/** Source ids as 0008 left them: IMAP ones without their account. */
const BEFORE = ['imap:INBOX/7/1', 'imap:INBOX/7/12', 'imap:INBOX/77/1', 'imap:INBOX/3/1', 'imap:Sub_%/5/2', 'imap:SubA%/5/3', 'imap:A/5/9', 'imap:A/5/7/3', 'imap:Shared/1/4', 'imap:收件箱/报名/3/8', 'imap:📥/2/1', '/mail/new/1.eml'];

/**
 * What 0009 must make of them: each row of a folder one account checkpoints names that account
 * (77 is not 7; "A" under 5 is not "A/5"; CJK and astral folder names count alike in both
 * databases); an older UIDVALIDITY (3), a folder that only matches as a LIKE pattern, and a file
 * keep theirs; "Shared" keeps its ids and both its checkpoints are set to rescan.
 */
export const AFTER_0009 = {
  sources: [
    'imap:a@imap.example/INBOX/7/1',
    'imap:a@imap.example/INBOX/7/12',
    'imap:INBOX/77/1',
    'imap:INBOX/3/1',
    'imap:a@imap.example/Sub_%/5/2',
    'imap:SubA%/5/3',
    'imap:a@imap.example/A/5/9',
    'imap:b@imap.example/A/5/7/3',
    'imap:Shared/1/4',
    'imap:a@imap.example/收件箱/报名/3/8',
    'imap:a@imap.example/📥/2/1',
    '/mail/new/1.eml',
  ],
  checkpoints: CHECKPOINTS.map(([account, mailbox, uidvalidity]): Checkpoint => [account, mailbox, mailbox === 'Shared' ? '' : uidvalidity]),
};

/** A database brought to 0008 with the rows above, then migrated to the latest: its source ids and checkpoints. */
export async function after0009(db: Kysely<any>, dialect: DialectName): Promise<typeof AFTER_0009> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect), allowUnorderedMigrations: true });
  const to0008 = await migrator.migrateTo('0008_imap_after_action');
  if (to0008.error) throw to0008.error;
  const now = '2021-07-22T00:00:00.000Z';
  await db
    .insertInto('imap_checkpoints')
    .values(CHECKPOINTS.map(([account, mailbox, uidvalidity]) => ({ account, mailbox, uidvalidity, last_uid: 9, created_at: now, updated_at: now })))
    .execute();
  await db
    .insertInto('messages')
    .values(BEFORE.map((source, i) => ({ source, sha256: `sha${i}`, size: 1, content_key: `key${i}`, received_at: now, received_basis: 'internaldate', status: 'decided', archived_at: now })))
    .execute();
  const latest = await migrator.migrateToLatest();
  if (latest.error) throw latest.error;
  const sources = (await db.selectFrom('messages').select('source').orderBy('id').execute()).map((r) => r.source as string);
  const rows = await db.selectFrom('imap_checkpoints').select(['account', 'mailbox', 'uidvalidity']).execute();
  // In the order they were written.
  const order = (c: Checkpoint) => CHECKPOINTS.findIndex(([a, m]) => a === c[0] && m === c[1]);
  const checkpoints = rows.map((r): Checkpoint => [r.account, r.mailbox, r.uidvalidity]).sort((x, y) => order(x) - order(y));
  return { sources, checkpoints };
}
