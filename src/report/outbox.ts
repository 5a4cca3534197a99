import type { MatchResult } from '../match/unit-matcher.js';
import { answeredAlready } from '../replies/decide.js';
import type { Rules } from '../rules/index.js';
import type { Db } from '../store/db.js';
import type { OutboxStatus } from '../store/tables.js';
import { formatLocalTime } from '../util/time.js';
import { renderTable } from './table.js';

/** One reply or reminder, as `intake outbox --json` prints it (one object a line). */
export interface OutboxEntry {
  id: number;
  kind: string;
  /** The message it answers (null for a reminder). */
  message: number | null;
  unit: string | null;
  to: string;
  subject: string;
  status: OutboxStatus;
  attempts: number;
  /** What the last failure was: connection, temporary, permanent, rate-limited, interrupted. */
  errorClass: string | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  sentAt: string | null;
  /** What the server said when it took the reply. */
  serverResponse: string | null;
  replyMessageId: string;
  /** Why the reply went to this unit: the decision's reason and its evidence (null for a reminder or digest). */
  match: { reason: string; evidence: Array<{ signal: string; unit: string; match: string; weight: number }> } | null;
}

/** failed and held rows: a person must decide (`intake outbox resend` or `mark-sent`). */
export const PROBLEM_STATUSES: OutboxStatus[] = ['failed', 'held'];

export async function outboxEntries(db: Db, filter: { statuses?: OutboxStatus[]; ids?: number[] } = {}): Promise<OutboxEntry[]> {
  let q = db.selectFrom('outbox').leftJoin('messages', 'messages.id', 'outbox.message_row').selectAll('outbox').select('messages.match_json').orderBy('outbox.id');
  if (filter.statuses) q = q.where('outbox.status', 'in', filter.statuses);
  if (filter.ids) q = q.where('outbox.id', 'in', filter.ids.length > 0 ? filter.ids : [-1]);
  return (await q.execute()).map((r) => ({
    id: r.id,
    kind: r.kind,
    message: r.message_row,
    unit: r.unit_id,
    to: r.to_address,
    subject: r.subject,
    status: r.status,
    attempts: r.attempts,
    errorClass: r.error_class,
    lastError: r.last_error,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
    sentAt: r.sent_at,
    serverResponse: r.server_response,
    replyMessageId: r.reply_message_id,
    match: matchOf(r.match_json),
  }));
}

function matchOf(json: string | null): OutboxEntry['match'] {
  if (!json) return null;
  const m = JSON.parse(json) as MatchResult;
  return { reason: m.reason, evidence: m.evidence.map((e) => ({ signal: e.signal, unit: e.unit, match: e.match, weight: e.weight })) };
}

export function renderOutboxTable(entries: OutboxEntry[], rules: Rules): string {
  const tz = rules.campaign.timezone;
  const t = (s: string | null) => (s ? formatLocalTime(s, tz).slice(5, 16) : '');
  const rows = entries.map((e) => [
    String(e.id),
    e.kind,
    e.message === null ? '' : `#${e.message}`,
    e.unit ?? '-',
    e.to,
    e.status,
    String(e.attempts),
    e.status === 'sent' ? t(e.sentAt) : e.status === 'pending' && e.nextAttemptAt ? `retry ${t(e.nextAttemptAt)}` : '',
    e.status === 'sent' ? '' : (e.lastError ?? '').slice(0, 90),
  ]);
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.status, (counts.get(e.status) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(', ') || 'nothing';
  const problems = entries.filter((e) => PROBLEM_STATUSES.includes(e.status)).length;
  const hint = problems > 0 ? `\n${problems} need a person: \`intake outbox resend <id>\` sends one again; \`intake outbox mark-sent <id>\` records that it did arrive (check the mailbox's Sent folder first for "held" ones).` : '';
  return `${renderTable(['#', 'kind', 'message', 'unit', 'to', 'status', 'tries', 'when', 'note'], rows)}\n\n${entries.length} reply(ies) and reminder(s): ${summary}.${hint}`;
}

/**
 * A person's decision on replies that did not go out: send again (failed, held, suppressed →
 * pending, attempts from zero), or record that it did arrive (held, failed → sent).
 */
export async function resolveOutbox(db: Db, ids: number[], action: 'resend' | 'mark-sent', now = new Date()): Promise<{ changed: number[]; skipped: Array<{ id: number; why: string }> }> {
  const rows = await db
    .selectFrom('outbox')
    .leftJoin('messages', 'messages.id', 'outbox.message_row')
    .select(['outbox.id', 'outbox.status', 'outbox.kind', 'outbox.message_row', 'messages.reply_kind'])
    .where('outbox.id', 'in', ids.length > 0 ? ids : [-1])
    .execute();
  const allowed: OutboxStatus[] = action === 'resend' ? ['failed', 'held', 'suppressed'] : ['failed', 'held'];
  const changed: number[] = [];
  const skipped: Array<{ id: number; why: string }> = [];
  for (const id of ids) {
    const row = rows.find((r) => r.id === id);
    if (!row) {
      skipped.push({ id, why: 'no such reply' });
      continue;
    }
    if (!allowed.includes(row.status)) {
      skipped.push({ id, why: `it is ${row.status}` });
      continue;
    }
    // A reply to a message decided again since (a person's assignment, `rules apply`) no longer
    // says the truth, and a dry run's note ("recorded, not sent") would not show it.
    if (action === 'resend' && row.message_row !== null) {
      const stale = await staleReply(db, row.message_row, row.kind, row.reply_kind);
      if (stale) {
        skipped.push({ id, why: stale });
        continue;
      }
    }
    const set =
      action === 'resend'
        ? { status: 'pending' as const, attempts: 0, next_attempt_at: null, error_class: null, handed_over_at: null, last_error: `to be sent again by a person's decision (${now.toISOString()}); was ${row.status}` }
        : { status: 'sent' as const, sent_at: now.toISOString(), error_class: null, server_response: `recorded as delivered by a person (${now.toISOString()}); was ${row.status}` };
    await db.updateTable('outbox').set(set).where('id', '=', id).where('status', '=', row.status).execute();
    changed.push(id);
  }
  return { changed, skipped };
}

/** Why a reply to a message no longer holds (as commitDecision judges a new one), or null. */
async function staleReply(db: Db, messageRow: number, kind: string, decidedAs: string | null): Promise<string | null> {
  if (decidedAs !== kind) return `message #${messageRow} is now decided as "${decidedAs ?? 'undecided'}", not "${kind}"`;
  const answered = answeredAlready(await db.selectFrom('outbox').select(['id', 'kind', 'status']).where('message_row', '=', messageRow).execute(), kind);
  return answered ? `reply #${answered.id} ("${answered.kind}") to message #${messageRow} was sent already` : null;
}
