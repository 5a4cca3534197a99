import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

/**
 * Migrations are written once for both dialects; the only difference is how an auto-increment
 * key is declared. Never edit a migration that has shipped: add a new one.
 */
export function migrations(dialect: DialectName): Record<string, Migration> {
  const idColumn = (db: Kysely<any>, table: string) =>
    dialect === 'postgres'
      ? db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

  return {
    '0001_pipeline': {
      async up(db) {
        await db.schema
          .createTable('blobs')
          .addColumn('sha256', 'text', (c) => c.primaryKey())
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();

        await idColumn(db, 'messages')
          .addColumn('source', 'text', (c) => c.notNull().unique())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('message_id', 'text')
          .addColumn('content_key', 'text', (c) => c.notNull())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .addColumn('received_basis', 'text', (c) => c.notNull())
          .addColumn('from_address', 'text')
          .addColumn('from_name', 'text')
          .addColumn('subject', 'text')
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('duplicate_of', 'integer')
          .addColumn('unit_id', 'text')
          .addColumn('match_json', 'text')
          .addColumn('late', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('reply_kind', 'text')
          .addColumn('reply_reason', 'text')
          .addColumn('links_json', 'text')
          .addColumn('error', 'text')
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('archived_at', 'text', (c) => c.notNull())
          .addColumn('decided_at', 'text')
          .execute();
        await db.schema.createIndex('messages_sha256').on('messages').column('sha256').execute();
        await db.schema.createIndex('messages_message_id').on('messages').column('message_id').execute();
        await db.schema.createIndex('messages_status').on('messages').column('status').execute();
        await db.schema.createIndex('messages_unit').on('messages').column('unit_id').execute();

        await idColumn(db, 'documents')
          .addColumn('message_row', 'integer', (c) => c.notNull().references('messages.id'))
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('filename', 'text', (c) => c.notNull())
          .addColumn('container_path', 'text', (c) => c.notNull())
          .addColumn('content_type', 'text')
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('kinds_json', 'text', (c) => c.notNull())
          .addColumn('readable', 'integer', (c) => c.notNull())
          .addColumn('error', 'text')
          .addColumn('text', 'text')
          .addColumn('fields_json', 'text')
          .addColumn('evidence_json', 'text')
          .addUniqueConstraint('documents_message_seq', ['message_row', 'seq'])
          .execute();

        await idColumn(db, 'submission_items')
          .addColumn('unit_id', 'text', (c) => c.notNull())
          .addColumn('item', 'text', (c) => c.notNull())
          .addColumn('message_row', 'integer', (c) => c.references('messages.id'))
          .addColumn('document_id', 'integer', (c) => c.references('documents.id'))
          .addColumn('filename', 'text', (c) => c.notNull())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .addColumn('late', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('submission_items_unit').on('submission_items').columns(['unit_id', 'item']).execute();

        await idColumn(db, 'outbox')
          .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
          .addColumn('message_row', 'integer', (c) => c.references('messages.id'))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('to_address', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('body_text', 'text', (c) => c.notNull())
          .addColumn('in_reply_to', 'text')
          .addColumn('references_text', 'text')
          .addColumn('reply_message_id', 'text', (c) => c.notNull().unique())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('last_error', 'text')
          .addColumn('next_attempt_at', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('sent_at', 'text')
          .execute();
        await db.schema.createIndex('outbox_status').on('outbox').column('status').execute();
      },
    },
    '0004_replies': {
      async up(db) {
        for (const [name, type] of [
          ['unit_id', 'text'],
          ['error_class', 'text'],
          ['claimed_by', 'text'],
          ['claimed_at', 'text'],
          ['handed_over_at', 'text'],
          ['expires_at', 'text'],
          ['server_response', 'text'],
        ] as const) {
          await db.schema.alterTable('outbox').addColumn(name, type).execute();
        }
        await sql`UPDATE outbox SET unit_id = (SELECT unit_id FROM messages WHERE messages.id = outbox.message_row) WHERE message_row IS NOT NULL`.execute(db);
        // The per-recipient rate limit counts what went to an address in the last day.
        await db.schema.createIndex('outbox_recipient_sent').on('outbox').columns(['to_address', 'sent_at']).execute();
        await db.schema.createIndex('outbox_unit').on('outbox').column('unit_id').execute();
        await idColumn(db, 'paper_copies')
          .addColumn('unit_id', 'text', (c) => c.notNull())
          .addColumn('received_on', 'text', (c) => c.notNull())
          .addColumn('received_at', 'text')
          .addColumn('note', 'text')
          .addColumn('recorded_at', 'text', (c) => c.notNull())
          .addColumn('removed_at', 'text')
          .execute();
        await db.schema.createIndex('paper_copies_unit').on('paper_copies').column('unit_id').execute();
      },
    },
    '0005_digest': {
      async up(db) {
        // The outbox carries any mail, not only text replies: the digest is HTML with a workbook.
        await db.schema.alterTable('outbox').addColumn('body_html', 'text').execute();
        await db.schema.alterTable('outbox').addColumn('attachments_json', 'text').execute();
        await idColumn(db, 'digests')
          .addColumn('slot', 'text', (c) => c.notNull().unique())
          .addColumn('trigger', 'text', (c) => c.notNull())
          .addColumn('generated_at', 'text', (c) => c.notNull())
          .addColumn('through_message_row', 'integer', (c) => c.notNull())
          .addColumn('recipients_json', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0002_mail': {
      async up(db) {
        // What each file really is (judged from its bytes) and the named reason it could not
        // be read, so reports can filter on them without parsing the error text.
        await db.schema.alterTable('documents').addColumn('format', 'text').execute();
        await db.schema.alterTable('documents').addColumn('error_code', 'text').execute();
      },
    },
    '0003_imap': {
      async up(db) {
        // One row per watched mailbox: where the last sync stopped. last_uid only ever covers
        // messages already archived (or deliberately left alone as old mail).
        await db.schema
          .createTable('imap_checkpoints')
          .addColumn('account', 'text', (c) => c.notNull())
          .addColumn('mailbox', 'text', (c) => c.notNull())
          .addColumn('uidvalidity', 'text', (c) => c.notNull())
          .addColumn('last_uid', 'bigint', (c) => c.notNull())
          .addColumn('cutoff', 'text')
          .addColumn('baseline_uid', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('baseline_count', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('imap_checkpoints_pk', ['account', 'mailbox'])
          .execute();
        await db.schema
          .createTable('mailbox_health')
          .addColumn('account', 'text', (c) => c.notNull())
          .addColumn('mailbox', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('connected_at', 'text')
          .addColumn('last_sync_at', 'text')
          .addColumn('last_mail_at', 'text')
          .addColumn('last_mail_received_at', 'text')
          .addColumn('last_error', 'text')
          .addColumn('last_error_at', 'text')
          .addColumn('down_since', 'text')
          .addColumn('idle', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('unreachable_after_ms', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('mailbox_health_pk', ['account', 'mailbox'])
          .execute();
      },
    },
    '0006_review': {
      async up(db) {
        await db.schema.alterTable('messages').addColumn('assigned_unit', 'text').execute();
        await db.schema.alterTable('messages').addColumn('assigned_at', 'text').execute();
        await idColumn(db, 'learned_addresses')
          .addColumn('address', 'text', (c) => c.notNull())
          .addColumn('unit_id', 'text', (c) => c.notNull())
          .addColumn('message_row', 'integer', (c) => c.references('messages.id'))
          .addColumn('learned_at', 'text', (c) => c.notNull())
          .addColumn('removed_at', 'text')
          .execute();
        await db.schema.createIndex('learned_addresses_address').on('learned_addresses').column('address').execute();
      },
    },
    '0006_outbox_lookups': {
      async up(db) {
        // Every decision asks for its message's replies, and every delivery for what went to the
        // recipient in the last day (case-insensitively): without these, both read the whole
        // outbox, reply texts included, once per message, and a deadline-day backlog slows down
        // as it goes.
        await db.schema.createIndex('outbox_message').on('outbox').column('message_row').execute();
        await sql`create index outbox_recipient_lower_sent on outbox (lower(to_address), sent_at)`.execute(db);
        // Superseded by the case-insensitive one: no query reads to_address as written any more.
        await db.schema.dropIndex('outbox_recipient_sent').execute();
      },
    },
    '0007_imap_scan': {
      async up(db) {
        // The highest UID a full scan (a first sync, or one after a UIDVALIDITY change) found: an
        // interrupted scan's old mail is still recognised as old on the sync that finishes it.
        await db.schema.alterTable('imap_checkpoints').addColumn('scan_uid', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
      },
    },
    '0008_imap_after_action': {
      async up(db) {
        // A message decided after an error (or by a later run) is past the sync that would have
        // applied IMAP_AFTER to it; the column says which still need it. Messages decided before
        // it existed had it applied by their sync (or had none to apply): they count as done.
        await db.schema.alterTable('messages').addColumn('after_action_at', 'text').execute();
        await sql`update messages set after_action_at = coalesce(decided_at, archived_at) where status = 'decided' and source like 'imap:%'`.execute(db);
      },
    },
    '0009_imap_source_account': {
      async up(db) {
        // IMAP source ids name their account now (imap-uids.ts). An older id's account is the one
        // whose checkpoint has its folder and UIDVALIDITY. A folder name that more than one
        // account has a checkpoint for (under any UIDVALIDITY) cannot be told apart: the old ids
        // may hide another account's mail that was taken for already archived and never read.
        // Those rows keep their ids and those checkpoints are made to rescan (a UIDVALIDITY no
        // server gives): the next sync reads the folder from its first UID, the archive's dedupe
        // (sha256, Message-ID) records what is already there as seen, not answered, and mail
        // that was skipped is read and answered. Rows under an older UIDVALIDITY are never looked
        // up again and keep theirs.
        const checkpoints = (await sql<{ account: string; mailbox: string; uidvalidity: string }>`select account, mailbox, uidvalidity from imap_checkpoints`.execute(db)).rows;
        const accountsOf = new Map<string, Set<string>>();
        for (const c of checkpoints) accountsOf.set(c.mailbox, (accountsOf.get(c.mailbox) ?? new Set()).add(c.account));
        for (const c of checkpoints) {
          if (accountsOf.get(c.mailbox)!.size > 1) {
            await sql`update imap_checkpoints set uidvalidity = ${''} where account = ${c.account} and mailbox = ${c.mailbox}`.execute(db);
            continue;
          }
          const prefix = `imap:${c.mailbox}/${c.uidvalidity}/`;
          // Compared with substr, not LIKE (a folder name may hold _ or %), and only where the
          // rest is the UID alone (folder "A" under UIDVALIDITY 5 is not folder "A/5"); lengths in
          // code points, as both SQLite and PostgreSQL count them.
          const length = [...prefix].length;
          await sql`update messages set source = ${`imap:${c.account}/`} || substr(source, 6) where substr(source, 1, ${length}) = ${prefix} and substr(source, ${length + 1}) not like ${'%/%'}`.execute(db);
        }
      },
    },
    '0010_imap_unfetched': {
      async up(db) {
        // Messages the server lists but will not hand over (a NO to FETCH for that one message, or
        // a FETCH answer that leaves it out). The checkpoint moves past them so that one such
        // message does not hold up all mail after it; this row keeps them from being lost: every
        // sync asks for them again, and `intake health` shows them until they are taken in.
        await db.schema
          .createTable('imap_unfetched')
          .addColumn('account', 'text', (c) => c.notNull())
          .addColumn('mailbox', 'text', (c) => c.notNull())
          .addColumn('uidvalidity', 'text', (c) => c.notNull())
          .addColumn('uid', 'bigint', (c) => c.notNull())
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('internal_date', 'text')
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('cause', 'text', (c) => c.notNull())
          .addColumn('error', 'text', (c) => c.notNull())
          .addColumn('first_failed_at', 'text', (c) => c.notNull())
          .addColumn('last_failed_at', 'text', (c) => c.notNull())
          .addColumn('resolved_at', 'text')
          .addColumn('resolution', 'text')
          .addPrimaryKeyConstraint('imap_unfetched_pk', ['account', 'mailbox', 'uidvalidity', 'uid'])
          .execute();
      },
    },
    '0011_rules_applied': {
      async up(db) {
        // Each `intake rules apply`: a running service polls for a new row and starts again on
        // the rules it applied (service/rules-follow.ts).
        await idColumn(db, 'rules_applied')
          .addColumn('applied_at', 'text', (c) => c.notNull())
          .addColumn('from_message', 'integer', (c) => c.notNull())
          .execute();
      },
    },
    '0012_person_receipt': {
      async up(db) {
        // `intake receipt`: a person who established when the server received a message (its
        // receipt time was not the server's) sets it; what intake had found is kept beside it.
        await db.schema.alterTable('messages').addColumn('found_received_at', 'text').execute();
        await db.schema.alterTable('messages').addColumn('found_received_basis', 'text').execute();
        await db.schema.alterTable('messages').addColumn('receipt_set_at', 'text').execute();
        await db.schema.alterTable('messages').addColumn('receipt_note', 'text').execute();
      },
    },
  };
}

export function migrationProvider(dialect: DialectName): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}

