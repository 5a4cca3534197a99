import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { copyRules, RULES_DIR } from '../testing/app.js';
import { problemsAfter, replaceIn } from '../testing/rule-problems.js';
import { loadRules } from './index.js';
import { renderReply, SAMPLE_CONTEXT } from './templates.js';

describe('rules', () => {
  it('loads the shipped rules: the seed roster, deadline and templates', () => {
    const r = loadRules(RULES_DIR);
    expect(r.campaign.mailbox).toBe('jjszjjb@sina.com');
    expect(r.cutoff.toISOString()).toBe('2021-07-22T15:59:59.000Z');
    expect(r.campaign.required).toEqual(['registration', 'plan']);
    const ids = r.units.map((u) => u.id);
    for (const id of ['xunyang', 'lianxi', 'chaisang', 'wuning', 'xiushui', 'yongxiu', 'dean', 'duchang', 'hukou', 'pengze', 'ruichang', 'gongqingcheng', 'lushanshi', 'jingkai']) {
      expect(ids).toContain(id);
    }
    expect(r.units.length).toBeGreaterThanOrEqual(40);
    expect(r.units.find((u) => u.id === 'lianxi')!.aliases).toContain('庐山区');
  });

  it('names file, line and fix for an unknown field', () => {
    expect(problemsAfter((d) => replaceIn(d, 'campaign.yaml', 'grace_minutes: 0', 'grace_minute: 0'))).toEqual([
      expect.stringMatching(/^campaign\.yaml:\d+:1: unknown field "grace_minute": check the spelling or remove it$/),
    ]);
  });

  it('names the line of a deadline without an offset', () => {
    const dir = copyRules();
    const lines = readFileSync(join(dir, 'campaign.yaml'), 'utf8').split('\n');
    const line = lines.findIndex((l) => l.startsWith('deadline:')) + 1;
    const problems = problemsAfter((d) => replaceIn(d, 'campaign.yaml', 'deadline: 2021-07-22T23:59:59+08:00', 'deadline: 2021-07-22'));
    expect(problems).toEqual([`campaign.yaml:${line}:11: deadline: 2021-07-22 is a date without a time: add the time and the offset, e.g. 2021-07-22T23:59:59+08:00 for the end of that day`]);
  });

  it('refuses a name on two units, an organiser name as alias, and a YAML syntax error', () => {
    expect(problemsAfter((d) => replaceIn(d, 'units.yaml', 'aliases: [武宁县, 武宁县劳动竞赛委员会, 武宁]', 'aliases: [武宁县, 浔阳区, 市总工会]'))).toEqual([
      expect.stringMatching(/^units\.yaml:\d+:\d+: "浔阳区" is also a name of unit "xunyang" \(line \d+\): a name may belong to one unit only: remove it here or there$/),
      expect.stringMatching(/^units\.yaml:\d+:\d+: "市总工会" is one of the organiser's own names \(campaign\.yaml organiser\.names\): remove it here$/),
    ]);
    expect(problemsAfter((d) => replaceIn(d, 'documents.yaml', '    label: 参赛报名表', '    label: [参赛报名表'))).toEqual([expect.stringMatching(/^documents\.yaml:(7|8):\d+: YAML: .*\(check indentation, colons and quoting\)$/)]);
  });

  it('catches a template that uses an unknown variable, with its line', () => {
    const problems = problemsAfter((d) => {
      const p = join(d, 'templates', 'ack.txt');
      writeFileSync(p, '第一行\n{{ unit.nmae }}\n' + readFileSync(p, 'utf8'));
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^templates\/ack\.txt:2:\d+: undefined variable: unit\.nmae/);
  });

  it('reports a missing file', () => {
    const problems = problemsAfter((d) => rmSync(join(d, 'templates', 'late.txt')));
    expect(problems).toEqual(['templates/late.txt:1:1: reply template "late" is missing: create late.txt (see the README, "Reply templates")']);
  });

  it('refuses a file saved as GBK, at the line of its first Chinese character, with the command that fixes it', () => {
    const toGbk = (d: string, file: string) => writeFileSync(join(d, file), iconv.encode(readFileSync(join(d, file), 'utf8'), 'gbk'));
    const problems = problemsAfter((d) => {
      toGbk(d, 'campaign.yaml');
      toGbk(d, 'templates/ack.txt');
    });
    const titleLine = readFileSync(join(RULES_DIR, 'campaign.yaml'), 'utf8').split('\n').findIndex((l) => l.startsWith('title:')) + 1;
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^campaign\\.yaml:${titleLine}:8: not UTF-8 text .*save it as UTF-8, e\\.g\\. \`iconv -f GBK -t UTF-8 .*campaign\\.yaml > fixed`)),
      expect.stringMatching(/^templates\/ack\.txt:\d+:\d+: not UTF-8 text/),
    ]);
  });

  it('drops a byte-order mark: it reaches neither a YAML key nor the first line of a reply', () => {
    const dir = copyRules();
    for (const file of ['campaign.yaml', 'templates/ack.txt']) writeFileSync(join(dir, file), '\uFEFF' + readFileSync(join(dir, file), 'utf8'));
    const r = loadRules(dir);
    expect(r.campaign.title).toBe(loadRules(RULES_DIR).campaign.title);
    const body = renderReply(r.templates, 'ack', SAMPLE_CONTEXT);
    expect(body.length).toBeGreaterThan(20);
    expect(body).toBe(renderReply(loadRules(RULES_DIR).templates, 'ack', SAMPLE_CONTEXT));
  });

  it('refuses a threshold the weights cannot reach, and a required item nothing can recognise', () => {
    const problems = problemsAfter((d) => {
      replaceIn(d, 'units.yaml', 'threshold: 1.5', 'threshold: 15');
      const p = join(d, 'documents.yaml');
      const text = readFileSync(p, 'utf8');
      const plan = text.slice(text.indexOf('\n  plan:'));
      const emptied = plan.replace(/^( {4}(filename_keywords|content_keywords|structure_keywords|table_headers)): \[.*\]$/gm, '$1: []');
      expect(emptied).not.toBe(plan);
      writeFileSync(p, text.replace(plan, emptied));
    });
    expect(problems).toEqual([
      expect.stringMatching(/^units\.yaml:\d+:\d+: threshold 15 cannot be reached: the weights add up to 12\.5 at most/),
      expect.stringMatching(/^documents\.yaml:\d+:5: nothing can recognise a 竞赛实施方案 \(plan\), which campaign\.yaml requires: list filename_keywords or content_keywords/),
    ]);
  });
});

