import { join, resolve } from 'node:path';
import { CampaignSchema, DocumentsFileSchema, SIGNALS, UnitsFileSchema, type Campaign, type DocumentsRules, type Matching, type Unit } from './schema.js';
import { checkDigestSchedule } from './digest-schedule.js';
import { checkRoster } from './roster-check.js';
import { loadTemplates, type ReplyTemplates } from './templates.js';
import { RulesError, YamlFile, type RuleProblem } from './yaml-file.js';
import { addDays, localDay, zonedInstant } from '../util/time.js';

export * from './schema.js';
export { normalizeName } from './names.js';
export { RulesError, formatProblem, type RuleProblem } from './yaml-file.js';

export interface Rules {
  dir: string;
  campaign: Campaign;
  units: Unit[];
  matching: Matching;
  documents: DocumentsRules;
  templates: ReplyTemplates;
  /** Deadline plus grace, as an instant: received after it is late. Every lateness test uses it. */
  cutoff: Date;
  /** The paper copy's deadline (its own, or the campaign's) plus grace. */
  paperCutoff: Date;
  /** The reminder times of campaign.yaml as instants, earliest first. */
  reminderTimes: ReminderTime[];
}

export interface ReminderTime {
  at: Date;
  days_before: number;
  /** "HH:MM" in the campaign's time zone. */
  time: string;
}

/** A reminder time as an instant: `days_before` days before the deadline's day, at `at` local time. */
export function reminderInstant(c: Pick<Campaign, 'deadline' | 'timezone'>, r: { days_before: number; at: string }): Date {
  return zonedInstant(addDays(localDay(c.deadline, c.timezone), -r.days_before), r.at, c.timezone);
}

/** A unit's name by its id; the id itself for a unit no longer on the roster. */
export function unitNameOf(rules: Pick<Rules, 'units'>, id: string): string {
  return rules.units.find((u) => u.id === id)?.name ?? id;
}

/** Reads and validates every file under `dir`; throws RulesError listing every problem found. */
export function loadRules(dir: string): Rules {
  const root = resolve(dir);
  const problems: RuleProblem[] = [];
  const campaignFile = YamlFile.read(join(root, 'campaign.yaml'));
  const unitsFile = YamlFile.read(join(root, 'units.yaml'));
  const documentsFile = YamlFile.read(join(root, 'documents.yaml'));
  const campaign = campaignFile.parse(CampaignSchema);
  const units = unitsFile.parse(UnitsFileSchema);
  const documents = documentsFile.parse(DocumentsFileSchema);
  const templates = loadTemplates(join(root, 'templates'));
  problems.push(...campaign.problems, ...units.problems, ...documents.problems, ...templates.problems);

  if (campaign.value) problems.push(...checkCampaign(campaignFile, campaign.value));
  if (units.value) problems.push(...checkRoster(unitsFile, units.value.units, campaign.value), ...checkMatching(unitsFile, units.value.matching));
  if (documents.value) problems.push(...checkKinds(documentsFile, documents.value, campaign.value));

  if (campaign.value && campaign.value.reminders.times.length > 0 && templates.templates && !templates.templates.reminder) {
    problems.push({ file: join(root, 'templates', 'reminder.txt'), line: 1, column: 1, message: 'campaign.yaml lists reminder times but the reminder template is missing: create templates/reminder.txt (see the README, "Reminders")' });
  }
  if (problems.length > 0 || !campaign.value || !units.value || !documents.value || !templates.templates) {
    throw new RulesError(problems);
  }
  const grace = campaign.value.grace_minutes * 60_000;
  const cutoff = new Date(Date.parse(campaign.value.deadline) + grace);
  const paperCutoff = new Date(Date.parse(campaign.value.paper.deadline ?? campaign.value.deadline) + grace);
  const c = campaign.value;
  const reminderTimes = c.reminders.times.map((r) => ({ at: reminderInstant(c, r), days_before: r.days_before, time: r.at })).sort((a, b) => a.at.getTime() - b.at.getTime());
  return {
    dir: root,
    campaign: campaign.value,
    units: units.value.units,
    matching: units.value.matching,
    documents: documents.value,
    templates: templates.templates,
    cutoff,
    paperCutoff,
    reminderTimes,
  };
}

function checkCampaign(file: YamlFile, c: Campaign): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (c.opens && Date.parse(c.opens) >= Date.parse(c.deadline)) {
    problems.push(file.problem(['opens'], 'opens must be before the deadline'));
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: c.timezone });
  } catch {
    problems.push(file.problem(['timezone'], `unknown time zone "${c.timezone}": use an IANA name such as Asia/Shanghai`));
    return problems;
  }
  if (c.paper.deadline && c.opens && Date.parse(c.paper.deadline) < Date.parse(c.opens)) {
    problems.push(file.problem(['paper', 'deadline'], 'the paper deadline is before the campaign opens'));
  }
  const seen = new Set<number>();
  c.reminders.times.forEach((r, i) => {
    const at = reminderInstant(c, r).getTime();
    if (at >= Date.parse(c.deadline)) problems.push(file.problem(['reminders', 'times', i], `this reminder (${r.days_before} day(s) before, at ${r.at}) is not before the deadline: use a larger days_before or an earlier time`));
    if (seen.has(at)) problems.push(file.problem(['reminders', 'times', i], 'the same reminder time is listed twice: remove one'));
    seen.add(at);
  });
  problems.push(...checkDigestSchedule(file, c));
  return problems;
}

/** A threshold no message can reach sends every message to review without a word of why. */
function checkMatching(file: YamlFile, m: Matching): RuleProblem[] {
  const most = Math.round(SIGNALS.reduce((sum, s) => sum + m.weights[s], 0) * 100) / 100;
  if (m.threshold <= most) return [];
  return [file.problem(['matching', 'threshold'], `threshold ${m.threshold} cannot be reached: the weights add up to ${most} at most, so every message would go to review: lower it`)];
}

/**
 * A required item that nothing in its rule can recognise would be missing from every unit,
 * and each would be told so. Headers count from three in one row, headings from two (see
 * classify/document-kind.ts), so fewer listed can never match.
 */
function checkKinds(file: YamlFile, d: DocumentsRules, campaign?: Campaign): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const kind of campaign?.required ?? []) {
    const r = d.kinds[kind];
    const some = r.filename_keywords.length > 0 || r.content_keywords.length > 0 || r.table_headers.length >= 3 || r.structure_keywords.length >= 2;
    if (!some) problems.push(file.problem(['kinds', kind], `nothing can recognise a ${r.label} (${kind}), which campaign.yaml requires: list filename_keywords or content_keywords (or three table_headers, or two structure_keywords)`));
  }
  return problems;
}
