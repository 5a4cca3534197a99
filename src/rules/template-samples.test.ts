import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyRules } from '../testing/app.js';
import { problemsAfter } from '../testing/rule-problems.js';
import { reminderSamples, replySamples } from './template-samples.js';

/** The problems `rules check` reports after appending `extra` to a template. */
function problemsWith(template: string, extra: string): string[] {
  return problemsAfter((dir) => {
    const p = join(dir, 'templates', template);
    writeFileSync(p, readFileSync(p, 'utf8') + extra);
  });
}

const linesOf = (template: string) => readFileSync(join(copyRules(), 'templates', template), 'utf8').split('\n').length;

describe('rules check renders each template with samples that reach every {% for %} body and branch', () => {
  it('a mistake inside a {% for %} over links (no links in a typical reply) is found', () => {
    const line = linesOf('review.txt');
    expect(problemsWith('review.txt', '{% for l in links %}\n  {{ l.uri }}\n{% endfor %}\n')).toEqual([
      `templates/review.txt:${line + 1}:6: undefined variable: l.uri (use only the variables listed in the README, "Reply templates"); found rendering it with sample data where on time, not complete, every list has entries, the paper copy is required and not yet received`,
    ]);
  });

  it('a mistake met only for a late item on file, or only for a late reply, is found', () => {
    const line = linesOf('ack.txt');
    expect(problemsWith('ack.txt', '{% for f in on_file %}{% if f.late %}{{ f.lateness }}{% endif %}{% endfor %}\n')).toEqual([
      expect.stringMatching(new RegExp(`^templates/ack\\.txt:${line}:\\d+: undefined variable: f\\.lateness .*; found rendering it with sample data where on time, not complete, every list has entries`)),
    ]);
    expect(problemsWith('late.txt', '{% if complete and complete_on_time == false %}{{ campaign.dealine }}{% endif %}\n')).toEqual([
      expect.stringMatching(/^templates\/late\.txt:\d+:\d+: undefined variable: campaign\.dealine .*; found rendering it with sample data where late, complete only now, /),
    ]);
  });

  it('the first missing item of a complete unit (an empty list) is found, in the reminder too', () => {
    const line = linesOf('ack.txt');
    expect(problemsWith('ack.txt', '{{ missing.first.label }}\n')).toEqual([
      `templates/ack.txt:${line}:4: missing.first does not exist when missing is empty: put it inside {% if missing.size > 0 %} … {% endif %}; found rendering it with sample data where on time, complete, every list has entries, the paper copy is required and not yet received`,
    ]);
    expect(problemsWith('reminder.txt', '{{ on_file.first.filename }}\n')).toEqual([
      expect.stringMatching(/^templates\/reminder\.txt:\d+:4: on_file\.first does not exist when on_file is empty: .*where nothing on file yet, /),
    ]);
  });

  it('every list has entries in some sample and is empty in another; every flag is both true and false', () => {
    for (const samples of [replySamples('review'), replySamples('ack'), reminderSamples()]) {
      const contexts = samples.map((s) => s.context as unknown as Record<string, unknown>);
      for (const key of Object.keys(contexts[0]!)) {
        const values = contexts.map((c) => c[key]);
        if (Array.isArray(values[0])) {
          expect(values.some((v) => (v as unknown[]).length > 0), key).toBe(true);
          expect(values.some((v) => (v as unknown[]).length === 0), key).toBe(true);
        }
        if (typeof values[0] === 'boolean') expect(new Set(values).size, key).toBe(2);
      }
      for (const flag of ['required', 'received', 'late'] as const) expect(new Set(contexts.map((c) => (c.paper as Record<string, unknown>)[flag])).size, flag).toBe(2);
    }
    expect(replySamples('review').some((s) => s.context.unit === null)).toBe(true);
    expect(replySamples('ack').some((s) => s.context.unit === null)).toBe(false);
  });
});
