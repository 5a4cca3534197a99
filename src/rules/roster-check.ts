import { NameIndex } from '../match/name-index.js';
import { isGenericOrgName, normalizeName } from './names.js';
import type { Campaign, Unit } from './schema.js';
import type { RuleProblem, YamlFile } from './yaml-file.js';

/** A unit's name or one of its aliases, where it is written in units.yaml. */
interface Term {
  unit: number;
  id: string;
  text: string;
  key: string;
  path: PropertyKey[];
  line: number;
}

/**
 * Catches the roster mistakes that would make matching wrong or ambiguous: one id, name or
 * address on two units, an alias that is only a generic word such as 工会 or 人民政府 (see
 * names.ts), an organiser's own name listed as a unit alias (it would match every message), or
 * the campaign's own mailbox as a unit's address.
 * A clash is reported at the later entry and names the line of the earlier one.
 */
export function checkRoster(file: YamlFile, units: Unit[], campaign?: Campaign): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const line = (path: PropertyKey[]) => file.locate(path).line;
  const ids = new Map<string, number>();
  const names = new Map<string, Term>();
  /** Every name and alias not refused for itself nor as the later of a clash. */
  const terms: Term[] = [];
  /** Names on two units: one has to go, and until it does the clash is the one thing to say. */
  const clashed = new Set<string>();
  const addresses = new Map<string, { unit: number; id: string; line: number }>();
  const organiser = (campaign ? [campaign.organiser.name, ...campaign.organiser.names] : []).map((text) => ({ text, key: normalizeName(text) }));
  units.forEach((u, i) => {
    const idPath = ['units', i, 'id'];
    const prev = ids.get(u.id);
    if (prev !== undefined) problems.push(file.problem(idPath, `duplicate unit id "${u.id}" (also the unit at line ${prev}): ids must be unique: change one of them`));
    else ids.set(u.id, line(idPath));
    const own = [u.name, ...u.aliases].map((text) => ({ text, key: normalizeName(text) }));
    own.forEach(({ text, key }, j) => {
      const path = j === 0 ? ['units', i, 'name'] : ['units', i, 'aliases', j - 1];
      const refused = refusal(text, key, j === 0 ? undefined : { unitName: u.name, others: own.filter((o) => o.key !== key).map((o) => o.key) }, organiser);
      if (refused) {
        problems.push(file.problem(path, refused));
        return;
      }
      const earlier = names.get(key);
      if (earlier && earlier.unit !== i) {
        clashed.add(key);
        problems.push(file.problem(path, `"${text}" is also a name of unit "${earlier.id}" (line ${earlier.line}): a name may belong to one unit only: remove it here or there`));
        return;
      }
      const term = { unit: i, id: u.id, text, key, path, line: line(path) };
      if (!earlier) names.set(key, term);
      terms.push(term);
    });
    u.addresses.forEach((a, j) => {
      const path = ['units', i, 'addresses', j];
      const key = a.toLowerCase();
      if (campaign && key === campaign.mailbox.toLowerCase()) {
        problems.push(file.problem(path, `${a} is the campaign's own mailbox (campaign.yaml mailbox): mail from it is ours and never a unit's: remove it here`));
        return;
      }
      const earlier = addresses.get(key);
      if (earlier && earlier.unit !== i) problems.push(file.problem(path, `address ${a} is also listed for unit "${earlier.id}" (line ${earlier.line}): an address may belong to one unit only: remove it here or there`));
      if (!earlier) addresses.set(key, { unit: i, id: u.id, line: line(path) });
    });
  });
  problems.push(...partsOfOthers(file, terms.filter((t) => !clashed.has(t.key))));
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * Names are found as substrings, the longest at each place winning (match/name-index.ts), so a
 * name inside another unit's name takes nothing from it where that name is written out in full:
 * 庐山西海风景名胜区 is one hit for 庐山西海. But people write a unit in more ways than the roster
 * lists, and every other way that keeps the shorter name in it (庐山西海管理局 for an alias 庐山)
 * counts for the shorter name's unit: a wrong unit, chosen without a doubt. So the shorter one is
 * refused, naming the unit whose name it is part of.
 */
function partsOfOthers(file: YamlFile, terms: Term[]): RuleProblem[] {
  const problems: RuleProblem[] = [];
  // Each name's holders, found by looking its substrings up (of the lengths names have) rather
  // than by testing every name against every other: a roster of 2,000 units has some 10,000
  // names, and the pairs took seconds. Holders keep the roster's order, one per unit.
  const byKey = new Map<string, Term[]>();
  for (const t of terms) {
    const same = byKey.get(t.key);
    if (same) same.push(t);
    else byKey.set(t.key, [t]);
  }
  const lengths = [...new Set(terms.map((t) => t.key.length))];
  const holdersOf = new Map<Term, Term[]>();
  for (const b of terms) {
    for (const length of lengths) {
      // Shorter only: a name as long as b that is inside it is b itself (a clash, said elsewhere).
      if (length >= b.key.length) continue;
      for (let i = 0; i + length <= b.key.length; i++) {
        for (const a of byKey.get(b.key.slice(i, i + length)) ?? []) {
          if (a.unit === b.unit) continue;
          const holders = holdersOf.get(a) ?? [];
          if (!holders.some((h) => h.unit === b.unit)) holders.push(b);
          holdersOf.set(a, holders);
        }
      }
    }
  }
  for (const a of terms) {
    const holders = holdersOf.get(a) ?? [];
    const [first, ...more] = holders;
    if (!first) continue;
    const also = more.length === 0 ? '' : ` (it is also part of ${more.slice(0, 3).map((h) => `"${h.text}" of unit "${h.id}" (line ${h.line})`).join(', ')}${more.length > 3 ? ` and ${more.length - 3} more` : ''})`;
    problems.push(
      file.problem(
        a.path,
        `"${a.text}" is part of "${first.text}", a name of unit "${first.id}" (line ${first.line})${also}: the longer name wins only where it is written out in full, so mail that writes ${more.length === 0 ? 'that unit' : 'those units'} any other way with "${a.text}" in it would count for this unit: use a longer name here, or remove it`,
      ),
    );
  }
  return problems;
}

/**
 * Why a unit's name or alias can never identify it, whatever the rest of the roster says; none
 * when it can. `alias` is set when `text` is an alias: the unit's official name and the keys of
 * its other names.
 */
function refusal(text: string, key: string, alias: { unitName: string; others: string[] } | undefined, organiser: Array<{ text: string; key: string }>): string | undefined {
  if ([...key].length < 2) return `"${text}" is too short to match safely: use two or more characters`;
  if (organiser.some((o) => o.key === key)) return `"${text}" is one of the organiser's own names (campaign.yaml organiser.names): remove it here`;
  if (isGenericOrgName(key)) {
    const fix = alias ? `remove it, or write it with the unit's own name (as in "${alias.unitName}")` : 'write the unit\'s full name here, with its place (修水县总工会, 九江市教育局)';
    return `"${text}" only says what kind of body this is (a 工会, a 委员会, a 局) and is in the mail of nearly every unit: it would count that mail for this unit: ${fix}`;
  }
  // The organiser's names consume their text where they are written in full, but the organiser
  // writes itself in more ways than organiser.names lists (总工会经济技术部, 江西省九江市总工会):
  // in its own mail and in the notice every unit quotes back.
  const inside = organiser.find((o) => o.key.includes(key));
  if (inside) return `"${text}" is part of the organiser's name "${inside.text}" (campaign.yaml organiser): the organiser's own text, and the notice units quote back, written any way that keeps "${text}" would count for this unit: remove it here`;
  if (alias) {
    const holds = organiser.find((o) => key.includes(o.key));
    if (holds && !namesUnitWithout(key, alias.others, organiser)) {
      return `"${text}" contains the organiser's name "${holds.text}" and none of this unit's other names (as 瑞昌市劳动竞赛委员会 contains 瑞昌市): it may be the organiser itself written another way, and the organiser's text written so would count for this unit: remove it, or, if it is another body, also list the part of it that names this unit alone as an alias`;
    }
  }
  return undefined;
}

/**
 * Whether `key` would name the unit through its other names alone, read the way matching reads
 * it: 瑞昌市劳动竞赛委员会 is 瑞昌市 and then the organiser's 市劳动竞赛委员会, so an alias that
 * spells it out adds nothing the organiser's text could trigger. Names the roster check refuses
 * (inside an organiser's name, generic, too short) do not count.
 */
function namesUnitWithout(key: string, others: string[], organiser: Array<{ text: string; key: string }>): boolean {
  const usable = others.filter((k) => [...k].length >= 2 && !isGenericOrgName(k) && !organiser.some((o) => o.key.includes(k)));
  const index = new NameIndex([...usable.map((term) => ({ term, unit: 'this' })), ...organiser.map((o) => ({ term: o.key, unit: null }))]);
  return index.find(key).some((h) => h.unit !== null);
}
