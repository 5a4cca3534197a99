import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageReports, type MessageReport } from '../report/messages.js';
import { sharedPath, testApp, type TestApp } from '../testing/app.js';
import { cjkCases, mailCorpus } from '../testing/mail-corpus.js';
import { parseMessage } from './parse.js';

/**
 * Every message of the shared third-party mail corpus (../shared/corpora/mail: 575 .eml files,
 * mbox files, CPython's and SpamScope's message files, TNEF samples) and messages built from
 * CPython's CJK encoding samples, through the real pipeline: each must end decided (a decision,
 * its unreadable files named), none may hang or crash, memory must stay bounded, and the
 * Chinese in the material must decode to what its UTF-8 twins and the upstream expectations say.
 */

const PER_MESSAGE_MS = 30_000;
const MB = 1024 * 1024;

let app: TestApp;
let reports: Map<string, MessageReport>;
const timedOut: string[] = [];
const figures = { messages: 0, seconds: 0, slowestMs: 0, slowest: '', peakRssGrowthMb: 0 };
const corpus = mailCorpus();
const cjk = cjkCases();

function withTimeout<T>(p: Promise<T>, ms: number, id: string): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      timedOut.push(id);
      resolve(undefined);
    }, ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e as Error);
      },
    );
  });
}

beforeAll(async () => {
  app = await testApp();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const t0 = Date.now();
  const all = [...corpus.map((c) => ({ id: c.id, load: c.load })), ...cjk.map((c) => ({ id: c.id, load: () => c.raw }))];
  for (const [i, m] of all.entries()) {
    const started = Date.now();
    await withTimeout(
      app.pipeline.process({ source: `corpus:${m.id}`, raw: m.load(), receivedAt: new Date(Date.UTC(2021, 6, 15, 0, 0, i)), receivedBasis: 'received-header' }),
      PER_MESSAGE_MS,
      m.id,
    );
    const ms = Date.now() - started;
    if (ms > figures.slowestMs) Object.assign(figures, { slowestMs: ms, slowest: m.id });
  }
  clearInterval(timer);
  figures.messages = all.length;
  figures.seconds = (Date.now() - t0) / 1000;
  figures.peakRssGrowthMb = Math.round((peak - before) / MB);
  reports = new Map((await messageReports(app.db)).map((r) => [r.source.replace(/^corpus:/, ''), r]));
  console.log(
    `mail corpus: ${figures.messages} messages in ${figures.seconds.toFixed(1)} s (slowest ${figures.slowestMs} ms: ${figures.slowest}), peak RSS growth ${figures.peakRssGrowthMb} MB`,
  );
}, 600_000);
afterAll(async () => app?.cleanup());

const report = (id: string) => {
  const r = reports.get(id);
  if (!r) throw new Error(`no report for ${id}`);
  return r;
};

describe('the shared mail corpus through intake', () => {
  it('has the material the issue names', () => {
    expect(corpus.filter((c) => c.id.endsWith('.eml'))).toHaveLength(575);
    expect(corpus.filter((c) => c.id.includes('.mbox#')).length).toBeGreaterThan(9);
    expect(corpus.filter((c) => /\.tnef$|winmail\.dat$/.test(c.id)).length).toBeGreaterThan(15);
  });

  it('records every message with a decision; none hangs', () => {
    expect(timedOut).toEqual([]);
    // Every message is stored; distinct ones are decided, copies are recorded as duplicates of the first.
    expect(reports.size).toBe(figures.messages);
    const undecided = [...reports.values()].filter((r) => r.status !== 'decided').map((r) => `${r.source}: ${r.status} ${r.error ?? ''}`);
    expect(undecided).toEqual([]);
  });

  it('gives every file it could not read a named reason', () => {
    const unnamed = [...reports.values()].flatMap((r) => r.documents.filter((d) => !d.readable && !d.errorCode).map((d) => `${r.source}: ${d.path}`));
    expect(unnamed).toEqual([]);
  });

  it('keeps memory bounded', () => {
    expect(figures.peakRssGrowthMb).toBeLessThan(1024);
  });

  it('decodes the Chinese headers and bodies of the corpus', () => {
    expect(report('spamscope-mail-parser/tests/mails/mail_test_12')).toMatchObject({ subject: '代开各地增值税发票', fromName: '张先生' });
    expect(report('spamscope-mail-parser/tests/mails/mail_test_9').subject).toBe('我把镜头拉近些，你们看看这个是什么屄，这种场合自然少不了内射');
    expect(report('mikel-mail/spec/fixtures/emails/multi_charset/japanese_attachment_long_name.eml').documents.map((d) => d.filename)).toEqual(['かきくけこかきくけこかきくけこかきくけこかきくけこ.txt']);
  });

  it('decodes bodies in every charset of one message, and one labelled GB2312 that is not', async () => {
    const root = sharedPath('corpora', 'mail');
    const charsets = await parseMessage(readFileSync(`${root}/thunderbird-comm-central/mailnews/mime/jsmime/test/unit/data/charsets`));
    for (const hello of ['你好世界', 'こんにちは、世界', '안녕하세요 세계', 'أهلا بالعالم']) expect(charsets.text).toContain(hello);
    const mislabelled = await parseMessage(readFileSync(`${root}/php-mime-mail-parser/tests/mails/failure.eml`));
    expect(mislabelled.text).toContain('次の受信者またはグループへの配信に失敗しました');
    const wrongUtf8 = await parseMessage(readFileSync(`${root}/thunderbird-comm-central/mail/test/browser/message-reader/data/wronglyDeclaredUTF8.eml`));
    expect(wrongUtf8.text).toContain('メッセージの高速全文検索');
  });

  it('agrees with Stalwart’s expected output where it has Han text', async () => {
    const root = sharedPath('corpora', 'mail', 'stalwart-mail-parser', 'resources', 'eml', 'thirdparty');
    for (const n of ['005', '010']) {
      const expected = readFileSync(`${root}/${n}.json`, 'utf8');
      const han = [...new Set(expected.match(/[^"\\\n]*[\u4e00-\u9fff][^"\\\n]*/g) ?? [])];
      expect(han.length, n).toBeGreaterThan(0);
      const parsed = await parseMessage(readFileSync(`${root}/${n}.eml`));
      const ours = [parsed.subject, parsed.text, parsed.html, ...parsed.attachments.map((a) => `${a.filename}\n${a.content.toString('utf8')}`)].join('\n');
      for (const h of han) expect(ours, `${n}: ${h}`).toContain(h.trim());
    }
  });

  for (const c of cjk) {
    it(`decodes CPython's ${c.id.slice(4)} sample like its UTF-8 twin`, async () => {
      const parsed = await parseMessage(c.raw);
      const norm = (s: string) => s.replace(/\r\n/g, '\n').trim();
      expect(norm(parsed.text)).toBe(norm(c.text));
      expect(parsed.subject).toBe(c.subject);
      expect(parsed.attachments.map((a) => a.filename)).toEqual([c.filename]);
      // Through the pipeline too: the stored text of the attached file is the twin's. An
      // attached text file has no label of its own, so only the GB family (what Chinese
      // Windows writes) is decided from its bytes alone; a few lines of Big5 are ambiguous.
      if (!c.id.startsWith('cjk:gb')) return;
      const doc = await app.db.selectFrom('documents').innerJoin('messages', 'messages.id', 'documents.message_row').select(['documents.text', 'documents.filename']).where('messages.source', '=', `corpus:${c.id}`).executeTakeFirstOrThrow();
      expect(doc.filename).toBe(c.filename);
      expect(norm(doc.text ?? '')).toBe(norm(c.text));
    });
  }
});
