import { normalizeName } from './names.js';
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
 * address on two units, or an organiser's own name listed as a unit alias (it would match every
 * message). A clash is reported at the later entry and names the line of the earlier one.
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
      if ([...key].length < 2) problems.push(file.problem(path, `"${text}" is too short to match safely: use two or more characters`));
      if (organiser.has(key)) problems.push(file.problem(path, `"${text}" is one of the organiser's own names (campaign.yaml organiser.names): remove it here`));
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
