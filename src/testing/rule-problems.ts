import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Replaces `from` (which must be there) with `to` in a rules file; returns the 1-based line it was on. */
export function replaceIn(dir: string, file: string, from: string, to: string): number {
  const p = join(dir, file);
  const text = readFileSync(p, 'utf8');
  const at = text.indexOf(from);
  if (at < 0) throw new Error(`${from} not in ${file}`);
  writeFileSync(p, text.replace(from, to));
  return text.slice(0, at).split('\n').length;
}

/** Replaces the line starting with `start` (after indentation); returns its 1-based number. */
export function replaceLine(dir: string, file: string, start: string, to: string): number {
  const p = join(dir, file);
  const lines = readFileSync(p, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.trimStart().startsWith(start));
  if (i < 0) throw new Error(`no line starting ${start} in ${file}`);
  lines[i] = to;
  writeFileSync(p, lines.join('\n'));
  return i + 1;
}
