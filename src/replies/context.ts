import type { ClassifiedFile } from '../classify/classify-files.js';
import type { ParsedMessage } from '../mail/parse.js';
import { paperContext, paperStateOf, type PaperState } from '../paper/paper.js';
import { unitNameOf, type Rules } from '../rules/index.js';
import type { ItemKind } from '../rules/schema.js';
import type { CampaignContext, ReplyContext } from '../rules/templates.js';
import type { UnitState } from '../submissions/unit-state.js';
import { formatChineseTime, formatChineseTimeExact } from '../util/time.js';

export function itemLabel(rules: Rules, kind: ItemKind): string {
  return rules.documents.kinds[kind].label;
}

export interface ContextInput {
  rules: Rules;
  parsed: ParsedMessage;
  receivedAt: Date;
  unit: { id: string; name: string } | null;
  late: boolean;
  files: ClassifiedFile[];
  /** Items this message brought that replaced an earlier version. */
  replaced: Set<ItemKind>;
  state: UnitState | null;
  links: string[];
  /** Ids of the units the message's evidence points to, best first. */
  unitsNamed: string[];
  /** The message's row id: marks which items on file it brought. */
  messageRow: number;
  /** The unit's paper copy; none recorded when absent. */
  paper?: PaperState;
}

export function campaignContext(rules: Rules): CampaignContext {
  const c = rules.campaign;
  return { title: c.title, mailbox: c.mailbox, deadline: formatChineseTime(c.deadline, c.timezone), organiser: { name: c.organiser.name, department: c.organiser.department, phone: c.organiser.phone } };
}

/**
 * The items a unit has on file, as templates list them. With `message`, the versions that
 * message brought are marked, and those that replaced an earlier file.
 */
export function onFile(rules: Rules, state: UnitState | null, message?: { row: number; replaced: Set<ItemKind> }): ReplyContext['on_file'] {
  if (!state) return [];
  const tz = rules.campaign.timezone;
  return rules.campaign.required.flatMap((k) => {
    const v = state.current[k];
    if (!v) return [];
    const now = message !== undefined && v.messageRow === message.row;
    return [{ kind: k, label: itemLabel(rules, k), filename: v.filename, received_at: formatChineseTime(v.receivedAt, tz), late: v.late, this_message: now, replaced: now && message.replaced.has(k) }];
  });
}

/** Everything a reply template can say, in the words and times a unit reads. */
export function replyContext(i: ContextInput): ReplyContext {
  const { rules } = i;
  const tz = rules.campaign.timezone;
  const received =
    i.unit === null
      ? i.files.map((f) => ({ kind: f.classification.kind, label: f.classification.kind === 'other' ? '其他文件' : itemLabel(rules, f.classification.kind), filename: f.filename, replaced: false }))
      : i.files
          .filter((f) => f.readable)
          .flatMap((f) => f.classification.kinds.map((k) => ({ kind: k, label: itemLabel(rules, k), filename: f.filename, replaced: i.replaced.has(k) })));
  const state = i.state;
  return {
    campaign: campaignContext(rules),
    unit: i.unit,
    message: { subject: i.parsed.subject, from: i.parsed.from?.address ?? '', received_at: formatChineseTimeExact(i.receivedAt, tz) },
    late: i.late,
    complete: state?.complete ?? false,
    complete_on_time: state?.completeOnTime ?? false,
    paper: paperContext(i.paper ?? paperStateOf(undefined, rules), rules),
    received,
    on_file: onFile(rules, state, { row: i.messageRow, replaced: i.replaced }),
    other_files:
      i.unit === null
        ? []
        : i.files.filter((f) => f.readable && !f.classification.kinds.some((k) => rules.campaign.required.includes(k as ItemKind))).map((f) => ({ filename: f.containerPath })),
    missing: (state?.missing ?? []).map((k) => ({ kind: k, label: itemLabel(rules, k) })),
    unreadable: unreadableList(i.files.filter((f) => !f.readable).map((f) => ({ filename: f.containerPath, reason: f.error?.message ?? '无法读取' }))),
    links: i.links.map((url) => ({ url })),
    units_named: i.unitsNamed.slice(0, 3).map((id) => ({ id, name: unitNameOf(rules, id) })),
  };
}

/** Files named one by one in a reply; the rest are grouped by reason. */
export const UNREADABLE_LISTED = 10;

/**
 * A zip of 300 photos must not make a 300-line reply: the first files are named one by one, the
 * rest are counted per reason, each group with two of its names.
 */
export function unreadableList(all: Array<{ filename: string; reason: string }>): Array<{ filename: string; reason: string }> {
  if (all.length <= UNREADABLE_LISTED) return all;
  const listed = all.slice(0, UNREADABLE_LISTED - 1);
  const groups = new Map<string, string[]>();
  for (const f of all.slice(UNREADABLE_LISTED - 1)) groups.set(f.reason, [...(groups.get(f.reason) ?? []), f.filename]);
  return [...listed, ...[...groups].map(([reason, names]) => ({ filename: `另外 ${names.length} 个文件（${names.slice(0, 2).join('、')}${names.length > 2 ? ' 等' : ''}）`, reason }))];
}
