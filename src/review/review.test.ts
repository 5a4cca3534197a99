import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readMessageFile, FileSource } from '../sources/files.js';
import { ingestFrom } from '../service/ingest.js';
import { fixtureMail, testApp, type TestApp } from '../testing/app.js';
import { buildMail } from '../testing/mail.js';
import { planDocx } from '../testing/documents.js';
import { assignMessage } from './assign.js';
import { forgetAddress, learnedAddresses } from './learned-addresses.js';
import { reviewQueue } from './queue.js';
import { testRules } from '../replay/replay.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.cleanup();
  app = undefined;
});

const outbox = async (a: TestApp) => a.db.selectFrom('outbox').select(['message_row', 'kind', 'status']).orderBy('id').execute();
const eml = (a: TestApp) => readdirSync(join(a.dataDir, 'outbox')).filter((f) => f.endsWith('.eml')).sort();

async function planFrom(address: string, id: string) {
  const raw = buildMail({
    from: { name: '王芳', address },
    subject: '补充材料',
    messageId: `<${id}@163.com>`,
    date: new Date('2021-07-21T01:00:00Z'),
    received: new Date('2021-07-21T01:00:00Z'),
    text: '',
    attachments: [{ filename: '附件2.docx', content: await planDocx({ unit: '', title: '劳动和技能竞赛实施方案' }) }],
  });
  return { source: `test:${id}`, raw, receivedAt: new Date('2021-07-21T01:00:00Z'), receivedBasis: 'received-header' as const };
}

describe('review and assignment', () => {
  it('a person assigns a message: the unit state follows, the due reply goes out once, the address is learned', async () => {
    app = await testApp();
    await ingestFrom(app, new FileSource([fixtureMail('09-unknown-sender-review.eml')]));
    await app.flushOutbox();
    expect((await reviewQueue(app.db)).map((r) => [r.id, r.reply, r.evidence])).toEqual([[1, 'review', []]]);

    const r = await assignMessage(app, 1, '湖口县');
    await app.flushOutbox();
    expect(r).toMatchObject({ previousUnit: null, learned: 'learned', outcome: { status: 'decided', decision: { unit: 'hukou', kind: 'missing' } } });
    expect(await reviewQueue(app.db)).toEqual([]);
    expect(await outbox(app)).toEqual([
      { message_row: 1, kind: 'review', status: 'sent' },
      { message_row: 1, kind: 'missing', status: 'sent' },
    ]);
    expect((await learnedAddresses(app.db)).map((l) => [l.address, l.unit_id, l.message_row])).toEqual([['wangfang88@163.com', 'hukou', 1]]);

    // Assigning again to the same unit sends nothing new.
    await assignMessage(app, 1, 'hukou');
    await app.flushOutbox();
    expect(await outbox(app)).toHaveLength(2);
    expect(eml(app)).toHaveLength(2);

    // The unit's next mail from that address matches by the learned address and completes it.
    const next = await app.pipeline.process(await planFrom('wangfang88@163.com', 'n1'));
    expect(next).toMatchObject({ status: 'decided', decision: { unit: 'hukou', kind: 'ack' } });
    const msg = await app.db.selectFrom('messages').select('match_json').where('id', '=', 2).executeTakeFirstOrThrow();
    expect(JSON.parse(msg.match_json!).evidence).toEqual([{ signal: 'address', unit: 'hukou', match: 'wangfang88@163.com (learned)', weight: 3 }]);

    // Forgotten: the address no longer counts.
    expect(await forgetAddress(app.db, 'WangFang88@163.com')).toBe(1);
    expect(await learnedAddresses(app.db)).toEqual([]);
    expect((await learnedAddresses(app.db, { includeRemoved: true }))[0]!.removed_at).not.toBeNull();
    const after = await app.pipeline.process(await planFrom('wangfang88@163.com', 'n2'));
    expect(after).toMatchObject({ status: 'decided', decision: { unit: null, kind: 'review' } });
  });

  it('a message assigned after its unit sent more is answered with where the unit stands now', async () => {
    app = await testApp();
    // The registration form (20 July) and, from the same unknown address, the plan (21 July): both wait for a person.
    await ingestFrom(app, new FileSource([fixtureMail('09-unknown-sender-review.eml')]));
    await app.pipeline.process(await planFrom('wangfang88@163.com', 'p1'));
    await app.flushOutbox();
    expect((await reviewQueue(app.db)).map((r) => r.id)).toEqual([1, 2]);

    // The plan is assigned first: the form is not the unit's yet, so the registration is missing.
    expect((await assignMessage(app, 2, 'hukou')).outcome).toMatchObject({ decision: { unit: 'hukou', kind: 'missing' } });
    // Then the form, received before the plan: the unit has both now, and is told so, not that
    // the plan it sent on 21 July is still missing.
    expect((await assignMessage(app, 1, 'hukou')).outcome).toMatchObject({ decision: { unit: 'hukou', kind: 'ack' } });
    await app.flushOutbox();
    const ack = await app.db.selectFrom('outbox').select('body_text').where('message_row', '=', 1).where('kind', '=', 'ack').executeTakeFirstOrThrow();
    expect(ack.body_text).toContain('已全部收齐');
    expect(ack.body_text).toMatch(/竞赛实施方案：附件2\.docx（2021年7月21日 09:00 收到）/);
    expect(await outbox(app)).toEqual([
      { message_row: 1, kind: 'review', status: 'sent' },
      { message_row: 2, kind: 'review', status: 'sent' },
      { message_row: 2, kind: 'missing', status: 'sent' },
      { message_row: 1, kind: 'ack', status: 'sent' },
    ]);
    // `rules test` replays the person's decision the same way. (Message 2, decided before the form
    // was the unit's, would be an acknowledgment in receipt order: that diff is its own.)
    expect((await testRules(app)).changes.map((c) => [c.message, c.before.reply, c.after.reply])).toEqual([[2, 'missing', 'ack']]);
  });

  it('re-assigning moves the items to the other unit and never repeats a sent acknowledgment', async () => {
    app = await testApp();
    await ingestFrom(app, new FileSource([fixtureMail('01-xunyang-complete.eml')]));
    await app.flushOutbox();
    const r = await assignMessage(app, 1, 'wuning');
    await app.flushOutbox();
    // The ack already went out: the message is now wuning's, but no second reply is sent.
    expect(r.outcome).toMatchObject({ status: 'decided', decision: { unit: 'wuning', kind: 'ack', outboxId: null } });
    expect(await outbox(app)).toEqual([{ message_row: 1, kind: 'ack', status: 'sent' }]);
    const items = await app.db.selectFrom('submission_items').select(['unit_id', 'item']).orderBy('item', 'desc').execute();
    expect(items).toEqual([
      { unit_id: 'wuning', item: 'registration' },
      { unit_id: 'wuning', item: 'plan' },
    ]);
    // The roster lists the sender address for 浔阳区: nothing is learned.
    expect(r).toMatchObject({ learned: 'not-learned', learnNote: 'rules/units.yaml lists xyqzgh@163.com for xunyang' });
  });

  it('assigning to none takes the message off the queue and supersedes a reply not yet sent', async () => {
    app = await testApp({ env: { REPLIES: 'on' } });
    await app.pipeline.process(await readMessageFile(fixtureMail('09-unknown-sender-review.eml')));
    await assignMessage(app, 1, 'none');
    await app.flushOutbox();
    expect(await outbox(app)).toEqual([{ message_row: 1, kind: 'review', status: 'suppressed' }]);
    expect(eml(app)).toEqual([]);
    expect(await reviewQueue(app.db)).toEqual([]);
    expect(await learnedAddresses(app.db)).toEqual([]);
  });

  it('refuses an unknown unit or message with a clear error', async () => {
    app = await testApp();
    await app.pipeline.process(await readMessageFile(fixtureMail('09-unknown-sender-review.eml')));
    await expect(assignMessage(app, 1, '火星县')).rejects.toThrow(/no unit "火星县": use a unit id, name or alias/);
    await expect(assignMessage(app, 99, 'hukou')).rejects.toThrow(/no message #99/);
  });
});

