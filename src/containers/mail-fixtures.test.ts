import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMessage } from '../mail/parse.js';
import { messageReports, type MessageReport } from '../report/messages.js';
import { FileSource } from '../sources/files.js';
import { ingestFrom } from '../service/ingest.js';
import { REPO, testApp, type TestApp } from '../testing/app.js';
import { mailFixtures, type MailFixture } from '../testing/mail-fixtures.js';

/**
 * The committed fixtures of fixtures/encodings, fixtures/containers and fixtures/hostile, each
 * through the whole pipeline, checked against what the generator put in them.
 */
const fixtures = await mailFixtures();
let app: TestApp;
let reports: MessageReport[];

beforeAll(async () => {
  app = await testApp();
  const paths = fixtures.map((f) => join(REPO, 'fixtures', f.dir, f.file));
  await ingestFrom(app, new FileSource(paths));
  await app.flushOutbox();
  reports = await messageReports(app.db);
}, 120_000);
afterAll(async () => app?.cleanup());

const reportOf = (f: MailFixture) => {
  const r = reports.find((x) => x.source.endsWith(join(f.dir, f.file)));
  if (!r) throw new Error(`no report for ${f.dir}/${f.file}`);
  return r;
};

const byPath = <T extends { path: string }>(xs: T[]) => [...xs].sort((a, b) => a.path.localeCompare(b.path));

describe('mail decoding and containers, on the committed fixtures', () => {
  for (const f of fixtures) {
    it(`${f.dir}/${f.file}`, async () => {
      const r = reportOf(f);
      expect(r.status).toBe('decided');
      const e = f.expect;
      if (e.subject !== undefined) expect(r.subject).toBe(e.subject);
      if (e.fromName !== undefined) expect(r.fromName).toBe(e.fromName);
      if (e.text) {
        const parsed = await parseMessage(readFileSync(join(REPO, 'fixtures', f.dir, f.file)));
        for (const t of e.text) expect(parsed.text).toContain(t);
        expect(parsed.text).not.toContain('\uFFFD');
      }
      if (e.files) {
        const got = byPath(r.documents).map((d) => {
          const want = e.files!.find((w) => w.path === d.path);
          return {
            path: d.path,
            ...(want?.kind !== undefined ? { kind: d.kind } : {}),
            ...(want?.readable !== undefined ? { readable: d.readable } : {}),
            ...(want?.errorCode !== undefined ? { errorCode: d.errorCode } : {}),
            ...(want?.format !== undefined ? { format: d.format } : {}),
          };
        });
        expect(got).toEqual(byPath(e.files));
      }
      if (e.unit !== undefined) expect(r.unit).toBe(e.unit);
      if (e.reply !== undefined) expect(r.reply).toBe(e.reply);
      if (e.links !== undefined) expect(r.links).toHaveLength(e.links);
    });
  }

  it('tells the sender which files could not be read, by their place in the containers', async () => {
    const f = fixtures.find((x) => x.file === 'encrypted-and-truncated-archives.eml')!;
    const r = reportOf(f);
    const body = (await app.db.selectFrom('outbox').select('body_text').where('message_row', '=', r.id).executeTakeFirstOrThrow()).body_text;
    expect(body).toContain('以下文件无法读取');
    expect(body).toContain('  · 加密.zip / 报名表.xlsx：文件已加密（设有密码），无法读取，请不设密码重新压缩后发送');
    expect(body).toContain('  · 加密.7z：7z 压缩包已加密（设有密码），无法读取，请不设密码重新压缩后发送');
    expect(body).toContain('  · 损坏.zip：压缩包已损坏，无法打开');
  });
});
