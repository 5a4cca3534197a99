import { validateDetailed } from 'node-cron';
import type { Campaign } from './schema.js';
import type { RuleProblem, YamlFile } from './yaml-file.js';

/** The digest's cron expression and zone, checked the way node-cron will read them. */
export function checkDigestSchedule(file: YamlFile, c: Campaign): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const v = validateDetailed(c.digest.cron);
  if (!v.valid) {
    const why = v.errors.map((e) => `${e.field}${e.value !== undefined ? ` "${e.value}"` : ''}: ${e.message}`).join('; ');
    problems.push(file.problem(['digest', 'cron'], `"${c.digest.cron}" is not a cron expression (${why}): write minute hour day month weekday, e.g. "30 8 * * *" for 08:30 every day`));
  }
  if (c.digest.timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: c.digest.timezone });
    } catch {
      problems.push(file.problem(['digest', 'timezone'], `unknown time zone "${c.digest.timezone}": use an IANA name such as Asia/Shanghai, or remove it to use the campaign's timezone`));
    }
  }
  return problems;
}
