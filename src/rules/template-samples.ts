import type { CampaignContext, PaperContext, ReminderContext, ReplyContext, ReplyTemplateKind } from './templates.js';

/**
 * The contexts `rules check` renders each template against. Every list has entries in some of
 * them (so a mistake inside a `{% for %}` body is met) and is empty in others (so `{{ missing[0] }}`
 * on an empty list is met too), and every flag a template may branch on is both true and false.
 * Each combination is one a real reply can have: a complete unit misses nothing.
 */

export interface Sample<C> {
  /** How the sample differs from the others, for the message about an error found with it. */
  label: string;
  context: C;
}

const SAMPLE_CAMPAIGN: CampaignContext = {
  title: '示例征集',
  mailbox: 'box@example.com',
  deadline: '2021年7月22日 23:59',
  organiser: { name: '组织单位', department: '某部', phone: '0000000' },
};

const SAMPLE_PAPER: PaperContext = { label: '加盖单位公章的纸质版', required: true, received: false, received_on: '', late: false, deadline: '2021年7月22日 23:59', deliver_to: '某部' };

const PAPER_STATES: Array<Sample<PaperContext>> = [
  { label: 'the paper copy is required and not yet received', context: SAMPLE_PAPER },
  { label: 'the paper copy was received', context: { ...SAMPLE_PAPER, received: true, received_on: '2021年7月20日' } },
  { label: 'the paper copy was received late', context: { ...SAMPLE_PAPER, received: true, received_on: '2021年7月25日', late: true } },
  { label: 'no paper copy is required', context: { ...SAMPLE_PAPER, required: false } },
];

const REGISTRATION = { kind: 'registration', label: '参赛报名表' };
const PLAN = { kind: 'plan', label: '竞赛实施方案' };

const RECEIVED: ReplyContext['received'] = [
  { ...REGISTRATION, filename: '报名表.xlsx', replaced: true },
  { ...PLAN, filename: '实施方案.docx', replaced: false },
];
const ON_FILE: ReplyContext['on_file'] = [
  { ...REGISTRATION, filename: '报名表.xlsx', received_at: '2021年7月20日 10:00', late: false, this_message: true, replaced: true },
  { ...PLAN, filename: '实施方案.docx', received_at: '2021年7月23日 09:00', late: true, this_message: false, replaced: false },
];
const OTHER_FILES: ReplyContext['other_files'] = [{ filename: '说明.docx' }, { filename: '照片.jpg' }];
const UNREADABLE: ReplyContext['unreadable'] = [
  { filename: '扫描件.pdf', reason: '扫描件，无法读取文字' },
  { filename: '另外 3 个文件（a.jpg、b.jpg 等）', reason: '图片' },
];
const LINKS: ReplyContext['links'] = [{ url: 'https://pan.baidu.com/s/1example' }];
const UNITS_NAMED: ReplyContext['units_named'] = [{ id: 'sample', name: '示例单位' }, { id: 'other', name: '另一单位' }];

/** The sample most tests render: a unit that sent its registration form, its plan still missing. */
export const SAMPLE_CONTEXT: ReplyContext = {
  campaign: SAMPLE_CAMPAIGN,
  unit: { id: 'sample', name: '示例单位' },
  message: { subject: '报送材料', from: 'a@example.com', received_at: '2021年7月20日 10:00:00' },
  late: false,
  complete: false,
  complete_on_time: false,
  paper: SAMPLE_PAPER,
  received: [RECEIVED[0]!],
  on_file: [ON_FILE[0]!],
  other_files: [OTHER_FILES[0]!],
  missing: [PLAN],
  unreadable: [UNREADABLE[0]!],
  links: LINKS,
  units_named: [UNITS_NAMED[0]!],
};

export const SAMPLE_REMINDER: ReminderContext = {
  campaign: SAMPLE_CAMPAIGN,
  unit: { id: 'sample', name: '示例单位' },
  reminder: { days_before: 3, at: '2021年7月19日 09:00' },
  on_file: SAMPLE_CONTEXT.on_file,
  missing: SAMPLE_CONTEXT.missing,
  paper: SAMPLE_PAPER,
};

/** Where a message stands: on time or late, complete or not, complete in time or not. */
const STANDINGS: Array<{ label: string; late: boolean; complete: boolean; complete_on_time: boolean }> = [
  { label: 'on time, not complete', late: false, complete: false, complete_on_time: false },
  { label: 'on time, complete', late: false, complete: true, complete_on_time: true },
  { label: 'late, not complete', late: true, complete: false, complete_on_time: false },
  { label: 'late, complete only now', late: true, complete: true, complete_on_time: false },
  { label: 'late, complete on time before', late: true, complete: true, complete_on_time: true },
];

/** The contexts a reply template is rendered against; the review reply also goes out without a unit. */
export function replySamples(kind: ReplyTemplateKind): Array<Sample<ReplyContext>> {
  const out: Array<Sample<ReplyContext>> = [];
  const units = kind === 'review' ? [SAMPLE_CONTEXT.unit, null] : [SAMPLE_CONTEXT.unit];
  for (const unit of units) {
    for (const lists of ['listed', 'empty'] as const) {
      const full = lists === 'listed';
      for (const s of STANDINGS) {
        for (const paper of PAPER_STATES) {
          const label = [unit ? '' : 'no unit', s.label, full ? 'every list has entries' : 'the lists are empty', paper.label].filter(Boolean).join(', ');
          out.push({
            label,
            context: {
              ...SAMPLE_CONTEXT,
              unit,
              late: s.late,
              complete: s.complete,
              complete_on_time: s.complete_on_time,
              paper: paper.context,
              received: full ? RECEIVED : [],
              on_file: s.complete || full ? ON_FILE : [],
              missing: s.complete ? [] : full ? [PLAN] : [REGISTRATION, PLAN],
              other_files: full ? OTHER_FILES : [],
              unreadable: full ? UNREADABLE : [],
              links: full ? LINKS : [],
              units_named: full ? UNITS_NAMED : [],
            },
          });
        }
      }
    }
  }
  return out;
}

/** The contexts the reminder template is rendered against: a unit still missing items, or only its paper copy. */
export function reminderSamples(): Array<Sample<ReminderContext>> {
  const out: Array<Sample<ReminderContext>> = [];
  const states = [
    { label: 'nothing on file yet', on_file: [], missing: [REGISTRATION, PLAN] },
    { label: 'one item on file', on_file: [ON_FILE[0]!], missing: [PLAN] },
    { label: 'every item on file, the paper copy missing', on_file: ON_FILE, missing: [] },
  ];
  for (const s of states) {
    for (const paper of PAPER_STATES) {
      if (s.missing.length === 0 && !(paper.context.required && !paper.context.received)) continue;
      out.push({ label: `${s.label}, ${paper.label}`, context: { ...SAMPLE_REMINDER, on_file: s.on_file, missing: s.missing, paper: paper.context } });
    }
  }
  return out;
}
