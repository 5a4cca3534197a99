import { createHash, type Hash } from 'node:crypto';
import { readRawHeaders } from './raw-headers.js';

/**
 * Headers a relay or a delivery agent adds on the way in. The same message delivered twice
 * (to an alias and to the mailbox, or re-fetched after a UIDVALIDITY change) differs only in
 * these, so they are left out of the key that recognises a duplicate delivery.
 */
const TRACE = new Set(['received', 'return-path', 'delivered-to', 'x-original-to', 'x-delivered-to', 'x-rcpt-to', 'x-received', 'dkim-signature', 'arc-seal', 'arc-message-signature', 'arc-authentication-results', 'authentication-results', 'x-spam-status', 'x-spam-score', 'x-qq-mid', 'x-mailer-info', 'x-sina-mid', 'x-uid', 'status', 'x-keywords', 'x-status']);

export function contentKey(raw: Buffer): string {
  return contentKeyHash(raw).digest('hex');
}

/**
 * The running hash behind contentKey, for a message streamed in pieces: `head` must hold the
 * whole header block (or the first 1 MiB, where readRawHeaders stops looking); the bytes after
 * `head` are then fed to the returned hash unchanged.
 */
export function contentKeyHash(raw: Buffer): Hash {
  const hash = createHash('sha256');
  let pos = 0;
  for (const h of readRawHeaders(raw)) {
    if (!TRACE.has(h.name.toLowerCase())) continue;
    hash.update(raw.subarray(pos, h.start));
    pos = h.end;
  }
  hash.update(raw.subarray(pos));
  return hash;
}
