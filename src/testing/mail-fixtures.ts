import iconv from 'iconv-lite';
import { rarArchive, tnefFile } from './archives.js';
import { planDocx, registrationXlsx, zipArchive } from './documents.js';
import { buildMail, encodedWordB, rfc2822Date } from './mail.js';
import { sevenZipArchive } from './sevenzip-writer.js';

/**
 * Test material only: the mail-decoding, container and small hostile fixtures, with what a
 * reader must find in each. `scripts/make-mail-fixtures.ts` writes them under fixtures/; tests
 * read the committed files and compare with `expect`.
 */

export interface ExpectedFile {
  /** Where the file was found, as `intake messages --json` shows it (`path`). */
  path: string;
  kind?: 'registration' | 'plan' | 'other';
  readable?: boolean;
  errorCode?: string;
  format?: string;
}

export interface MailFixture {
  dir: 'encodings' | 'containers' | 'hostile';
  file: string;
  raw: Buffer;
  expect: {
    subject?: string;
    fromName?: string;
    /** Text the decoded body must contain. */
    text?: string[];
    files?: ExpectedFile[];
    unit?: string | null;
    reply?: string;
    links?: number;
  };
}

const CRLF = '\r\n';
const t = (s: string) => new Date(s);
type Bytes = string | Buffer;

/** Header or body bytes: strings are taken as latin1 ("binary"), so raw 8-bit bytes pass through. */
const bin = (...xs: Bytes[]) => Buffer.concat(xs.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : x)));
const gbk = (s: string) => iconv.encode(s, 'gbk');
const gb18030 = (s: string) => iconv.encode(s, 'gb18030');
const b64 = (b: Buffer) => b.toString('base64').replace(/.{76}/g, `$&${CRLF}`);
const pct = (b: Buffer) => [...b].map((x) => (/[A-Za-z0-9._-]/.test(String.fromCharCode(x)) ? String.fromCharCode(x) : `%${x.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

interface RawPart {
  headers: Bytes[];
  body: Buffer;
}

function received(at: Date): string {
  return `Received: from client (unknown [203.0.113.9])${CRLF}\tby smtp-5-121.smtpsmail.fmail.xd.sinanode.com (Postfix) with ESMTP id 4GTx9${CRLF}\tfor <jjszjjb@sina.com>; ${rfc2822Date(at)} (CST)`;
}

/** A whole message from header lines and parts, byte for byte as given. */
function rawMessage(headers: Bytes[], parts: RawPart[] | RawPart): Buffer {
  const id = Math.abs([...bin(...headers)].reduce((h, x) => (h * 31 + x) | 0, 7)).toString(16);
  if (!Array.isArray(parts)) return bin(...headers.flatMap((h) => [h, CRLF]), ...parts.headers.flatMap((h) => [h, CRLF]), CRLF, parts.body, CRLF);
  const boundary = `----=_NextPart_${id}`;
  const out: Bytes[] = [...headers.flatMap((h) => [h, CRLF]), `MIME-Version: 1.0${CRLF}Content-Type: multipart/mixed; boundary="${boundary}"${CRLF}${CRLF}This is a multi-part message in MIME format.${CRLF}`];
  for (const p of parts) out.push(`--${boundary}${CRLF}`, ...p.headers.flatMap((h) => [h, CRLF]), CRLF, p.body, CRLF);
  out.push(`--${boundary}--${CRLF}`);
  return bin(...out);
}

const textPart = (text: Buffer, charset: string, cte: 'base64' | '8bit' = 'base64'): RawPart => ({
  headers: [`Content-Type: text/plain; charset="${charset}"`, `Content-Transfer-Encoding: ${cte}`],
  body: cte === 'base64' ? Buffer.from(b64(text)) : text,
});

const filePart = (type: string, nameParams: Bytes[], content: Buffer): RawPart => ({
  headers: [bin(`Content-Type: ${type}`, ...nameParams.slice(0, 1).map((p) => bin(';', CRLF, '\t', p))), bin('Content-Disposition: attachment', ...nameParams.slice(1).map((p) => bin(';', CRLF, '\t', p))), 'Content-Transfer-Encoding: base64'],
  body: Buffer.from(b64(content)),
});

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

export async function mailFixtures(): Promise<MailFixture[]> {
  const out: MailFixture[] = [];
  const form = (unit: string) => registrationXlsx({ rows: [{ unit, project: '职工技能竞赛（焊工）', participants: '20', contact: '王芳', phone: '0792-8000001' }] });
  const plan = (unit: string) => planDocx({ unit });

  // ---------------------------------------------------------------- encodings
  {
    // Old Outlook Express / OA systems: raw GBK bytes in From, Subject and the file names.
    const name = '武宁县参赛报名表.xlsx';
    out.push({
      dir: 'encodings',
      file: 'raw-gbk-headers.eml',
      raw: rawMessage(
        [received(t('2021-07-18T02:00:00Z')), bin('From: "', gbk('武宁县总工会'), '" <wnxzgh@example.cn>'), 'To: jjszjjb@sina.com', bin('Subject: ', gbk('武宁县报送参赛报名表')), `Date: ${rfc2822Date(t('2021-07-18T01:59:00Z'))}`, 'Message-ID: <raw-gbk-01@example.cn>', 'X-Mailer: Microsoft Outlook Express 6.00.2900.5512'],
        [textPart(gbk('附件是武宁县的参赛报名表，请查收。'), 'gb2312', '8bit'), filePart(XLSX, [bin('name="', gbk(name), '"'), bin('filename="', gbk(name), '"')], await form('武宁县总工会'))],
      ),
      expect: { subject: '武宁县报送参赛报名表', fromName: '武宁县总工会', text: ['附件是武宁县的参赛报名表'], files: [{ path: name, kind: 'registration', readable: true, format: 'xlsx' }], unit: 'wuning' },
    });
  }
  {
    // Labelled GB2312, written with GBK and GB18030 characters (喆 and 镕 are not in GB2312; 㐀 is four bytes).
    const name = '德安县喆镕参赛报名表.xlsx';
    const w = (s: string) => `=?GB2312?B?${gb18030(s).toString('base64')}?=`;
    out.push({
      dir: 'encodings',
      file: 'gb2312-label-gbk-chars.eml',
      raw: rawMessage(
        [received(t('2021-07-18T03:00:00Z')), `From: ${w('德安县总工会 李喆')} <daxzgh@example.cn>`, 'To: jjszjjb@sina.com', `Subject: ${w('德安县报名表（喆镕）')}`, 'Message-ID: <gb-superset-01@example.cn>'],
        [textPart(gb18030('请查收德安县材料。经办人：李喆、王镕，生僻字㐀。'), 'GB2312'), filePart(XLSX, [`name="${w(name)}"`, `filename="${w(name)}"`], await form('德安县总工会'))],
      ),
      expect: { subject: '德安县报名表（喆镕）', fromName: '德安县总工会 李喆', text: ['经办人：李喆、王镕，生僻字㐀。'], files: [{ path: name, kind: 'registration' }], unit: 'dean' },
    });
  }
  {
    // RFC 2231 with continuations in GBK (some Coremail builds), and a value with no charset at all.
    const name = '湖口县总工会关于开展劳动和技能竞赛的实施方案（定稿）.docx';
    const enc = pct(gbk(name));
    const segs = enc.match(/(?:%[0-9A-F]{2}|[^%]){1,30}/g)!;
    const cont = segs.map((s, i) => `filename*${i}*=${i === 0 ? "gbk''" : ''}${s}`);
    const name2 = '湖口县参赛报名表.xlsx';
    out.push({
      dir: 'encodings',
      file: 'rfc2231-gbk-continuations.eml',
      raw: rawMessage(
        [received(t('2021-07-18T04:00:00Z')), `From: ${encodedWordB('湖口县总工会', 'gbk')} <hkxzgh@example.cn>`, 'To: jjszjjb@sina.com', `Subject: ${encodedWordB('湖口县参赛材料', 'gbk')}`, 'Message-ID: <rfc2231-01@example.cn>'],
        [
          textPart(gbk('方案和报名表见附件。'), 'gbk'),
          { headers: [`Content-Type: ${DOCX}`, bin('Content-Disposition: attachment;', CRLF, ...cont.flatMap((c, i) => [i > 0 ? `;${CRLF}` : '', ' ', c])), 'Content-Transfer-Encoding: base64'], body: Buffer.from(b64(await plan('湖口县总工会'))) },
          filePart(XLSX, [`name*=''${pct(gbk(name2))}`, `filename*=''${pct(gbk(name2))}`], await form('湖口县总工会')),
        ],
      ),
      expect: { subject: '湖口县参赛材料', files: [{ path: name, kind: 'plan' }, { path: name2, kind: 'registration' }], unit: 'hukou' },
    });
  }
  {
    // Labels that lie: an encoded word and a body labelled UTF-8 that carry GBK bytes, and a
    // body labelled GB2312 that is UTF-8.
    const name = '彭泽县竞赛实施方案.docx';
    out.push({
      dir: 'encodings',
      file: 'wrong-labels.eml',
      raw: rawMessage(
        [received(t('2021-07-18T05:00:00Z')), `From: =?UTF-8?B?${gbk('彭泽县总工会').toString('base64')}?= <pzxzgh@example.cn>`, 'To: jjszjjb@sina.com', `Subject: =?utf-8?B?${gbk('彭泽县竞赛实施方案').toString('base64')}?=`, 'Message-ID: <wrong-label-01@example.cn>'],
        [
          textPart(gbk('这是彭泽县的实施方案，正文其实是GBK编码。'), 'utf-8'),
          { headers: ['Content-Type: text/plain; charset=gb2312', 'Content-Disposition: inline', 'Content-Transfer-Encoding: base64'], body: Buffer.from(b64(Buffer.from('第二段正文其实是UTF-8编码。', 'utf8'))) },
          filePart(DOCX, [`name="=?UTF-8?B?${gbk(name).toString('base64')}?="`, `filename="=?UTF-8?B?${gbk(name).toString('base64')}?="`], await plan('彭泽县总工会')),
        ],
      ),
      expect: { subject: '彭泽县竞赛实施方案', fromName: '彭泽县总工会', text: ['这是彭泽县的实施方案，正文其实是GBK编码。', '第二段正文其实是UTF-8编码。'], files: [{ path: name, kind: 'plan' }], unit: 'pengze' },
    });
  }
  {
    // A charset nobody knows, and an HTML body whose only label is its <meta>, pointing at a QQ Mail 超大附件.
    const html = bin('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body><p>', gbk('共青城市的报名材料请见超大附件：'), '<a href="https://mail.qq.com/cgi-bin/ftnExs_download?k=0a3b5c7d&amp;t=exs_ftn_download&amp;code=1f2e">', gbk('共青城市参赛材料.zip'), '</a></p></body></html>');
    const raw = bin(
      received(t('2021-07-18T06:00:00Z')), CRLF,
      `From: ${encodedWordB('共青城市总工会', 'utf-8')} <gqcgh@example.cn>`, CRLF,
      'To: jjszjjb@sina.com', CRLF,
      `Subject: ${encodedWordB('共青城市参赛报名', 'utf-8')}`, CRLF,
      'Message-ID: <unknown-cs-01@example.cn>', CRLF,
      'MIME-Version: 1.0', CRLF,
      'Content-Type: multipart/alternative; boundary="alt"', CRLF, CRLF,
      '--alt', CRLF, 'Content-Type: text/plain; charset="x-user-defined-zh"', CRLF, 'Content-Transfer-Encoding: 8bit', CRLF, CRLF,
      gbk('共青城市的报名材料请见超大附件（未知字符集标注）。'), CRLF,
      '--alt', CRLF, 'Content-Type: text/html', CRLF, 'Content-Transfer-Encoding: 8bit', CRLF, CRLF,
      html, CRLF,
      '--alt--', CRLF,
    );
    out.push({ dir: 'encodings', file: 'unknown-charset-html.eml', raw, expect: { subject: '共青城市参赛报名', text: ['共青城市的报名材料请见超大附件（未知字符集标注）。'], links: 1, reply: 'review' } });
  }
  {
    // Big5 from a Hong Kong or Taiwan colleague's client: encoded words, body and a Q-encoded name.
    const name = '參賽報名表.xlsx';
    const q = (s: string, cs: string) => `=?${cs}?Q?${[...iconv.encode(s, cs)].map((x) => `=${x.toString(16).toUpperCase().padStart(2, '0')}`).join('')}?=`;
    out.push({
      dir: 'encodings',
      file: 'big5.eml',
      raw: rawMessage(
        [received(t('2021-07-18T07:00:00Z')), `From: =?big5?B?${iconv.encode('九江市教育局', 'big5').toString('base64')}?= <jjjyjgh@163.com>`, 'To: jjszjjb@sina.com', `Subject: =?big5?B?${iconv.encode('教育局參賽報名表', 'big5').toString('base64')}?=`, 'Message-ID: <big5-01@example.hk>'],
        [textPart(iconv.encode('附件為參賽報名表，請查收。', 'big5'), 'big5'), filePart(XLSX, [`name="${q(name, 'big5')}"`, `filename="${q(name, 'big5')}"`], await form('九江市教育局'))],
      ),
      expect: { subject: '教育局參賽報名表', fromName: '九江市教育局', text: ['附件為參賽報名表，請查收。'], files: [{ path: name, kind: 'registration' }], unit: 'jiaoyu' },
    });
  }
  {
    // UTF-8 Q-encoded words split in the middle of a character (a legal split of the bytes that
    // naive decoders turn into U+FFFD), as some webmail writes long subjects.
    const subject = '庐山市总工会报送劳动和技能竞赛参赛报名表';
    const bytes = Buffer.from(subject, 'utf8');
    const qs = [bytes.subarray(0, 10), bytes.subarray(10, 31), bytes.subarray(31)].map((b) => `=?UTF-8?Q?${[...b].map((x) => `=${x.toString(16).toUpperCase()}`).join('')}?=`);
    out.push({
      dir: 'encodings',
      file: 'q-split-words.eml',
      raw: rawMessage(
        [received(t('2021-07-18T08:00:00Z')), `From: ${encodedWordB('庐山市总工会', 'utf-8')} <lsszgh@example.cn>`, 'To: jjszjjb@sina.com', `Subject: ${qs.join(`${CRLF} `)}`, 'Message-ID: <q-split-01@example.cn>'],
        [textPart(Buffer.from('报名表见附件。'), 'utf-8'), filePart(XLSX, [`name="${encodedWordB('庐山市参赛报名表.xlsx', 'utf-8')}"`, `filename="${encodedWordB('庐山市参赛报名表.xlsx', 'utf-8')}"`], await form('庐山市总工会'))],
      ),
      expect: { subject, files: [{ path: '庐山市参赛报名表.xlsx', kind: 'registration' }], unit: 'lushanshi' },
    });
  }
  {
    // application/octet-stream everywhere and names that lie: an .xlsx with no extension, a .docx
    // named .xls, a forwarded message sent as octet-stream.
    const inner = buildMail({ from: { name: '八里湖新区总工会', address: 'blhgh@example.cn' }, subject: '八里湖新区实施方案', messageId: '<inner-octet@example.cn>', date: t('2021-07-17T01:00:00Z'), received: null, text: '方案见附件', attachments: [{ filename: '八里湖新区竞赛实施方案.docx', content: await plan('八里湖新区总工会') }] });
    out.push({
      dir: 'encodings',
      file: 'octet-stream-types.eml',
      raw: buildMail({
        from: { name: '八里湖新区总工会', address: 'blhgh@example.cn' },
        subject: '八里湖新区参赛材料',
        messageId: '<octet-01@example.cn>',
        date: t('2021-07-18T09:00:00Z'),
        received: t('2021-07-18T09:00:05Z'),
        text: '材料见附件。',
        attachments: [
          { filename: '报名表', content: await form('八里湖新区总工会'), contentType: 'application/octet-stream', nameEncoding: 'rfc2047-gb2312-b' },
          { filename: '实施方案.xls', content: await plan('八里湖新区总工会'), contentType: 'application/vnd.ms-excel', nameEncoding: 'rfc2047-gb2312-b' },
          { filename: '原邮件.eml', content: inner, contentType: 'application/octet-stream', nameEncoding: 'rfc2047-gb2312-b' },
        ],
      }),
      expect: {
        files: [
          { path: '报名表', kind: 'registration', format: 'xlsx' },
          { path: '实施方案.xls', kind: 'plan', format: 'docx' },
          { path: '原邮件.eml / 八里湖新区竞赛实施方案.docx', kind: 'plan', format: 'docx' },
        ],
        unit: 'balihu',
      },
    });
  }

  // ---------------------------------------------------------------- containers
  {
    const innerZip = zipArchive([{ name: '附件2：竞赛实施方案.docx', content: await plan('濂溪区总工会') }]);
    const zip = zipArchive([
      { name: '濂溪区参赛材料/一、报名表/濂溪区参赛报名表.xlsx', content: await form('濂溪区总工会') },
      { name: '濂溪区参赛材料/二、方案/方案压缩包.zip', content: innerZip },
      { name: '__MACOSX/._濂溪区参赛报名表.xlsx', content: Buffer.from('junk') },
    ]);
    out.push({
      dir: 'containers',
      file: 'zip-gbk-nested.eml',
      raw: buildMail({ from: { name: '濂溪区总工会', address: 'lxqzgh@example.cn' }, subject: '濂溪区参赛材料', messageId: '<zip-nested-01@example.cn>', date: t('2021-07-19T01:00:00Z'), received: t('2021-07-19T01:00:04Z'), text: '压缩包内含报名表和方案。', attachments: [{ filename: '濂溪区参赛材料.zip', content: zip, nameEncoding: 'rfc2047-gb2312-b' }] }),
      expect: {
        files: [
          { path: '濂溪区参赛材料.zip / 濂溪区参赛材料 / 一、报名表 / 濂溪区参赛报名表.xlsx', kind: 'registration' },
          { path: '濂溪区参赛材料.zip / 濂溪区参赛材料 / 二、方案 / 方案压缩包.zip / 附件2：竞赛实施方案.docx', kind: 'plan' },
        ],
        unit: 'lianxi',
        reply: 'ack',
      },
    });
  }
  {
    const rar = rarArchive([{ name: '永修县参赛材料/永修县参赛报名表.xlsx', content: await form('永修县总工会') }, { name: '永修县参赛材料/永修县竞赛实施方案.docx', content: await plan('永修县总工会') }], { gbk: true });
    out.push({
      dir: 'containers',
      file: 'rar-gbk-names.eml',
      raw: buildMail({ from: { name: '永修县总工会', address: 'yxxzgh@example.cn' }, subject: '永修县参赛材料（RAR）', messageId: '<rar-01@example.cn>', date: t('2021-07-19T02:00:00Z'), received: t('2021-07-19T02:00:04Z'), text: '见附件压缩包。', attachments: [{ filename: '永修县参赛材料.rar', content: rar, contentType: 'application/x-rar-compressed', nameEncoding: 'rfc2047-gb2312-b' }] }),
      expect: {
        files: [
          { path: '永修县参赛材料.rar / 永修县参赛材料 / 永修县参赛报名表.xlsx', kind: 'registration' },
          { path: '永修县参赛材料.rar / 永修县参赛材料 / 永修县竞赛实施方案.docx', kind: 'plan' },
        ],
        unit: 'yongxiu',
        reply: 'ack',
      },
    });
  }
  {
    const sz = await sevenZipArchive([{ name: '都昌县参赛报名表.xlsx', content: await form('都昌县总工会') }, { name: '方案/都昌县竞赛实施方案.docx', content: await plan('都昌县总工会') }], '7z');
    const tgz = await sevenZipArchive([{ name: '都昌县补充说明.txt', content: Buffer.from('都昌县补充说明：纸质版将于下周寄出。') }], 'tar.gz', undefined, '补充说明.tar');
    out.push({
      dir: 'containers',
      file: 'sevenzip-and-targz.eml',
      raw: buildMail({ from: { name: '都昌县总工会', address: 'dcxzgh@qq.com' }, subject: '都昌县参赛材料（7z）', messageId: '<7z-01@qq.com>', date: t('2021-07-19T03:00:00Z'), received: t('2021-07-19T03:00:04Z'), text: '见附件。', attachments: [{ filename: '都昌县参赛材料.7z', content: sz, contentType: 'application/x-7z-compressed', nameEncoding: 'rfc2231-utf8' }, { filename: '补充说明.tar.gz', content: tgz, contentType: 'application/gzip', nameEncoding: 'rfc2231-utf8' }] }),
      expect: {
        files: [
          { path: '都昌县参赛材料.7z / 方案 / 都昌县竞赛实施方案.docx', kind: 'plan' },
          { path: '都昌县参赛材料.7z / 都昌县参赛报名表.xlsx', kind: 'registration' },
          { path: '补充说明.tar.gz / 补充说明.tar / 都昌县补充说明.txt', kind: 'other', readable: true },
        ],
        unit: 'duchang',
        reply: 'ack',
      },
    });
  }
  {
    // A forward of a forward: the county's own mail, forwarded by its staff, forwarded again.
    const original = buildMail({ from: { name: '瑞昌市总工会', address: 'rcszgh@163.com' }, subject: '瑞昌市参赛报名表及实施方案', messageId: '<orig-rc@163.com>', date: t('2021-07-14T01:00:00Z'), received: null, text: '请查收', attachments: [{ filename: '瑞昌市参赛报名表.xlsx', content: await form('瑞昌市总工会') }, { filename: '瑞昌市竞赛实施方案.docx', content: await plan('瑞昌市总工会') }] });
    const middle = buildMail({ from: { name: '瑞昌市总工会办公室', address: 'rcbgs@example.cn' }, subject: '转发：瑞昌市参赛报名表及实施方案', messageId: '<mid-rc@example.cn>', date: t('2021-07-15T01:00:00Z'), received: null, text: '转发', forwarded: [{ filename: '瑞昌市参赛报名表及实施方案.eml', raw: original }] });
    out.push({
      dir: 'containers',
      file: 'forward-of-forward.eml',
      raw: buildMail({ from: { name: '瑞昌市总工会', address: 'rcszgh@163.com' }, subject: '转发：转发：瑞昌市参赛材料', messageId: '<fwd2-rc@163.com>', date: t('2021-07-19T04:00:00Z'), received: t('2021-07-19T04:00:03Z'), text: '再次转发', forwarded: [{ filename: '转发：瑞昌市参赛报名表及实施方案.eml', raw: middle }] }),
      expect: {
        files: [
          { path: '转发：瑞昌市参赛报名表及实施方案.eml / 瑞昌市参赛报名表及实施方案.eml / 瑞昌市参赛报名表.xlsx', kind: 'registration' },
          { path: '转发：瑞昌市参赛报名表及实施方案.eml / 瑞昌市参赛报名表及实施方案.eml / 瑞昌市竞赛实施方案.docx', kind: 'plan' },
        ],
        unit: 'ruichang',
        reply: 'ack',
      },
    });
  }
  {
    // Outlook with rich text: the files arrive inside winmail.dat, GBK titles and Unicode long names.
    const tnef = tnefFile([{ name: '庐山风景名胜区参赛报名表.xlsx', content: await form('庐山风景名胜区总工会') }, { name: '庐山风景名胜区竞赛实施方案.docx', content: await plan('庐山风景名胜区总工会') }]);
    out.push({
      dir: 'containers',
      file: 'outlook-winmail-dat.eml',
      raw: buildMail({ from: { name: '庐山风景名胜区总工会', address: 'lsfjq@example.cn' }, subject: '庐山风景名胜区参赛材料', messageId: '<tnef-01@example.cn>', date: t('2021-07-19T05:00:00Z'), received: t('2021-07-19T05:00:03Z'), text: '请见附件。', attachments: [{ filename: 'winmail.dat', content: tnef, contentType: 'application/ms-tnef', nameEncoding: 'ascii' }] }),
      expect: {
        files: [
          { path: 'winmail.dat / 庐山风景名胜区参赛报名表.xlsx', kind: 'registration' },
          { path: 'winmail.dat / 庐山风景名胜区竞赛实施方案.docx', kind: 'plan' },
        ],
        unit: 'lushanfengjing',
        reply: 'ack',
      },
    });
  }

  // ---------------------------------------------------------------- hostile (small ones)
  {
    const zip = zipArchive([
      { name: '../../intake-escape-a.txt', content: Buffer.from('x') },
      { name: '/etc/intake-escape-b.txt', content: Buffer.from('x') },
      { name: 'C:\\Windows\\intake-escape-c.txt', content: Buffer.from('x') },
      { name: 'evil\u0000name.txt', content: Buffer.from('x') },
      { name: '空文件.xlsx', content: Buffer.alloc(0) },
    ]);
    const rar = rarArchive([{ name: '..\\..\\intake-escape-d.txt', content: Buffer.from('x') }]);
    const tnef = tnefFile([{ name: '../../intake-escape-e.txt', content: Buffer.from('x') }]);
    out.push({
      dir: 'hostile',
      file: 'path-traversal.eml',
      raw: buildMail({
        from: { name: '修水县总工会', address: 'xsxzgh@163.com' },
        subject: '修水县材料',
        messageId: '<traversal-01@163.com>',
        date: t('2021-07-19T06:00:00Z'),
        received: t('2021-07-19T06:00:03Z'),
        text: '见附件',
        attachments: [
          { filename: 'traversal.zip', content: zip },
          { filename: 'traversal.rar', content: rar },
          { filename: 'winmail.dat', content: tnef, contentType: 'application/ms-tnef' },
          { filename: '../../intake-escape-f.xlsx', content: Buffer.alloc(0), nameEncoding: 'ascii' },
        ],
      }),
      expect: {
        files: [
          { path: 'traversal.zip / intake-escape-a.txt', readable: true },
          { path: 'traversal.zip / etc / intake-escape-b.txt', readable: true },
          { path: 'traversal.zip / Windows / intake-escape-c.txt', readable: true },
          { path: 'traversal.zip / evilname.txt', readable: true },
          { path: 'traversal.zip / 空文件.xlsx', readable: false, errorCode: 'empty' },
          { path: 'traversal.rar / intake-escape-d.txt', readable: true },
          { path: 'winmail.dat / intake-escape-e.txt', readable: true },
          { path: 'intake-escape-f.xlsx', readable: false, errorCode: 'empty' },
        ],
      },
    });
  }
  {
    const zipEnc = zipArchive([{ name: '报名表.xlsx', content: await form('都昌县总工会') }], { encryptedFlag: true });
    const rarEnc = rarArchive([{ name: '方案.docx', content: Buffer.from('secret') }], { encrypted: true });
    const sz = await sevenZipArchive([{ name: '方案.docx', content: await plan('都昌县总工会') }], '7z', 'password1');
    const good = zipArchive([{ name: 'a.txt', content: Buffer.from('hello hello hello hello') }]);
    const truncated = good.subarray(0, good.length - 30);
    out.push({
      dir: 'hostile',
      file: 'encrypted-and-truncated-archives.eml',
      raw: buildMail({
        from: { name: '九江市直属机关工会工作委员会', address: 'szjggw@example.cn' },
        subject: '市直机关工委加密压缩包',
        messageId: '<encrypted-01@qq.com>',
        date: t('2021-07-19T07:00:00Z'),
        received: t('2021-07-19T07:00:03Z'),
        text: '见附件',
        attachments: [
          { filename: '加密.zip', content: zipEnc },
          { filename: '加密.rar', content: rarEnc },
          { filename: '加密.7z', content: sz },
          { filename: '损坏.zip', content: truncated },
          { filename: '不是压缩包.rar', content: Buffer.from('Rar!\x1a\x07\x00garbage garbage', 'latin1') },
        ],
      }),
      expect: {
        files: [
          { path: '加密.zip / 报名表.xlsx', readable: false, errorCode: 'encrypted' },
          { path: '加密.rar', readable: false, errorCode: 'encrypted' },
          { path: '加密.7z', readable: false, errorCode: 'encrypted' },
          { path: '损坏.zip', readable: false, errorCode: 'corrupt-archive' },
          { path: '不是压缩包.rar', readable: false, errorCode: 'corrupt-archive' },
        ],
        unit: 'shizhijiguan',
        reply: 'missing',
      },
    });
  }
  return out;
}
