import { afterEach, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../testing/app.js';
import { planDocx, registrationXlsx } from '../testing/documents.js';
import { buildMail, type MailInput } from '../testing/mail.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.cleanup();
  app = undefined;
});

const at = (h: number) => new Date(Date.UTC(2021, 6, 20, h));
let n = 0;
async function receive(a: TestApp, mail: Partial<MailInput>) {
  const id = `dh${++n}`;
  const raw = buildMail({ from: { name: '德安县总工会', address: 'dazgh@163.com' }, subject: '德安县参赛材料', messageId: `<${id}@163.com>`, date: at(n), received: at(n), text: '请查收。', ...mail });
  const out = await a.pipeline.process({ source: `test:${id}`, raw, receivedAt: at(n), receivedBasis: 'received-header' });
  if (out.status !== 'decided') throw new Error(`not decided: ${JSON.stringify(out)}`);
  return out.decision;
}

/** The unit's complete submission, acknowledged; returns our reply as the unit's client quotes it. */
async function acknowledged(a: TestApp) {
  const files = [
    { filename: '德安县参赛报名表.xlsx', content: await registrationXlsx({ rows: [{ unit: '德安县总工会', project: '职工技能竞赛', participants: '30', contact: '李明', phone: '0792-0000000' }] }) },
    { filename: '德安县竞赛实施方案.docx', content: await planDocx({ unit: '德安县总工会' }) },
  ];
  expect(await receive(a, { attachments: files })).toMatchObject({ kind: 'ack' });
  const ack = await a.db.selectFrom('outbox').select(['reply_message_id', 'subject', 'body_text']).executeTakeFirstOrThrow();
  const quote = `\n\n------------------ 原始邮件 ------------------\n发件人: "jjszjjb" <jjszjjb@sina.com>\n主题: ${ack.subject}\n\n${ack.body_text}`;
  return { ack, quote, threading: { 'In-Reply-To': ack.reply_message_id, References: `<dh1@163.com> ${ack.reply_message_id}` } };
}

describe('mail that answers our replies', () => {
  it('a thank-you quoting our acknowledgment is recorded and not answered', async () => {
    app = await testApp();
    const { ack, quote, threading } = await acknowledged(app);
    const thanks = await receive(app, { subject: `回复：${ack.subject}`, text: `收到，谢谢！${quote}`, headers: threading });
    expect(thanks).toMatchObject({ unit: 'dean', kind: 'none', reason: 'answers our reply with no files, and its own words are not about the campaign' });
    expect(await app.db.selectFrom('outbox').select('kind').execute()).toEqual([{ kind: 'ack' }]);
  });

  it('a question about the submission in its own words still reaches a person', async () => {
    app = await testApp();
    const { ack, quote, threading } = await acknowledged(app);
    const question = await receive(app, { subject: `回复：${ack.subject}`, text: `实施方案需要盖章版吗？${quote}`, headers: threading });
    expect(question).toMatchObject({ unit: 'dean', kind: 'review' });
  });

  it('a reply that brings a file is decided like any submission', async () => {
    app = await testApp();
    const { ack, quote, threading } = await acknowledged(app);
    const plan = await planDocx({ unit: '德安县总工会' });
    const again = await receive(app, { subject: `回复：${ack.subject}`, text: `更新了方案。${quote}`, headers: threading, attachments: [{ filename: '德安县竞赛实施方案（修改）.docx', content: plan }] });
    expect(again).toMatchObject({ unit: 'dean', kind: 'ack' });
  });
});
