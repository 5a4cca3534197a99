import iconv from 'iconv-lite';

/** Test material only: raw RFC 5322 messages encoded the ways real Chinese mail clients encode them. */

export type NameEncoding =
  | 'rfc2231-utf8' // Thunderbird, Apple Mail, nodemailer
  | 'rfc2231-gbk' // some Coremail builds
  | 'rfc2231-continuation' // long names split into filename*0*, filename*1*
  | 'rfc2047-gb2312-b' // Foxmail, Outlook on Chinese Windows, QQ Mail
  | 'rfc2047-gbk-q'
  | 'rfc2047-utf8-b' // 163/126 webmail
  | 'raw-gbk' // non-standard 8-bit names, old Outlook Express and some OA systems
  | 'ascii';

export interface AttachmentInput {
  filename: string;
  content: Buffer;
  contentType?: string;
  nameEncoding?: NameEncoding;
  inline?: boolean;
}

export interface MailInput {
  from: { name?: string; address: string };
  fromNameEncoding?: 'utf-8' | 'gb2312';
  to?: string;
  replyTo?: string;
  subject: string;
  subjectEncoding?: 'utf-8' | 'gb2312' | 'gbk-q';
  messageId: string;
  /** The sender's clock (Date header). */
  date: Date;
  /** Our server's receipt time, written as the topmost Received header; null for none. */
  received: Date | null;
  text?: string;
  textCharset?: 'utf-8' | 'gbk';
  attachments?: AttachmentInput[];
  /** Whole messages attached as message/rfc822 (a forward "as attachment"). */
  /**
   * Messages forwarded as parts. `disposition` is the part's Content-Disposition: `attachment`
   * (the default; Outlook, QQ, Foxmail), `inline` (mutt's mime_forward) or `none` (no header).
   */
  forwarded?: Array<{ filename?: string; raw: Buffer; disposition?: 'attachment' | 'inline' | 'none' }>;
  headers?: Record<string, string>;
}

const wrap76 = (b64: string) => b64.replace(/.{76}/g, '$&\r\n');

function charsetOf(enc: 'utf-8' | 'gb2312' | 'gbk'): string {
  return enc === 'utf-8' ? 'UTF-8' : enc.toUpperCase();
}

/** RFC 2047 B encoding, split between characters so no word cuts a multi-byte sequence. */
export function encodedWordB(text: string, charset: 'utf-8' | 'gb2312' | 'gbk'): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  const chars = [...text];
  const words: string[] = [];
  for (let i = 0; i < chars.length; i += 12) {
    const bytes = iconv.encode(chars.slice(i, i + 12).join(''), charset === 'utf-8' ? 'utf8' : 'gb18030');
    words.push(`=?${charsetOf(charset)}?B?${bytes.toString('base64')}?=`);
  }
  return words.join('\r\n ');
}

/** RFC 2047 Q encoding. */
export function encodedWordQ(text: string, charset: 'gbk' | 'gb2312' | 'utf-8'): string {
  const bytes = iconv.encode(text, charset === 'utf-8' ? 'utf8' : 'gb18030');
  let q = '';
  for (const b of bytes) q += (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ? String.fromCharCode(b) : b === 0x20 ? '_' : '=' + b.toString(16).toUpperCase().padStart(2, '0');
  return `=?${charsetOf(charset)}?Q?${q}?=`;
}

function pct(bytes: Buffer): string {
  let s = '';
  for (const b of bytes) s += (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2e || b === 0x2d || b === 0x5f ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  return s;
}

/** The Content-Type name and Content-Disposition filename parameters, as the chosen client writes them. */
function nameParams(filename: string, enc: NameEncoding): { type: string; disposition: string } {
  switch (enc) {
    case 'ascii':
      return { type: `name="${filename}"`, disposition: `filename="${filename}"` };
    case 'rfc2231-utf8':
      return { type: `name="${encodedWordB(filename, 'utf-8')}"`, disposition: `filename*=UTF-8''${pct(Buffer.from(filename, 'utf8'))}` };
    case 'rfc2231-gbk':
      return { type: `name*=GBK''${pct(iconv.encode(filename, 'gbk'))}`, disposition: `filename*=GBK''${pct(iconv.encode(filename, 'gbk'))}` };
    case 'rfc2231-continuation': {
      const enc2 = pct(Buffer.from(filename, 'utf8'));
      const parts: string[] = [];
      // Split on %XX boundaries, about 60 characters a line.
      let rest = enc2;
      while (rest.length > 0) {
        let cut = Math.min(60, rest.length);
        while (cut < rest.length && rest[cut - 1] !== undefined && /%[0-9A-F]?$/.test(rest.slice(Math.max(0, cut - 2), cut))) cut++;
        parts.push(rest.slice(0, cut));
        rest = rest.slice(cut);
      }
      const disposition = parts.map((p, i) => `filename*${i}*=${i === 0 ? "UTF-8''" : ''}${p}`).join(';\r\n ');
      return { type: `name="${encodedWordB(filename, 'utf-8')}"`, disposition };
    }
    case 'rfc2047-gb2312-b':
      return { type: `name="${encodedWordB(filename, 'gb2312')}"`, disposition: `filename="${encodedWordB(filename, 'gb2312')}"` };
    case 'rfc2047-gbk-q':
      return { type: `name="${encodedWordQ(filename, 'gbk')}"`, disposition: `filename="${encodedWordQ(filename, 'gbk')}"` };
    case 'rfc2047-utf8-b':
      return { type: `name="${encodedWordB(filename, 'utf-8')}"`, disposition: `filename="${encodedWordB(filename, 'utf-8')}"` };
    case 'raw-gbk': {
      const raw = iconv.encode(filename, 'gbk').toString('latin1');
      return { type: `name="${raw}"`, disposition: `filename="${raw}"` };
    }
  }
}

const MIME_TYPES: Record<string, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  doc: 'application/msword',
  pdf: 'application/pdf',
  zip: 'application/zip',
};

export function rfc2822Date(d: Date, offsetMinutes = 480): string {
  const local = new Date(d.getTime() + offsetMinutes * 60_000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n: number) => String(n).padStart(2, '0');
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const off = Math.abs(offsetMinutes);
  return `${days[local.getUTCDay()]}, ${local.getUTCDate()} ${months[local.getUTCMonth()]} ${local.getUTCFullYear()} ${p2(local.getUTCHours())}:${p2(local.getUTCMinutes())}:${p2(local.getUTCSeconds())} ${sign}${p2(Math.floor(off / 60))}${p2(off % 60)}`;
}

export function buildMail(m: MailInput): Buffer {
  const boundary = `----=_Part_${Buffer.from(m.messageId).toString('hex').slice(0, 16)}`;
  const head: string[] = [];
  if (m.received) head.push(`Received: from unit-client (unknown [203.0.113.7])\r\n\tby smtp-5-121.smtpsmail.fmail.xd.sinanode.com (Postfix) with ESMTP id 4GTx1\r\n\tfor <jjszjjb@sina.com>; ${rfc2822Date(m.received)} (CST)`);
  const nameEnc = m.fromNameEncoding ?? 'utf-8';
  const fromName = m.from.name ? `"${encodedWordB(m.from.name, nameEnc)}" ` : '';
  head.push(`From: ${fromName}<${m.from.address}>`);
  head.push(`To: ${m.to ?? 'jjszjjb@sina.com'}`);
  if (m.replyTo) head.push(`Reply-To: ${m.replyTo}`);
  const subj = m.subjectEncoding === 'gbk-q' ? encodedWordQ(m.subject, 'gbk') : encodedWordB(m.subject, m.subjectEncoding ?? 'utf-8');
  head.push(`Subject: ${subj}`);
  head.push(`Date: ${rfc2822Date(m.date)}`);
  head.push(`Message-ID: ${m.messageId}`);
  head.push('MIME-Version: 1.0');
  for (const [k, v] of Object.entries(m.headers ?? {})) head.push(`${k}: ${v}`);
  const charset = m.textCharset ?? 'utf-8';
  const textBytes = iconv.encode(m.text ?? '', charset === 'gbk' ? 'gbk' : 'utf8');
  const textPart = `Content-Type: text/plain; charset=${charset === 'gbk' ? 'GBK' : 'UTF-8'}\r\nContent-Transfer-Encoding: base64\r\n\r\n${wrap76(textBytes.toString('base64'))}\r\n`;
  const attachments = m.attachments ?? [];
  const forwarded = m.forwarded ?? [];
  if (attachments.length === 0 && forwarded.length === 0) {
    return Buffer.from(head.join('\r\n') + '\r\n' + textPart, 'latin1');
  }
  head.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
  const parts: string[] = [textPart];
  for (const a of attachments) {
    const ext = /\.([a-z0-9]+)$/i.exec(a.filename)?.[1]?.toLowerCase() ?? '';
    const type = a.contentType ?? MIME_TYPES[ext] ?? 'application/octet-stream';
    const np = nameParams(a.filename, a.nameEncoding ?? 'rfc2047-utf8-b');
    parts.push(`Content-Type: ${type};\r\n ${np.type}\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: ${a.inline ? 'inline' : 'attachment'};\r\n ${np.disposition}\r\n\r\n${wrap76(a.content.toString('base64'))}\r\n`);
  }
  for (const f of forwarded) {
    const name = f.filename ?? 'forwarded.eml';
    const disposition = f.disposition ?? 'attachment';
    const dispositionHeader = disposition === 'none' ? '' : `Content-Disposition: ${disposition};\r\n filename="${encodedWordB(name, 'utf-8')}"\r\n`;
    parts.push(`Content-Type: message/rfc822;\r\n name="${encodedWordB(name, 'utf-8')}"\r\n${dispositionHeader}\r\n${f.raw.toString('latin1')}\r\n`);
  }
  const body = `This is a multi-part message in MIME format.\r\n\r\n${parts.map((p) => `--${boundary}\r\n${p}`).join('')}--${boundary}--\r\n`;
  return Buffer.from(head.join('\r\n') + '\r\n\r\n' + body, 'latin1');
}
