import { describe, expect, it } from 'vitest';
import { loadRules } from '../rules/index.js';
import { RULES_DIR } from '../testing/app.js';
import { UnitMatcher, type MatchInput } from './unit-matcher.js';

const rules = loadRules(RULES_DIR);
const matcher = new UnitMatcher(rules.units, rules.matching, rules.campaign);
const input = (over: Partial<MatchInput>): MatchInput => ({ address: null, display_name: '', subject: '', filename: [], form_unit: [], document: [], body: '', forwarded_from: [], ...over });

describe('unit matching', () => {
  it('prefers the longest name: 庐山西海风景名胜区 is not 庐山市, 共青城市 is itself', () => {
    expect(matcher.match(input({ subject: '庐山西海风景名胜区报名表', filename: ['庐山西海实施方案.docx'] })).unit).toBe('lushanxihai');
    expect(matcher.match(input({ subject: '庐山市总工会报名表', filename: ['庐山市实施方案.docx'] })).unit).toBe('lushanshi');
    expect(matcher.match(input({ subject: '共青城市总工会参赛材料' })).unit).toBe('gongqingcheng');
  });

  it('never counts the organiser: 瑞昌市总工会 is 瑞昌, 九江市总工会 is nobody', () => {
    const r = matcher.match(input({ subject: '瑞昌市总工会报送材料', body: '九江市总工会经济技术部：附件请查收。' }));
    expect(r.unit).toBe('ruichang');
    expect(r.evidence.every((e) => e.unit === 'ruichang')).toBe(true);
    const none = matcher.match(input({ subject: '转发九江市劳动竞赛委员会通知', body: '市总工会经济技术部' }));
    expect(none).toMatchObject({ unit: null, evidence: [] });
  });

  it('knows former names', () => {
    expect(matcher.match(input({ subject: '庐山区总工会报名表' })).unit).toBe('lianxi');
    expect(matcher.match(input({ subject: '九江县参赛材料' })).unit).toBe('chaisang');
    expect(matcher.match(input({ subject: '星子县总工会' })).unit).toBe('lushanshi');
  });

  it('explains itself: every signal with its weight', () => {
    const r = matcher.match(input({ address: 'xyqzgh@163.com', subject: '浔阳区报名表', form_unit: ['浔阳区总工会'] }));
    expect(r.unit).toBe('xunyang');
    expect(r.evidence).toEqual([
      { signal: 'address', unit: 'xunyang', match: 'xyqzgh@163.com', weight: 3 },
      { signal: 'subject', unit: 'xunyang', match: '浔阳区', weight: 1.5 },
      { signal: 'form_unit', unit: 'xunyang', match: '浔阳区总工会', weight: 2.5 },
    ]);
    expect(r.score).toBe(7);
  });

  it('sends weak or conflicting evidence to review', () => {
    expect(matcher.match(input({ document: ['德安县'] }))).toMatchObject({ unit: null, reason: expect.stringContaining('below the threshold') });
    const conflict = matcher.match(input({ address: 'xyqzgh@163.com', form_unit: ['修水县总工会'], subject: '报名表' }));
    expect(conflict.unit).toBeNull();
    expect(conflict.reason).toMatch(/conflicting evidence/);
    expect(new Set(conflict.evidence.map((e) => e.unit))).toEqual(new Set(['xunyang', 'xiushui']));
  });

  it('sends a display name that contradicts the content to review, however strong the content', () => {
    // A personal mailbox named 浔阳区总工会 sending 修水县's form and plan: 修水县 leads by far on
    // score, but who the sender says it is names another unit.
    const named = matcher.match(input({ address: 'someone@qq.com', display_name: '浔阳区总工会', subject: '修水县报名表', filename: ['修水县实施方案.docx'], form_unit: ['修水县总工会'], document: ['修水县总工会'] }));
    expect(named).toMatchObject({ unit: null, reason: 'conflicting evidence: form_unit names xiushui, display_name names xunyang' });
    // Without a form: the plan and the names speak for 修水县, the display name for 浔阳区.
    const noForm = matcher.match(input({ display_name: '浔阳区总工会', subject: '修水县实施方案', filename: ['修水县实施方案.docx'], document: ['修水县总工会'] }));
    expect(noForm).toMatchObject({ unit: null, reason: 'conflicting evidence: subject names xiushui, display_name names xunyang' });
    // The same display name agreeing with the content is simply more evidence.
    expect(matcher.match(input({ display_name: '修水县总工会', subject: '修水县报名表', form_unit: ['修水县总工会'] })).unit).toBe('xiushui');
  });
});

describe('the notice itself', () => {
  it('names no unit: quoting the whole seed notice is no evidence for anyone', async () => {
    const { readFileSync } = await import('node:fs');
    const { sharedPath } = await import('../testing/app.js');
    const notice = readFileSync(sharedPath('seed', '000_a6ecc3133544287b.txt'), 'utf8');
    expect(notice).toContain('jjszjjb@sina.com');
    expect(matcher.match(input({ body: notice, document: [notice], subject: '转发：关于在全市职工中广泛开展主题劳动和技能竞赛的通知' }))).toMatchObject({ unit: null, evidence: [] });
  });
});
