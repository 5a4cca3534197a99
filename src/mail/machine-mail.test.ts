import { describe, expect, it } from 'vitest';
import { buildMail } from '../testing/mail.js';
import { machineMailReason } from './machine-mail.js';
import { parseMessage } from './parse.js';
import { readRawHeaders } from './raw-headers.js';

async function reason(headers: Record<string, string>, from = 'unit@163.com', subject = '报名表'): Promise<string | null> {
  const raw = buildMail({ from: { address: from }, subject, messageId: '<x@y>', date: new Date(), received: new Date(), text: 'hi', headers });
  return machineMailReason(await parseMessage(raw), readRawHeaders(raw), ['jjszjjb@sina.com']);
}

describe('machine mail', () => {
  it('lets a person through', async () => {
    expect(await reason({})).toBeNull();
    expect(await reason({ 'Auto-Submitted': 'no' })).toBeNull();
  });
  it.each([
    [{ 'Auto-Submitted': 'auto-replied' }, /Auto-Submitted/],
    [{ 'X-Autoreply': 'yes' }, /x-autoreply/],
    [{ Precedence: 'bulk' }, /Precedence: bulk/],
    [{ Precedence: 'list' }, /Precedence: list/],
    [{ 'List-Id': '<news.example.com>' }, /List-Id/],
    [{ 'Return-Path': '<>' }, /empty Return-Path/],
    [{ 'X-Failed-Recipients': 'a@b.c' }, /bounce/],
  ])('refuses %o', async (headers, re) => {
    expect(await reason(headers)).toMatch(re);
  });
  it('refuses machine senders, our own mail and Chinese auto-reply subjects', async () => {
    expect(await reason({}, 'MAILER-DAEMON@sina.com')).toMatch(/machine sender/);
    expect(await reason({}, 'noreply@qq.com')).toMatch(/machine sender/);
    expect(await reason({}, 'jjszjjb@sina.com')).toMatch(/our own mail/);
    expect(await reason({}, 'a@qq.com', '自动回复：您的邮件已收到')).toMatch(/subject/);
    expect(await reason({}, 'a@qq.com', '系统退信')).toMatch(/subject/);
  });
});
