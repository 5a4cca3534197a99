import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { canonicalCharset, chooseCharset, decodeText, looksLikeGb, recoverLatin1 } from './charset.js';
import { repairHeaderLine } from './repair.js';
import { parseMessage } from './parse.js';

const gbk = (s: string) => iconv.encode(s, 'gbk');

describe('charset labels', () => {
  it('reads every GB label as GB18030', () => {
    for (const l of ['GB2312', 'gb_2312-80', 'GBK', 'x-gbk', 'cp936', 'EUC-CN', '"gb2312"', 'GB18030']) expect(canonicalCharset(l), l).toBe('gb18030');
    expect(canonicalCharset('utf8')).toBe('utf-8');
    expect(canonicalCharset('us-ascii')).toBe('utf-8');
    expect(canonicalCharset('utf-7')).toBeNull();
    expect(canonicalCharset('bad-charset')).toBeNull();
  });
});

describe('choosing a charset from the bytes', () => {
  it('keeps a true label', () => {
    expect(chooseCharset(gbk('参赛报名表'), 'gb2312')).toEqual({ charset: 'gb18030', basis: 'label' });
    expect(chooseCharset(Buffer.from('参赛报名表'), 'utf-8')).toEqual({ charset: 'utf-8', basis: 'label' });
  });

  it('overrules a label the bytes contradict', () => {
    expect(chooseCharset(gbk('参赛报名表'), 'utf-8').charset).toBe('gb18030');
    expect(chooseCharset(Buffer.from('参赛报名表，实施方案'), 'gb2312').charset).toBe('utf-8');
    expect(chooseCharset(gbk('参赛报名表'), 'bad-charset').charset).toBe('gb18030');
  });

  it('reads GBK-only and four-byte GB18030 characters under a GB2312 label', () => {
    const bytes = iconv.encode('李喆、王镕：㐀', 'gb18030');
    expect(decodeText(bytes, 'gb2312').text).toBe('李喆、王镕：㐀');
  });

  it('does not take Western 8-bit text for Chinese', () => {
    const latin1 = Buffer.from('Die Hasen und die Frösche', 'latin1');
    expect(looksLikeGb(latin1)).toBe(false);
    expect(decodeText(latin1).text).toBe('Die Hasen und die Frösche');
    expect(decodeText(Buffer.from('Formação, Verão', 'latin1')).text).toBe('Formação, Verão');
  });

  it('recognises mislabelled Japanese by its script', () => {
    // (Unlabelled EUC-KR uses the same byte ranges as GB2312 and reads as Chinese: for this
    // audience the right guess. Labelled EUC-KR is read as labelled.)
    expect(decodeText(iconv.encode('メールを簡単に。メッセージの検索', 'shift_jis'), 'utf-8').text).toBe('メールを簡単に。メッセージの検索');
    expect(decodeText(iconv.encode('안녕하세요 세계, 반갑습니다', 'euc-kr'), 'euc-kr').text).toBe('안녕하세요 세계, 반갑습니다');
  });

  it('tolerates a character cut at the end of a sample', () => {
    const cut = Buffer.from('报名表').subarray(0, 7);
    expect(chooseCharset(cut, 'utf-8', { partial: true }).charset).toBe('utf-8');
  });

  it('undoes Latin-1 mojibake of GBK bytes, and leaves real Latin-1 alone', () => {
    expect(recoverLatin1(gbk('报名表.xlsx').toString('latin1'))).toBe('报名表.xlsx');
    expect(recoverLatin1('Eelanalüüsi päring.jpg')).toBe('Eelanalüüsi päring.jpg');
  });
});

describe('header repair', () => {
  it('transcodes raw GBK header bytes to UTF-8', () => {
    const line = Buffer.concat([Buffer.from('Subject: '), gbk('修水县参赛报名表')]).toString('latin1');
    expect(Buffer.from(repairHeaderLine('subject', line), 'latin1').toString('utf8')).toBe('Subject: 修水县参赛报名表');
  });

  it('relabels GB2312 and GBK encoded words as GB18030, and a UTF-8 word carrying GBK bytes', () => {
    expect(repairHeaderLine('subject', 'Subject: =?GB2312?B?1eLKx7HqzOI=?=')).toBe('Subject: =?gb18030?B?1eLKx7HqzOI=?=');
    expect(repairHeaderLine('subject', `Subject: =?UTF-8?B?${gbk('这是标题').toString('base64')}?=`)).toBe(`Subject: =?gb18030?B?${gbk('这是标题').toString('base64')}?=`);
    // Adjacent words are judged together: each half alone is not valid UTF-8.
    const bytes = Buffer.from('报名表', 'utf8');
    const split = `Subject: =?UTF-8?B?${bytes.subarray(0, 4).toString('base64')}?= =?UTF-8?B?${bytes.subarray(4).toString('base64')}?=`;
    expect(repairHeaderLine('subject', split)).toBe(split);
  });

  it('gives RFC 2231 values the charset their bytes are in', () => {
    const pct = [...gbk('报名表.xlsx')].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    expect(repairHeaderLine('content-disposition', `Content-Disposition: attachment; filename*=''${pct}`)).toBe(`Content-Disposition: attachment; filename*=gb18030''${pct}`);
    expect(repairHeaderLine('content-disposition', `Content-Disposition: attachment; filename*=utf-8''${pct}`)).toBe(`Content-Disposition: attachment; filename*=gb18030''${pct}`);
    expect(repairHeaderLine('content-type', 'Content-Type: text/plain; charset=GB2312')).toBe('Content-Type: text/plain; charset=gb18030');
  });

  it('parses a message whose every header is raw GBK', async () => {
    const raw = Buffer.concat([
      Buffer.from('From: "'),
      gbk('都昌县总工会'),
      Buffer.from('" <a@b.cn>\r\nSubject: '),
      gbk('都昌县材料'),
      Buffer.from('\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'),
      gbk('正文'),
      Buffer.from('\r\n--b\r\nContent-Type: application/octet-stream; name="'),
      gbk('报名表.xlsx'),
      Buffer.from('"\r\nContent-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--b--\r\n'),
    ]);
    const m = await parseMessage(raw);
    expect({ subject: m.subject, from: m.from?.name, text: m.text.trim(), files: m.attachments.map((a) => a.filename) }).toEqual({ subject: '都昌县材料', from: '都昌县总工会', text: '正文', files: ['报名表.xlsx'] });
  });

  it('passes on the charset a text attachment declares, as GB18030 for a GB label', async () => {
    const raw = Buffer.from('Subject: t\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: text/csv; charset=GB2312; name=a.csv\r\nContent-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\n' + gbk('单位,联系人').toString('base64') + '\r\n--b--\r\n', 'latin1');
    const m = await parseMessage(raw);
    expect(m.attachments.map((a) => [a.filename, a.charset])).toEqual([['a.csv', 'gb18030']]);
  });

  it('counts an attachment over the limit while streaming and keeps none of its bytes', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x41);
    const raw = Buffer.from(`Subject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n${big.toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n--b--\r\n`);
    const m = await parseMessage(raw, { maxAttachmentBytes: 1024 * 1024 });
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments[0]).toMatchObject({ filename: 'a.pdf', size: big.length, oversize: true });
    expect(m.attachments[0]!.content.length).toBe(0);
  });
});
