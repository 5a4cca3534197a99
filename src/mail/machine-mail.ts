import type { ParsedMessage } from './parse.js';
import { firstHeader, type RawHeader } from './raw-headers.js';

const BOUNCE_SUBJECT = /^(系统退信|退信|Undeliver(able|ed)|Delivery Status Notification|Mail delivery failed|Returned mail)/i;

/**
 * Why a message must not be answered, or null when a person wrote it. Answering machines makes
 * loops (auto-reply to auto-reply) and mail storms, so every known marker counts.
 * RFC 3834 (Auto-Submitted), RFC 2369/2919 (List-*), RFC 3464 (delivery reports), and the
 * non-standard headers Exchange, QQ Mail and others use.
 */
export function machineMailReason(msg: ParsedMessage, raw: RawHeader[], ownAddresses: string[]): string | null {
  // Raw headers, not mailparser's: it folds List-* headers into one structured "list" entry.
  const h = (name: string) => firstHeader(raw, name)?.trim();
  const autoSubmitted = h('auto-submitted');
  if (autoSubmitted && autoSubmitted.toLowerCase() !== 'no') return `auto-reply (Auto-Submitted: ${autoSubmitted})`;
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder', 'x-auto-reply']) {
    if (h(name)) return `auto-reply (${name}: ${h(name)})`;
  }
  const precedence = h('precedence')?.toLowerCase();
  if (precedence && /^(bulk|junk|list|auto_reply)$/.test(precedence)) return `bulk mail (Precedence: ${precedence})`;
  if (h('list-id')) return `list mail (List-Id: ${h('list-id')})`;
  if (h('list-unsubscribe')) return 'list mail (List-Unsubscribe)';
  if (h('x-failed-recipients')) return 'bounce (X-Failed-Recipients)';
  if (/^multipart\/report/i.test(msg.contentType) || /report-type\s*=\s*"?delivery-status/i.test(h('content-type') ?? '')) return 'bounce (delivery status report)';
  const returnPath = h('return-path');
  if (returnPath !== undefined && /^<\s*>$/.test(returnPath)) return 'bounce (empty Return-Path)';
  const from = msg.from?.address ?? '';
  const local = from.split('@')[0] ?? '';
  if (/^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|noreply-.*|bounces?|auto-?reply|notifications?)$/i.test(local)) return `machine sender (${from})`;
  if (ownAddresses.some((a) => a.toLowerCase() === from)) return `our own mail (${from})`;
  // Chinese webmail auto-replies and bounces often carry no header at all, only the subject,
  // which some systems put in brackets: "【自动回复】Re: …", "[自动回复] …".
  const subject = msg.subject;
  if (AUTO_REPLY_SUBJECT.test(subject) || BOUNCE_SUBJECT.test(subject)) {
    return `auto-reply or bounce (subject "${subject.slice(0, 40)}")`;
  }
  // QQ Mail's vacation reply carries no header and keeps the subject it answers ("Re: …"); only
  // the line it puts in the body says what it is. Only for mail without files: a person's
  // submission never loses its files to a phrase quoted in it.
  if (msg.attachments.length === 0) {
    const phrase = AUTO_REPLY_BODY.exec(msg.text.slice(0, 2000))?.[0];
    if (phrase) return `auto-reply (body "${phrase}")`;
  }
  return null;
}

const AUTO_REPLY_SUBJECT = /^\s*[[【(（]?\s*(自动回复|自动答复|Auto(matic)? ?Reply|Out of (the )?Office|休假自动回复)/i;
/** What auto-responders write in the body and people never do. */
const AUTO_REPLY_BODY = /这是来自\s*QQ\s*邮箱的(假期)?自动回复邮件|这是一封(系统)?自动回复(的)?邮件|此(邮件|封邮件)为(系统)?自动回复/;

/**
 * Whether a reason machineMailReason gave (stored as the message's reply reason) says the message
 * is a delivery report: a bounce of mail we sent, which staff must see.
 */
export function isBounceReason(reason: string | null): boolean {
  if (!reason) return false;
  if (reason.startsWith('bounce (')) return true;
  if (/^machine sender \((mailer-daemon|postmaster)@/i.test(reason)) return true;
  const subject = /^auto-reply or bounce \(subject "(.*)"\)$/s.exec(reason)?.[1];
  return subject !== undefined && BOUNCE_SUBJECT.test(subject);
}
