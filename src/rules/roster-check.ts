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
 * names.ts), or an organiser's own name listed as a unit alias (it would match every message).
 * A clash is reported at the later entry and names the line of the earlier one.
 */
export function checkRoster(file: YamlFile, units: Unit[], campaign?: Campaign): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const line = (path: PropertyKey[]) => file.locate(path).line;
  const ids = new Map<string, number>();
  const names = new Map<string, Term>();
  const addresses = new Map<string, { unit: number; id: string; line: number }>();
  const organiser = new Set((campaign ? [campaign.organiser.name, ...campaign.organiser.names] : []).map(normalizeName));
  units.forEach((u, i) => {
    const idPath = ['units', i, 'id'];
    const prev = ids.get(u.id);
    if (prev !== undefined) problems.push(file.problem(idPath, `duplicate unit id "${u.id}" (also the unit at line ${prev}): ids must be unique: change one of them`));
    else ids.set(u.id, line(idPath));
    [u.name, ...u.aliases].forEach((text, j) => {
      const path = j === 0 ? ['units', i, 'name'] : ['units', i, 'aliases', j - 1];
      const key = normalizeName(text);
      const refused = refusal(text, key, j === 0 ? undefined : u.name, organiser);
      if (refused) {
        problems.push(file.problem(path, refused));
        return;
      }
      const earlier = names.get(key);
      if (earlier && earlier.unit !== i) problems.push(file.problem(path, `"${text}" is also a name of unit "${earlier.id}" (line ${earlier.line}): a name may belong to one unit only: remove it here or there`));
      if (!earlier) names.set(key, { unit: i, id: u.id, text, key, path, line: line(path) });
    });
    u.addresses.forEach((a, j) => {
      const path = ['units', i, 'addresses', j];
      const key = a.toLowerCase();
      const earlier = addresses.get(key);
      if (earlier && earlier.unit !== i) problems.push(file.problem(path, `address ${a} is also listed for unit "${earlier.id}" (line ${earlier.line}): an address may belong to one unit only: remove it here or there`));
      if (!earlier) addresses.set(key, { unit: i, id: u.id, line: line(path) });
    });
  });
  return problems;
}

/**
 * Why a unit's name or alias can never identify it, whatever the rest of the roster says; none
 * when it can. `unitName` is the unit's official name when `text` is one of its aliases.
 */
function refusal(text: string, key: string, unitName: string | undefined, organiser: Set<string>): string | undefined {
  if ([...key].length < 2) return `"${text}" is too short to match safely: use two or more characters`;
  if (organiser.has(key)) return `"${text}" is one of the organiser's own names (campaign.yaml organiser.names): remove it here`;
  if (isGenericOrgName(key)) {
    const fix = unitName ? `remove it, or write it with the unit's own name (as in "${unitName}")` : 'write the unit\'s full name here, with its place (修水县总工会, 九江市教育局)';
    return `"${text}" only says what kind of body this is (a 工会, a 委员会, a 局) and is in the mail of nearly every unit: it would count that mail for this unit: ${fix}`;
  }
  return undefined;
}
