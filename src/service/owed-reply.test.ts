import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeliveryError } from '../outbox/transport.js';
import { assignMessage } from '../review/assign.js';
import { FileSource } from '../sources/files.js';
import { fixtureMail, testApp, type TestApp } from '../testing/app.js';
import { planDocx } from '../testing/documents.js';
import { buildMail } from '../testing/mail.js';
import { ingestFrom } from './ingest.js';

let app: TestApp | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await app?.cleanup();
  app = undefined;
});

const STRANGER = 'wangfang88@163.com';
const outboxOf = async (a: TestApp, messageRow: number) =>
  a.db.selectFrom('outbox').select(['kind', 'status']).where('message_row', '=', messageRow).orderBy('id').execute();

/** A plan from an address no rule knows (to review), received after xiushui's form. */
async function strangersPlan(a: TestApp) {
  const at = new Date('2021-07-21T01:00:00Z');
  const raw = buildMail({
    from: { name: '王芳', address: STRANGER },
    subject: '补充材料',
    messageId: '<p1@163.com>',
    date: at,
    received: at,
    text: '',
    attachments: [{ filename: '附件2.docx', content: await planDocx({ unit: '', title: '劳动和技能竞赛实施方案' }) }],
  });
  return a.pipeline.process({ source: 'test:p1', raw, receivedAt: at, receivedBasis: 'received-header' });
}

describe('a reply counted as the answer, then failed', () => {
  it('the message decided again meanwhile gets the reply its decision calls for, once', async () => {
    app = await testApp();
    const a = app;
    await ingestFrom(a, new FileSource([fixtureMail('03-xiushui-form-only-gb2312.eml')]));
    expect(await strangersPlan(a)).toMatchObject({ status: 'decided', decision: { kind: 'review' } });
    await a.flushOutbox();
    // A person first takes it for hukou's: a "missing" reply is queued.
    await assignMessage(a, 2, 'hukou');

    // Its delivery hangs; meanwhile the person corrects the unit to xiushui, whose form is in:
    // the message is now complete, and the "missing" reply on its way counts as its answer.
    const real = a.transport.send.bind(a.transport);
    let corrected: Promise<unknown> | undefined;
    vi.spyOn(a.transport, 'send').mockImplementation(async (mail, handOver) => {
      if (mail.to !== STRANGER || corrected) return real(mail, handOver);
      corrected = assignMessage(a, 2, 'xiushui');
      const r = await corrected;
      expect(r).toMatchObject({ outcome: { decision: { unit: 'xiushui', kind: 'ack', outboxId: null } } });
      throw new DeliveryError('550 5.1.1 mailbox unavailable', 'permanent');
    });
    await a.flushOutbox();
    expect(corrected).toBeDefined();

    // It did not go, so nothing answered the message: the acknowledgment is queued and sent.
    await a.flushOutbox();
    expect(await outboxOf(a, 2)).toEqual([
      { kind: 'review', status: 'sent' },
      { kind: 'missing', status: 'failed' },
      { kind: 'ack', status: 'sent' },
    ]);
    const msg = await a.db.selectFrom('messages').select(['unit_id', 'reply_kind', 'reply_reason']).where('id', '=', 2).executeTakeFirstOrThrow();
    expect(msg).toEqual({ unit_id: 'xiushui', reply_kind: 'ack', reply_reason: 'every required item is on file' });
  });
});
