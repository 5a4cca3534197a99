import { Transform, type TransformCallback } from 'node:stream';
import mailsplit from '@zone-eu/mailsplit';
import iconv from 'iconv-lite';
import { canonicalCharset, chooseCharset, isAscii, isValidUtf8 } from './charset.js';

/**
 * A pass over the raw MIME structure, before mailparser reads it, that fixes what real Chinese
 * mail gets wrong so that mailparser decodes it right. It changes labels and header bytes only,
 * never a body's bytes, and only where the bytes prove the label wrong:
 *
 *  - raw 8-bit header bytes (old Outlook Express, Foxmail, OA systems write GBK names unencoded;
 *    mailparser would show them as U+FFFD or Latin-1 mojibake) are transcoded to UTF-8, which
 *    mailparser reads for every header;
 *  - GB2312 and GBK labels, in encoded words, RFC 2231 parameters and Content-Type, become
 *    GB18030, their superset (mail labelled GB2312 routinely carries GBK characters);
 *  - an encoded word or an RFC 2231 value whose bytes are not text in its declared charset
 *    (GBK bytes labelled UTF-8) is relabelled with the charset its bytes are in, as is an RFC
 *    2231 value with no charset;
 *  - a text body whose bytes are not clean in its declared charset, or that has none, gets the
 *    charset its bytes are in (valid UTF-8, else GB18030 when it reads as Chinese, else
 *    Windows-1252).
 *
 * The archived message is never touched: this output only feeds the parser.
 */

/** Bytes of a text body looked at to decide its charset. */
const BODY_SAMPLE_BYTES = 1024 * 1024;

interface SplitNode {
  type: 'node';
  root: boolean;
  multipart: string | false;
  contentType: string | false;
  charset: string | false;
  disposition: string | false;
  encoding: string | false;
  headers: { getList(): Array<{ key: string; line: string }>; changed: boolean };
  setCharset(charset: string): void;
}
type SplitChunk = SplitNode | { type: 'body' | 'data'; value: Buffer; node?: SplitNode } | { type: 'none' };

export interface RepairStats {
  headers: number;
  bodies: number;
}

/** Creates the stream: raw message bytes in, repaired message bytes out. */
export function repairStream(stats: RepairStats = { headers: 0, bodies: 0 }, hint: string | null = null): { input: NodeJS.WritableStream; output: NodeJS.ReadableStream } {
  const splitter = new mailsplit.Splitter({ maxHeadSize: 4 * 1024 * 1024 }) as unknown as Transform;
  const joiner = new mailsplit.Joiner() as unknown as Transform;
  const fixer = new RepairTransform(stats, hint);
  splitter.on('error', (err: Error) => joiner.emit('error', err));
  fixer.on('error', (err: Error) => joiner.emit('error', err));
  splitter.pipe(fixer).pipe(joiner);
  return { input: splitter, output: joiner };
}

/** The first charset a message declares anywhere: the best guess for its unlabelled 8-bit headers. */
export function declaredCharset(raw: Buffer): string | null {
  const head = raw.subarray(0, 256 * 1024).toString('latin1');
  const m = /charset\s*=\s*"?([\w.:-]+)/i.exec(head);
  const c = m ? canonicalCharset(m[1]) : null;
  return c === 'utf-8' ? null : c;
}

class RepairTransform extends Transform {
  private pending: { node: SplitNode; chunks: Buffer[]; size: number } | null = null;

  constructor(
    private readonly stats: RepairStats,
    private readonly hint: string | null,
  ) {
    super({ readableObjectMode: true, writableObjectMode: true });
  }

  override _transform(chunk: SplitChunk, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      if (chunk.type === 'node') {
        this.flushPending();
        const node = chunk as SplitNode;
        if (repairHeaders(node, this.hint)) this.stats.headers++;
        if (isTextBody(node)) this.pending = { node, chunks: [], size: 0 };
        else this.push(node);
      } else if (chunk.type === 'body' && this.pending) {
        this.pending.chunks.push(chunk.value);
        this.pending.size += chunk.value.length;
        if (this.pending.size > BODY_SAMPLE_BYTES * 2) this.flushPending();
      } else if (chunk.type !== 'none') {
        this.flushPending();
        this.push(chunk);
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.flushPending();
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private flushPending(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    const raw = Buffer.concat(p.chunks, p.size);
    const truncated = raw.length > BODY_SAMPLE_BYTES;
    const bytes = transferDecode(truncated ? raw.subarray(0, BODY_SAMPLE_BYTES) : raw, p.node.encoding || '');
    const label = (p.node.charset || null) ?? (p.node.contentType === 'text/html' ? metaCharset(bytes) : null);
    if (!isAscii(bytes)) {
      const choice = chooseCharset(bytes, label, { partial: truncated || p.node.encoding === 'base64' });
      const declared = canonicalCharset(p.node.charset || null);
      if (choice.charset !== declared && !(declared === null && choice.charset === 'utf-8' && !p.node.charset)) {
        p.node.setCharset(choice.charset);
        this.stats.bodies++;
      } else if (p.node.charset && declared === 'gb18030' && !/^gb18030$/i.test(p.node.charset)) {
        p.node.setCharset('gb18030');
      }
    }
    this.push(p.node);
    for (const c of p.chunks) this.push({ type: 'body', value: c, node: p.node });
  }
}

function isTextBody(node: SplitNode): boolean {
  if (node.multipart) return false;
  if (node.disposition === 'attachment') return false;
  const t = node.contentType || 'text/plain';
  return t === 'text/plain' || t === 'text/html';
}

function metaCharset(bytes: Buffer): string | null {
  const m = /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(bytes.subarray(0, 4096).toString('latin1'));
  return m ? m[1]! : null;
}

/** Decodes a body's transfer encoding (base64 or quoted-printable); anything else is as is. */
export function transferDecode(raw: Buffer, encoding: string): Buffer {
  const e = encoding.toLowerCase().trim();
  if (e === 'base64') return Buffer.from(raw.toString('latin1').replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
  if (e === 'quoted-printable') return decodeQp(raw);
  return raw;
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function decodeQp(raw: Buffer): Buffer {
  const out = Buffer.alloc(raw.length);
  let o = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === 0x3d) {
      const h = hexVal(raw[i + 1] ?? -1);
      const l = hexVal(raw[i + 2] ?? -1);
      if (h >= 0 && l >= 0) {
        out[o++] = h * 16 + l;
        i += 2;
        continue;
      }
      // Soft line break: "=" then optional whitespace then the line end.
      let j = i + 1;
      while (raw[j] === 0x20 || raw[j] === 0x09) j++;
      if (raw[j] === 0x0d && raw[j + 1] === 0x0a) {
        i = j + 1;
        continue;
      }
      if (raw[j] === 0x0a) {
        i = j;
        continue;
      }
    }
    out[o++] = c;
  }
  return out.subarray(0, o);
}

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=/g;
const MIME_PARAMS = new Set(['content-type', 'content-disposition']);

/** Repairs a node's header lines in place; true when any changed. */
function repairHeaders(node: SplitNode, hint: string | null): boolean {
  let changed = false;
  for (const entry of node.headers.getList()) {
    const fixed = repairHeaderLine(entry.key, entry.line, hint);
    if (fixed !== entry.line) {
      entry.line = fixed;
      changed = true;
    }
  }
  if (changed) node.headers.changed = true;
  return changed;
}

/**
 * One header line (a latin1 "binary" string, folds included) made decodable. Exported for tests.
 */
export function repairHeaderLine(key: string, line: string, hint: string | null = null): string {
  let out = line;
  // 1. Raw 8-bit bytes: transcode to UTF-8 (mailparser and mailsplit read header bytes as UTF-8).
  if (/[\x80-\xff]/.test(out)) {
    const bytes = Buffer.from(out, 'latin1');
    if (!isValidUtf8(bytes)) {
      const { charset } = chooseCharset(bytes, hint);
      if (charset !== 'utf-8') {
        out = Buffer.from(iconv.decode(bytes, charset), 'utf8').toString('latin1');
      }
    }
  }
  // 2. Encoded words: GB labels to GB18030, and a label the bytes contradict replaced.
  if (out.includes('=?')) out = relabelEncodedWords(out);
  // 3. RFC 2231 parameters and the charset parameter.
  if (MIME_PARAMS.has(key)) {
    if (out.includes('*=')) out = relabelRfc2231(out);
    out = out.replace(/(charset\s*=\s*"?)(gb[-_]?2312|gbk|x-gbk|cp936|euc-cn)(?=["';\s]|$)/gi, '$1gb18030');
  }
  return out;
}

function wordBytes(enc: string, text: string): Buffer {
  if (enc.toUpperCase() === 'B') return Buffer.from(text.replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d) {
      const h = hexVal(text.charCodeAt(i + 1));
      const l = hexVal(text.charCodeAt(i + 2));
      if (h >= 0 && l >= 0) {
        bytes.push(h * 16 + l);
        i += 2;
        continue;
      }
    }
    bytes.push(c === 0x5f ? 0x20 : c & 0xff);
  }
  return Buffer.from(bytes);
}

/**
 * Adjacent encoded words in one charset are one text (clients split words mid-character), so
 * they are judged together, and relabelled together.
 */
function relabelEncodedWords(line: string): string {
  const words = [...line.matchAll(ENCODED_WORD)].map((m) => ({ start: m.index, end: m.index + m[0].length, charset: m[1]!, enc: m[2]!, text: m[3]! }));
  if (words.length === 0) return line;
  const groups: Array<typeof words> = [];
  for (const w of words) {
    const last = groups.at(-1);
    const prev = last?.at(-1);
    const sameRun = prev && /^\s*$/.test(line.slice(prev.end, w.start)) && canonOf(prev.charset) === canonOf(w.charset);
    if (sameRun) last!.push(w);
    else groups.push([w]);
  }
  const newLabel = new Map<number, string>();
  for (const g of groups) {
    const label = g[0]!.charset.replace(/\*.*$/, '');
    const bytes = Buffer.concat(g.map((w) => wordBytes(w.enc, w.text)));
    const declared = canonicalCharset(label);
    let target: string | null = null;
    if (!isAscii(bytes)) {
      const { charset } = chooseCharset(bytes, label);
      if (charset !== declared) target = charset;
    }
    if (!target && declared === 'gb18030' && !/^gb18030$/i.test(label)) target = 'gb18030';
    if (target) for (const w of g) newLabel.set(w.start, target);
  }
  if (newLabel.size === 0) return line;
  let out = '';
  let pos = 0;
  for (const w of words) {
    out += line.slice(pos, w.start);
    const label = newLabel.get(w.start);
    out += label ? `=?${label}?${w.enc}?${w.text}?=` : line.slice(w.start, w.end);
    pos = w.end;
  }
  return out + line.slice(pos);
}

function canonOf(label: string): string {
  return canonicalCharset(label.replace(/\*.*$/, '')) ?? label.toLowerCase();
}

/** `name*=cs'lang'%XX` and `name*0*=cs'lang'%XX; name*1*=%XX`: the charset checked against the bytes. */
function relabelRfc2231(line: string): string {
  const PARAM = /([;:\s])([A-Za-z0-9_-]+)\*(\d+)?(\*)?\s*=\s*("[^"]*"|[^;\s]*)/g;
  const params = new Map<string, Array<{ index: number; nr: number; encoded: boolean; value: string; valueStart: number }>>();
  for (const m of line.matchAll(PARAM)) {
    const name = m[2]!.toLowerCase();
    const nr = m[3] === undefined ? 0 : Number(m[3]);
    const encoded = m[3] === undefined ? true : m[4] === '*';
    const value = m[5]!;
    const valueStart = m.index + m[0].length - value.length;
    (params.get(name) ?? params.set(name, []).get(name)!).push({ index: m.index, nr, encoded, value, valueStart });
  }
  const edits: Array<{ start: number; end: number; text: string }> = [];
  for (const segs of params.values()) {
    segs.sort((a, b) => a.nr - b.nr);
    const first = segs[0]!;
    if (!first.encoded || first.nr !== 0) continue;
    const unq = first.value.replace(/^"|"$/g, '');
    const m = /^([^']*)'([^']*)'/.exec(unq);
    if (!m) continue;
    const label = m[1]!;
    const bytes = Buffer.concat(
      segs.map((s, i) => {
        const v = s.value.replace(/^"|"$/g, '');
        const body = i === 0 ? v.slice(m[0].length) : v;
        return s.encoded ? Buffer.from(body.replace(/%([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1') : Buffer.from(body, 'latin1');
      }),
    );
    const declared = canonicalCharset(label);
    let target: string | null = null;
    if (!isAscii(bytes)) {
      const { charset } = chooseCharset(bytes, label || null);
      if (charset !== declared) target = charset;
    }
    if (!target && declared === 'gb18030' && !/^gb18030$/i.test(label)) target = 'gb18030';
    if (!target) continue;
    const quoteOffset = first.value.startsWith('"') ? 1 : 0;
    edits.push({ start: first.valueStart + quoteOffset, end: first.valueStart + quoteOffset + label.length, text: target });
  }
  if (edits.length === 0) return line;
  edits.sort((a, b) => b.start - a.start);
  let out = line;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
