import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageReports, type MessageReport } from '../report/messages.js';
import { FileSource } from '../sources/files.js';
import { ingestFrom } from '../service/ingest.js';
import { REPO, testApp, type TestApp } from '../testing/app.js';
import { hostileMails } from '../testing/hostile.js';

/**
 * The hostile-input suite: bombs, huge and empty files, deep nesting, path traversal. Every
 * message must end decided with named errors, nothing may be written outside the data folder,
 * and memory must stay bounded (measured in this process, with a generous bound).
 */

let app: TestApp;
let reports: MessageReport[];
const figures: Record<string, number> = {};
const MB = 1024 * 1024;

beforeAll(async () => {
  app = await testApp();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const t0 = Date.now();
  for (const m of hostileMails()) {
    // One message at a time, each dropped after processing, as the service receives them.
    await app.pipeline.process({ source: `hostile:${m.name}`, raw: m.raw, receivedAt: new Date('2021-07-20T01:00:05Z'), receivedBasis: 'received-header' });
  }
  await ingestFrom(app, new FileSource([join(REPO, 'fixtures', 'hostile')]));
  await app.flushOutbox();
  clearInterval(timer);
  figures.seconds = (Date.now() - t0) / 1000;
  figures.peakRssGrowthMb = Math.round((peakRss - before.rss) / MB);
  figures.heapGrowthMb = Math.round((process.memoryUsage().heapUsed - before.heapUsed) / MB);
  reports = await messageReports(app.db);
  console.log(`hostile suite: ${reports.length} messages in ${figures.seconds.toFixed(1)} s, peak RSS growth ${figures.peakRssGrowthMb} MB, heap growth ${figures.heapGrowthMb} MB`);
}, 300_000);
afterAll(async () => app?.cleanup());

const report = (name: string) => {
  const r = reports.find((x) => x.source === `hostile:${name}`);
  if (!r) throw new Error(`no report for ${name}`);
  return r;
};
const docs = (name: string) => report(name).documents.map((d) => [d.path, d.readable, d.errorCode ?? null]);

describe('hostile input', () => {
  it('ends every message decided, none in error', () => {
    expect(reports.length).toBeGreaterThanOrEqual(10);
    expect(reports.filter((r) => r.status !== 'decided').map((r) => [r.source, r.error])).toEqual([]);
  });

  it('refuses a zip bomb by its ratio, without inflating it', () => {
    expect(docs('zip-bomb-ratio')).toEqual([['压缩炸弹.zip / 报名表.xlsx', false, 'zip-bomb']]);
  });

  it('stops a zip that lies about its size while it streams', () => {
    expect(docs('zip-bomb-lying')).toEqual([['说谎的压缩包.zip / 报名表.xlsx', false, 'zip-bomb']]);
  });

  it('stops an archive at the message total, with one error on the archive', () => {
    const d = report('zip-bomb-total').documents;
    const expandedLimit = d.filter((x) => x.errorCode === 'expanded-limit');
    expect(expandedLimit.map((x) => x.path)).toEqual(['总量炸弹.zip']);
    // 100 MiB of the default limit at 1 MiB an entry: never more than that many were kept.
    expect(d.length).toBeLessThanOrEqual(101);
  });

  it('opens zips within zips only to the configured depth, and counts files across them', () => {
    const d = report('zip-nested-deep').documents;
    expect(d.length).toBeGreaterThan(0);
    expect(d.every((x) => !x.readable)).toBe(true);
    const codes = new Set(d.map((x) => x.errorCode));
    expect([...codes].every((c) => c === 'too-deep' || c === 'too-many-files')).toBe(true);
    expect(codes.has('too-deep')).toBe(true);
    expect(d.length).toBeLessThanOrEqual(1001);
  });

  it('refuses an archive of 5,000 entries as one named error', () => {
    expect(docs('zip-5000-entries')).toEqual([['五千个文件.zip', false, 'too-many-entries']]);
  });

  it('refuses a RAR that declares more than the limits', () => {
    const [d] = docs('rar-declares-2gib');
    expect(d?.[0]).toBe('炸弹.rar');
    expect(['zip-bomb', 'expanded-limit', 'too-large']).toContain(d?.[2]);
  });

  it('opens forwards within forwards only to the configured depth', () => {
    const d = report('forward-nested-deep').documents;
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ readable: false, errorCode: 'too-deep' });
    // max_depth (4) forwards opened, the fifth named as too deep.
    expect(d[0]!.path.split(' / ')).toHaveLength(5);
  });

  it('names 0-byte files as empty', () => {
    expect(docs('zero-bytes')).toEqual([
      ['修水县参赛报名表.xlsx', false, 'empty'],
      ['空压缩包.zip', false, 'empty'],
      ['空邮件.eml', false, 'empty'],
    ]);
  });

  it('counts a 40 MB attachment while streaming and keeps none of it', async () => {
    expect(docs('attachment-40mb')).toEqual([['修水县竞赛实施方案（高清扫描）.pdf', false, 'too-large']]);
    expect(report('attachment-40mb').documents[0]!.size).toBe(40 * 1000 * 1000);
  });

  it('stays within a generous memory bound', () => {
    // Raw 40 MB message (54 MB base64) plus at most the 100 MiB expanded budget, with headroom.
    expect(figures.peakRssGrowthMb).toBeLessThan(600);
  });

  it('tells the sender which files could not be read', async () => {
    const rows = await app.db.selectFrom('outbox').innerJoin('messages', 'messages.id', 'outbox.message_row').select(['messages.source', 'outbox.body_text', 'outbox.kind']).execute();
    const body = (name: string) => rows.find((r) => r.source === `hostile:${name}`)?.body_text ?? '';
    expect(body('zip-bomb-ratio')).toMatch(/以下文件无法读取[^\n]*\n  · 压缩炸弹\.zip \/ 报名表\.xlsx：压缩比异常/);
    expect(body('zip-5000-entries')).toContain('  · 五千个文件.zip：压缩包内文件过多（5000 个，上限 500 个），未打开');
    expect(body('attachment-40mb')).toContain('  · 修水县竞赛实施方案（高清扫描）.pdf：文件过大（38.1 MB，上限 25.0 MB）');
    expect(body('zero-bytes')).toContain('  · 修水县参赛报名表.xlsx：文件为空（0 字节）');
  });

  it('writes nothing outside the data folder, whatever the entry names say', () => {
    const names = ['intake-escape-a.txt', 'intake-escape-b.txt', 'intake-escape-c.txt', 'intake-escape-d.txt', 'intake-escape-e.txt', 'intake-escape-f.xlsx'];
    const places = [app.dataDir, dirname(app.dataDir), resolve(app.dataDir, '..', '..'), tmpdir(), process.cwd(), resolve(process.cwd(), '..'), '/etc', '/'];
    for (const place of places) for (const n of names) expect(existsSync(join(place, n)), join(place, n)).toBe(false);
    // The data folder holds only what intake keeps there.
    expect(readdirSync(app.dataDir).sort()).toEqual(expect.arrayContaining(['intake.db', 'outbox', 'raw']));
    expect(readdirSync(app.dataDir).filter((f) => /escape|evil|\.txt$/.test(f))).toEqual([]);
  });
});
