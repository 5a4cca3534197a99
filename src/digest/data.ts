import { parseDocumentFields } from '../classify/classify-files.js';
import { isBounceReason } from '../mail/machine-mail.js';
import { campaignStatus, type UnitStatus } from '../report/status.js';
import { reviewQueue } from '../review/queue.js';
import { FORM_FIELDS, type FormField, type ItemKind } from '../rules/schema.js';
import { unitNameOf, type Rules } from '../rules/index.js';
import type { Db } from '../store/db.js';
import type { ReplyKind } from '../store/tables.js';
import { formatLocalTime } from '../util/time.js';
import { bounceDetails } from './bounces.js';
import { mailboxHealth } from '../sources/health.js';

export type UnitState = 'complete' | 'complete-late' | 'incomplete' | 'nothing';

export interface DigestUnit extends UnitStatus {
  kind: string;
  state: UnitState;
  /** The latest receipt of any of its items. */
  lastReceivedAt: string | null;
}

export interface Arrival {
  message: number;
  receivedAt: string;
  from: string | null;
  fromName: string | null;
  subject: string | null;
  unit: string | null;
  unitName: string | null;
  /** Required items among the message's readable files. */
  items: ItemKind[];
  /** Whether they count for a unit (false while no unit is decided). */
  counted: boolean;
  unreadable: string[];
  late: boolean;
  status: 'archived' | 'decided' | 'error';
  reply: ReplyKind | null;
  replyStatus: string | null;
}

export interface ReviewEntry {
  message: number;
  receivedAt: string;
  from: string | null;
  fromName: string | null;
  subject: string | null;
  /** Why a person must look, in the staff's words. */
  why: string;
  /** Intake's own explanation (English), for whoever acts on it. */
  detail: string;
  candidates: Array<{ unit: string; name: string; score: number }>;
  files: string[];
}

export interface FailedMail {
  outbox: number;
  kind: string;
  to: string;
  subject: string;
  message: number | null;
  unit: string | null;
  attempts: number;
  error: string | null;
  createdAt: string;
}

export interface BounceEntry {
  message: number;
  receivedAt: string;
  from: string | null;
  subject: string | null;
  /** The addresses the report says failed. */
  recipients: string[];
  /** Our mail it reports on, when the report quotes its Message-ID. */
  bounced: { outbox: number; kind: string; to: string; unit: string | null } | null;
  /** Received since the last digest. */
  fresh: boolean;
}

export interface RegistrationEntry {
  unit: string;
  unitName: string;
  filename: string;
  receivedAt: string;
  late: boolean;
  message: number;
  /** 1-based row within the form; 0 when no row could be read from it. */
  row: number;
  fields: Partial<Record<FormField, string>>;
  problems: string[];
}

/** The watched IMAP mailbox, when `intake run` watches one (a Maildir keeps no health record). */
export interface MailboxHealth {
  /** The mailbox as people know it, e.g. jjszjjb@sina.com (INBOX). */
  mailbox: string;
  reachable: boolean;
  /** Last time intake reached it, ISO. */
  lastOkAt: string | null;
  /** The last failure, as the server or network said it; null when none. */
  lastError: string | null;
  lastErrorAt: string | null;
  /** Messages the server lists but has not handed over yet (asked for again at every sync). */
  unfetched: Array<{ uid: number; size: number; receivedAt: string | null; attempts: number; error: string }>;
}

export interface DigestData {
  generatedAt: string;
  campaign: {
    title: string;
    mailbox: string;
    organiser: string;
    opens: string | null;
    deadline: string;
    cutoff: string;
    timezone: string;
    required: ItemKind[];
    /** What people call each item, the paper copy included (it can be among `missing`). */
    labels: Record<ItemKind | 'paper', string>;
  };
  /** "closed" once the deadline (with grace) has passed: the final list decides eligibility. */
  phase: 'open' | 'closed';
  /** Calendar days in the campaign's zone from today to the deadline's day; negative after it. */
  daysLeft: number;
  counts: {
    units: number;
    complete: number;
    completeOnTime: number;
    completeLate: number;
    incomplete: number;
    nothing: number;
    late: number;
    review: number;
    errors: number;
    /** Null when the campaign asks for no paper copies. */
    paperPending: number | null;
  };
  units: DigestUnit[];
  since: { previousDigestAt: string | null; afterMessage: number; throughMessage: number };
  arrivals: Arrival[];
  /** Arrivals left out of the list: auto-replies, bounces, our own mail, duplicate deliveries. */
  arrivalsNotListed: { machine: number; duplicates: number };
  review: ReviewEntry[];
  delivery: { failed: FailedMail[]; bounces: BounceEntry[] };
  mailbox: MailboxHealth | null;
  paperRequired: boolean;
  /** After the deadline: the units complete and on time, which keep award eligibility. */
  participants: DigestUnit[] | null;
  registrations: RegistrationEntry[];
}

export interface DigestInputs {
  now: Date;
  /** The raw archive, to read what a bounce says about the mail it returns. */
  readRaw: (sha256: string) => Buffer;
}

const localDay = (d: Date | string, tz: string) => formatLocalTime(d, tz).slice(0, 10);
const dayNumber = (day: string) => Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))) / 86_400_000;

/** Whole calendar days from `now` to `deadline`, counted in `tz`: 0 on the deadline's day. */
export function daysUntil(deadline: string, now: Date, tz: string): number {
  return dayNumber(localDay(deadline, tz)) - dayNumber(localDay(now, tz));
}

function stateOf(u: UnitStatus): UnitState {
  if (u.complete) return u.onTime ? 'complete' : 'complete-late';
  return Object.keys(u.items).length > 0 ? 'incomplete' : 'nothing';
}

/** Everything a digest (and the workbook) shows, gathered from the database at `now`. */
export async function gatherDigest(db: Db, rules: Rules, inputs: DigestInputs): Promise<DigestData> {
  const { now } = inputs;
  const c = rules.campaign;
  const tz = c.timezone;
  const unitName = (id: string | null) => (id === null ? null : unitNameOf(rules, id));

  const status = await campaignStatus(db, rules);
  const units: DigestUnit[] = status.units.map((u) => {
    const times = Object.values(u.items).map((i) => i.receivedAt);
    return {
      ...u,
      kind: rules.units.find((r) => r.id === u.unit)?.kind ?? 'other',
      state: stateOf(u),
      lastReceivedAt: times.length > 0 ? times.sort().at(-1)! : null,
    };
  });

  const since = await sinceLastDigest(db);
  // Our own mail (the digest itself, when staff.digest_recipients includes the watched mailbox)
  // is neither listed nor counted.
  const arrivalsAll = (await arrivalsAfter(db, since.afterMessage, c.required, unitName)).filter((a) => a.arrival.from?.toLowerCase() !== c.mailbox.toLowerCase());
  const machineIds = new Set(arrivalsAll.filter((a) => a.machine).map((a) => a.arrival.message));
  const queue = await reviewQueue(db);
  const delivery = await deliveryProblems(db, rules, inputs.readRaw, since.afterMessage);
  const closed = now.getTime() > rules.cutoff.getTime();
  const t = status.totals;

  return {
    generatedAt: now.toISOString(),
    campaign: {
      title: c.title,
      mailbox: c.mailbox,
      organiser: c.organiser.name,
      opens: c.opens ?? null,
      deadline: c.deadline,
      cutoff: rules.cutoff.toISOString(),
      timezone: tz,
      required: [...c.required],
      labels: { registration: rules.documents.kinds.registration.label, plan: rules.documents.kinds.plan.label, paper: c.paper.label },
    },
    phase: closed ? 'closed' : 'open',
    daysLeft: daysUntil(c.deadline, now, tz),
    counts: {
      units: t.units,
      complete: t.complete,
      completeOnTime: t.completeOnTime,
      completeLate: t.complete - t.completeOnTime,
      incomplete: t.incomplete,
      nothing: t.nothing,
      late: t.late,
      review: queue.length,
      errors: t.errors,
      paperPending: c.paper.required ? units.filter((u) => !u.paper.received).length : null,
    },
    units,
    since: { previousDigestAt: since.previousDigestAt, afterMessage: since.afterMessage, throughMessage: since.throughMessage },
    arrivals: arrivalsAll.filter((a) => !a.machine && !a.duplicate).map((a) => a.arrival),
    arrivalsNotListed: { machine: machineIds.size, duplicates: arrivalsAll.filter((a) => a.duplicate && !a.machine).length },
    review: queue.map((r) => reviewEntry(r, unitName)),
    delivery,
    mailbox: await watchedMailbox(db, now),
    paperRequired: c.paper.required,
    participants: closed ? units.filter((u) => u.onTime) : null,
    registrations: await registrations(db, rules),
  };
}

/** The mailbox the digest reports on: one that cannot be reached, if any, else one holding back mail, else the first watched. */
async function watchedMailbox(db: Db, now: Date): Promise<MailboxHealth | null> {
  const all = await mailboxHealth(db, now);
  const h = all.find((m) => m.unreachable) ?? all.find((m) => m.unfetched.length > 0) ?? all[0];
  if (!h) return null;
  return {
    mailbox: `${h.account} (${h.mailbox})`,
    reachable: !h.unreachable,
    lastOkAt: h.lastSyncAt,
    lastError: h.lastError,
    lastErrorAt: h.lastErrorAt,
    unfetched: h.unfetched.map((u) => ({ uid: u.uid, size: u.size, receivedAt: u.internalDate?.toISOString() ?? null, attempts: u.attempts, error: u.error })),
  };
}

/** The last digest that reached someone, and the messages that came after it. */
async function sinceLastDigest(db: Db): Promise<{ previousDigestAt: string | null; afterMessage: number; throughMessage: number }> {
  const max = await db.selectFrom('messages').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
  const throughMessage = Number(max?.id ?? 0);
  const digests = await db.selectFrom('digests').select(['slot', 'generated_at', 'through_message_row']).orderBy('id', 'desc').execute();
  if (digests.length === 0) return { previousDigestAt: null, afterMessage: 0, throughMessage };
  const sent = new Set(
    (await db.selectFrom('outbox').select('dedupe_key').where('kind', '=', 'digest').where('status', '=', 'sent').execute()).map((r) => digestSlotOfKey(r.dedupe_key)),
  );
  const last = digests.find((d) => sent.has(d.slot));
  return last ? { previousDigestAt: last.generated_at, afterMessage: last.through_message_row, throughMessage } : { previousDigestAt: null, afterMessage: 0, throughMessage };
}

/** Outbox dedupe key of one recipient's copy of a digest. */
export const digestDedupeKey = (slot: string, address: string) => `digest:${slot}|${address.toLowerCase()}`;
const digestSlotOfKey = (key: string) => key.slice('digest:'.length, key.lastIndexOf('|'));

async function arrivalsAfter(db: Db, after: number, required: readonly ItemKind[], unitName: (id: string | null) => string | null): Promise<Array<{ arrival: Arrival; machine: boolean; duplicate: boolean }>> {
  const rows = await db.selectFrom('messages').selectAll().where('id', '>', after).orderBy('received_at').orderBy('id').execute();
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const items = await db.selectFrom('submission_items').select(['message_row', 'item']).where('message_row', 'in', ids).orderBy('id').execute();
  const docs = await db.selectFrom('documents').select(['message_row', 'filename', 'readable', 'kinds_json']).where('message_row', 'in', ids).orderBy('seq').execute();
  const outbox = await db.selectFrom('outbox').select(['message_row', 'kind', 'status']).where('message_row', 'in', ids).execute();
  return rows.map((r) => {
    const reply = outbox.find((o) => o.message_row === r.id && o.kind === r.reply_kind);
    // Machine mail is answered with nothing, and its reason says why (see machineMailReason).
    const machine = r.reply_kind === 'none' && r.duplicate_of === null && r.reply_reason !== null && isMachineReason(r.reply_reason);
    return {
      machine,
      duplicate: r.duplicate_of !== null,
      arrival: {
        message: r.id,
        receivedAt: r.received_at,
        from: r.from_address,
        fromName: r.from_name,
        subject: r.subject,
        unit: r.unit_id,
        unitName: unitName(r.unit_id),
        items: required.filter((k) => docs.some((d) => d.message_row === r.id && d.readable === 1 && (JSON.parse(d.kinds_json) as string[]).includes(k))),
        counted: items.some((i) => i.message_row === r.id),
        unreadable: docs.filter((d) => d.message_row === r.id && d.readable === 0).map((d) => d.filename),
        late: r.late === 1,
        status: r.status,
        reply: r.reply_kind,
        replyStatus: reply?.status ?? null,
      },
    };
  });
}

const MACHINE_REASON = /^(auto-reply|bulk mail|list mail|bounce|machine sender|our own mail|auto-reply or bounce) \(/;
function isMachineReason(reason: string): boolean {
  return MACHINE_REASON.test(reason);
}

function reviewEntry(r: Awaited<ReturnType<typeof reviewQueue>>[number], unitName: (id: string | null) => string | null): ReviewEntry {
  const base = { message: r.id, receivedAt: r.receivedAt, from: r.from, fromName: r.fromName, subject: r.subject, files: r.documents.map((d) => d.filename) };
  const totals = new Map<string, number>();
  for (const e of r.evidence) totals.set(e.unit, (totals.get(e.unit) ?? 0) + e.weight);
  const candidates = [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([unit, score]) => ({ unit, name: unitName(unit) ?? unit, score: Math.round(score * 100) / 100 }));
  if (r.status === 'error') return { ...base, why: '处理出错，需要人工查看后重试', detail: r.error ?? 'error', candidates };
  return { ...base, why: reviewWhy(r.replyReason, r.matchReason, r.unit), detail: [r.replyReason, r.matchReason].filter(Boolean).join('; '), candidates };
}

/** The review reasons intake records (decideReply, UnitMatcher), said for staff. */
function reviewWhy(replyReason: string | null, matchReason: string | null, unit: string | null): string {
  if (replyReason?.startsWith('files sent as cloud links')) return '附件是网盘链接，需要人工下载';
  if (replyReason?.startsWith('no attachments')) return '邮件没有附件，需要人工阅读正文';
  if (replyReason?.startsWith('late only by a receipt time')) return '收到时间不是邮件服务器记录的时间，按此时间为逾期，需人工确认是否逾期';
  if (unit === null && matchReason) {
    if (matchReason.startsWith('no unit name')) return '无法确定是哪个单位：邮件中没有名册中的单位名称或已知地址';
    if (matchReason.startsWith('best unit')) return '无法确定是哪个单位：单位线索不足';
    if (matchReason.startsWith('conflicting evidence')) return '无法确定是哪个单位：线索指向不同单位';
    if (matchReason.includes('no longer in the roster')) return '已指定的单位不在名册中';
  }
  return '需要人工确认';
}

async function deliveryProblems(db: Db, rules: Rules, readRaw: (sha256: string) => Buffer, afterMessage: number): Promise<DigestData['delivery']> {
  const failedRows = await db.selectFrom('outbox').selectAll().where('status', '=', 'failed').orderBy('id').execute();
  const messageUnits = new Map(
    (await db.selectFrom('messages').select(['id', 'unit_id']).where('id', 'in', [-1, ...failedRows.map((r) => r.message_row ?? -1)]).execute()).map((m) => [m.id, m.unit_id]),
  );
  const failed = failedRows.map((r): FailedMail => ({
    outbox: r.id,
    kind: r.kind,
    to: r.to_address,
    subject: r.subject,
    message: r.message_row,
    unit: r.message_row !== null ? (messageUnits.get(r.message_row) ?? null) : null,
    attempts: r.attempts,
    error: r.last_error,
    createdAt: r.created_at,
  }));

  const candidates = await db
    .selectFrom('messages')
    .select(['id', 'sha256', 'received_at', 'from_address', 'subject', 'reply_reason'])
    .where('reply_kind', '=', 'none')
    .where('duplicate_of', 'is', null)
    .orderBy('received_at', 'desc')
    .execute();
  const bounces: BounceEntry[] = [];
  for (const m of candidates.filter((m) => isBounceReason(m.reply_reason))) {
    let details: Awaited<ReturnType<typeof bounceDetails>> | null = null;
    try {
      details = await bounceDetails(readRaw(m.sha256), rules.campaign.mailbox);
    } catch {
      // The raw file is unreadable: the bounce is still shown, without what it refers to.
    }
    let bounced: BounceEntry['bounced'] = null;
    if (details && details.messageIds.length > 0) {
      const row = await db.selectFrom('outbox').select(['id', 'kind', 'to_address', 'message_row']).where('reply_message_id', 'in', details.messageIds).executeTakeFirst();
      if (row) {
        const unit = row.message_row !== null ? ((await db.selectFrom('messages').select('unit_id').where('id', '=', row.message_row).executeTakeFirst())?.unit_id ?? null) : null;
        bounced = { outbox: row.id, kind: row.kind, to: row.to_address, unit };
      }
    }
    bounces.push({
      message: m.id,
      receivedAt: m.received_at,
      from: m.from_address,
      subject: m.subject,
      recipients: details?.recipients.length ? details.recipients : bounced ? [bounced.to] : [],
      bounced,
      fresh: m.id > afterMessage,
    });
  }
  return { failed, bounces };
}

/** The rows of each unit's latest registration form (every form the latest message carried). */
async function registrations(db: Db, rules: Rules): Promise<RegistrationEntry[]> {
  const items = await db.selectFrom('submission_items').selectAll().where('item', '=', 'registration').orderBy('id').execute();
  const out: RegistrationEntry[] = [];
  for (const u of rules.units) {
    const mine = items.filter((i) => i.unit_id === u.id);
    if (mine.length === 0) continue;
    // The newest version counts, as in unitState: latest receipt, then latest message.
    const latest = mine.reduce((a, b) => (b.received_at > a.received_at || (b.received_at === a.received_at && (b.message_row ?? 0) > (a.message_row ?? 0)) ? b : a));
    const forms = mine.filter((i) => i.message_row === latest.message_row && i.received_at === latest.received_at);
    for (const item of forms) {
      const doc = item.document_id !== null ? await db.selectFrom('documents').select(['fields_json', 'filename']).where('id', '=', item.document_id).executeTakeFirst() : undefined;
      const form = readForm(doc?.fields_json ?? null);
      const common = { unit: u.id, unitName: u.name, filename: item.filename, receivedAt: item.received_at, late: item.late === 1, message: item.message_row ?? 0, problems: form.problems };
      if (form.rows.length === 0) out.push({ ...common, row: 0, fields: {}, problems: form.problems.length > 0 ? form.problems : ['未读出报名表的行'] });
      form.rows.forEach((fields, i) => out.push({ ...common, row: i + 1, fields }));
    }
  }
  return out;
}

/** documents.fields_json, read defensively: its shape belongs to the classifier and may grow. */
export function readForm(json: string | null): { rows: Array<Partial<Record<FormField, string>>>; problems: string[] } {
  let fields: ReturnType<typeof parseDocumentFields>;
  try {
    fields = parseDocumentFields(json);
  } catch {
    return { rows: [], problems: [] };
  }
  const rows = (fields?.form?.rows ?? []).map((r) => {
    const out: Partial<Record<FormField, string>> = {};
    for (const f of FORM_FIELDS) if (r[f]?.trim()) out[f] = r[f]!.trim();
    return out;
  });
  return { rows: rows.filter((r) => Object.keys(r).length > 0), problems: (fields?.problems ?? []).map((p) => p.message) };
}

