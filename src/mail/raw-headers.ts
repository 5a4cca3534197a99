/**
 * Reads the header block of a raw message without a full MIME parse. Needed where the order
 * and exact text of headers matter: the topmost Received header, the trace headers a relay adds.
 */
export interface RawHeader {
  name: string;
  /** Unfolded value (RFC 5322 2.2.3: CRLF followed by WSP is a fold). */
  value: string;
  /** Byte range [start, end) of the header, folds included, in the raw message. */
  start: number;
  end: number;
}

/** End of the header block: the first empty line (CRLF CRLF or LF LF). */
export function headerBlockEnd(raw: Buffer): number {
  const limit = Math.min(raw.length, 1024 * 1024);
  for (let i = 0; i < limit; i++) {
    if (raw[i] !== 0x0a) continue;
    if (raw[i + 1] === 0x0a) return i + 1;
    if (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a) return i + 1;
  }
  return limit;
}

export function readRawHeaders(raw: Buffer): RawHeader[] {
  const end = headerBlockEnd(raw);
  const text = raw.subarray(0, end).toString('latin1');
  const headers: RawHeader[] = [];
  const lineRe = /[^\n]*\n?/g;
  let m: RegExpExecArray | null;
  let current: RawHeader | null = null;
  while ((m = lineRe.exec(text)) && m[0].length > 0) {
    const line = m[0];
    const start = m.index;
    if ((line.startsWith(' ') || line.startsWith('\t')) && current) {
      current.value += ' ' + line.trim();
      current.end = start + line.length;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      current = null;
      continue;
    }
    current = { name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim(), start, end: start + line.length };
    headers.push(current);
  }
  return headers;
}

export function firstHeader(headers: RawHeader[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === lower)?.value;
}
