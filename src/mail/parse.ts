import { createReadStream } from 'node:fs';
import type { AddressObject, AttachmentStream, HeaderValue, Headers, MessageText } from 'mailparser';
import { declaredCharset, repairStream } from './repair.js';

export interface Address {
  address: string;
  name: string;
}

/** What intake needs of one message, top-level or forwarded inside another. */
export interface ParsedMessage {
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  from: Address | null;
  replyTo: Address | null;
  to: Address[];
  subject: string;
  /** The plain-text body (or text derived from HTML), as the sender wrote it. */
  text: string;
  /** The HTML body, if any (bounded); links hide in its markup. */
  html?: string;
  /** Lower-cased header names to their first raw value, for the machine-mail checks. */
  headers: Map<string, string>;
  contentType: string;
  attachments: MailAttachment[];
}

export interface MailAttachment {
  filename: string;
  contentType: string;
  /** The decoded bytes; empty when the attachment was larger than the parse limit. */
  content: Buffer;
  /** The attachment's decoded size, counted while streaming (also when its bytes were dropped). */
  size?: number;
  /** Set when the attachment exceeded `maxAttachmentBytes`: its bytes were not kept. */
  oversize?: boolean;
  /** True for parts the message shows inline (logos, signatures), not files the sender attached. */
  inline: boolean;
  /** The charset the part's Content-Type declares (a text attachment's label; often wrong). */
  charset?: string;
}

export interface ParseOptions {
  /** Attachments larger than this are counted, not kept (enforced while streaming). */
  maxAttachmentBytes?: number;
}

const MAX_BODY_CHARS = 200_000;
export const MAX_HEAD_BYTES = 4 * 1024 * 1024;

function firstAddress(a: AddressObject | AddressObject[] | undefined): Address | null {
  const list = Array.isArray(a) ? a : a ? [a] : [];
  for (const obj of list) {
    for (const v of obj.value) {
      if (v.address) return { address: v.address.toLowerCase(), name: v.name ?? '' };
    }
  }
  return null;
}

function allAddresses(a: AddressObject | AddressObject[] | undefined): Address[] {
  const list = Array.isArray(a) ? a : a ? [a] : [];
  return list.flatMap((obj) => obj.value.filter((v) => v.address).map((v) => ({ address: v.address!.toLowerCase(), name: v.name ?? '' })));
}

function headerText(v: HeaderValue): string {
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((x) => headerText(x as HeaderValue)).join(', ');
  if (v && typeof v === 'object') {
    if ('value' in v && typeof (v as { value: unknown }).value === 'string') return (v as { value: string }).value;
    if ('text' in v && typeof (v as { text: unknown }).text === 'string') return (v as { text: string }).text;
  }
  return String(v);
}

/** A name fit to show: no control characters, no directories a client put in front of it. */
export function safeFileName(name: string): string {
  const cleaned = name.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  const base = cleaned.split(/[\\/]/).filter((p) => p !== '' && p !== '.' && p !== '..').pop() ?? '';
  return base.slice(0, 255);
}

function attachmentName(a: { filename?: string; contentType: string }, index: number): string {
  const name = a.filename ? safeFileName(a.filename) : '';
  if (name) return name;
  if (a.contentType === 'message/rfc822') return `转发邮件${index + 1}.eml`;
  return `附件${index + 1}`;
}

interface RawParse {
  headers: Headers;
  text: string;
  html: string;
  attachments: Array<AttachmentStream & { kept: Buffer; size: number; oversize: boolean }>;
}

/**
 * A raw message to parse: its bytes, or the archived file (streamed, so a message of any size is
 * parsed in bounded memory) with its first bytes for what must be judged before streaming.
 */
export type RawSource = Buffer | { path: string; head: Buffer };

// Loaded on first use: commands that only report (`intake status`) start without it.
let mailparser: Promise<typeof import('mailparser')> | undefined;
const loadMailparser = () => (mailparser ??= import('mailparser'));

/**
 * mailparser's streaming interface, so that an attachment's bytes are counted as they arrive
 * and dropped past the limit: a 40 MB attachment never sits in memory whole. The message goes
 * through the charset repair on its way in (see repair.ts).
 */
async function runParser(source: RawSource, maxAttachmentBytes: number, repair: boolean): Promise<RawParse> {
  const { MailParser } = await loadMailparser();
  return new Promise((resolve, reject) => {
    const parser = new MailParser({
      skipImageLinks: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      // Hostile HTML can make html-to-text slow; beyond this size the text part (if any) is enough.
      maxHtmlLengthToParse: 2 * 1024 * 1024,
      // mailsplit's option, passed through: header blocks up to this size (trace-heavy relayed
      // mail can pass the default 1 MiB); beyond it the message is a recorded parse error.
      maxHeadSize: MAX_HEAD_BYTES,
      // mailsplit's option too. By default a message/rfc822 part marked `inline` (mutt's
      // mime_forward, some webmail "forward as attachment") is split into the message carrying
      // it: its text joins the body and its files look like the forwarder's own, so its sender
      // and subject are lost as evidence and its machine-mail headers go unchecked. Kept whole,
      // it is an attachment like any other forward, expanded as a message of its own.
      ignoreEmbedded: true,
    } as ConstructorParameters<typeof MailParser>[0]);
    const out: RawParse = { headers: new Map(), text: '', html: '', attachments: [] };
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    parser.on('error', fail);
    parser.on('headers', (h: Headers) => (out.headers = h));
    let reading = false;
    const reader = (): void => {
      reading = true;
      const data = parser.read() as (AttachmentStream | MessageText) | null;
      if (data === null) {
        reading = false;
        return;
      }
      if (data.type === 'text') {
        out.text = data.text ?? '';
        out.html = typeof data.html === 'string' ? data.html : '';
        reader();
        return;
      }
      const a = Object.assign(data, { kept: Buffer.alloc(0), size: 0, oversize: false });
      out.attachments.push(a);
      const chunks: Buffer[] = [];
      const stream = a.content as NodeJS.ReadableStream;
      stream.on('readable', () => {
        let chunk: Buffer | null;
        while ((chunk = stream.read() as Buffer | null) !== null) {
          a.size += chunk.length;
          if (a.size > maxAttachmentBytes) {
            a.oversize = true;
            chunks.length = 0;
          } else chunks.push(chunk);
        }
      });
      stream.on('end', () => {
        a.kept = a.oversize ? Buffer.alloc(0) : Buffer.concat(chunks);
        chunks.length = 0;
        a.release?.();
        reader();
      });
    };
    parser.on('readable', () => {
      if (!reading) reader();
    });
    parser.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(out);
    });
    let input: NodeJS.WritableStream = parser;
    if (repair) {
      const stream = repairStream({ headers: 0, bodies: 0 }, declaredCharset(Buffer.isBuffer(source) ? source : source.head));
      stream.output.on('error', (err: Error) => fail(Object.assign(err, { repairFailed: true })));
      stream.output.pipe(parser);
      input = stream.input;
    }
    if (!Buffer.isBuffer(source)) {
      const file = createReadStream(source.path, { highWaterMark: 256 * 1024 });
      file.on('error', fail);
      file.pipe(input);
      return;
    }
    const raw = source;
    // Fed in slices with back-pressure: one huge write would have every stage buffer it at once.
    const SLICE = 256 * 1024;
    let offset = 0;
    const pump = (): void => {
      while (offset < raw.length) {
        const slice = raw.subarray(offset, offset + SLICE);
        offset += SLICE;
        if (!input.write(slice)) {
          input.once('drain', pump);
          return;
        }
      }
      input.end();
    };
    pump();
  });
}

function partCharset(a: AttachmentStream): string | undefined {
  const ct = a.headers?.get('content-type') as { params?: Record<string, string> } | undefined;
  const c = ct?.params?.charset;
  return typeof c === 'string' && c.trim() ? c.trim() : undefined;
}

function addressHeader(headers: Headers, key: string): AddressObject | AddressObject[] | undefined {
  const v = headers.get(key);
  return v && typeof v === 'object' && !(v instanceof Date) ? (v as AddressObject | AddressObject[]) : undefined;
}

export async function parseMessage(raw: RawSource, opts: ParseOptions = {}): Promise<ParsedMessage> {
  const max = opts.maxAttachmentBytes ?? 25 * 1024 * 1024;
  // A message the repair pass cannot split (a header block beyond its size limit) is still
  // parsed, as mailparser alone reads it.
  const m = await runParser(raw, max, true).catch((err: Error & { repairFailed?: boolean }) => {
    if (err.repairFailed) return runParser(raw, max, false);
    throw err;
  });
  const headers = new Map<string, string>();
  for (const [k, v] of m.headers) headers.set(k.toLowerCase(), headerText(v));
  const refsRaw = m.headers.get('references') as string | string[] | undefined;
  const refs = refsRaw === undefined ? [] : Array.isArray(refsRaw) ? refsRaw : refsRaw.split(/\s+/).filter(Boolean);
  const contentType = headers.get('content-type') ?? 'text/plain';
  const str = (k: string) => {
    const v = m.headers.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  return {
    messageId: str('message-id') ?? null,
    inReplyTo: str('in-reply-to') ?? null,
    references: refs,
    from: firstAddress(addressHeader(m.headers, 'from')),
    replyTo: firstAddress(addressHeader(m.headers, 'reply-to')),
    to: [...allAddresses(addressHeader(m.headers, 'to')), ...allAddresses(addressHeader(m.headers, 'cc'))],
    subject: (str('subject') ?? '').trim(),
    text: m.text.slice(0, MAX_BODY_CHARS),
    html: m.html.slice(0, MAX_BODY_CHARS * 2),
    headers,
    contentType,
    attachments: m.attachments.map((a, i) => ({
      filename: attachmentName(a, i),
      contentType: a.contentType,
      content: a.kept,
      size: a.size,
      ...(a.oversize ? { oversize: true } : {}),
      ...(partCharset(a) ? { charset: partCharset(a) } : {}),
      inline: a.related === true || (a.contentDisposition === 'inline' && a.contentType.startsWith('image/') && Boolean(a.cid)),
    })),
  };
}
