/**
 * What a reply says in its own words: the text above the quoted message it answers. Mail
 * clients mark the quote differently, and none of them reliably with `>`:
 * - QQ Mail and Foxmail: a "------------------ 原始邮件 ------------------" line;
 * - Outlook: "-----Original Message-----", or a block of From:/Sent:/To:/Subject: lines
 *   (发件人：/发送时间：/收件人：/主题： in Chinese Outlook);
 * - 163, 126, Coremail and Sina: "在 2021-07-20 09:30，"…" <…> 写道：" (Sina also "----- 原始邮件 -----");
 * - Gmail, Thunderbird, Apple Mail: "On …, … wrote:", then `>` lines.
 */
const SEPARATORS: RegExp[] = [
  /^\s*-{2,}\s*(原始邮件|original message|回复的原邮件)\s*-{2,}\s*$/i,
  /^\s*在.{0,200}写道\s*[:：]\s*$/,
  /^\s*on .{0,200} wrote\s*:\s*$/i,
  /^\s*_{10,}\s*$/,
];
const HEADER_BLOCK = /^\s*(发件人|from)\s*[:：]/i;
const HEADER_FOLLOWS = /^\s*(发送时间|日期|时间|sent|date|收件人|to|主题|subject)\s*[:：]/i;

export function ownWords(text: string): string {
  const lines = text.split(/\r?\n/);
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (SEPARATORS.some((re) => re.test(line))) break;
    // A From: line is only a quote's head when a Sent:/To:/Subject: line follows it closely;
    // "发件人：" alone may be the sender writing about someone.
    if (HEADER_BLOCK.test(line) && lines.slice(i + 1, i + 4).some((l) => HEADER_FOLLOWS.test(l))) break;
    if (/^\s*>/.test(line)) continue;
    kept.push(line);
  }
  return kept.join('\n').trim();
}

/**
 * Whether a message answers mail intake sent (a reply, a reminder, a digest): its In-Reply-To
 * or References names one of our Message-IDs (`<intake.…@<campaign domain>>`, envelope.ts).
 */
export function answersOurMail(parsed: { inReplyTo: string | null; references: string[] }, mailbox: string): boolean {
  const domain = (mailbox.split('@')[1] ?? '').toLowerCase();
  return [parsed.inReplyTo, ...parsed.references].some((id) => {
    const v = id?.trim().toLowerCase() ?? '';
    return v.startsWith('<intake.') && v.endsWith(`@${domain}>`);
  });
}
