import { simpleParser, type AddressObject, type Attachment, type HeaderValue } from 'mailparser';

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
  /** Lower-cased header names to their first raw value, for the machine-mail checks. */
  headers: Map<string, string>;
  contentType: string;
  attachments: MailAttachment[];
}

export interface MailAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
  /** True for parts the message shows inline (logos, signatures), not files the sender attached. */
  inline: boolean;
}

const MAX_BODY_CHARS = 200_000;

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

function attachmentName(a: Attachment, index: number): string {
  if (a.filename) return a.filename;
  if (a.contentType === 'message/rfc822') return `转发邮件${index + 1}.eml`;
  return `附件${index + 1}`;
}

export async function parseMessage(raw: Buffer): Promise<ParsedMessage> {
  const m = await simpleParser(raw, {
    skipImageLinks: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    // Hostile HTML can make html-to-text slow; beyond this size the text part (if any) is enough.
    maxHtmlLengthToParse: 2 * 1024 * 1024,
  });
  const headers = new Map<string, string>();
  for (const [k, v] of m.headers) headers.set(k.toLowerCase(), headerText(v));
  const refs = m.references === undefined ? [] : Array.isArray(m.references) ? m.references : m.references.split(/\s+/).filter(Boolean);
  const contentType = headers.get('content-type') ?? 'text/plain';
  return {
    messageId: m.messageId ?? null,
    inReplyTo: m.inReplyTo ?? null,
    references: refs,
    from: firstAddress(m.from),
    replyTo: firstAddress(m.replyTo),
    to: [...allAddresses(m.to), ...allAddresses(m.cc)],
    subject: (m.subject ?? '').trim(),
    text: (m.text ?? '').slice(0, MAX_BODY_CHARS),
    headers,
    contentType,
    attachments: m.attachments.map((a, i) => ({
      filename: attachmentName(a, i),
      contentType: a.contentType,
      content: a.content,
      inline: a.related === true || (a.contentDisposition === 'inline' && a.contentType.startsWith('image/') && Boolean(a.cid)),
    })),
  };
}
