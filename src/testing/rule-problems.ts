import { loadRules, RulesError, formatProblem } from '../rules/index.js';
import { copyRules } from './app.js';

/**
 * What `rules check` reports after `edit` changes a copy of the shipped rules, one
 * `file:line:column: message` per problem with the file relative to the rules folder; [] when
 * the rules load.
 */
export function problemsAfter(edit: (dir: string) => void): string[] {
  const dir = copyRules();
  edit(dir);
  try {
    loadRules(dir);
  } catch (err) {
    if (err instanceof RulesError) return err.problems.map((p) => formatProblem(p).replace(dir + '/', ''));
    throw err;
  }
  return [];
}
