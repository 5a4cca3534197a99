import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyRules } from '../testing/app.js';
import { problemsAfter } from '../testing/rule-problems.js';

/** The problems `rules check` reports with `templates/ack.txt` holding `text`. */
function ackProblems(text: string): string[] {
  return problemsAfter((dir) => writeFileSync(join(dir, 'templates', 'ack.txt'), text));
}

const shippedAck = () => readFileSync(join(copyRules(), 'templates', 'ack.txt'), 'utf8');

describe('rules check: Liquid syntax errors in a template, at their line and column', () => {
  it('an {% if %} never closed, on its own and inside a {% for %}', () => {
    expect(ackProblems('您好：\n收到 {% if late %}逾期\n谢谢\n')).toEqual(['templates/ack.txt:2:4: {% if late %} is not closed: add {% endif %} where its part ends']);
    expect(ackProblems('您好：\n{% for m in missing %}\n  - {% if m.label %}{{ m.label }}\n{% endfor %}\n')).toEqual([
      'templates/ack.txt:3:5: {% if m.label %} is not closed: add {% endif %} where its part ends, before the {% endfor %} on line 4',
    ]);
  });

  it('a closing tag or an {% else %} with nothing to belong to', () => {
    expect(ackProblems('您好：\n\n  {% endif %}\n')).toEqual(['templates/ack.txt:3:3: {% endif %} has no {% if … %} before it to close: remove it, or add the {% if … %} it belongs to']);
    expect(ackProblems('{% for m in missing %}{{ m.label }}{% endfor %}\n{% else %}\n')).toEqual(['templates/ack.txt:2:1: {% else %} is not inside {% if %} or {% unless %} or {% case %} or {% for %}: move it there or remove it']);
  });

  it('an unknown filter, at the filter, with the one probably meant', () => {
    expect(ackProblems('您好：\n单位：{{ unit.name | upcse }}\n')).toEqual([
      'templates/ack.txt:2:19: unknown filter "upcse" (did you mean "upcase"?): check the spelling (the filters are listed at https://liquidjs.com/filters/overview.html)',
    ]);
    expect(ackProblems('{% for m in missing %}\n  {{ m.label | nosuch }}\n{% endfor %}\n')).toEqual([expect.stringMatching(/^templates\/ack\.txt:2:16: unknown filter "nosuch": check the spelling/)]);
  });

  it('an unknown tag, an unclosed {{ and a "|" without a filter; no file path or liquidjs position left in the message', () => {
    expect(ackProblems('您好：\n {% iff late %}x{% endif %}\n')).toEqual([
      'templates/ack.txt:2:2: unknown tag {% iff late %} (did you mean "if"?): check the spelling (the tags are listed at https://liquidjs.com/tags/overview.html)',
    ]);
    expect(ackProblems('您好：\n单位：{{ unit.name \n谢谢\n')).toEqual(['templates/ack.txt:2:4: this {{ is not closed: end the variable with }} on the same line']);
    expect(ackProblems('您好：\n{{ unit.name || upcase }}\n')).toEqual([expect.stringMatching(/^templates\/ack\.txt:2:\d+: a "\|" with no filter name after it/)]);
    for (const p of ackProblems(shippedAck() + '\n{% if late %}\n')) expect(p).not.toMatch(/file:|line:\d|col:\d/);
  });
});

describe('rules check: pairing the tags of a long template', () => {
  it('takes milliseconds, and still reports an unclosed tag at its line', async () => {
    const { Liquid } = await import('liquidjs');
    const { unpairedTag } = await import('./template-errors.js');
    const engine = new Liquid();
    const text = '{% for m in missing %}{{ m.label }}{% endfor %}文字\n'.repeat(8000) + '{% if late %}\n';
    const started = performance.now();
    const problem = unpairedTag(engine, text, 'ack.txt');
    // Every tag's place counted from the start of the template took 9 s for these 16,000 tags.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(problem).toEqual({ file: 'ack.txt', line: 8001, column: 1, message: '{% if late %} is not closed: add {% endif %} where its part ends' });
  });
});
