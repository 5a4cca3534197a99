import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadRules, RulesError } from '../rules/index.js';
import { copyRules } from '../testing/app.js';

function withLimits(block: string): string {
  const dir = copyRules();
  const p = join(dir, 'documents.yaml');
  const text = readFileSync(p, 'utf8');
  writeFileSync(p, text.slice(0, text.indexOf('limits:')) + block);
  return dir;
}

describe('rules/documents.yaml limits', () => {
  it('are all optional: a partial block keeps the defaults for the rest', () => {
    const r = loadRules(withLimits('limits:\n  max_depth: 2\n  max_files: 50\n'));
    expect(r.documents.limits).toEqual({
      max_attachment_bytes: 25 * 1024 * 1024,
      max_expanded_bytes: 100 * 1024 * 1024,
      max_archive_entries: 500,
      max_files: 50,
      max_depth: 2,
      max_compression_ratio: 200,
      max_text_chars: 20000,
    });
  });

  it('are validated, each problem naming file and line', () => {
    const dir = withLimits('limits:\n  max_attachment_bytes: -1\n  max_zip_entries: 10\n');
    let problems: string[] = [];
    try {
      loadRules(dir);
    } catch (err) {
      if (!(err instanceof RulesError)) throw err;
      problems = err.problems.map((p) => formatProblem(p).replace(dir + '/', ''));
    }
    expect(problems).toHaveLength(2);
    expect(problems).toContainEqual(expect.stringMatching(/^documents\.yaml:27:\d+: limits\.max_attachment_bytes: /));
    expect(problems).toContainEqual(expect.stringMatching(/^documents\.yaml:\d+:\d+: limits: unknown field "max_zip_entries"/));
  });
});
