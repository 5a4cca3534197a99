import type { RawStore, StoredBlob } from '../archive/raw-store.js';
import { contentKey } from '../mail/content-key.js';
import { firstHeader, readRawHeaders } from '../mail/raw-headers.js';
import type { Db } from '../store/db.js';
import type { MessageRow, ReceivedBasis } from '../store/tables.js';

/** A message as a source hands it over. */
export interface SourceMessage {
  /** Unique per delivery: the file path, or imap:<user>@<host>/<mailbox>/<uidvalidity>/<uid>. */
  source: string;
  /** The whole message; for one the source streamed into the raw store (`stored`), only its head. */
  raw: Buffer;
  /**
   * Set when the source already streamed the bytes into the raw store (a message too large to
   * hold in memory), with the content key computed on the way. `raw` then holds the head.
   */
  stored?: { blob: StoredBlob; contentKey: string };
  receivedAt: Date;
  receivedBasis: ReceivedBasis;
}

export interface Archived {
  row: MessageRow;
  /** False when this source was archived before (a rescan, a restart): nothing more to do. */
  fresh: boolean;
}

function headerSnippet(v: string | undefined, max = 500): string | null {
  return v === undefined ? null : v.slice(0, max);
}

/**
 * Stage 1: the exact bytes go to the raw store, then a row records them, before anything parses
 * the message. A delivery of bytes already archived (same sha256), or of the same Message-ID with
 * the same content under different trace headers, is marked as a duplicate of the first; it is
 * still parsed (so people see who sent it) but never counted or answered again.
 */
export async function archiveMessage(db: Db, store: RawStore, msg: SourceMessage, now = new Date()): Promise<Archived> {
  const existing = await db.selectFrom('messages').selectAll().where('source', '=', msg.source).executeTakeFirst();
  if (existing) return { row: existing, fresh: false };

  const blob = msg.stored?.blob ?? (await store.put(msg.raw));
  const headers = readRawHeaders(msg.raw);
  const messageId = headerSnippet(firstHeader(headers, 'message-id')?.trim(), 998);
  const key = msg.stored?.contentKey ?? contentKey(msg.raw);

  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('blobs')
      .values({ sha256: blob.sha256, size: blob.size, created_at: now.toISOString() })
      .onConflict((oc) => oc.column('sha256').doNothing())
      .execute();
    const original = await trx
      .selectFrom('messages')
      .select(['id'])
      .where((eb) => eb.or([eb('sha256', '=', blob.sha256), ...(messageId ? [eb.and([eb('message_id', '=', messageId), eb('content_key', '=', key)])] : [])]))
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    const row = await trx
      .insertInto('messages')
      .values({
        source: msg.source,
        sha256: blob.sha256,
        size: blob.size,
        message_id: messageId,
        content_key: key,
        received_at: msg.receivedAt.toISOString(),
        received_basis: msg.receivedBasis,
        status: 'archived',
        duplicate_of: original?.id ?? null,
        late: 0,
        attempts: 0,
        archived_at: now.toISOString(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { row, fresh: true };
  });
}
