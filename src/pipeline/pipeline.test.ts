import { fork } from 'node:child_process';
import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { messageReports } from '../report/messages.js';
import { FileSource, readMessageFile } from '../sources/files.js';
import { ingestFrom } from '../service/ingest.js';
import { FIXTURE_MAIL, fixtureMail, tempDir, testApp, type TestApp } from '../testing/app.js';
import { renderMessageDetail } from '../report/message-detail.js';
import { submissionMail } from '../testing/submissions.js';
import { RawStore } from '../archive/raw-store.js';
import { IsolatedReader, isolatedReaders } from '../documents/isolated-reader.js';
import { ReaderUnavailable, type DocumentReader } from '../documents/reader.js';
import { silentLogger } from '../log.js';
import { buildMail } from '../testing/mail.js';
import iconv from 'iconv-lite';
import { Pipeline, PipelineStopped, STAGES, type Outcome, type Stage } from './pipeline.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.cleanup();
  app = undefined;
});

const byFile = (reports: Awaited<ReturnType<typeof messageReports>>, name: string) => {
  const r = reports.find((x) => x.source.endsWith(name));
  if (!r) throw new Error(`no report for ${name}`);
  return r;
};

describe('pipeline on the fixture mail', () => {
  it('decides every fixture as a person would', async () => {
    app = await testApp();
    await ingestFrom(app, new FileSource([FIXTURE_MAIL]));
    await app.flushOutbox();
    const reports = await messageReports(app.db);
    expect(reports).toHaveLength(readdirSync(FIXTURE_MAIL).length);
    expect(reports.every((r) => r.status === 'decided')).toBe(true);

    const expectations: Array<[string, string | null, string, boolean]> = [
      ['01-xunyang-complete.eml', 'xunyang', 'ack', false],
      ['02-chaisang-zip-gbk.eml', 'chaisang', 'ack', false],
      ['03-xiushui-form-only-gb2312.eml', 'xiushui', 'missing', false],
      ['04-xiushui-plan-later-rfc2231-gbk.eml', 'xiushui', 'ack', false],
      ['05-duchang-late.eml', 'duchang', 'late', true],
      ['06-jingkai-forwarded.eml', 'jingkai', 'ack', false],
      ['07-jiaoyu-outlook-q.eml', 'jiaoyu', 'ack', false],
      ['08-ruichang-autoreply.eml', 'ruichang', 'none', false],
      ['09-unknown-sender-review.eml', null, 'review', false],
      ['10-xunyang-duplicate.eml', 'xunyang', 'none', false],
      ['11-bounce.eml', null, 'none', false],
      ['12-gongdian-docx-form.eml', 'gongdian', 'ack', false],
      ['13-lushanxihai-complete.eml', 'lushanxihai', 'ack', false],
      ['14-xunyang-redelivered.eml', 'xunyang', 'none', false],
      ['15-yongxiu-corrupt-attachment.eml', 'yongxiu', 'missing', false],
    ];
    for (const [file, unit, reply, late] of expectations) {
      const r = byFile(reports, file);
      expect({ file, unit: r.unit, reply: r.reply, late: r.late }).toEqual({ file, unit, reply, late });
    }
  });

  it('lists decoded Chinese file names, kinds and readability', async () => {
    app = await testApp();
    await ingestFrom(app, new FileSource([FIXTURE_MAIL]));
    const reports = await messageReports(app.db);
    const docs = (f: string) => byFile(reports, f).documents.map((d) => [d.filename, d.kind, d.readable]);
    expect(docs('01-xunyang-complete.eml')).toEqual([
      ['浔阳区参赛报名表.xlsx', 'registration', true],
      ['浔阳区竞赛实施方案.docx', 'plan', true],
    ]);
    expect(docs('02-chaisang-zip-gbk.eml')).toEqual([
      ['柴桑区劳动竞赛报名表.xlsx', 'registration', true],
      ['柴桑区劳动和技能竞赛实施方案.docx', 'plan', true],
    ]);
    expect(byFile(reports, '02-chaisang-zip-gbk.eml').documents[0]!.path).toBe('柴桑区参赛材料.zip / 柴桑区参赛材料 / 柴桑区劳动竞赛报名表.xlsx');
    expect(docs('03-xiushui-form-only-gb2312.eml')).toEqual([['修水县参赛报名表.xlsx', 'registration', true]]);
    expect(docs('04-xiushui-plan-later-rfc2231-gbk.eml')).toEqual([['修水县“建功十四五”劳动和技能竞赛实施方案.docx', 'plan', true]]);
    expect(docs('06-jingkai-forwarded.eml')).toEqual([
      ['经开区报名表.xlsx', 'registration', true],
      ['经开区实施方案.docx', 'plan', true],
    ]);
    expect(docs('07-jiaoyu-outlook-q.eml')).toEqual([
      ['市教育局参赛报名表.xlsx', 'registration', true],
      ['市教育局竞赛实施方案.docx', 'plan', true],
    ]);
    expect(docs('12-gongdian-docx-form.eml')).toEqual([
      ['参赛报名表.docx', 'registration', true],
      ['九江供电公司“建功十四五、奋进新征程”主题劳动和技能竞赛实施方案.docx', 'plan', true],
    ]);
    const corrupt = byFile(reports, '15-yongxiu-corrupt-attachment.eml').documents[0]!;
    expect(corrupt).toMatchObject({ filename: '永修县参赛报名表.xlsx', readable: false });
    expect(corrupt.error).toMatch(/^corrupt: /);
  });

  it('stamps the server receipt time, not the sender Date header', async () => {
    app = await testApp();
    const msg = await readMessageFile(fixtureMail('05-duchang-late.eml'));
    expect(msg.receivedBasis).toBe('received-header');
    expect(msg.receivedAt.toISOString()).toBe('2021-07-23T01:12:40.000Z');
    const out = await app.pipeline.process(msg);
    expect(out.status === 'decided' && out.decision.late).toBe(true);
  });

  it('a file with no Received header is stamped with its modification time: on time by it, answered as usual; late by it, a person decides, and the decision says why', async () => {
    app = await testApp();
    const dir = tempDir();
    const rules = app.rules;
    const mail = async (unitId: string, seq: number) => {
      const unit = rules.units.find((u) => u.id === unitId)!;
      // Sent (by its Date header) well before the deadline; the receiving server's trace is gone.
      const raw = (await submissionMail(unit, seq, new Date(Date.UTC(2021, 6, 20, 2)))).toString('latin1').replace(/^Received:.*\r\n(?:[ \t].*\r\n)*/m, '');
      const path = join(dir, `${unitId}.eml`);
      writeFileSync(path, Buffer.from(raw, 'latin1'));
      return path;
    };
    const onTime = await mail('xunyang', 1);
    utimesSync(onTime, new Date('2021-07-21T10:00:00+08:00'), new Date('2021-07-21T10:00:00+08:00'));
    // Copied today: the mtime is today's, long after the deadline.
    const copied = await mail('chaisang', 2);
    await ingestFrom(app, new FileSource([onTime, copied]));
    const reports = await messageReports(app.db);
    const xunyang = byFile(reports, 'xunyang.eml');
    expect(xunyang).toMatchObject({ receivedBasis: 'file-mtime', unit: 'xunyang', late: false, reply: 'ack' });
    const chaisang = byFile(reports, 'chaisang.eml');
    expect(chaisang).toMatchObject({ receivedBasis: 'file-mtime', unit: 'chaisang', reply: 'review' });
    expect(chaisang.replyReason).toMatch(/file-mtime/);
    expect(chaisang.replyReason).toMatch(/no Received header/);
    const outbox = await app.db.selectFrom('outbox').select(['message_row', 'kind', 'body_text']).orderBy('id').execute();
    expect(outbox.map((o) => [o.message_row, o.kind])).toEqual([
      [xunyang.id, 'ack'],
      [chaisang.id, 'review'],
    ]);
    expect(outbox[1]!.body_text).toContain('工作人员将尽快人工核对');
    expect(outbox[1]!.body_text).not.toContain('逾期');
    // `intake show` names the basis in words, and that it is not the server's time.
    const shown = renderMessageDetail(chaisang, rules);
    expect(shown).toMatch(/receipt: +file-mtime — the file's modification time;.*not the server's: late by it goes to review/);
    expect(renderMessageDetail(xunyang, rules)).toMatch(/receipt: +file-mtime/);
  });

  it('answers a duplicate delivery at most once', async () => {
    app = await testApp();
    await ingestFrom(app, new FileSource([fixtureMail('01-xunyang-complete.eml'), fixtureMail('10-xunyang-duplicate.eml'), fixtureMail('14-xunyang-redelivered.eml')]));
    // Ingesting the same files again is a no-op.
    const again = await ingestFrom(app, new FileSource([fixtureMail('01-xunyang-complete.eml')]));
    expect(again).toEqual([]);
    await app.flushOutbox();
    const outbox = await app.db.selectFrom('outbox').selectAll().execute();
    expect(outbox.map((o) => [o.message_row, o.kind, o.status])).toEqual([[1, 'ack', 'sent']]);
    const reports = await messageReports(app.db);
    expect(reports.map((r) => r.duplicateOf)).toEqual([null, 1, 1]);
    expect(readdirSync(join(app.dataDir, 'outbox')).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
  });

  it('counts the newest readable version and says a later message completed the unit', async () => {
    app = await testApp();
    await ingestFrom(app, new FileSource([fixtureMail('03-xiushui-form-only-gb2312.eml'), fixtureMail('04-xiushui-plan-later-rfc2231-gbk.eml')]));
    const rows = await app.db.selectFrom('outbox').select(['kind', 'body_text', 'to_address', 'subject', 'in_reply_to']).orderBy('id').execute();
    expect(rows.map((r) => r.kind)).toEqual(['missing', 'ack']);
    expect(rows[0]!.body_text).toContain('仍需报送：\n  · 竞赛实施方案');
    expect(rows[1]!.body_text).toContain('竞赛实施方案：修水县“建功十四五”劳动和技能竞赛实施方案.docx');
    expect(rows[1]!.body_text).toContain('参赛报名表：修水县参赛报名表.xlsx（2021年7月17日 08:15 收到）');
    expect(rows[1]).toMatchObject({ to_address: 'xsxzgh@163.com', subject: 'Re: 修水县参赛报名表——补报实施方案', in_reply_to: '<202107200930.xs04@163.com>' });
  });

  it('names the unreadable file in the reply', async () => {
    app = await testApp();
    await ingestFrom(app, new FileSource([fixtureMail('15-yongxiu-corrupt-attachment.eml')]));
    const row = await app.db.selectFrom('outbox').select(['kind', 'body_text']).executeTakeFirstOrThrow();
    expect(row.kind).toBe('missing');
    expect(row.body_text).toContain('仍需报送：\n  · 参赛报名表');
    expect(row.body_text).toMatch(/以下文件无法读取[^\n]*\n  · 永修县参赛报名表\.xlsx：Excel 文件已损坏/);
  });
});

describe('a forwarded message', () => {
  // Clients forward as a message/rfc822 part with different dispositions: attachment (Outlook,
  // QQ, Foxmail), inline (mutt's mime_forward) or none. Each must stay a forwarded message, whose
  // sender and subject are evidence, not be flattened into the message that carries it.
  it.each(['attachment', 'inline', 'none'] as const)('as a message/rfc822 part with disposition %s keeps its sender as evidence', async (disposition) => {
    app = await testApp();
    const { planDocx, registrationXlsx } = await import('../testing/documents.js');
    const original = buildMail({
      from: { name: '武宁县总工会', address: 'wn@163.com' },
      subject: '武宁县参赛材料',
      messageId: '<orig-wn@163.com>',
      date: new Date('2021-07-12T01:00:00Z'),
      received: new Date('2021-07-12T01:00:03Z'),
      text: '请查收。',
      attachments: [
        { filename: '附件1.xlsx', content: await registrationXlsx({ rows: [{ unit: '武宁县总工会', project: '职业技能竞赛', participants: '20', contact: '李华', phone: '0792-0000000' }] }) },
        { filename: '附件2.docx', content: await planDocx({ unit: '武宁县总工会', title: '关于开展劳动和技能竞赛的实施方案' }) },
      ],
    });
    const raw = buildMail({ from: { name: '赵敏', address: 'zhaomin@sina.com' }, subject: '转发：参赛材料', messageId: `<fwd-${disposition}@sina.com>`, date: new Date('2021-07-12T02:00:00Z'), received: new Date('2021-07-12T02:00:05Z'), text: '转发，请查收', forwarded: [{ filename: '参赛材料.eml', raw: original, disposition }] });
    const out = await app.pipeline.process({ source: `test:${disposition}`, raw, receivedAt: new Date('2021-07-12T02:00:05Z'), receivedBasis: 'received-header' });
    expect(out.status === 'decided' && out.decision.unit).toBe('wuning');
    const row = await app.db.selectFrom('messages').select('match_json').where('source', '=', `test:${disposition}`).executeTakeFirstOrThrow();
    expect(JSON.parse(row.match_json!).evidence).toContainEqual(expect.objectContaining({ signal: 'forwarded_from', unit: 'wuning' }));
    const [report] = await messageReports(app.db);
    expect(report!.documents.map((d) => [d.path, d.kind])).toEqual([
      ['参赛材料.eml / 附件1.xlsx', 'registration'],
      ['参赛材料.eml / 附件2.docx', 'plan'],
    ]);
  });
});

describe('text attachments', () => {
  it('are read in the charset their part declares when the bytes bear it out, else as their bytes say', async () => {
    app = await testApp();
    const text = '參賽單位,聯繫人\n潯陽區總工會,張敏\n';
    const raw = buildMail({
      from: { name: '浔阳区总工会', address: 'xunyang@163.com' },
      subject: '报名材料',
      messageId: '<big5-text@163.com>',
      date: new Date(Date.UTC(2021, 6, 20, 2)),
      received: new Date(Date.UTC(2021, 6, 20, 2)),
      text: '见附件',
      attachments: [
        // Big5 is valid GBK byte for byte: unlabelled, these would read as GB18030 nonsense.
        { filename: '名單.csv', content: iconv.encode(text, 'big5'), contentType: 'text/csv; charset=big5' },
        // A label the bytes contradict (GBK labelled UTF-8) is not believed.
        { filename: '说明.txt', content: iconv.encode('实施方案说明', 'gbk'), contentType: 'text/plain; charset=utf-8' },
      ],
    });
    const outcome = await app.pipeline.process({ source: 'test:big5', raw, receivedAt: new Date(Date.UTC(2021, 6, 20, 2)), receivedBasis: 'received-header' });
    expect(outcome.status).toBe('decided');
    const docs = await app.db.selectFrom('documents').select(['filename', 'text', 'fields_json']).orderBy('seq').execute();
    expect(docs.map((d) => [d.filename, d.text])).toEqual([
      ['名單.csv', text.trim()],
      ['说明.txt', '实施方案说明'],
    ]);
  });
});

describe('a failure between any two stages', () => {
  for (const stage of STAGES) {
    it(`after ${stage}: the next run decides the message and answers it exactly once`, async () => {
      let fail: Stage | null = stage;
      const dataDir = (await import('../testing/app.js')).tempDir();
      app = await testApp({
        dataDir,
        afterStage: (s) => {
          if (s === fail) throw new Error(`injected failure after ${s}`);
        },
      });
      const first = await ingestFrom(app, new FileSource([fixtureMail('01-xunyang-complete.eml')])).catch((e: Error) => e);
      await app.flushOutbox();
      const firstState = await app.db.selectFrom('messages').select(['status', 'error']).execute();
      expect(firstState).toHaveLength(1);
      if (stage === 'decide') expect(firstState[0]!.status).toBe('decided');
      else if (stage === 'archive') expect(firstState[0]!.status).toBe('archived');
      else expect(firstState[0]).toMatchObject({ status: 'error', error: expect.stringContaining(`injected failure after ${stage}`) });
      expect(first).toBeDefined();
      fail = null;
      await app.pipeline.recover();
      await ingestFrom(app, new FileSource([fixtureMail('01-xunyang-complete.eml')]));
      await app.flushOutbox();
      const msgs = await app.db.selectFrom('messages').select(['status', 'reply_kind']).execute();
      expect(msgs).toEqual([{ status: 'decided', reply_kind: 'ack' }]);
      const outbox = await app.db.selectFrom('outbox').select(['kind', 'status']).execute();
      expect(outbox).toEqual([{ kind: 'ack', status: 'sent' }]);
      expect(readdirSync(join(dataDir, 'outbox')).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
    });
  }
});

const batch = ['03-xiushui-form-only-gb2312.eml', '01-xunyang-complete.eml', '04-xiushui-plan-later-rfc2231-gbk.eml', '13-lushanxihai-complete.eml'];
/** The batch's replies when each message is answered once: Xiushui's form alone, then complete. */
const EACH_ONCE = [
  [1, 'missing'],
  [2, 'ack'],
  [3, 'ack'],
  [4, 'ack'],
];

const replyKinds = async () => (await app!.db.selectFrom('outbox').select(['message_row', 'kind']).orderBy('message_row').execute()).map((r) => [r.message_row, r.kind]);

describe('a batch of messages', () => {
  it('is read ahead while one message is decided, and decided in receipt order as if one by one', async () => {
    app = await testApp();
    // The real readers, watched: how many files are being read at once.
    const [real] = isolatedReaders('off', 2);
    let reading = 0;
    let most = 0;
    const watched: DocumentReader = {
      name: real!.name,
      formats: real!.formats,
      async read(content, filename, format) {
        most = Math.max(most, ++reading);
        try {
          return await real!.read(content, filename, format);
        } finally {
          reading--;
        }
      },
    };
    const events: string[] = [];
    const pipeline = new Pipeline({ db: app.db, raw: app.raw, rules: app.rules, log: silentLogger, readers: [watched], afterStage: (stage, row) => void events.push(`${row}:${stage}`) });
    const msgs = await Promise.all(batch.map((f) => readMessageFile(fixtureMail(f))));
    const outcomes: Array<[number, Outcome]> = [];
    await pipeline.processAll(msgs, (i, o) => void outcomes.push([i, o]));

    expect(outcomes.map(([i, o]) => [i, o.row, o.status])).toEqual([
      [0, 1, 'decided'],
      [1, 2, 'decided'],
      [2, 3, 'decided'],
      [3, 4, 'decided'],
    ]);
    // Files of several messages were read at once, and a later message was read before an
    // earlier one was decided; decisions themselves stayed in order.
    expect(most).toBeGreaterThan(1);
    expect(events.indexOf('2:parse')).toBeGreaterThan(-1);
    expect(events.indexOf('2:parse')).toBeLessThan(events.indexOf('1:decide'));
    expect(events.filter((e) => e.endsWith(':decide'))).toEqual(['1:decide', '2:decide', '3:decide', '4:decide']);
    // Xiushui's form, then its plan: the second message sees the first one's items.
    const replies = await app.db.selectFrom('outbox').select(['message_row', 'kind']).orderBy('message_row').execute();
    expect(replies).toEqual([
      { message_row: 1, kind: 'missing' },
      { message_row: 2, kind: 'ack' },
      { message_row: 3, kind: 'ack' },
      { message_row: 4, kind: 'ack' },
    ]);
  });

  it('when a decision cannot go on (the caller fails), nothing more is archived and nothing runs on behind its back', async () => {
    app = await testApp();
    const pipeline = new Pipeline({ db: app.db, raw: app.raw, rules: app.rules, log: silentLogger, readers: isolatedReaders('off', 1) });
    const msgs = await Promise.all(batch.map((f) => readMessageFile(fixtureMail(f))));
    await expect(
      pipeline.processAll(msgs, () => {
        throw new Error('the caller gave up');
      }),
    ).rejects.toThrow('the caller gave up');
    const rows = async () => (await app!.db.selectFrom('messages').select(['id', 'status']).orderBy('id').execute()).map((r) => `${r.id}:${r.status}`);
    // The first is decided; at most the ones read ahead (two) were archived, and they wait for recovery.
    const after = await rows();
    expect(after[0]).toBe('1:decided');
    expect(after.length).toBeLessThanOrEqual(3);
    expect(after.slice(1).every((r) => r.endsWith(':archived'))).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(await rows()).toEqual(after);
    // The next run decides what was left, in order, and answers each once.
    await pipeline.recover();
    const again: Outcome[] = [];
    await pipeline.processAll(msgs, (_, o) => void again.push(o));
    const replies = await app.db.selectFrom('outbox').select(['message_row', 'kind']).orderBy('message_row').execute();
    expect(replies.map((r) => r.kind)).toEqual(['missing', 'ack', 'ack', 'ack']);
  });

  it('stops where a message cannot be archived: the ones before it are decided, none after it is archived', async () => {
    app = await testApp();
    const raw = new RawStore(join(app.dataDir, 'raw'));
    let puts = 0;
    const put = raw.put.bind(raw);
    raw.put = (bytes: Buffer) => {
      if (++puts === 2) return Promise.reject(new Error('ENOSPC: no space left on device'));
      return put(bytes);
    };
    const pipeline = new Pipeline({ db: app.db, raw, rules: app.rules, log: silentLogger, readers: isolatedReaders('off', 2) });
    const msgs = await Promise.all(batch.map((f) => readMessageFile(fixtureMail(f))));
    const seen: number[] = [];
    await expect(pipeline.processAll(msgs, (i) => void seen.push(i))).rejects.toThrow('ENOSPC');
    expect(seen).toEqual([0]);
    const rows = await app.db.selectFrom('messages').select(['id', 'source', 'status']).execute();
    expect(rows).toEqual([{ id: 1, source: msgs[0]!.source, status: 'decided' }]);
    // The same batch again, with room on the disk: everything is taken in, the first only once.
    raw.put = put;
    const again: Outcome[] = [];
    await pipeline.processAll(msgs, (_, o) => void again.push(o));
    expect(again.map((o) => o.status)).toEqual(['seen', 'decided', 'decided', 'decided']);
    expect(await replyKinds()).toEqual(EACH_ONCE);
  });

  it('stops after the message in flight when the service stops; the next run takes the rest, each answered once', async () => {
    app = await testApp();
    const pipeline = new Pipeline({ db: app.db, raw: app.raw, rules: app.rules, log: silentLogger, readers: isolatedReaders('off', 1) });
    const msgs = await Promise.all(batch.map((f) => readMessageFile(fixtureMail(f))));
    const seen: number[] = [];
    await expect(
      pipeline.processAll(msgs, (i) => {
        seen.push(i);
        // Ctrl-C while the first message is being decided.
        if (i === 0) pipeline.stop();
      }),
    ).rejects.toBeInstanceOf(PipelineStopped);
    expect(seen).toEqual([0]);
    const rows = (await app.db.selectFrom('messages').select(['id', 'status']).orderBy('id').execute()).map((r) => `${r.id}:${r.status}`);
    expect(rows[0]).toBe('1:decided');
    // What was read ahead is archived, not decided, and not answered.
    expect(rows.slice(1).every((r) => r.endsWith(':archived'))).toBe(true);
    expect(await app.db.selectFrom('outbox').select('message_row').execute()).toEqual([{ message_row: 1 }]);
    // A stopped pipeline does not recover either; a new one (the next start) does.
    await expect(pipeline.recover()).rejects.toBeInstanceOf(PipelineStopped);
    const next = new Pipeline({ db: app.db, raw: app.raw, rules: app.rules, log: silentLogger, readers: isolatedReaders('off', 1) });
    await next.recover();
    await next.processAll(msgs, () => {});
    expect(await replyKinds()).toEqual(EACH_ONCE);
  });
});

describe('readers that cannot read at all', () => {
  it('a reading process that hangs at start costs one start timeout for a whole batch, and the batch is decided once one starts', async () => {
    app = await testApp();
    const hang = join(app.dataDir, 'hang.mjs');
    writeFileSync(hang, 'setInterval(() => {}, 1000);\n');
    let spawned = 0;
    // The first process never says it is ready (a loader stuck on a hung disk); the next is real.
    const reader = new IsolatedReader({
      soffice: 'off',
      // Long enough for a real process to load its readers on a busy machine.
      startTimeoutMs: 10_000,
      startRetryMs: 1000,
      spawn: (worker, options) => (spawned++ === 0 ? fork(hang, [], { ...options, execArgv: [] }) : fork(worker, options)),
    });
    try {
      const pipeline = new Pipeline({ db: app.db, raw: app.raw, rules: app.rules, log: silentLogger, readers: [reader] });
      const msgs = await Promise.all(batch.map((f) => readMessageFile(fixtureMail(f))));
      const outcomes: Outcome[] = [];
      await pipeline.processAll(msgs, (_, o) => void outcomes.push(o));
      expect(outcomes.map((o) => o.status === 'error' && o.readerUnavailable)).toEqual([true, true, true, true]);
      // One start waited out for the batch's six files, not one per file.
      expect(spawned).toBe(1);
      expect(await app.db.selectFrom('messages').select(['status', 'attempts']).execute()).toEqual(Array(4).fill({ status: 'error', attempts: 0 }));
      // During the pause a cycle tries the oldest only, and fails at once, naming when it ends.
      const during = await pipeline.recover();
      expect(during).toEqual([expect.objectContaining({ row: 1, status: 'error', readerUnavailable: true })]);
      expect(spawned).toBe(1);
      const error = during[0]!.status === 'error' ? during[0]!.error : '';
      const pauseOver = Date.parse(/before (\S+)$/.exec(error)![1]!) + 100;
      // After it, the next cycle starts a process and decides all four, each answered once.
      await new Promise((r) => setTimeout(r, Math.max(0, pauseOver - Date.now())));
      const later = await pipeline.recover();
      expect(later.map((o) => (o.status === 'error' ? o.error : o.status))).toEqual(['decided', 'decided', 'decided', 'decided']);
      expect(spawned).toBe(2);
      expect(await replyKinds()).toEqual(EACH_ONCE);
    } finally {
      reader.close();
    }
  }, 60_000);

  it('leave the message in error, its files not blamed, nothing sent and no attempt used up; the next attempt decides it', async () => {
    app = await testApp();
    const [real] = isolatedReaders('off', 1);
    let available = false;
    const flaky: DocumentReader = {
      name: real!.name,
      formats: real!.formats,
      read(content, filename, format) {
        // As when the reading process was stopped from outside (a service manager's SIGTERM).
        if (!available) return Promise.reject(new ReaderUnavailable('reader process ended (SIGTERM)'));
        return real!.read(content, filename, format);
      },
    };
    const pipeline = new Pipeline({ db: app.db, raw: app.raw, rules: app.rules, log: silentLogger, readers: [flaky], maxAttempts: 3 });
    const outcome = await pipeline.process(await readMessageFile(fixtureMail('01-xunyang-complete.eml')));
    expect(outcome).toMatchObject({ status: 'error', error: expect.stringContaining('ReaderUnavailable'), readerUnavailable: true });
    expect(await pipeline.process(await readMessageFile(fixtureMail('02-chaisang-zip-gbk.eml')))).toMatchObject({ status: 'error', readerUnavailable: true });
    expect(await app.db.selectFrom('documents').select('id').execute()).toEqual([]);
    expect(await app.db.selectFrom('outbox').select('id').execute()).toEqual([]);
    // However many cycles the reader stays away, the messages are not used up: attempts count
    // only failures of their own. Each cycle tries the oldest and stops there: the others would
    // only wait for a reader that cannot start either.
    for (let i = 0; i < 5; i++) expect(await pipeline.recover()).toEqual([expect.objectContaining({ row: 1, status: 'error', readerUnavailable: true })]);
    expect(await app.db.selectFrom('messages').select(['status', 'attempts']).orderBy('id').execute()).toEqual([
      { status: 'error', attempts: 0 },
      { status: 'error', attempts: 0 },
    ]);
    available = true;
    const [again, other] = await pipeline.recover();
    expect(again).toMatchObject({ status: 'decided', decision: { kind: 'ack' } });
    expect(other).toMatchObject({ status: 'decided' });
    const docs = await app.db.selectFrom('documents').select(['filename', 'readable']).where('message_row', '=', 1).orderBy('seq').execute();
    expect(docs.map((d) => d.readable)).toEqual([1, 1]);
  });
});
