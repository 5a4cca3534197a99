import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES_DIR } from '../testing/app.js';
import { problemsAfter } from '../testing/rule-problems.js';
import { checkRoster } from './roster-check.js';
import { UnitsFileSchema } from './schema.js';
import { YamlFile } from './yaml-file.js';

/** The problems `rules check` reports for units.yaml after `edit`, as "line: message". */
function rosterProblems(edit: (units: string) => string, editCampaign: (campaign: string) => string = (c) => c): string[] {
  return problemsAfter((dir) => {
    const units = join(dir, 'units.yaml');
    const campaign = join(dir, 'campaign.yaml');
    writeFileSync(units, edit(readFileSync(units, 'utf8')));
    writeFileSync(campaign, editCampaign(readFileSync(campaign, 'utf8')));
  });
}

/** Replaces exactly one occurrence of `from`. */
function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`"${from}" is not in the text exactly once`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

const shipped = readFileSync(join(RULES_DIR, 'units.yaml'), 'utf8').split('\n');
/** The 1-based line of the shipped units.yaml that contains `text` (once). */
function lineOf(text: string): number {
  const found = shipped.flatMap((l, i) => (l.includes(text) ? [i + 1] : []));
  if (found.length !== 1) throw new Error(`"${text}" is on ${found.length} lines of units.yaml`);
  return found[0]!;
}

describe('roster check: a clash is reported at the later entry, naming the earlier one', () => {
  it('a duplicate id, a name on two units and an address on two units', () => {
    const problems = rosterProblems((t) => {
      t = replaceOnce(t, 'id: yongxiu', 'id: xiushui');
      t = replaceOnce(t, 'aliases: [都昌县, 都昌县劳动竞赛委员会, 都昌]', 'aliases: [都昌县, 都昌县劳动竞赛委员会, 都昌, 修水]');
      return replaceOnce(t, 'addresses: [dcxzgh@qq.com]', 'addresses: [dcxzgh@qq.com, XSXZGH@163.com]');
    });
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^units\\.yaml:${lineOf('id: yongxiu')}:\\d+: duplicate unit id "xiushui" \\(also the unit at line ${lineOf('id: xiushui')}\\): ids must be unique: change one of them$`)),
      expect.stringMatching(new RegExp(`^units\\.yaml:${lineOf('都昌县劳动竞赛委员会')}:\\d+: "修水" is also a name of unit "xiushui" \\(line ${lineOf('修水县劳动竞赛委员会')}\\): a name may belong to one unit only: remove it here or there$`)),
      expect.stringMatching(new RegExp(`^units\\.yaml:${lineOf('dcxzgh@qq.com')}:\\d+: address XSXZGH@163\\.com is also listed for unit "xiushui" \\(line ${lineOf('xsxzgh@163.com')}\\): an address may belong to one unit only: remove it here or there$`)),
    ]);
  });

  it('the earlier entry is not reported: listed on a unit above, the report moves down', () => {
    // 修水县劳动竞赛委员会 also listed on 武宁 (above 修水县's entry): the report is at 修水县's own entry, naming 武宁's line.
    const problems = rosterProblems((t) => replaceOnce(t, 'aliases: [武宁县, 武宁县劳动竞赛委员会, 武宁]', 'aliases: [武宁县, 武宁县劳动竞赛委员会, 武宁, 修水县劳动竞赛委员会]'));
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^units\\.yaml:${lineOf('修水县劳动竞赛委员会')}:\\d+: "修水县劳动竞赛委员会" is also a name of unit "wuning" \\(line ${lineOf('武宁县劳动竞赛委员会')}\\)`)),
    ]);
  });
});

describe('roster check: names that cannot identify a unit', () => {
  it('refuses an alias that is only a generic word for a kind of body (工会, 县总工会, 人民政府, 办公室)', () => {
    const problems = rosterProblems((t) => {
      t = replaceOnce(t, 'aliases: [修水县, 修水县劳动竞赛委员会, 修水]', 'aliases: [修水县, 修水县劳动竞赛委员会, 修水, 县总工会, 人民政府]');
      return replaceOnce(t, 'aliases: [都昌县, 都昌县劳动竞赛委员会, 都昌]', 'aliases: [都昌县, 都昌县劳动竞赛委员会, 都昌, 工 会, 办公室]');
    });
    const generic = (line: number, text: string, name: string) =>
      expect.stringMatching(new RegExp(`^units\\.yaml:${line}:\\d+: "${text}" only says what kind of body this is \\(a 工会, a 委员会, a 局\\) and is in the mail of nearly every unit: it would count that mail for this unit: remove it, or write it with the unit's own name \\(as in "${name}"\\)$`));
    expect(problems).toEqual([
      generic(lineOf('修水县劳动竞赛委员会'), '县总工会', '修水县总工会'),
      generic(lineOf('修水县劳动竞赛委员会'), '人民政府', '修水县总工会'),
      generic(lineOf('都昌县劳动竞赛委员会'), '工 会', '都昌县总工会'),
      generic(lineOf('都昌县劳动竞赛委员会'), '办公室', '都昌县总工会'),
    ]);
  });

  it('refuses a unit name that is only a generic word, asking for the full name', () => {
    const problems = rosterProblems((t) => replaceOnce(t, 'name: 九江市水利局', 'name: 管理局'));
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^units\\.yaml:${lineOf('name: 九江市水利局')}:\\d+: "管理局" only says what kind of body this is .*: write the unit's full name here, with its place`))]);
  });
});

describe("roster check: a name inside another unit's name", () => {
  it('refuses 庐山 for 庐山市: 庐山区, 庐山西海 and 庐山风景区 mail written any other way would count for 庐山市', () => {
    const problems = rosterProblems((t) => replaceOnce(t, 'aliases: [庐山市, 庐山市劳动竞赛委员会, 星子县, 星子县总工会]', 'aliases: [庐山市, 庐山市劳动竞赛委员会, 星子县, 星子县总工会, 庐山]'));
    expect(problems).toEqual([
      `units.yaml:${lineOf('星子县总工会]')}:${shipped[lineOf('星子县总工会]') - 1]!.indexOf(']') + 3}: "庐山" is part of "庐山区", a name of unit "lianxi" (line ${lineOf('庐山区, 庐山区总工会')}) (it is also part of "庐山西海风景名胜区总工会" of unit "lushanxihai" (line ${lineOf('name: 庐山西海风景名胜区总工会')}), "庐山风景名胜区总工会" of unit "lushanfengjing" (line ${lineOf('name: 庐山风景名胜区总工会')})): the longer name wins only where it is written out in full, so mail that writes those units any other way with "庐山" in it would count for this unit: use a longer name here, or remove it`,
    ]);
  });

  it('refuses a name inside the name of a unit listed after it: 九江供电 in a new 九江供电段', () => {
    // 九江供电 is 国网九江供电公司's; a new unit 九江供电段 (the railway's) would put it inside another unit's name.
    const problems = rosterProblems((t) => t + '  - id: gongdianduan\n    name: 九江供电段\n    kind: enterprise\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^units\\.yaml:${lineOf('国网九江供电, 九江供电,')}:\\d+: "九江供电" is part of "九江供电段", a name of unit "gongdianduan" \\(line ${shipped.length + 1}\\): `));
  });
});

describe("roster check: an alias and the organiser's names", () => {
  it('refuses an alias inside an organiser name: 经济技术 (for 经济技术开发区) is part of 经济技术部', () => {
    const problems = rosterProblems((t) => replaceOnce(t, '九江开发区, 经开区总工会]', '九江开发区, 经开区总工会, 经济技术]'));
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^units\\.yaml:${lineOf('经开区总工会]')}:\\d+: "经济技术" is part of the organiser's name "九江市总工会经济技术部" \\(campaign\\.yaml organiser\\): the organiser's own text, and the notice units quote back, written any way that keeps "经济技术" would count for this unit: remove it here$`)),
    ]);
  });

  it('refuses an alias holding an organiser name and nothing of the unit (江西省九江市总工会 is the organiser written longer)', () => {
    const problems = rosterProblems((t) => replaceOnce(t, 'aliases: [市水利局, 市水利工会]', 'aliases: [市水利局, 市水利工会, 江西省九江市总工会]'));
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^units\\.yaml:${lineOf('[市水利局, 市水利工会]')}:\\d+: "江西省九江市总工会" contains the organiser's name "九江市总工会" and none of this unit's other names \\(as 瑞昌市劳动竞赛委员会 contains 瑞昌市\\): .*: remove it, or, if it is another body, also list the part of it that names this unit alone as an alias$`)),
    ]);
  });

  it('accepts 共青城市劳动竞赛委员会 through 共青城, and refuses it once nothing else names the unit', () => {
    // The shipped roster has it, with 共青城市 and 共青城 beside it: read without the alias, the text is still 共青城市.
    expect(rosterProblems((t) => t)).toEqual([]);
    const problems = rosterProblems((t) => replaceOnce(t, 'aliases: [共青城市, 共青城, 共青城市劳动竞赛委员会]', 'aliases: [共青城市劳动竞赛委员会]'));
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^units\\.yaml:${lineOf('[共青城市, 共青城, 共青城市劳动竞赛委员会]')}:\\d+: "共青城市劳动竞赛委员会" contains the organiser's name "市劳动竞赛委员会" and none of this unit's other names`))]);
  });
});

describe("roster check: the campaign's own mailbox", () => {
  it('refuses it as a unit address, whatever its case', () => {
    const problems = rosterProblems((t) => replaceOnce(t, 'addresses: [csqzgh@126.com]', 'addresses: [csqzgh@126.com, JJSZJJB@sina.com]'));
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^units\\.yaml:${lineOf('csqzgh@126.com')}:\\d+: JJSZJJB@sina\\.com is the campaign's own mailbox \\(campaign\\.yaml mailbox\\): mail from it is ours and never a unit's: remove it here$`)),
    ]);
  });
});

describe('roster check: a long roster', () => {
  it('checks 2,000 units, each with a name and four aliases, in well under a second', () => {
    // Names of four random CJK characters each (as distinct from each other as real names).
    let seed = 1;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const seen = new Set<string>();
    const units = Array.from({ length: 2000 }, (_, i) => {
      let base = '';
      while (base === '' || seen.has(base)) base = Array.from({ length: 4 }, () => String.fromCharCode(0x4e00 + Math.floor(random() * 20000))).join('');
      seen.add(base);
      return `  - id: u${i}\n    name: ${base}有限公司\n    aliases: [${base}有限公司工会, ${base}公司, 九江${base}, ${base}集团]\n    addresses: [u${i}@example.com]\n`;
    });
    const dir = mkdtempSync(join(tmpdir(), 'roster-'));
    const shippedText = readFileSync(join(RULES_DIR, 'units.yaml'), 'utf8');
    writeFileSync(join(dir, 'units.yaml'), shippedText.slice(0, shippedText.indexOf('\nunits:\n') + 8) + units.join(''));
    const file = YamlFile.read(join(dir, 'units.yaml'));
    const parsed = file.parse(UnitsFileSchema);
    expect(parsed.problems).toEqual([]);
    const started = performance.now();
    const problems = checkRoster(file, parsed.value!.units);
    const took = performance.now() - started;
    expect(problems).toEqual([]);
    // Every name tested against every other took 1.4-2.3 s on a 2-core machine.
    expect(took).toBeLessThan(500);
  });
});
