import { parseMessage } from '../mail/parse.js';

/**
 * What a delivery report says about the mail it returns: the Message-IDs of our mail it quotes
 * (RFC 3464 reports attach the original headers; webmail bounces such as Sina's and QQ's paste
 * them into the text) and the recipients that failed (RFC 3464 Final-Recipient and
 * Original-Recipient, Exim's X-Failed-Recipients). Searched in the headers, the decoded text and
 * every attached part (message/delivery-status, message/rfc822, text/rfc822-headers).
 */
export async function bounceDetails(raw: Buffer, ourMailbox: string): Promise<{ messageIds: string[]; recipients: string[] }> {
  const parsed = await parseMessage(raw);
  const texts = [raw.toString('latin1'), parsed.text, ...parsed.attachments.map((a) => a.content.toString('utf8'))];
  const domain = ourMailbox.split('@')[1]?.toLowerCase() ?? '';
  const ids = new Set<string>();
  const recipients = new Set<string>();
  for (const t of texts) {
    for (const m of t.matchAll(/<(intake\.[^<>\s@]+@[^<>\s]+)>/g)) {
      if (m[1]!.toLowerCase().endsWith('@' + domain)) ids.add(`<${m[1]}>`);
    }
    for (const m of t.matchAll(/^(?:Final-Recipient|Original-Recipient)\s*:\s*rfc822\s*;\s*<?([^\s<>;]+@[^\s<>;]+?)>?\s*$/gim)) recipients.add(m[1]!.toLowerCase());
    for (const m of t.matchAll(/^X-Failed-Recipients\s*:\s*(.+)$/gim)) {
      for (const a of m[1]!.split(',')) if (a.includes('@')) recipients.add(a.trim().replace(/^<|>$/g, '').toLowerCase());
    }
  }
  recipients.delete(ourMailbox.toLowerCase());
  return { messageIds: [...ids], recipients: [...recipients] };
}
