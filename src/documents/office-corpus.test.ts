import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyFiles, type ClassifiedFile } from '../classify/classify-files.js';
import { detectFormat } from '../mail/file-format.js';
import { loadRules } from '../rules/index.js';
import { REPO, sharedPath } from '../testing/app.js';
import { IsolatedReader } from './isolated-reader.js';
import { readFiles } from './read-files.js';

/**
 * Every file of ../shared/corpora/office (Apache POI and Tika, EasyExcel, poi-tl, word-extractor,
 * mammoth, exceljs, SheetJS's WPS files, pdf.js's CJK PDFs; fuzzed, encrypted, truncated and
 * hostile ones among them) goes through the readers and the classifier: each is read or gets a
 * named reason, nothing crashes, a file that hangs is stopped, memory stays bounded.
 * LibreOffice is off here so that CI needs none (the fallback has its own tests).
 */
const ROOT = sharedPath('corpora', 'office');
const NOT_DOCUMENTS = /(^|\/)(LICENSE|NOTICE|COPYING|SOURCE\.txt|INDEX\.tsv|\.gitignore)$/;
const NAMED = new Set(['empty', 'encrypted', 'scan', 'corrupt', 'unsupported', 'timeout', 'too-complex']);

const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
const rules = loadRules(join(REPO, 'rules'));

describe('the office corpus', () => {
  const results = new Map<string, ClassifiedFile>();
  const files = walk(ROOT).filter((f) => !NOT_DOCUMENTS.test(relative(ROOT, f)));

  it(`reads or names a reason for each of its ${files.length} files, in bounded time and memory`, async () => {
    const started = Date.now();
    // Two reading processes: the machine has two cores. The time limit per file leaves room for
    // a machine shared with other test runs; a file that really hangs is stopped at it.
    const reader = () => new IsolatedReader({ soffice: 'off', timeoutMs: 30_000, maxMemoryMb: 768, preload: true });
    const readers = [reader(), reader()];
    let next = 0;
    let peakRss = 0;
    try {
      await Promise.all(
        readers.map(async (reader) => {
          while (next < files.length) {
            const path = files[next++]!;
            const name = relative(ROOT, path);
            const content = readFileSync(path);
            const [read] = await readFiles([{ filename: name.split('/').pop()!, containerPath: name, contentType: '', format: detectFormat(name, content), content }], [reader]);
            results.set(name, classifyFiles([read!], rules.documents)[0]!);
            peakRss = Math.max(peakRss, process.memoryUsage().rss);
          }
        }),
      );
    } finally {
      readers.forEach((r) => r.close());
    }
    const seconds = (Date.now() - started) / 1000;
    const counts = new Map<string, number>();
    for (const f of results.values()) counts.set(f.error?.code ?? 'read', (counts.get(f.error?.code ?? 'read') ?? 0) + 1);
    console.log(`office corpus: ${results.size} files in ${seconds.toFixed(1)} s, peak RSS ${Math.round(peakRss / 1e6)} MB; ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')}`);

    expect(results.size).toBe(files.length);
    const unnamed = [...results].filter(([, f]) => f.error && !NAMED.has(f.error.code)).map(([n, f]) => `${n}: ${f.error!.code} ${f.error!.detail ?? ''}`);
    expect(unnamed).toEqual([]);
    // Every readable file has text or tables, and a classification with its evidence.
    for (const [name, f] of results) if (f.readable) expect(f.classification, name).toBeDefined();
    expect(peakRss).toBeLessThan(1.5e9);
    expect(counts.get('read')).toBeGreaterThan(1300);
  }, 600_000);

  it.each([
    ['word-extractor/__tests__/data/test11.doc', '这是一个用来测试'],
    ['word-extractor/__tests__/data/test11.docx', '这是一个用来测试'],
    ['easyexcel/easyexcel-test/src/test/resources/converter/converter03.xls', '大数的布尔'],
    ['easyexcel/easyexcel-test/src/test/resources/converter/converter07.xlsx', '大数的布尔'],
    ['easyexcel/easyexcel-test/src/test/resources/fill/composite.xls', '统计'],
    ['pdfjs-cjk/issue3521.pdf', '我们都是黑体字'],
    ['pdfjs-cjk/issue2128r.pdf', '浅谈校长的魅力'],
    ['pdfjs-cjk/issue19360.pdf', '坚持社会主义核心价值体系'],
  ])('decodes the Chinese in %s', (name, expected) => {
    const f = results.get(name);
    expect(f?.error ?? null).toBeNull();
    expect(f?.content?.text.replace(/\s/g, '')).toContain(expected);
  });

  it('decodes the Chinese samples CJK-INDEX.tsv lists for the documents it read', () => {
    const index = readFileSync(sharedPath('corpora', 'CJK-INDEX.tsv'), 'utf8').split('\n').slice(1).map((l) => l.split('\t'));
    let checked = 0;
    const missed: string[] = [];
    for (const [kind, path, , sample] of index) {
      const word = sample?.split(' ')[0] ?? '';
      const f = kind === 'office' && path ? results.get(path) : undefined;
      // Samples of two or more Han characters only (some samples are themselves mis-decoded).
      if (!f?.content || !/^\p{Script=Han}{2,}$/u.test(word) || /[\u3400-\u4dff\ue000-\uf8ff]|[栀攀琀]/u.test(word)) continue;
      checked++;
      if (!f.content.text.replace(/\s/g, '').includes(word)) missed.push(`${path}: ${word}`);
    }
    expect(checked).toBeGreaterThan(50);
    expect(missed).toEqual([]);
  });
});
