import { normalizeName } from './names.js';
import type { Campaign, Unit } from './schema.js';
import type { RuleProblem, YamlFile } from './yaml-file.js';

/**
 * Catches the roster mistakes that would make matching ambiguous: one name or address on two
 * units, or an organiser's own name listed as a unit alias (it would match every message).
 */
export function checkRoster(file: YamlFile, units: Unit[], campaign?: Campaign): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const ids = new Map<string, number>();
  const names = new Map<string, string>();
  const addresses = new Map<string, string>();
  const organiser = new Set((campaign ? [campaign.organiser.name, ...campaign.organiser.names] : []).map(normalizeName));
  units.forEach((u, i) => {
    const prev = ids.get(u.id);
    if (prev !== undefined) problems.push(file.problem(['units', i, 'id'], `duplicate unit id "${u.id}" (also unit #${prev + 1}): ids must be unique`));
    ids.set(u.id, i);
    [u.name, ...u.aliases].forEach((name, j) => {
      const path = j === 0 ? ['units', i, 'name'] : ['units', i, 'aliases', j - 1];
      const key = normalizeName(name);
      if ([...key].length < 2) problems.push(file.problem(path, `"${name}" is too short to match safely: use two or more characters`));
      if (organiser.has(key)) problems.push(file.problem(path, `"${name}" is one of the organiser's own names (campaign.yaml organiser.names): remove it here`));
      const owner = names.get(key);
      if (owner !== undefined && owner !== u.id) problems.push(file.problem(path, `"${name}" is also a name of unit "${owner}": a name may belong to one unit only`));
      names.set(key, u.id);
    });
    u.addresses.forEach((a, j) => {
      const key = a.toLowerCase();
      const owner = addresses.get(key);
      if (owner !== undefined && owner !== u.id) problems.push(file.problem(['units', i, 'addresses', j], `address ${a} is also listed for unit "${owner}": an address may belong to one unit only`));
      addresses.set(key, u.id);
    });
  });
  return problems;
}

