import { stat } from 'node:fs/promises';
import type { ReceivedBasis } from '../store/tables.js';
import { firstHeader, readRawHeaders } from './raw-headers.js';

export interface ReceiptTime {
  at: Date;
  basis: ReceivedBasis;
}

/**
 * The date a Received header carries is after its last ";" (RFC 5321 4.4). Servers append a
 * zone comment such as "(CST)" that Date.parse would trip on, so comments are removed first.
 */
export function receivedHeaderDate(value: string): Date | null {
  const semi = value.lastIndexOf(';');
  if (semi < 0) return null;
  const text = value
    .slice(semi + 1)
    .replace(/\([^)]*\)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? new Date(ms) : null;
}

/** The date of the topmost Received header (added by our own server when it accepted the mail), if readable. */
export function topReceivedDate(raw: Buffer): Date | null {
  const top = firstHeader(readRawHeaders(raw), 'received');
  return top ? receivedHeaderDate(top) : null;
}

/**
 * The receipt time of a message read from a file: the topmost Received header, else the file's
 * modification time. The sender's Date header is never used: a unit's clock or a resent draft
 * must not make a late submission look on time.
 */
export async function fileReceiptTime(raw: Buffer, path: string): Promise<ReceiptTime> {
  const at = topReceivedDate(raw);
  if (at) return { at, basis: 'received-header' };
  return { at: (await stat(path)).mtime, basis: 'file-mtime' };
}
