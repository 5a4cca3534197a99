import { describe, expect, it } from 'vitest';
import { UnreadableError } from '../containers/budget.js';
import type { FoundFile } from '../containers/expand.js';
import { readFiles } from './read-files.js';
import { ReaderUnavailable, type DocumentContent, type DocumentReader } from './reader.js';
import { ReaderPool } from './reader-pool.js';

/** A reader that takes `ms` per file, one file at a time (like one reading process), and logs what it did. */
function slowReader(name: string, ms: (filename: string) => number, log: string[]): DocumentReader {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    name,
    formats: ['xlsx', 'docx'],
    read(content: Buffer, filename: string): Promise<DocumentContent> {
      const run = queue.then(async () => {
        log.push(`${name} start ${filename}`);
        await new Promise((r) => setTimeout(r, ms(filename)));
        log.push(`${name} end ${filename}`);
        return { text: `${filename}: ${content.toString()}`, tables: [] };
      });
      queue = run.catch(() => {});
      return run;
    },
  };
}

const file = (filename: string, format: 'xlsx' | 'docx' = 'xlsx'): FoundFile => ({ filename, containerPath: filename, contentType: 'application/octet-stream', format, content: Buffer.from(filename.toUpperCase()) });

describe('a pool of reading processes', () => {
  it('passes over a reader whose process could not start while another can read, and uses it when none can', async () => {
    const log: string[] = [];
    let pausedA = true;
    const a: DocumentReader = {
      name: 'A',
      formats: ['xlsx', 'docx'],
      paused: () => pausedA,
      // As a reader after a failed start: it answers at once, so it always has the fewest waiting.
      read: () => Promise.reject(new ReaderUnavailable('document reader process did not start within 60 s; not started again before …')),
    };
    const pool = new ReaderPool([a, slowReader('B', () => 5, log)]);
    const texts = await Promise.all(['1', '2', '3', '4'].map((n) => pool.read(Buffer.from(n), `f${n}`)));
    expect(texts.map((t) => t.text)).toEqual(['f1: 1', 'f2: 2', 'f3: 3', 'f4: 4']);
    expect(log.filter((l) => l.includes('start'))).toHaveLength(4);
    // Every reader paused: the file fails with the reason, it does not wait.
    const b = new ReaderPool([a, { ...slowReader('C', () => 5, log), paused: () => true }]);
    await expect(b.read(Buffer.from('5'), 'f5')).rejects.toBeInstanceOf(ReaderUnavailable);
    pausedA = false;
    await expect(pool.read(Buffer.from('6'), 'f6')).rejects.toBeInstanceOf(ReaderUnavailable);
  });

  it('gives each file to the reader with the fewest waiting, so two files are read at once', async () => {
    const log: string[] = [];
    const pool = new ReaderPool([slowReader('A', () => 40, log), slowReader('B', () => 40, log)]);
    const texts = await Promise.all(['1', '2', '3', '4'].map((n) => pool.read(Buffer.from(n), `f${n}`)));
    expect(texts.map((t) => t.text)).toEqual(['f1: 1', 'f2: 2', 'f3: 3', 'f4: 4']);
    // A takes 1 and 3, B takes 2 and 4; both start before either ends.
    expect(log.slice(0, 2).sort()).toEqual(['A start f1', 'B start f2']);
    expect(log.filter((l) => l.startsWith('A'))).toEqual(['A start f1', 'A end f1', 'A start f3', 'A end f3']);
    expect(log.filter((l) => l.startsWith('B'))).toEqual(['B start f2', 'B end f2', 'B start f4', 'B end f4']);
  });

  it('a slow file holds up only its own reader: the next files go to the free one', async () => {
    const log: string[] = [];
    const pool = new ReaderPool([slowReader('A', (f) => (f === 'big' ? 200 : 10), log), slowReader('B', () => 10, log)]);
    const big = pool.read(Buffer.from('x'), 'big');
    await new Promise((r) => setTimeout(r, 5));
    for (const n of ['s1', 's2', 's3']) await pool.read(Buffer.from(n), n);
    expect(log.filter((l) => l.startsWith('B'))).toEqual(['B start s1', 'B end s1', 'B start s2', 'B end s2', 'B start s3', 'B end s3']);
    expect(log).not.toContain('A end big');
    await big;
  });

  it("a message's files are read side by side and come back in the order they were found", async () => {
    const log: string[] = [];
    // The first file is the slowest: its result still comes first.
    const pool = new ReaderPool([slowReader('A', (f) => (f === 'a.xlsx' ? 60 : 5), log), slowReader('B', (f) => (f === 'a.xlsx' ? 60 : 5), log)]);
    const broken: FoundFile = { ...file('broken.xlsx'), content: undefined, error: new UnreadableError('too-large', '文件过大') };
    const read = await readFiles([file('a.xlsx'), file('b.docx', 'docx'), broken, file('c.xlsx')], [pool]);
    expect(read.map((r) => [r.seq, r.filename, r.content?.text ?? null])).toEqual([
      [0, 'a.xlsx', 'a.xlsx: A.XLSX'],
      [1, 'b.docx', 'b.docx: B.DOCX'],
      [2, 'broken.xlsx', null],
      [3, 'c.xlsx', 'c.xlsx: C.XLSX'],
    ]);
    // b.docx went to the other reader and was done while a.xlsx was still being read.
    expect(log).toContain('B end b.docx');
    expect(log.indexOf('B end b.docx')).toBeLessThan(log.indexOf('A end a.xlsx'));
  });
});
