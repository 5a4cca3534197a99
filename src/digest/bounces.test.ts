import { describe, expect, it } from 'vitest';
import { isBounceReason, machineMailReason } from '../mail/machine-mail.js';
import { parseMessage } from '../mail/parse.js';
import { readRawHeaders } from '../mail/raw-headers.js';
import { buildMail } from '../testing/mail.js';
import { bounceDetails } from './bounces.js';

async function reason(headers: Record<string, string>, from = 'unit@163.com', subject = '报名表'): Promise<string | null> {
  const raw = buildMail({ from: { address: from }, subject, messageId: '<x@y>', date: new Date(), received: new Date(), text: 'hi', headers });
  return machineMailReason(await parseMessage(raw), readRawHeaders(raw), ['jjszjjb@sina.com']);
}

describe('which machine mail is a bounce', () => {
  it('delivery reports, by header, sender or subject', async () => {
    expect(isBounceReason(await reason({ 'X-Failed-Recipients': 'a@b.c' }))).toBe(true);
    expect(isBounceReason(await reason({ 'Return-Path': '<>' }))).toBe(true);
    expect(isBounceReason(await reason({ 'Content-Type': 'multipart/report; report-type=delivery-status; boundary="b"' }))).toBe(true);
    expect(isBounceReason(await reason({}, 'MAILER-DAEMON@sina.com'))).toBe(true);
    expect(isBounceReason(await reason({}, 'postmaster@qq.com'))).toBe(true);
    expect(isBounceReason(await reason({}, 'a@qq.com', '系统退信'))).toBe(true);
    expect(isBounceReason(await reason({}, 'a@qq.com', 'Undelivered Mail Returned to Sender'))).toBe(true);
  });

  it('not auto-replies, lists, no-reply senders, our own mail, or people', async () => {
    expect(isBounceReason(await reason({ 'Auto-Submitted': 'auto-replied' }))).toBe(false);
    expect(isBounceReason(await reason({ Precedence: 'bulk' }))).toBe(false);
    expect(isBounceReason(await reason({}, 'noreply@qq.com'))).toBe(false);
    expect(isBounceReason(await reason({}, 'jjszjjb@sina.com'))).toBe(false);
    expect(isBounceReason(await reason({}, 'a@qq.com', '自动回复：您的邮件已收到'))).toBe(false);
    expect(isBounceReason(await reason({}))).toBe(false);
    expect(isBounceReason(null)).toBe(false);
  });
});

describe('what a bounce says', () => {
  it('the Message-ID of our mail it quotes and the recipient that failed (RFC 3464)', async () => {
    const dsn = [
      'Reporting-MTA: dns; mx.163.com',
      '',
      'Final-Recipient: rfc822; <xyqzgh@163.com>',
      'Action: failed',
      'Status: 5.2.2',
    ].join('\r\n');
    const original = 'From: jjszjjb@sina.com\r\nTo: xyqzgh@163.com\r\nMessage-ID: <intake.1.ack.0123456789ab@sina.com>\r\nSubject: Re: x\r\n\r\n';
    const raw = buildMail({
      from: { address: 'MAILER-DAEMON@163.com' },
      subject: 'Delivery Status Notification (Failure)',
      messageId: '<dsn.1@163.com>',
      date: new Date(),
      received: new Date(),
      text: 'Mailbox full.',
      attachments: [
        { filename: 'details.txt', content: Buffer.from(dsn), contentType: 'message/delivery-status', nameEncoding: 'ascii' },
        { filename: 'headers.txt', content: Buffer.from(original), contentType: 'text/rfc822-headers', nameEncoding: 'ascii' },
      ],
    });
    expect(await bounceDetails(raw, 'jjszjjb@sina.com')).toEqual({ messageIds: ['<intake.1.ack.0123456789ab@sina.com>'], recipients: ['xyqzgh@163.com'] });
  });

  it('ignores Message-IDs of other domains and our own address', async () => {
    const raw = buildMail({ from: { address: 'MAILER-DAEMON@qq.com' }, subject: '退信', messageId: '<b@qq.com>', date: new Date(), received: new Date(), text: 'Message-ID: <intake.9.ack.aaaaaaaaaaaa@other.org>\nFinal-Recipient: rfc822; jjszjjb@sina.com' });
    expect(await bounceDetails(raw, 'jjszjjb@sina.com')).toEqual({ messageIds: [], recipients: [] });
  });
});
