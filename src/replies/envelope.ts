import { randomBytes } from 'node:crypto';
import type { ParsedMessage } from '../mail/parse.js';
import type { Rules } from '../rules/index.js';
import type { MessageRow, ReplyKind } from '../store/tables.js';

export interface ReplyEnvelope {
  dedupe_key: string;
  to_address: string;
  subject: string;
  in_reply_to: string | null;
  references_text: string | null;
  reply_message_id: string;
}

const RE_PREFIX = /^\s*(re|回复|答复|回覆)\s*[:：]/i;

/**
 * Who the reply goes to and how it threads: Reply-To before From (RFC 5322 3.6.2), In-Reply-To
 * and References (RFC 5322 3.6.4) so QQ Mail and Outlook show it under the unit's message, and a
 * single "Re:" subject. Null when there is nobody to answer (or only ourselves).
 */
export function replyEnvelope(parsed: ParsedMessage, row: MessageRow, kind: ReplyKind, rules: Rules): ReplyEnvelope | null {
  const to = parsed.replyTo?.address ?? parsed.from?.address;
  if (!to || to.toLowerCase() === rules.campaign.mailbox.toLowerCase()) return null;
  const original = parsed.messageId ?? row.message_id;
  const subjectBase = parsed.subject === '' ? rules.campaign.title : parsed.subject;
  const domain = rules.campaign.mailbox.split('@')[1] ?? 'intake.invalid';
  return {
    dedupe_key: `reply:${row.id}:${kind}`,
    to_address: to,
    subject: RE_PREFIX.test(subjectBase) ? subjectBase : `Re: ${subjectBase}`,
    in_reply_to: original ?? null,
    references_text: original ? [...parsed.references.filter((r) => r !== original), original].join(' ') : null,
    // Unique for good (RFC 5322 3.6.4), not only within one database: a Sent folder outlives it.
    reply_message_id: `<intake.${row.id}.${kind}.${row.sha256.slice(0, 12)}.${randomBytes(4).toString('hex')}@${domain}>`,
  };
}
