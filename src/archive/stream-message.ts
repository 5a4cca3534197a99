import type { Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { contentKeyHash } from '../mail/content-key.js';
import type { RawStore, StoredBlob } from './raw-store.js';

/** readRawHeaders looks for the end of the header block within the first 1 MiB. */
const HEAD_LIMIT = 1024 * 1024 + 4;

function hasBlankLine(b: Buffer): boolean {
  return b.includes('\n\n') || b.includes('\n\r\n');
}

export interface StreamedMessage {
  blob: StoredBlob;
  /** The first bytes, holding the whole header block: enough to read Message-ID and trace headers. */
  head: Buffer;
  contentKey: string;
}

/**
 * Streams a message into the raw store without holding it in memory: the sha256 and the
 * duplicate-detection content key are computed on the way, and only the head (the header block,
 * at most about 1 MiB) is kept. The store writes to a temp file, fsyncs and renames, so a broken
 * stream leaves nothing under a real hash.
 */
export async function storeMessageStream(store: RawStore, source: Readable): Promise<StreamedMessage> {
  let pending: Buffer = Buffer.alloc(0);
  let head: Buffer | null = null;
  let key: Hash | null = null;
  const blob = await store.putStream(source, (chunk) => {
    if (key) {
      key.update(chunk);
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    if (pending.length >= HEAD_LIMIT || hasBlankLine(pending)) {
      head = pending;
      key = contentKeyHash(pending);
    }
  });
  if (!key) {
    head = pending;
    key = contentKeyHash(pending);
  }
  return { blob, head: head ?? pending, contentKey: (key as Hash).digest('hex') };
}
