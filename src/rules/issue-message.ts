import type { z } from 'zod';

/** What the file and the schema say at the issue's path, for messages that say what to write. */
export interface IssueSource {
  /** The value exactly as written in the file (`07928227328`, before YAML turned it into 7928227328). */
  written?: string;
  /** The schema of the whole file: tells whether the field may be left out, and what it holds. */
  schema?: z.ZodType;
}

/**
 * What to write in a field, by path (`*` stands for a list position), for the messages about
 * an empty or missing value. A field not listed here is described from its schema.
 */
const WHAT_TO_WRITE: Record<string, string> = {
  title: 'the name of the call, e.g. 劳动和技能竞赛参赛报名',
  mailbox: 'the mailbox units send to, e.g. jjszjjb@sina.com',
  'organiser.name': 'the organiser\'s name, e.g. 九江市总工会经济技术部',
  'organiser.department': 'the organiser\'s department, e.g. 市总工会经济技术部',
  'organiser.phone': 'the organiser\'s phone number in quotes, e.g. "0792-8227328"',
  'organiser.names': 'a list of the names the organiser is written by, e.g. [九江市总工会, 市总工会]',
  opens: 'an ISO time with an offset, e.g. 2021-06-01T00:00:00+08:00',
  deadline: 'an ISO time with an offset, e.g. 2021-07-22T23:59:59+08:00',
  'paper.deadline': 'an ISO time with an offset, e.g. 2021-07-22T23:59:59+08:00',
  grace_minutes: 'a number of minutes, e.g. 0',
  timezone: 'an IANA time zone, e.g. Asia/Shanghai',
  'digest.timezone': 'an IANA time zone, e.g. Asia/Shanghai',
  required: 'a list of the items every unit must send, e.g. [registration, plan]',
  'staff.digest_recipients': 'a list of email addresses, e.g. [someone@example.com]',
  'digest.cron': 'a cron expression in quotes, e.g. "30 8 * * *"',
  'replies.campaign_keywords': 'a list of words, e.g. [报名表, 实施方案]',
  'reminders.times': 'a list of times, e.g. - {days_before: 1, at: "09:00"}',
  'reminders.times.*.at': 'a time of day in quotes, e.g. "09:00"',
  'reminders.times.*.days_before': 'a number of days, e.g. 1',
  units: 'the list of units, each starting with - id: (see the README, "Rules")',
  'units.*.id': 'a lower-case id, e.g. xunyang',
  'units.*.name': 'the unit\'s official name, e.g. 浔阳区总工会',
  'units.*.aliases': 'a list of the other ways the unit is written, e.g. [浔阳区, 浔阳区工会]',
  'units.*.addresses': 'a list of the unit\'s mailboxes, e.g. [xunyang@example.com]',
  'kinds.*.label': 'the item\'s name as replies give it, e.g. 参赛报名表',
  'kinds.*.filename_keywords': 'a list of words in file names, e.g. [报名表, 报名]',
  'kinds.*.content_keywords': 'a list of words in the document\'s title, e.g. [参赛报名表]',
  'kinds.*.table_headers': 'a list of column headers, e.g. [单位, 联系人, 联系电话]',
  'kinds.*.structure_keywords': 'a list of section headings, e.g. [指导思想, 组织领导]',
  form_fields: 'the column headers of a registration form for each field read from it, unit, contact and phone at least, as the README shows under "Rules"',
  'form_fields.unit': 'a list of the column headers naming the unit, e.g. [单位, 单位名称, 参赛单位]',
  'form_fields.contact': 'a list of the column headers of the contact person, e.g. [联系人, 负责人, 经办人]',
  'form_fields.phone': 'a list of the column headers of the contact\'s phone, e.g. [联系电话, 电话, 手机]',
  'form_fields.project': 'a list of the column headers of the project, e.g. [竞赛项目, 项目名称]',
  'form_fields.participants': 'a list of the column headers of the number of participants, e.g. [参赛人数, 人数]',
  'form_fields.notes': 'a list of the column headers of remarks, e.g. [备注, 说明]',
};

/** What a field is for, where leaving it out or empty costs more than a default (said after what to write). */
const WHAT_IT_IS_FOR: Record<string, string> = {
  form_fields: 'without them no registration form can be read',
  'form_fields.unit':
    'the unit a form names is evidence of who sent it (form_unit in units.yaml), and a form whose unit cannot be found is answered with 报名表未写明参赛单位',
  'form_fields.contact': 'a form whose contact person cannot be found is answered with 报名表未填写联系人',
  'form_fields.phone': 'a form whose phone number cannot be found is answered with 报名表未填写联系电话, and the numbers found are checked',
  'form_fields.project': 'the digest\'s workbook lists each unit\'s projects',
  'form_fields.participants': 'the digest\'s workbook lists each unit\'s number of participants',
  'form_fields.notes': 'the digest\'s workbook lists each unit\'s remarks',
};

/** The entry of `table` for a path: list positions match `*`, and so does the kind of `kinds.<kind>`. */
function entryFor(table: Record<string, string>, path: ReadonlyArray<PropertyKey>): string | undefined {
  const key = path.map((p) => (typeof p === 'number' ? '*' : String(p))).join('.');
  return table[key] ?? table[key.replace(/^kinds\.[^.]+/, 'kinds.*')];
}

const whatToWrite = (path: ReadonlyArray<PropertyKey>) => entryFor(WHAT_TO_WRITE, path);

/** " (what it is for)" when WHAT_IT_IS_FOR has the field, else "". */
function whatItIsFor(path: ReadonlyArray<PropertyKey>): string {
  const why = entryFor(WHAT_IT_IS_FOR, path);
  return why ? ` (${why})` : '';
}

type Def = { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType };
const defOf = (s: z.core.$ZodType) => s._zod.def as unknown as Def;
const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch']);

/** The field's schema at `path` (with its optional or default wrapper), or undefined when the path leaves the schema. */
export function fieldSchema(schema: z.core.$ZodType, path: ReadonlyArray<PropertyKey>): z.core.$ZodType | undefined {
  let s: z.core.$ZodType | undefined = schema;
  for (const key of path) {
    const inner: z.core.$ZodType = unwrap(s);
    const d = defOf(inner);
    s = d.type === 'object' ? d.shape?.[String(key)] : d.type === 'array' && typeof key === 'number' ? d.element : undefined;
    if (!s) return undefined;
  }
  return s;
}

function unwrap(s: z.core.$ZodType): z.core.$ZodType {
  for (;;) {
    const d = defOf(s);
    if (WRAPPERS.has(d.type) && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return s;
  }
}

/** A field that may be left out: it has a default, or nothing happens without it. */
function mayBeLeftOut(schema: z.core.$ZodType | undefined): boolean {
  return schema !== undefined && ['optional', 'default', 'prefault'].includes(defOf(schema).type);
}

/** What to write in an empty field, from WHAT_TO_WRITE or else from its schema. */
function describeWanted(issue: z.core.$ZodIssue, field: z.core.$ZodType | undefined): string {
  const listed = whatToWrite(issue.path);
  if (listed) return listed;
  const inner = field && unwrap(field);
  const d = inner && defOf(inner);
  if (d?.type === 'object' && d.shape) return `its fields on the lines below it, indented (${Object.keys(d.shape).join(', ')})`;
  const expected = issue.code === 'invalid_type' ? issue.expected : d?.type;
  switch (expected) {
    case 'array':
      return 'a list, e.g. [first, second]';
    case 'number':
    case 'int':
      return 'a number';
    case 'boolean':
      return 'true or false';
    default:
      return 'a value';
  }
}

/** A value that is there but empty: what to write, and that the line may go when the field has a default. */
function emptyValue(where: string, issue: z.core.$ZodIssue, source: IssueSource): string {
  const field = source.schema && fieldSchema(source.schema, issue.path);
  const item = typeof issue.path[issue.path.length - 1] === 'number';
  if (item && !whatToWrite(issue.path)) return `${where}is empty (a "-" with nothing after it): write the item, or remove the line`;
  const orRemove = item ? ', or remove this item' : mayBeLeftOut(field) ? ', or remove the line' : '';
  const what = issue.code === 'too_small' && issue.origin === 'array' ? 'is an empty list' : 'is empty';
  return `${where}${what}: write ${describeWanted(issue, field)}${orRemove}${whatItIsFor(issue.path)}`;
}

/** A field that is not there: add it, with what it holds when that is known. */
function missingField(where: string, issue: z.core.$ZodIssue): string {
  const what = whatToWrite(issue.path);
  return `${where}is required: add it${what ? `, with ${what}` : ''}${whatItIsFor(issue.path)}`;
}

/** A zod issue in plain words: what is wrong with the value, and what to write instead. */
export function describeIssue(issue: z.core.$ZodIssue, source: IssueSource = {}): string {
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${where}unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}: check the spelling or remove it`;
    case 'invalid_type':
      if (issue.input === undefined) return missingField(where, issue);
      // `deadline:` with nothing after it is null in YAML, not a wrong type.
      if (issue.input === null) return emptyValue(where, issue, source);
      if (issue.expected === 'string' && (typeof issue.input === 'number' || typeof issue.input === 'boolean')) return where + readAsText(issue.input, source.written);
      return `${where}expected ${issue.expected}: ${issue.message.replace(/^Invalid input: /, '')}`;
    case 'invalid_value':
      return `${where}must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      // `name: ""`, or a name of spaces only.
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return emptyValue(where, issue, source);
      // `contact: []`, where a list must name something; lists with their own message keep it.
      if (issue.origin === 'array' && Number(issue.minimum) === 1 && whatToWrite(issue.path)) return emptyValue(where, issue, source);
      return `${where}${issue.message}`;
    default:
      return `${where}${issue.message}`;
  }
}

/**
 * Text written without quotes that YAML reads as a number (a phone number, an alias such as 110)
 * or as true/false. A number loses what made it text: the leading zero of 07928227328, the
 * trailing zero of 1.50, the digits past the 16th.
 */
function readAsText(value: number | boolean, written: string | undefined): string {
  const text = written ?? String(value);
  const quoted = `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (typeof value === 'boolean') return `${text} was read as ${value} (a yes/no value), not as text: write it in quotes, e.g. ${quoted}`;
  const lost = /^[+-]?0\d/.test(text) ? `, and YAML drops its leading zero (it would be ${value})` : text !== String(value) ? ` (YAML reads it as ${value})` : '';
  return `${text} was read as a number${lost}: it is text here, so write it in quotes, e.g. ${quoted}`;
}
