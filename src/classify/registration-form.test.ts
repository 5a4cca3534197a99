import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRules } from '../rules/index.js';
import { REPO } from '../testing/app.js';
import { classifyDocument } from './document-kind.js';
import { phoneLooksValid, readRegistrationForm } from './registration-form.js';

const rules = loadRules(join(REPO, 'rules')).documents;

describe('reading a registration form', () => {
  it('finds the header under titles, takes the head noun of a header, and stops at the footer', () => {
    const form = readRegistrationForm(
      [
        [['填表说明'], ['1. 每个项目一行']],
        [
          ['2021年劳动竞赛报名表'],
          ['填报单位：武宁县总工会'],
          ['序号', '单位联系人', '联系人电话', '项目名称', '参赛规模'],
          ['1', '李华', '0792-2821234转8001', '电工竞赛', '30人'],
          ['', '', '', '', ''],
          ['合计', '', '', '', '30人'],
          ['填表人：李华'],
          ['2', '不是数据', '', '', ''],
        ],
      ],
      rules,
    );
    expect(form.rows).toEqual([{ contact: '李华', phone: '0792-2821234转8001', project: '电工竞赛', participants: '30人' }]);
    expect(form).toMatchObject({ unit: '武宁县总工会', unitSource: 'label', table: 1, headerRow: 2, problems: [] });
  });

  it("takes the unit that filled the form in from its 填报单位 line, not from the first unit taking part", () => {
    // 市国资委's form lists the enterprises under it, each a roster unit of its own: the form is
    // 市国资委's, not 九江港口集团's.
    const form = readRegistrationForm(
      [
        [
          ['“建功‘十四五’、奋进新征程”主题劳动和技能竞赛参赛报名表'],
          ['填报单位（盖章）：九江市国资委', '', '', '', '填报日期：2021年7月'],
          ['序号', '参赛单位', '竞赛项目', '参赛人数', '联系人', '联系电话'],
          ['1', '九江港口集团有限公司', '职业技能竞赛', '30', '陈刚', '13907921111'],
          ['2', '九江市公共交通集团有限公司', '职业技能竞赛', '30', '陈刚', '13907921111'],
        ],
      ],
      rules,
    );
    expect(form).toMatchObject({ unit: '九江市国资委', unitSource: 'label', headerRow: 2, problems: [] });
    expect(form.rows.map((r) => r.unit)).toEqual(['九江港口集团有限公司', '九江市公共交通集团有限公司']);
    // A line left blank, the date's label beside it, names no unit: the column does.
    const blank = readRegistrationForm(
      [[['填报单位（盖章）：          填报日期：2021年7月'], ['参赛单位', '竞赛项目', '联系人', '联系电话'], ['瑞昌市总工会', '铜矿技能比武', '周强', '13907925555']]],
      rules,
    );
    expect(blank).toMatchObject({ unit: '瑞昌市总工会', unitSource: 'column' });
    // Without that line, the unit column names the unit.
    const bare = readRegistrationForm([[['参赛单位', '竞赛项目', '联系人', '联系电话'], ['瑞昌市总工会', '铜矿技能比武', '周强', '13907925555']]], rules);
    expect(bare).toMatchObject({ unit: '瑞昌市总工会', unitSource: 'column' });
  });

  it('reads a group header with sub-headers under it', () => {
    const form = readRegistrationForm(
      [
        [
          ['参赛单位', '竞赛项目', '联系人', '联系人'],
          ['', '', '姓名', '手机'],
          ['瑞昌市总工会', '铜矿技能比武', '周强', '13907925555'],
        ],
      ],
      rules,
    );
    expect(form.rows).toEqual([{ unit: '瑞昌市总工会', project: '铜矿技能比武', contact: '周强', phone: '13907925555' }]);
  });

  it('reads label/value pairs, and names what is missing', () => {
    const form = readRegistrationForm([[['参赛单位', '德安县总工会', '联系人', '吴刚'], ['竞赛项目', '纺织技能竞赛', '联系电话', '']]], rules);
    expect(form.rows).toEqual([{ unit: '德安县总工会', contact: '吴刚', project: '纺织技能竞赛' }]);
    expect(form.problems.map((p) => p.code)).toEqual(['no-phone']);
  });

  it('says when there is no header, or a header and no rows', () => {
    expect(readRegistrationForm([[['一、指导思想'], ['二、组织领导']]], rules).problems.map((p) => p.code)).toEqual(['no-header']);
    expect(readRegistrationForm([[['参赛单位', '联系人', '联系电话'], ['', '', '']]], rules).problems.map((p) => p.code)).toEqual(['no-rows']);
  });

  it('judges phone numbers as dialled in China', () => {
    for (const ok of ['13907921234', '+8613907921234', '0792-8211001', '(0792)8211001', '8211001', '0792-8211001 / 13907921234', '0792-8211001（办）', '139 0792 5678', '0792-2821234转8001']) expect(phoneLooksValid(ok), ok).toBe(true);
    for (const bad of ['1397921234', '12345', '电话', '0792-12', '139079212345']) expect(phoneLooksValid(bad), bad).toBe(false);
  });
});

describe('classifying by content first', () => {
  it('a plan named 报名表 is a plan; a form named 方案 is a form', () => {
    const plan = { text: '修水县劳动竞赛实施方案\n一、指导思想\n二、组织领导\n三、竞赛内容\n四、工作要求', tables: [] };
    expect(classifyDocument('修水县报名表.docx', plan, rules).kinds).toEqual(['plan']);
    const form = { text: '参赛报名表', tables: [[['参赛单位', '竞赛项目', '联 系 人', '联系\n电话'.replace('\n', ' ')]]] };
    expect(classifyDocument('方案.xlsx', form, rules).kinds).toEqual(['registration']);
  });

  it('the file name decides only when the content says nothing', () => {
    expect(classifyDocument('参赛报名表.xlsx', { text: 'Sheet1\n1 2 3', tables: [] }, rules).kinds).toEqual(['registration']);
    expect(classifyDocument('附件1.xlsx', { text: 'Sheet1\n1 2 3', tables: [] }, rules).kinds).toEqual([]);
  });
});
