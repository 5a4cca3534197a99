import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../src/testing/app.js';
import { runCli } from '../src/testing/cli.js';
import { buildMail } from '../src/testing/mail.js';
import { SERVICE_V8_FLAGS } from '../src/util/v8-flags.js';
import type { MessageReport } from '../src/report/messages.js';

const run = promisify(execFile);

/**
 * dist/ is what `npm start`, the Docker image and the benchmark run, and it is a bundle
 * (scripts/build.mjs), while every other test runs src/ through tsx. A library that reads a
 * file beside itself, resolves a module by a computed name or relies on __dirname can work from
 * src/ and break in the bundle; so the bundle takes in the same mail as the source and must
 * decide every message the same way, with the same documents read for the same reasons.
 */
describe('the bundled dist/', () => {
  // Inside the checkout, as dist/ is: the bundle finds package.json and node_modules by walking up.
  const out = join(REPO, 'node_modules', '.cache', `intake-build-test-${process.pid}`);
  let mail: string;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'intake-build-'));
    mail = join(work, 'mail');
    mkdirSync(mail);
    // One message per document fixture, so every reader (exceljs, mammoth, SheetJS, pdf.js,
    // word-extractor, the RTF/CSV/text readers) and every refusal runs inside the bundle.
    const documents = readdirSync(join(REPO, 'fixtures', 'documents')).sort();
    documents.forEach((name, i) => {
      const raw = buildMail({
        from: { name: '浔阳区总工会', address: 'xyqzgh@163.com' },
        subject: `浔阳区报送材料 ${name}`,
        messageId: `<build-${i}@163.com>`,
        date: new Date('2021-07-20T02:00:00Z'),
        received: new Date('2021-07-20T02:00:05Z'),
        text: '您好，附件是浔阳区总工会的材料，请查收。',
        attachments: [{ filename: name, content: readFileSync(join(REPO, 'fixtures', 'documents', name)) }],
      });
      writeFileSync(join(mail, `doc-${String(i).padStart(2, '0')}.eml`), raw);
    });
    await run(process.execPath, [join(REPO, 'scripts', 'build.mjs'), out], { cwd: REPO });
  });

  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('decides the fixture mail exactly as the source does', async () => {
    const inputs = [mail, ...['mail', 'containers', 'hostile'].map((d) => join(REPO, 'fixtures', d))];
    const env = { LOG_LEVEL: 'warn' };
    const fromSource = await runCli(['ingest', ...inputs, '--data', join(work, 'source')], env);
    expect(fromSource.status, fromSource.stderr).toBe(0);
    const bundled = await run(process.execPath, [join(out, 'cli.js'), 'ingest', ...inputs, '--data', join(work, 'bundle')], { cwd: REPO, env: { ...process.env, ...env } });
    expect(bundled.stdout).toBe(fromSource.stdout);

    const listing = async (cli: string[], data: string) => decisions((await run(process.execPath, [...cli, 'messages', '--json', '--data', data], { cwd: REPO, maxBuffer: 64 << 20 })).stdout);
    const source = await listing(['--import', 'tsx', join(REPO, 'src', 'cli.ts')], join(work, 'source'));
    const bundle = await listing([join(out, 'cli.js')], join(work, 'bundle'));
    expect(source.length).toBeGreaterThan(40);
    // The fixtures hold readable, encrypted, truncated and scanned files: all of them must show.
    const outcomes = new Set(source.flatMap((m) => m.documents.map((d) => (d.readable ? `read by ${d.reader}` : d.errorCode))));
    for (const o of ['read by exceljs', 'read by mammoth', 'read by pdfjs', 'read by sheetjs', 'encrypted', 'corrupt', 'scan']) expect(outcomes).toContain(o);
    expect(bundle).toEqual(source);
  });

  it('runs `intake run` as npm start does: the demo mailbox is seeded into an empty data folder and answered', async () => {
    const data = join(work, 'run');
    const child = spawn(process.execPath, [...SERVICE_V8_FLAGS, join(out, 'cli.js'), 'run', '--data', data], { cwd: REPO, env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const closed = new Promise<number | null>((r) => child.once('close', r));
    const demo = readdirSync(join(REPO, 'fixtures', 'demo-mailbox', 'new')).length;
    try {
      for (let i = 0; i < 1200 && child.exitCode === null && (log.match(/"msg":"reply sent"/g) ?? []).length < 10; i++) await new Promise((r) => setTimeout(r, 100));
    } finally {
      child.kill('SIGTERM');
    }
    expect(await closed, log).toBe(0);
    expect(log).toContain('inbox seeded from the demo mailbox');
    const mail = (dir: string) => readdirSync(join(data, 'inbox', dir)).filter((f) => !f.startsWith('.')).length;
    expect(mail('new') + mail('cur')).toBe(demo);
    expect((log.match(/"msg":"reply sent"/g) ?? []).length).toBeGreaterThanOrEqual(10);
  });
});

/**
 * `intake messages --json`: each message with its evidence, documents, decision and reply. The
 * rate limit's "waits until" is the run's clock plus a day, so it differs by run.
 */
function decisions(json: string): MessageReport[] {
  return json.trim().split('\n').map((line) => {
    const m = JSON.parse(line) as MessageReport;
    return { ...m, replyError: m.replyError?.replace(/waits until \S+/, 'waits until (a day after the run)') ?? null };
  });
}
