import { join } from 'node:path';
import { Liquid, type Template } from 'liquidjs';
import { readRulesText } from './text-file.js';
import { templateProblem, unpairedTag } from './template-errors.js';
import { reminderSamples, replySamples, type Sample } from './template-samples.js';
import type { RuleProblem } from './yaml-file.js';

export const REPLY_KINDS = ['ack', 'missing', 'late', 'review'] as const;
export type ReplyTemplateKind = (typeof REPLY_KINDS)[number];

/** The paper copy as templates see it. */
export interface PaperContext {
  label: string;
  required: boolean;
  received: boolean;
  /** The day it arrived (2021年7月20日), or "". */
  received_on: string;
  late: boolean;
  /** When it is due (2021年7月22日 23:59). */
  deadline: string;
  /** Where it goes, or the organiser's department. */
  deliver_to: string;
}

export interface CampaignContext {
  title: string;
  mailbox: string;
  deadline: string;
  organiser: { name: string; department: string; phone: string };
}

/** What every reply template may use. Keep README "Reply templates" in step with this. */
export interface ReplyContext {
  campaign: CampaignContext;
  unit: { id: string; name: string } | null;
  /** received_at is to the second: a late notice may turn on it. */
  message: { subject: string; from: string; received_at: string };
  late: boolean;
  complete: boolean;
  /** Every required item has a version received before the deadline (what eligibility needs). */
  complete_on_time: boolean;
  paper: PaperContext;
  /** Items this message brought, with the file each came in. `replaced` when it supersedes an earlier file. */
  received: Array<{ kind: string; label: string; filename: string; replaced: boolean }>;
  /** Every required item the unit now has on file; `this_message` when this message brought it, `replaced` when it replaced an earlier file. */
  on_file: Array<{ kind: string; label: string; filename: string; received_at: string; late: boolean; this_message: boolean; replaced: boolean }>;
  /** Readable files of this message that are none of the required items (unit known only). */
  other_files: Array<{ filename: string }>;
  missing: Array<{ kind: string; label: string }>;
  unreadable: Array<{ filename: string; reason: string }>;
  links: Array<{ url: string }>;
  /**
   * The roster units the message's evidence points to, best first (three at most). With `unit`
   * nil and more than one here, the message mixes units (one unit sending another's form, say):
   * asking for the unit's name in the subject would not help.
   */
  units_named: Array<{ id: string; name: string }>;
}

/** What the reminder template may use. */
export interface ReminderContext {
  campaign: CampaignContext;
  unit: { id: string; name: string };
  reminder: { days_before: number; at: string };
  on_file: ReplyContext['on_file'];
  missing: ReplyContext['missing'];
  paper: PaperContext;
}

export { SAMPLE_CONTEXT, SAMPLE_REMINDER } from './template-samples.js';

/** The reply templates, and the reminder template when there is one (it is needed only with reminder times). */
export type ReplyTemplates = Record<ReplyTemplateKind, Template[]> & { reminder?: Template[] };

// trimTagRight: a line holding only a tag leaves no blank line behind, so operators can write
// one tag a line.
const engine = new Liquid({ strictVariables: true, strictFilters: true, trimTagRight: true, greedy: false });

function render(template: Template[], ctx: object): string {
  const text = engine.renderSync(template, ctx) as string;
  // Operators write templates with blank lines around tags; keep at most one blank line in a row.
  return text.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim() + '\n';
}

export function renderReply(templates: ReplyTemplates, kind: ReplyTemplateKind, ctx: ReplyContext): string {
  return render(templates[kind], ctx);
}

export function renderReminder(templates: ReplyTemplates, ctx: ReminderContext): string {
  if (!templates.reminder) throw new Error('the reminder template is missing: create templates/reminder.txt in the rules folder');
  return render(templates.reminder, ctx);
}

/**
 * Loads `templates/<kind>.txt` and proves each one renders against a sample context, so an
 * undefined variable or an unclosed tag is caught by `intake rules check`, not by a unit's reply.
 */
export function loadTemplates(dir: string): { templates?: ReplyTemplates; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  const templates: Partial<ReplyTemplates> = {};
  for (const kind of [...REPLY_KINDS, 'reminder'] as const) {
    const file = join(dir, `${kind}.txt`);
    const read = readRulesText(file);
    if ('problem' in read) {
      // Needed only when campaign.yaml lists reminder times; loadRules says so then.
      if (read.missing && kind === 'reminder') continue;
      problems.push(read.missing ? { file, line: 1, column: 1, message: `reply template "${kind}" is missing: create ${kind}.txt (see the README, "Reply templates")` } : read.problem);
      continue;
    }
    const text = read.text;
    const unpaired = unpairedTag(engine, text, file);
    if (unpaired) {
      problems.push(unpaired);
      continue;
    }
    let parsed: Template[];
    try {
      parsed = engine.parse(text, file);
    } catch (err) {
      problems.push(templateProblem(engine, err, file));
      continue;
    }
    const samples: Array<Sample<object>> = kind === 'reminder' ? reminderSamples() : replySamples(kind);
    const failed = samples.find((sample) => {
      try {
        engine.renderSync(parsed, sample.context);
        return false;
      } catch (err) {
        problems.push(templateProblem(engine, err, file, sample));
        return true;
      }
    });
    if (!failed) templates[kind] = parsed;
  }
  return problems.length > 0 ? { problems } : { templates: templates as ReplyTemplates, problems };
}
