import type { ClassifiedFile } from '../classify/classify-files.js';
import type { ParsedMessage } from '../mail/parse.js';
import type { Rules } from '../rules/index.js';
import type { ItemKind } from '../rules/schema.js';
import type { ReplyContext } from '../rules/templates.js';
import type { UnitState } from '../submissions/unit-state.js';
import { formatChineseTime } from '../util/time.js';

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
    campaign: {
      title: rules.campaign.title,
      mailbox: rules.campaign.mailbox,
      deadline: formatChineseTime(rules.campaign.deadline, tz),
      organiser: { name: rules.campaign.organiser.name, department: rules.campaign.organiser.department, phone: rules.campaign.organiser.phone },
    },
    unit: i.unit,
    message: { subject: i.parsed.subject, from: i.parsed.from?.address ?? '', received_at: formatChineseTime(i.receivedAt, tz) },
    late: i.late,
    complete: state?.complete ?? false,
    received,
    on_file: state
      ? rules.campaign.required.flatMap((k) => {
          const v = state.current[k];
          return v ? [{ kind: k, label: itemLabel(rules, k), filename: v.filename, received_at: formatChineseTime(v.receivedAt, tz), late: v.late }] : [];
        })
      : [],
    missing: (state?.missing ?? []).map((k) => ({ kind: k, label: itemLabel(rules, k) })),
    unreadable: i.files.filter((f) => !f.readable).map((f) => ({ filename: f.containerPath, reason: f.error?.message ?? '无法读取' })),
    links: i.links.map((url) => ({ url })),
  };
}
