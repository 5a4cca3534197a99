import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { composeMime, type OutgoingMail } from './transport.js';

const base: OutgoingMail = { from: { name: '九江市总工会经济技术部', address: 'jjszjjb@sina.com' }, to: 'staff@example.org', subject: '报送情况日报', text: '纯文本', messageId: '<intake.digest.1.abc@sina.com>', autoSubmitted: 'auto-replied' };

describe('mail with HTML and an attachment', () => {
  it('is text and HTML alternatives with the file attached, the Chinese name readable by every client', async () => {
    const content = Buffer.from('PK\x03\x04 workbook bytes', 'latin1');
    const bytes = await composeMime({ ...base, html: '<p>超文本</p>', attachments: [{ filename: '报送汇总_20210720.xlsx', content, contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }], autoSubmitted: 'auto-generated' });
    const raw = bytes.toString('latin1');
    expect(raw).toMatch(/^Content-Type: multipart\/mixed/m);
    expect(raw).toMatch(/^Content-Type: multipart\/alternative/m);
    // Outlook and QQ Mail read the RFC 2047 name=, others the RFC 2231 filename*.
    expect(raw).toContain('name="=?UTF-8?B?');
    expect(raw).toMatch(/filename\*0\*=utf-8''/);
    const mail = await simpleParser(bytes);
    expect(mail.text?.trim()).toBe('纯文本');
    expect(mail.html).toBe('<p>超文本</p>');
    expect(mail.attachments.map((a) => [a.filename, a.contentType, a.content.equals(content)])).toEqual([['报送汇总_20210720.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', true]]);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
  });

  it('a reply stays plain text, marked auto-replied', async () => {
    const raw = (await composeMime(base)).toString('latin1');
    expect(raw).toMatch(/^Content-Type: text\/plain; charset=utf-8/m);
    expect(raw).not.toMatch(/multipart/);
    expect(raw).toMatch(/^Auto-Submitted: auto-replied/m);
  });
});
