import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import { OutboxSender } from '../outbox/sender.js';
import { DeliveryError, type Transport } from '../outbox/transport.js';
import { recordPaper } from '../paper/paper.js';
import { FileSource } from '../sources/files.js';
import { ingestFrom } from '../service/ingest.js';
import { FIXTURE_MAIL, testApp, type TestApp } from '../testing/app.js';
import { registrationXlsx } from '../testing/documents.js';
import { chinaTime as china, demoCampaign, paperRequiredRules } from '../testing/demo-campaign.js';
import { buildMail } from '../testing/mail.js';
import { submissionMail } from '../testing/submissions.js';
import { parseDocumentFields } from '../classify/classify-files.js';
import { daysUntil, gatherDigest, readForm, type DigestInputs } from './data.js';
import { HealthRecorder } from '../sources/health.js';
import { queueDigest } from './send.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.cleanup();
  app = undefined;
});

const inputs = (a: TestApp, now: Date, extra: Partial<DigestInputs> = {}): DigestInputs => ({
  now,
  readRaw: (sha) => a.raw.read(sha),
  ...extra,
});


/** The counts, computed from the tables directly rather than through campaignStatus. */
async function countsFromTables(a: TestApp) {
  const items = await a.db.selectFrom('submission_items').select(['unit_id', 'item', 'late']).execute();
  const required = a.rules.campaign.required;
  let complete = 0;
  let completeOnTime = 0;
  let incomplete = 0;
  let nothing = 0;
  for (const u of a.rules.units) {
    const mine = items.filter((i) => i.unit_id === u.id);
    const has = required.filter((k) => mine.some((i) => i.item === k));
    if (mine.length === 0) nothing++;
    else if (has.length === required.length) {
      complete++;
      if (required.every((k) => mine.some((i) => i.item === k && i.late === 0))) completeOnTime++;
    } else incomplete++;
  }
  const review = await a.db
    .selectFrom('messages')
    .select('id')
    .where('assigned_at', 'is', null)
    .where((eb) => eb.or([eb('reply_kind', '=', 'review'), eb('status', '=', 'error')]))
    .execute();
  return { units: a.rules.units.length, complete, completeOnTime, incomplete, nothing, review: review.length };
}

describe('the digest of the demo campaign', () => {
  it('counts what the database holds, and says how many days are left', async () => {
    app = await demoCampaign();
    const d = await gatherDigest(app.db, app.rules, inputs(app, china('2021-07-20T10:00:00')));
    const expected = await countsFromTables(app);
    expect(d.counts).toMatchObject(expected);
    // The fixtures, as a person reads them: 8 complete (duchang late), yongxiu lacks its form.
    expect(d.counts).toMatchObject({ units: 43, complete: 8, completeOnTime: 7, completeLate: 1, incomplete: 1, nothing: 34, late: 1, review: 1, errors: 0, paperPending: null });
    expect(d.phase).toBe('open');
    expect(d.daysLeft).toBe(2);
    expect(d.participants).toBeNull();

    const unit = (id: string) => d.units.find((u) => u.unit === id)!;
    expect(unit('xunyang')).toMatchObject({ state: 'complete', onTime: true });
    expect(unit('duchang')).toMatchObject({ state: 'complete-late', late: true });
    expect(unit('yongxiu')).toMatchObject({ state: 'incomplete', missing: ['registration'] });
    expect(unit('lianxi')).toMatchObject({ state: 'nothing', lastReceivedAt: null });
    expect(unit('xiushui').lastReceivedAt).toBe(unit('xiushui').items.plan!.receivedAt);
    expect(unit('xiushui').lastReceivedAt! > unit('xiushui').items.registration!.receivedAt).toBe(true);
    expect(unit('xunyang').paper).toMatchObject({ required: false, received: false });
  });

  it('lists every arrival that is not a machine or a duplicate; the review queue says why', async () => {
    app = await demoCampaign();
    const d = await gatherDigest(app.db, app.rules, inputs(app, china('2021-07-20T10:00:00')));
    const messages = await app.db.selectFrom('messages').select(['id', 'duplicate_of', 'reply_reason']).execute();
    expect(d.since).toEqual({ previousDigestAt: null, afterMessage: 0, throughMessage: messages.length });
    expect(d.arrivals).toHaveLength(11);
    expect(d.arrivalsNotListed).toEqual({ machine: 2, duplicates: 2 });
    expect(d.arrivals.map((a) => a.message)).not.toContain(messages.find((m) => m.reply_reason?.startsWith('bounce'))!.id);
    // Oldest first, by the server's receipt time.
    expect(d.arrivals.map((a) => a.receivedAt)).toEqual([...d.arrivals.map((a) => a.receivedAt)].sort());
    const yongxiu = d.arrivals.find((a) => a.unit === 'yongxiu')!;
    expect(yongxiu).toMatchObject({ items: ['plan'], unreadable: ['永修县参赛报名表.xlsx'], reply: 'missing', replyStatus: 'sent' });
    const unknown = d.arrivals.find((a) => a.unit === null)!;
    expect(unknown).toMatchObject({ items: ['registration'], counted: false, reply: 'review' });

    expect(d.review).toHaveLength(1);
    expect(d.review[0]).toMatchObject({ message: unknown.message, why: '无法确定是哪个单位：邮件中没有名册中的单位名称或已知地址', files: ['附件1.xlsx'] });
  });

  it('a message late only by a receipt time that is not the server\'s waits for review, and staff are told why', async () => {
    app = await testApp();
    const wuning = app.rules.units.find((u) => u.id === 'wuning')!;
    const copiedAt = china('2021-08-02T09:00:00');
    // A file with no Received header, copied after the deadline: its mtime is all there is.
    const raw = Buffer.from((await submissionMail(wuning, 1, china('2021-07-20T11:00:00'))).toString('latin1').replace(/^Received:.*\r\n(?:[ \t].*\r\n)*/m, ''), 'latin1');
    const out = await app.pipeline.process({ source: '/tmp/wuning.eml', raw, receivedAt: copiedAt, receivedBasis: 'file-mtime' });
    expect(out).toMatchObject({ status: 'decided', decision: { unit: 'wuning', kind: 'review' } });
    const d = await gatherDigest(app.db, app.rules, inputs(app, china('2021-08-02T10:00:00')));
    expect(d.review).toHaveLength(1);
    expect(d.review[0]).toMatchObject({ message: out.status === 'decided' ? out.row : -1, why: '收到时间不是邮件服务器记录的时间，按此时间为逾期，需人工确认是否逾期' });
    expect(d.review[0]!.detail).toContain('file-mtime');
  });

  it('after a digest went out, lists only what came after it', async () => {
    app = await demoCampaign();
    const first = await queueDigest(app, { slot: '2021-07-20T00:30:00.000Z', trigger: 'schedule', now: china('2021-07-20T08:30:00') });
    await app.flushOutbox();
    expect(first!.outbox).toHaveLength(1);

    const raw = buildMail({
      from: { name: '武宁县总工会', address: 'wnxzgh@163.com' },
      subject: '武宁县参赛报名表',
      messageId: '<wuning.1@163.com>',
      date: china('2021-07-20T11:00:00'),
      received: china('2021-07-20T11:00:05'),
      text: '您好，附件是武宁县总工会的参赛报名表。',
      attachments: [{ filename: '武宁县参赛报名表.xlsx', content: await registrationXlsx({ rows: [{ unit: '武宁县总工会', project: '职工技能竞赛', participants: '40', contact: '李华', phone: '0792-0000001' }] }) }],
    });
    await app.pipeline.process({ source: 'test:wuning', raw, receivedAt: china('2021-07-20T11:00:05'), receivedBasis: 'received-header' });
    // The digest went to the watched mailbox too, and comes back in: it is our own mail.
    const digestEml = readdirSync(join(app.dataDir, 'outbox')).find((f) => f.startsWith('intake.digest.'))!;
    const back = await app.pipeline.process({ source: 'test:own-digest', raw: readFileSync(join(app.dataDir, 'outbox', digestEml)), receivedAt: china('2021-07-20T08:30:10'), receivedBasis: 'received-header' });
    expect(back).toMatchObject({ status: 'decided', decision: { kind: 'none' } });

    const d = await gatherDigest(app.db, app.rules, inputs(app, china('2021-07-21T08:30:00')));
    expect(d.since.previousDigestAt).toBe('2021-07-20T00:30:00.000Z');
    expect(d.since.afterMessage).toBe(first!.rendered.data.since.throughMessage);
    expect(d.arrivals.map((a) => [a.unit, a.items])).toEqual([['wuning', ['registration']]]);
    expect(d.arrivalsNotListed).toEqual({ machine: 0, duplicates: 0 });
    expect(d.counts.incomplete).toBe(2);
    expect(d.registrations.filter((r) => r.unit === 'wuning')).toMatchObject([{ row: 1, fields: { unit: '武宁县总工会', project: '职工技能竞赛', participants: '40', contact: '李华' } }]);
  });

  it('a digest that was never delivered does not move "since the last digest"', async () => {
    app = await demoCampaign();
    await queueDigest(app, { slot: '2021-07-20T00:30:00.000Z', trigger: 'schedule', now: china('2021-07-20T08:30:00') });
    // Not flushed: still pending, nobody has read it.
    const d = await gatherDigest(app.db, app.rules, inputs(app, china('2021-07-21T08:30:00')));
    expect(d.since.previousDigestAt).toBeNull();
    expect(d.arrivals).toHaveLength(11);
  });

  it('after the deadline, the participants are the units complete on time', async () => {
    app = await demoCampaign();
    const d = await gatherDigest(app.db, app.rules, inputs(app, china('2021-07-23T08:30:00')));
    expect(d.phase).toBe('closed');
    expect(d.daysLeft).toBe(-1);
    expect(d.participants!.map((u) => u.unit).sort()).toEqual(['chaisang', 'gongdian', 'jiaoyu', 'jingkai', 'lushanxihai', 'xiushui', 'xunyang']);
    expect(d.participants!.every((u) => u.onTime && u.complete)).toBe(true);
  });

  it('every row of each unit\'s latest registration form, as the database holds it', async () => {
    app = await demoCampaign();
    const d = await gatherDigest(app.db, app.rules, inputs(app, china('2021-07-20T10:00:00')));
    // From the tables: for each unit, the rows of the form its newest registration item points to.
    const items = await app.db.selectFrom('submission_items').innerJoin('documents', 'documents.id', 'submission_items.document_id').select(['unit_id', 'received_at', 'submission_items.message_row', 'fields_json']).where('item', '=', 'registration').execute();
    const expected: Array<[string, string | undefined]> = [];
    for (const u of app.rules.units) {
      const mine = items.filter((i) => i.unit_id === u.id).sort((a, b) => (a.received_at < b.received_at ? 1 : -1));
      if (mine.length === 0) continue;
      for (const r of parseDocumentFields(mine[0]!.fields_json)!.form!.rows) expected.push([u.id, r.project]);
    }
    expect(d.registrations.map((r) => [r.unit, r.fields.project])).toEqual(expected);
    expect(d.registrations).toHaveLength(9);
    expect(d.registrations.filter((r) => r.unit === 'xunyang').map((r) => r.row)).toEqual([1, 2]);
    // Message 9 (no unit yet) and the duplicates of xunyang's message add nothing.
    expect(new Set(d.registrations.map((r) => r.unit)).size).toBe(8);
    expect(d.registrations.find((r) => r.unit === 'duchang')).toMatchObject({ late: true, filename: '都昌县参赛报名表.xlsx' });
  });
});

describe('delivery problems', () => {
  it('shows failed replies with their unit, and bounces with the reply they return', async () => {
    app = await testApp();
    await ingestFrom(app, new FileSource([FIXTURE_MAIL]));
    // The SMTP server refuses the reply to jiaoyu for good; every other reply goes out.
    const refusing: Transport = {
      name: 'refusing',
      send: async (m, handOver) => {
        if (m.to === 'jjjyjgh@163.com') throw new DeliveryError('SMTP 550: mailbox unavailable', 'permanent');
        return app!.transport.send(m, handOver);
      },
      wasDelivered: async () => false,
      close: async () => {},
    };
    await new OutboxSender(app.db, refusing, { from: { name: 'x', address: app.rules.campaign.mailbox }, retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 1000 }, perRecipientPerDay: 100 }, silentLogger).deliverDue();

    // xunyang's mailbox bounces our acknowledgment, quoting its Message-ID (RFC 3464).
    const ack = await app.db.selectFrom('outbox').innerJoin('messages', 'messages.id', 'outbox.message_row').select(['outbox.id', 'reply_message_id', 'to_address']).where('messages.unit_id', '=', 'xunyang').where('kind', '=', 'ack').executeTakeFirstOrThrow();
    const original = Buffer.from(`From: jjszjjb@sina.com\r\nTo: ${ack.to_address}\r\nSubject: Re: x\r\nMessage-ID: ${ack.reply_message_id}\r\n\r\n`, 'latin1');
    const bounce = buildMail({
      from: { name: 'Mail Delivery Subsystem', address: 'MAILER-DAEMON@163.com' },
      subject: 'Undelivered Mail Returned to Sender',
      messageId: '<bounce.2@163.com>',
      date: china('2021-07-20T12:00:00'),
      received: china('2021-07-20T12:00:01'),
      text: 'Your message could not be delivered: mailbox full.',
      headers: { 'X-Failed-Recipients': ack.to_address },
      forwarded: [{ filename: 'original.eml', raw: original }],
    });
    await app.pipeline.process({ source: 'test:bounce', raw: bounce, receivedAt: china('2021-07-20T12:00:01'), receivedBasis: 'received-header' });

    const d = await gatherDigest(app.db, app.rules, inputs(app, china('2021-07-21T08:30:00')));
    expect(d.delivery.failed).toEqual([expect.objectContaining({ kind: 'ack', to: 'jjjyjgh@163.com', unit: 'jiaoyu', error: 'SMTP 550: mailbox unavailable' })]);
    const failedInDb = await app.db.selectFrom('outbox').select('id').where('status', '=', 'failed').execute();
    expect(d.delivery.failed.map((f) => f.outbox)).toEqual(failedInDb.map((r) => r.id));

    expect(d.delivery.bounces).toHaveLength(2);
    // Newest first: the fixture's bounce came in at 15:00, this one at 12:00.
    const [fixture, returned] = d.delivery.bounces;
    expect(returned).toMatchObject({ recipients: [ack.to_address], bounced: { outbox: ack.id, kind: 'ack', to: ack.to_address, unit: 'xunyang' }, fresh: true });
    expect(fixture).toMatchObject({ from: 'mailer-daemon@sina.com', subject: '系统退信', bounced: null, recipients: [] });
  });

  it('paper copies come from the recorded ones when the campaign requires them; the mailbox health from its record', async () => {
    app = await demoCampaign({ rulesDir: paperRequiredRules() });
    await recordPaper(app.db, app.rules, 'xunyang', { date: '2021-07-19T10:00', now: china('2021-07-19T10:05:00') });
    await recordPaper(app.db, app.rules, 'chaisang', { date: '2021-07-23', now: china('2021-07-23T09:00:00') });
    // The IMAP source last synced at 06:00, then failed to log in: four hours later, past its
    // 15-minute threshold, the mailbox is unreachable.
    const health = new HealthRecorder(app.db, 'jjszjjb@sina.com@imap.sina.com', 'INBOX', 15 * 60_000);
    await health.synced(new Date('2021-07-19T22:00:00.000Z'));
    await health.failed('disconnected', 'AUTHENTICATIONFAILED', new Date('2021-07-20T00:00:00.000Z'));
    const d = await gatherDigest(app.db, app.rules, inputs(app, china('2021-07-20T10:00:00')));
    expect(d.paperRequired).toBe(true);
    const rows = await app.db.selectFrom('paper_copies').select('unit_id').where('removed_at', 'is', null).execute();
    expect(d.counts.paperPending).toBe(d.counts.units - rows.length);
    expect(d.counts.paperPending).toBe(41);
    expect(d.units.find((u) => u.unit === 'xunyang')!.paper).toMatchObject({ received: true, receivedAt: '2021-07-19T02:00:00.000Z', late: false });
    expect(d.units.find((u) => u.unit === 'chaisang')!.paper).toMatchObject({ received: true, receivedAt: null, receivedOn: '2021-07-23', late: true });
    expect(d.units.find((u) => u.unit === 'lianxi')!.paper).toMatchObject({ required: true, received: false });
    // With paper required, xunyang's emailed items alone no longer make it complete.
    expect(d.units.find((u) => u.unit === 'jiaoyu')).toMatchObject({ complete: false, missing: ['paper'] });
    expect(d.units.find((u) => u.unit === 'xunyang')).toMatchObject({ complete: true });
    expect(d.mailbox).toEqual({ mailbox: 'jjszjjb@sina.com@imap.sina.com (INBOX)', reachable: false, lastOkAt: '2021-07-19T22:00:00.000Z', lastError: 'AUTHENTICATIONFAILED', lastErrorAt: '2021-07-20T00:00:00.000Z', unfetched: [] });
    // Synced again: reachable, and the digest says nothing about it.
    await health.synced(new Date('2021-07-20T01:59:00.000Z'));
    expect((await gatherDigest(app.db, app.rules, inputs(app, china('2021-07-20T10:00:00')))).mailbox).toMatchObject({ reachable: true });
  });
});

describe('pieces', () => {
  it('days until the deadline are calendar days in the campaign zone', () => {
    const deadline = '2021-07-22T23:59:59+08:00';
    expect(daysUntil(deadline, china('2021-07-21T23:59:00'), 'Asia/Shanghai')).toBe(1);
    expect(daysUntil(deadline, china('2021-07-22T00:01:00'), 'Asia/Shanghai')).toBe(0);
    // 16:30 UTC on the 21st is already the 22nd in China.
    expect(daysUntil(deadline, new Date('2021-07-21T16:30:00Z'), 'Asia/Shanghai')).toBe(0);
    expect(daysUntil(deadline, china('2021-07-25T08:30:00'), 'Asia/Shanghai')).toBe(-3);
  });

  it('reads the stored form: the rows and problems the reader recorded, and rows stored before documents had fields', () => {
    expect(readForm(null)).toEqual({ rows: [], problems: [] });
    expect(readForm('not json')).toEqual({ rows: [], problems: [] });
    const stored = { reader: 'exceljs', errorCode: null, textChars: 10, textTruncated: false, form: { rows: [{ unit: ' 浔阳区总工会 ', participants: '45', phone: '' }, {}], unit: '浔阳区总工会', unitSource: 'column', headers: {}, table: 0, headerRow: 1, problems: [] }, problems: [{ code: 'no-phone', message: '报名表未填写联系电话' }] };
    expect(readForm(JSON.stringify(stored))).toEqual({ rows: [{ unit: '浔阳区总工会', participants: '45' }], problems: ['报名表未填写联系电话'] });
    expect(readForm(JSON.stringify({ rows: [{ unit: '柴桑区总工会', project: '焊工' }] }))).toEqual({ rows: [{ unit: '柴桑区总工会', project: '焊工' }], problems: [] });
  });

  it('paper copies are counted only when the rules require them', async () => {
    app = await demoCampaign();
    const d = await gatherDigest(app.db, app.rules, inputs(app, china('2021-07-20T10:00:00')));
    expect(d.paperRequired).toBe(false);
    expect(d.counts.paperPending).toBeNull();
  });
});
