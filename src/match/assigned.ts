import type { Rules } from '../rules/index.js';
import type { MatchResult } from './unit-matcher.js';

/** "-" in messages.assigned_unit: a person decided the message comes from no unit. */
export const NO_UNIT = '-';

/** A person's assignment, in the shape of a match so that it explains itself the same way. */
export function assignedMatch(assigned: string, rules: Rules): MatchResult {
  if (assigned === NO_UNIT) return { unit: null, score: 0, scores: [], evidence: [], reason: 'a person decided this message is from no unit', assigned: true };
  const name = rules.units.find((u) => u.id === assigned)?.name;
  if (!name) return { unit: null, score: 0, scores: [], evidence: [], reason: `assigned to unit "${assigned}", which is no longer in the roster` };
  return { unit: assigned, score: 0, scores: [], evidence: [{ signal: 'person', unit: assigned, match: name, weight: 0 }], reason: `assigned to ${name} by a person`, assigned: true };
}
