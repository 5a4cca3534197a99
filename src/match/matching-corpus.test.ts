import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRules } from '../rules/index.js';
import type { Unit } from '../rules/schema.js';
import { RULES_DIR, testApp, type TestApp } from '../testing/app.js';
import { planDocx, registrationXlsx } from '../testing/documents.js';
import { buildMail, type AttachmentInput, type MailInput } from '../testing/mail.js';

/**
 * Issue 4's acceptance suite: realistic messages, every unit of the roster at least once, in
 * the ways units really write (official names, short names, former names, abbreviations,
 * personal mailboxes, neutral file names, forwards), plus the traps. No message may be
 * assigned to a wrong unit; the ambiguous ones must go to review.
 */
const rules = loadRules(RULES_DIR);

interface Case {
  label: string;
  expect: string | null;
  mail: MailInput;
}

let seq = 0;
const received = () => new Date(Date.UTC(2021, 6, 10, 1, seq));

async function submission(opts: {
  from: { name?: string; address: string };
  subject: string;
  formUnit: string;
  planUnit: string;
  files?: [string, string];
  text?: string;
}): Promise<MailInput> {
  seq++;
  const [formName, planName] = opts.files ?? ['参赛报名表.xlsx', '竞赛实施方案.docx'];
  const attachments: AttachmentInput[] = [
    { filename: formName, content: await registrationXlsx({ rows: [{ unit: opts.formUnit, project: '职业技能竞赛', participants: '20', contact: '李华', phone: '0792-0000000' }] }), nameEncoding: seq % 2 ? 'rfc2047-gb2312-b' : 'rfc2231-utf8' },
    { filename: planName, content: await planDocx({ unit: opts.planUnit, title: '关于开展劳动和技能竞赛的实施方案' }), nameEncoding: 'rfc2047-utf8-b' },
  ];
  return { from: opts.from, subject: opts.subject, messageId: `<case${seq}@example.com>`, date: received(), received: received(), text: opts.text ?? '请查收。', attachments };
}

/** The name a unit's people use most: the first alias (短名), or the name itself. */
const short = (u: Unit) => u.aliases[0] ?? u.name;
const lastAlias = (u: Unit) => u.aliases[u.aliases.length - 1] ?? u.name;

async function rosterCases(): Promise<Case[]> {
  const cases: Case[] = [];
  for (const [i, u] of rules.units.entries()) {
    const personal = { name: ['张伟', '王芳', '李娜', '刘洋'][i % 4], address: `user${i}@qq.com` };
    switch (i % 4) {
      case 0: // an office mailbox with the unit's name as display name, files named after the unit
        cases.push({ label: `${u.id}: display name`, expect: u.id, mail: await submission({ from: { name: u.name, address: `office${i}@163.com` }, subject: `${short(u)}参赛报名表和实施方案`, formUnit: u.name, planUnit: u.name, files: [`${short(u)}报名表.xlsx`, `${short(u)}实施方案.docx`] }) });
        break;
      case 1: // a personal mailbox, neutral subject and file names: the form and the plan speak
        cases.push({ label: `${u.id}: personal mailbox, neutral names`, expect: u.id, mail: await submission({ from: personal, subject: '报送材料', formUnit: u.name, planUnit: u.name, files: ['附件1.xlsx', '附件2.docx'] }) });
        break;
      case 2: // another name people use (former name, abbreviation) in the subject, empty display name
        cases.push({ label: `${u.id}: alias ${lastAlias(u)}`, expect: u.id, mail: await submission({ from: { address: `x${i}@126.com` }, subject: `${lastAlias(u)}劳动竞赛材料`, formUnit: lastAlias(u), planUnit: u.name }) });
        break;
      default: // empty subject; the body and the documents name the unit
        cases.push({ label: `${u.id}: empty subject`, expect: u.id, mail: await submission({ from: personal, subject: '', formUnit: u.name, planUnit: u.name, text: `${u.name}报送参赛报名表和竞赛实施方案，请市总工会经济技术部查收。` }) });
    }
  }
  return cases;
}

async function trapCases(): Promise<Case[]> {
  const s = (from: MailInput['from'], subject: string, formUnit: string, planUnit = formUnit, files?: [string, string], text?: string) => submission({ from, subject, formUnit, planUnit, ...(files ? { files } : {}), ...(text ? { text } : {}) });
  const cases: Case[] = [
    { label: '庐山西海 is not 庐山市', expect: 'lushanxihai', mail: await s({ address: 'a1@qq.com' }, '庐山西海报名表', '庐山西海风景名胜区总工会') },
    { label: '庐山风景名胜区 is not 庐山市', expect: 'lushanfengjing', mail: await s({ address: 'a2@qq.com' }, '庐山管理局工会报送', '庐山风景名胜区管理局') },
    { label: '庐山市 itself', expect: 'lushanshi', mail: await s({ address: 'a3@qq.com' }, '庐山市总工会报名表', '庐山市总工会') },
    { label: '共青城市 is not a 城市', expect: 'gongqingcheng', mail: await s({ address: 'a4@qq.com' }, '共青城市报名材料', '共青城市总工会') },
    { label: 'former name 庐山区 is 濂溪区', expect: 'lianxi', mail: await s({ address: 'a5@qq.com' }, '庐山区总工会报名表', '庐山区总工会') },
    { label: 'former name 九江县 is 柴桑区', expect: 'chaisang', mail: await s({ address: 'a6@qq.com' }, '九江县参赛材料', '九江县总工会') },
    { label: 'former name 星子县 is 庐山市', expect: 'lushanshi', mail: await s({ address: 'a7@qq.com' }, '星子县报名表', '星子县总工会') },
    { label: 'abbreviation 市卫健委', expect: 'weijian', mail: await s({ address: 'a8@qq.com' }, '市卫健委劳动竞赛报名', '九江市卫健委') },
    { label: 'abbreviation 经开区', expect: 'jingkai', mail: await s({ address: 'a9@qq.com' }, '经开区报名表、实施方案', '九江经开区总工会') },
    { label: '瑞昌市总工会 contains 市总工会 but is 瑞昌', expect: 'ruichang', mail: await s({ address: 'a10@qq.com' }, '瑞昌市总工会报送', '瑞昌市总工会') },
    {
      label: 'the sender address says 浔阳区, the form says 修水县: review',
      expect: null,
      mail: await s({ name: '浔阳区总工会', address: 'xyqzgh@163.com' }, '报名表', '修水县总工会', '修水县总工会'),
    },
    {
      label: 'a personal mailbox with the display name 浔阳区总工会 sends 修水县\'s material: review',
      expect: null,
      mail: await s({ name: '浔阳区总工会', address: 'a13@qq.com' }, '修水县报名表', '修水县总工会', '修水县总工会', ['修水县报名表.xlsx', '修水县实施方案.docx']),
    },
    { label: 'only the organiser and the notice: review', expect: null, mail: await s({ address: 'a11@qq.com' }, '关于报送九江市劳动竞赛委员会通知材料', '', '市总工会', ['附件1.xlsx', '附件2.docx'], '市总工会经济技术部：根据九江市劳动竞赛委员会通知，各县（市、区）劳动竞赛委员会、总工会报送材料。') },
    { label: 'a form naming a unit not on the roster: review', expect: null, mail: await s({ name: '王芳', address: 'a12@163.com' }, '报名表', '某某有限公司工会', '某某有限公司工会', ['附件1.xlsx', '附件2.docx']) },
  ];
  // A form with no 填报单位 line whose rows name two roster enterprises, from a personal mailbox:
  // the first row is not who sent it (a department listing the enterprises under it).
  seq++;
  const twoUnits = await registrationXlsx({ filledBy: '', rows: [{ unit: '九江港口集团', project: '港口机械操作竞赛', participants: '30', contact: '陈刚', phone: '0792-0000001' }, { unit: '九江市公交集团', project: '公交驾驶员技能竞赛', participants: '25', contact: '陈刚', phone: '0792-0000001' }] });
  cases.push({ label: "a form whose rows name two roster units, no 填报单位 line: review", expect: null, mail: { from: { name: '陈刚', address: 'chengang1979@qq.com' }, subject: '劳动竞赛报名表', messageId: `<rows${seq}@qq.com>`, date: received(), received: received(), text: '请查收。', attachments: [{ filename: '报名表.xlsx', content: twoUnits }] } });
  // A unit's mail forwarded by someone at the organiser's office.
  seq++;
  const original = buildMail(await submission({ from: { name: '武宁县总工会', address: 'wn@163.com' }, subject: '武宁县参赛材料', formUnit: '武宁县总工会', planUnit: '武宁县总工会', files: ['附件1.xlsx', '附件2.docx'] }));
  cases.push({ label: 'forwarded 武宁县', expect: 'wuning', mail: { from: { name: '赵敏', address: 'zhaomin@sina.com' }, subject: '转发：参赛材料', messageId: `<fwd${seq}@sina.com>`, date: received(), received: received(), text: '转发，请查收', forwarded: [{ filename: '参赛材料.eml', raw: original }] } });
  return cases;
}

let app: TestApp;
let decided: Map<string, string | null>;
let all: Case[];

beforeAll(async () => {
  all = [...(await rosterCases()), ...(await trapCases())];
  app = await testApp();
  decided = new Map();
  for (const c of all) {
    const raw = buildMail(c.mail);
    const out = await app.pipeline.process({ source: `test:${c.label}`, raw, receivedAt: c.mail.received!, receivedBasis: 'received-header' });
    if (out.status !== 'decided') throw new Error(`${c.label}: ${JSON.stringify(out)}`);
    decided.set(c.label, out.decision.unit);
  }
}, 120_000);
afterAll(async () => app.cleanup());

describe('matching on realistic messages', () => {
  it('covers every unit of the roster and at least 40 messages', () => {
    expect(all.length).toBeGreaterThanOrEqual(40);
    const covered = new Set(all.map((c) => c.expect).filter(Boolean));
    for (const u of rules.units) expect(covered).toContain(u.id);
  });

  it('assigns no message to a wrong unit, and each to its own', () => {
    const wrong = all.filter((c) => decided.get(c.label) !== null && decided.get(c.label) !== c.expect).map((c) => `${c.label}: got ${decided.get(c.label)}`);
    expect(wrong).toEqual([]);
    const missed = all.filter((c) => decided.get(c.label) !== c.expect).map((c) => `${c.label}: got ${decided.get(c.label)}`);
    expect(missed).toEqual([]);
  });

  it('sends the doubtful ones to review with their evidence', async () => {
    const conflict = await app.db.selectFrom('messages').select(['reply_kind', 'match_json']).where('source', '=', 'test:the sender address says 浔阳区, the form says 修水县: review').executeTakeFirstOrThrow();
    expect(conflict.reply_kind).toBe('review');
    const match = JSON.parse(conflict.match_json!);
    expect(match.reason).toMatch(/conflicting evidence/);
    expect(match.evidence).toEqual(expect.arrayContaining([expect.objectContaining({ signal: 'address', unit: 'xunyang' }), expect.objectContaining({ signal: 'form_unit', unit: 'xiushui' })]));
  });
});
