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
  it('refuses auto-reply subjects in brackets, as some systems write them', async () => {
    expect(await reason({}, 'a@qq.com', '【自动回复】Re: 武宁县总工会参赛材料')).toMatch(/auto-reply or bounce \(subject/);
    expect(await reason({}, 'a@qq.com', '[自动回复] Re: 武宁县总工会参赛材料')).toMatch(/auto-reply or bounce \(subject/);
    expect(await reason({}, 'a@qq.com', '（自动答复）您好')).toMatch(/auto-reply or bounce \(subject/);
    // A person writing about an auto-reply is still a person.
    expect(await reason({}, 'a@qq.com', '关于自动回复的问题')).toBeNull();
  });
  it("refuses QQ Mail's vacation reply by the line it puts in the body, never a message with files", async () => {
    const vacation = '这是来自QQ邮箱的假期自动回复邮件。\r\n \r\n您好，我最近正在休假中，无法亲自回复您的邮件。我将在假期结束后，尽快给您回复。';
    const mail = (attachments: Array<{ filename: string; content: Buffer }> = []) =>
      buildMail({ from: { name: '武宁县总工会', address: '2843910471@qq.com' }, subject: 'Re: 武宁县总工会参赛材料', messageId: '<v@qq.com>', date: new Date(), received: new Date(), text: vacation, attachments });
    const check = async (raw: Buffer) => machineMailReason(await parseMessage(raw), readRawHeaders(raw), ['jjszjjb@sina.com']);
    expect(await check(mail())).toBe('auto-reply (body "这是来自QQ邮箱的假期自动回复邮件")');
    expect(await check(mail([{ filename: '实施方案.docx', content: Buffer.from('x') }]))).toBeNull();
    const person = buildMail({ from: { address: 'a@qq.com' }, subject: 'Re: 武宁县总工会参赛材料', messageId: '<p@qq.com>', date: new Date(), received: new Date(), text: '收到自动回复了，请问实施方案需要盖章吗？' });
    expect(await check(person)).toBeNull();
  });
});
