import { describe, expect, it } from 'vitest';
import { answersOurMail, ownWords } from './own-words.js';

describe('own words of a reply', () => {
  it('stops at the quote each client writes', () => {
    const quoted = '您好，您的材料已收到：参赛报名表、竞赛实施方案。';
    expect(ownWords(`收到，谢谢！\n\n------------------ 原始邮件 ------------------\n发件人: "jjszjjb" <jjszjjb@sina.com>\n${quoted}`)).toBe('收到，谢谢！');
    expect(ownWords(`好的\n\n在 2021-07-20 09:30:00，"九江市总工会" <jjszjjb@sina.com> 写道：\n${quoted}`)).toBe('好的');
    expect(ownWords(`Thanks\n\n-----Original Message-----\n${quoted}`)).toBe('Thanks');
    expect(ownWords(`谢谢\r\n\r\n发件人: 九江市总工会 <jjszjjb@sina.com>\r\n发送时间: 2021年7月20日 9:30\r\n收件人: xs@163.com\r\n主题: Re: 参赛报名表\r\n${quoted}`)).toBe('谢谢');
    expect(ownWords(`OK\n\nOn Tue, 20 Jul 2021 at 09:30, 九江市总工会 <jjszjjb@sina.com> wrote:\n> ${quoted}`)).toBe('OK');
    expect(ownWords(`收到\n> ${quoted}\n> 谢谢`)).toBe('收到');
  });

  it('keeps what the sender wrote, including a 发件人 line that heads no quote', () => {
    const text = '我们已经报送了实施方案，为什么还说缺少？\n发件人：修水县总工会 李华';
    expect(ownWords(text)).toBe(text);
  });
});

describe('mail answering ours', () => {
  it('is told by our Message-IDs in In-Reply-To or References', () => {
    const ours = '<intake.12.ack.0123456789ab.deadbeef@sina.com>';
    expect(answersOurMail({ inReplyTo: ours, references: [] }, 'jjszjjb@sina.com')).toBe(true);
    expect(answersOurMail({ inReplyTo: null, references: ['<a@163.com>', ours] }, 'jjszjjb@sina.com')).toBe(true);
    expect(answersOurMail({ inReplyTo: '<a@163.com>', references: ['<a@163.com>'] }, 'jjszjjb@sina.com')).toBe(false);
    // Another service's intake, on another domain, is not us.
    expect(answersOurMail({ inReplyTo: '<intake.12.ack.0123456789ab.deadbeef@other.org>', references: [] }, 'jjszjjb@sina.com')).toBe(false);
  });
});
