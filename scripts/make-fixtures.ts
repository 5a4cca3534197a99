/**
 * Builds the committed test mail under fixtures/: real .xlsx/.docx/.zip attachments, names
 * encoded as Foxmail, Outlook, QQ Mail, 163 and Coremail encode them. Run `npm run fixtures`
 * after changing it; the outputs are committed so tests never depend on this script.
 */
import { mkdirSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { buildMail, type MailInput } from '../src/testing/mail.js';
import { planDocx, registrationDocx, registrationXlsx, zipArchive } from '../src/testing/documents.js';

const ROOT = join(import.meta.dirname, '..', 'fixtures');
const t = (s: string) => new Date(s);

export interface Fixture {
  file: string;
  raw: Buffer;
  demo: boolean;
}

async function fixtures(): Promise<Fixture[]> {
  const out: Fixture[] = [];
  const add = (file: string, m: MailInput, demo = true) => out.push({ file, raw: buildMail(m), demo });

  const xunyangForm = await registrationXlsx({ rows: [
    { unit: '浔阳区总工会', project: '第二届全市产业工人职业技能竞赛（电工）', participants: '45', contact: '张敏', phone: '0792-8211001' },
    { unit: '浔阳区总工会', project: '“工人先锋号”创建活动', participants: '12个班组', contact: '张敏', phone: '0792-8211001' },
  ] });
  const xunyangPlan = await planDocx({ unit: '浔阳区总工会' });
  const xunyang: MailInput = {
    from: { name: '浔阳区总工会', address: 'xyqzgh@163.com' },
    subject: '浔阳区报送劳动和技能竞赛参赛报名表及实施方案',
    messageId: '<20210715093012.xy01@163.com>',
    date: t('2021-07-15T01:30:05Z'),
    received: t('2021-07-15T01:30:12Z'),
    text: '市总工会经济技术部：\n\n附件为我区参赛报名表和竞赛实施方案，纸质版随后报送，请查收。\n\n浔阳区总工会 张敏',
    attachments: [
      { filename: '浔阳区参赛报名表.xlsx', content: xunyangForm, nameEncoding: 'rfc2231-utf8' },
      { filename: '浔阳区竞赛实施方案.docx', content: xunyangPlan, nameEncoding: 'rfc2231-utf8' },
    ],
  };
  add('01-xunyang-complete.eml', xunyang);

  const chaisangZip = zipArchive([
    { name: '柴桑区参赛材料/柴桑区劳动竞赛报名表.xlsx', content: await registrationXlsx({ rows: [{ unit: '柴桑区总工会', project: '重点工程立功竞赛', participants: '80', contact: '刘洋', phone: '0792-6812002' }] }) },
    { name: '柴桑区参赛材料/柴桑区劳动和技能竞赛实施方案.docx', content: await planDocx({ unit: '柴桑区总工会' }) },
  ]);
  add('02-chaisang-zip-gbk.eml', {
    from: { name: '柴桑区总工会', address: 'csqzgh@126.com' },
    subject: '柴桑区参赛材料（压缩包）',
    messageId: '<5f1a2b3c.cs02@126.com>',
    date: t('2021-07-16T02:10:00Z'),
    received: t('2021-07-16T02:10:09Z'),
    text: '您好，柴桑区的报名表和方案在压缩包里。',
    attachments: [{ filename: '柴桑区参赛材料.zip', content: chaisangZip, nameEncoding: 'rfc2047-utf8-b' }],
  });

  add('03-xiushui-form-only-gb2312.eml', {
    from: { name: '修水县总工会', address: 'xsxzgh@163.com' },
    fromNameEncoding: 'gb2312',
    subject: '修水县参赛报名表',
    subjectEncoding: 'gb2312',
    messageId: '<202107170815.xs03@foxmail.com>',
    date: t('2021-07-17T00:15:00Z'),
    received: t('2021-07-17T00:15:31Z'),
    text: '报名表先报送，实施方案正在审批，稍后发送。',
    textCharset: 'gbk',
    headers: { 'X-Mailer': 'Foxmail 7.2.19.158[cn]' },
    attachments: [{ filename: '修水县参赛报名表.xlsx', content: await registrationXlsx({ rows: [{ unit: '修水县总工会', project: '节能减排竞赛', participants: '60', contact: '陈静', phone: '0792-7223003' }] }), nameEncoding: 'rfc2047-gb2312-b' }],
  });

  add('04-xiushui-plan-later-rfc2231-gbk.eml', {
    from: { name: '修水县总工会', address: 'xsxzgh@163.com' },
    subject: 'Re: 修水县参赛报名表——补报实施方案',
    messageId: '<202107200930.xs04@163.com>',
    date: t('2021-07-20T01:30:00Z'),
    received: t('2021-07-20T01:30:44Z'),
    text: '补报我县竞赛实施方案。',
    attachments: [{ filename: '修水县“建功十四五”劳动和技能竞赛实施方案.docx', content: await planDocx({ unit: '修水县总工会' }), nameEncoding: 'rfc2231-gbk' }],
  });

  add('05-duchang-late.eml', {
    from: { name: '都昌县总工会', address: 'dcxzgh@qq.com' },
    subject: '都昌县劳动竞赛报名表和实施方案',
    messageId: '<tencent_7C1E.dc05@qq.com>',
    // The sender's clock says the 22nd; our server received it on the 23rd. The server wins.
    date: t('2021-07-22T15:50:00Z'),
    received: t('2021-07-23T01:12:40Z'),
    text: '不好意思，报送晚了。',
    attachments: [
      { filename: '都昌县参赛报名表.xlsx', content: await registrationXlsx({ rows: [{ unit: '都昌县总工会', project: '职工技术创新', participants: '20', contact: '黄伟', phone: '0792-5213005' }] }), nameEncoding: 'rfc2047-gb2312-b' },
      { filename: '都昌县竞赛实施方案.docx', content: await planDocx({ unit: '都昌县总工会' }), nameEncoding: 'rfc2047-gb2312-b' },
    ],
  });

  const jingkaiOriginal = buildMail({
    from: { name: '九江经开区总工会', address: 'jkqgh@163.com' },
    subject: '经开区参赛报名表及实施方案',
    messageId: '<orig.jk06@163.com>',
    date: t('2021-07-18T03:00:00Z'),
    received: null,
    text: '请转市总工会经济技术部。',
    attachments: [
      { filename: '经开区报名表.xlsx', content: await registrationXlsx({ rows: [{ unit: '九江经济技术开发区总工会', project: '非公经济劳动竞赛', participants: '150', contact: '周强', phone: '0792-8316006' }] }) },
      { filename: '经开区实施方案.docx', content: await planDocx({ unit: '九江经济技术开发区总工会' }) },
    ],
  });
  add('06-jingkai-forwarded.eml', {
    from: { name: '李明', address: 'liming1988@qq.com' },
    subject: '转发：经开区参赛报名表及实施方案',
    messageId: '<tencent_fwd.jk06@qq.com>',
    date: t('2021-07-18T05:20:00Z'),
    received: t('2021-07-18T05:20:15Z'),
    text: '转发经开区材料，请查收。',
    forwarded: [{ filename: '经开区参赛报名表及实施方案.eml', raw: jingkaiOriginal }],
  });

  add('07-jiaoyu-outlook-q.eml', {
    from: { name: 'jyj', address: 'jjjyjgh@163.com' },
    subject: '市教育局劳动竞赛报名材料',
    subjectEncoding: 'gbk-q',
    messageId: '<000001d77d2e$outlook.jy07@163.com>',
    date: t('2021-07-19T07:40:00Z'),
    received: t('2021-07-19T07:40:22Z'),
    text: '附件是市教育局（教育工会）的报名表和方案。',
    headers: { 'X-Mailer': 'Microsoft Outlook 16.0' },
    attachments: [
      { filename: '市教育局参赛报名表.xlsx', content: await registrationXlsx({ rows: [{ unit: '九江市教育局', project: '教师教学技能竞赛', participants: '200', contact: '吴芳', phone: '0792-8588007' }] }), nameEncoding: 'rfc2047-gbk-q' },
      { filename: '市教育局竞赛实施方案.docx', content: await planDocx({ unit: '九江市教育局' }), nameEncoding: 'rfc2047-gbk-q' },
    ],
  });

  add('08-ruichang-autoreply.eml', {
    from: { name: '瑞昌市总工会', address: 'rcszgh@163.com' },
    subject: '自动回复：关于报送劳动竞赛材料的提醒',
    messageId: '<auto.rc08@163.com>',
    date: t('2021-07-19T08:00:00Z'),
    received: t('2021-07-19T08:00:02Z'),
    text: '您好，我已收到您的邮件，会尽快处理。',
    headers: { 'Auto-Submitted': 'auto-replied', 'X-Autoreply': 'yes' },
  });

  add('09-unknown-sender-review.eml', {
    from: { name: '王芳', address: 'wangfang88@163.com' },
    subject: '报名表',
    messageId: '<wf.09@163.com>',
    date: t('2021-07-20T06:00:00Z'),
    received: t('2021-07-20T06:00:05Z'),
    text: '',
    attachments: [{ filename: '附件1.xlsx', content: await registrationXlsx({ rows: [{ unit: '某某有限公司工会', project: '技能比武', participants: '15', contact: '王芳', phone: '0792-0000009' }] }) }],
  });

  // The same bytes delivered twice (a client that sent to jjszjjb@sina.com twice in To/Cc).
  out.push({ file: '10-xunyang-duplicate.eml', raw: out[0]!.raw, demo: true });

  add('11-bounce.eml', {
    from: { name: 'Mail Delivery System', address: 'MAILER-DAEMON@sina.com' },
    subject: '系统退信',
    messageId: '<bounce.11@sina.com>',
    date: t('2021-07-20T07:00:00Z'),
    received: t('2021-07-20T07:00:00Z'),
    text: 'This is the mail system at host sina.com. Your message could not be delivered.',
    headers: { 'Return-Path': '<>' },
  });

  add('12-gongdian-docx-form.eml', {
    from: { name: '国网九江供电公司工会', address: 'jjgdgh@163.com' },
    subject: '报送参赛报名表和竞赛实施方案',
    messageId: '<gd.12@163.com>',
    date: t('2021-07-21T02:00:00Z'),
    received: t('2021-07-21T02:00:03Z'),
    text: '请查收。',
    attachments: [
      { filename: '参赛报名表.docx', content: await registrationDocx({ unit: '国网九江供电公司', project: '电力行业技能竞赛', contact: '孙磊', phone: '0792-8512012' }), nameEncoding: 'rfc2231-continuation' },
      { filename: '九江供电公司“建功十四五、奋进新征程”主题劳动和技能竞赛实施方案.docx', content: await planDocx({ unit: '国网九江供电公司' }), nameEncoding: 'rfc2231-continuation' },
    ],
  });

  add('13-lushanxihai-complete.eml', {
    from: { name: 'xhgh', address: 'lsxhgh@163.com' },
    subject: '庐山西海风景名胜区劳动竞赛报名表、实施方案',
    messageId: '<xh.13@163.com>',
    date: t('2021-07-21T09:00:00Z'),
    received: t('2021-07-21T09:00:03Z'),
    text: '庐山西海风景名胜区总工会报送。',
    attachments: [
      { filename: '报名表.xlsx', content: await registrationXlsx({ rows: [{ unit: '庐山西海风景名胜区总工会', project: '旅游服务技能竞赛', participants: '30', contact: '赵丽', phone: '0792-3013013' }] }) },
      { filename: '实施方案.docx', content: await planDocx({ unit: '庐山西海风景名胜区总工会' }) },
    ],
  });

  // Not in the demo: a re-delivery of message 01 with an extra Received header (same Message-ID).
  const redelivered = Buffer.concat([Buffer.from('Received: from relay.sina.com by mx.sina.com; Thu, 15 Jul 2021 09:31:00 +0800\r\n'), out[0]!.raw]);
  out.push({ file: '14-xunyang-redelivered.eml', raw: redelivered, demo: false });

  add('15-yongxiu-corrupt-attachment.eml', {
    from: { name: '永修县总工会', address: 'yxxzgh@163.com' },
    subject: '永修县参赛报名表和实施方案',
    messageId: '<yx.15@163.com>',
    date: t('2021-07-21T03:00:00Z'),
    received: t('2021-07-21T03:00:04Z'),
    text: '请查收。',
    attachments: [
      { filename: '永修县参赛报名表.xlsx', content: Buffer.from('PK\x03\x04 this is not really a workbook', 'latin1') },
      { filename: '永修县竞赛实施方案.docx', content: await planDocx({ unit: '永修县总工会' }) },
    ],
  }, false);
  return out;
}

async function main(): Promise<void> {
  const all = await fixtures();
  const mailDir = join(ROOT, 'mail');
  const demoDir = join(ROOT, 'demo-mailbox');
  rmSync(mailDir, { recursive: true, force: true });
  rmSync(demoDir, { recursive: true, force: true });
  mkdirSync(mailDir, { recursive: true });
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(demoDir, sub), { recursive: true });
  writeFileSync(join(demoDir, 'tmp', '.keep'), '');
  writeFileSync(join(demoDir, 'cur', '.keep'), '');
  let n = 0;
  for (const f of all) {
    writeFileSync(join(mailDir, f.file), f.raw);
    if (f.demo) {
      n++;
      const name = join(demoDir, 'new', `${1626300000 + n * 1000}.M${n}P1.intake-demo`);
      writeFileSync(name, f.raw);
      const when = new Date(Date.UTC(2021, 6, 15 + Math.floor(n / 2), 1, n));
      utimesSync(name, when, when);
    }
  }
  console.log(`wrote ${all.length} messages to fixtures/mail and ${n} to fixtures/demo-mailbox`);
}

await main();
