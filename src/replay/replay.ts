import { decidedByPerson, evaluate, type Analysed, type Evaluation } from '../pipeline/evaluate.js';
import type { App } from '../service/app.js';
import { recordRulesApplied } from '../service/rules-follow.js';
import type { MessageRow } from '../store/tables.js';
import type { ItemVersion } from '../submissions/unit-state.js';

/** What a message's decision is, in the terms `rules test` compares. */
export interface DecisionSummary {
  unit: string | null;
  /** Kinds of each file, in order, e.g. ["registration", "plan"]; "+" joins a file's several kinds. */
  kinds: string[];
  late: boolean;
  reply: string | null;
}

export interface DecisionChange {
  message: number;
  subject: string | null;
  from: string | null;
  before: DecisionSummary;
  after: DecisionSummary;
  changed: Array<keyof DecisionSummary>;
}

export interface ReplayReport {
  messages: number;
  changes: DecisionChange[];
  counts: Record<keyof DecisionSummary, number>;
}

const FIELDS: Array<keyof DecisionSummary> = ['unit', 'kinds', 'late', 'reply'];

async function storedSummaries(app: App): Promise<Map<number, DecisionSummary>> {
  const rows = await app.db.selectFrom('messages').select(['id', 'unit_id', 'late', 'reply_kind']).execute();
  const docs = await app.db.selectFrom('documents').select(['message_row', 'seq', 'kinds_json', 'kind']).orderBy('message_row').orderBy('seq').execute();
  return new Map(
    rows.map((r) => [
      r.id,
      { unit: r.unit_id, kinds: docs.filter((d) => d.message_row === r.id).map((d) => kindsText(JSON.parse(d.kinds_json) as string[])), late: r.late === 1, reply: r.reply_kind },
    ]),
  );
}

function kindsText(kinds: string[]): string {
  return kinds.length === 0 ? 'other' : kinds.join('+');
}

function compare(row: MessageRow, before: DecisionSummary, after: DecisionSummary): DecisionChange | null {
  const changed = FIELDS.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
  return changed.length === 0 ? null : { message: row.id, subject: row.subject, from: row.from_address, before, after, changed };
}

function report(messages: number, changes: DecisionChange[]): ReplayReport {
  const counts = Object.fromEntries(FIELDS.map((f) => [f, changes.filter((c) => c.changed.includes(f)).length])) as ReplayReport['counts'];
  return { messages, changes, counts };
}

async function replayOrder(app: App): Promise<MessageRow[]> {
  return app.db.selectFrom('messages').selectAll().where('status', 'in', ['decided', 'error']).orderBy('received_at').orderBy('id').execute();
}

/** What a replayed decision is compared by with the stored one. */
function summaryOf(a: Analysed, ev: Evaluation): DecisionSummary {
  return { unit: a.match.unit, kinds: a.files.map((f) => kindsText(f.classification.kinds)), late: ev.late, reply: ev.reply.kind };
}

/**
 * `intake rules test`: every stored message decided again under the rules on disk, in memory,
 * in the order the messages were received, so each unit's history builds up as it did. Reads
 * the database and the raw archive; writes nothing and sends nothing.
 */
export async function testRules(app: App): Promise<ReplayReport> {
  const stored = await storedSummaries(app);
  const history = new Map<string, ItemVersion[]>();
  const changes: DecisionChange[] = [];
  const rows = await replayOrder(app);
  // A message a person decided is answered with what its unit sent after it (evaluate's `later`):
  // its reply is known once the whole history is.
  const byPerson: Array<{ row: MessageRow; a: Analysed; prior: ItemVersion[]; brought: ItemVersion[] }> = [];
  const results = new Map<number, DecisionChange | null>();
  for (const row of rows) {
    const a = await app.pipeline.analyse(row);
    const unit = a.match.unit;
    const prior = unit ? (history.get(unit) ?? []) : [];
    const ev = evaluate(a, prior, app.rules);
    if (unit && ev.brought.length > 0) history.set(unit, [...prior, ...ev.brought]);
    if (unit && decidedByPerson(row)) {
      byPerson.push({ row, a, prior, brought: ev.brought });
      results.set(row.id, null);
      continue;
    }
    results.set(row.id, compare(row, stored.get(row.id)!, summaryOf(a, ev)));
  }
  for (const { row, a, prior, brought } of byPerson) {
    const unit = a.match.unit!;
    const later = (history.get(unit) ?? []).filter((v) => !prior.includes(v) && !brought.includes(v));
    const ev = evaluate(a, prior, app.rules, later);
    results.set(row.id, compare(row, stored.get(row.id)!, summaryOf(a, ev)));
  }
  for (const row of rows) {
    const change = results.get(row.id);
    if (change) changes.push(change);
  }
  return report(rows.length, changes);
}

/**
 * `intake rules apply`: every stored message decided again under the current rules, for real,
 * with the outbox's guarantees (a reply already sent is not sent again; a now-due one is queued).
 */
export async function applyRules(app: App): Promise<ReplayReport & { errors: Array<{ message: number; error: string }> }> {
  const before = await storedSummaries(app);
  const rows = await replayOrder(app);
  // Not in this run: messages still undecided now, and every one that comes after.
  const undecided = await app.db.selectFrom('messages').select((eb) => eb.fn.min('id').as('id')).where('status', '=', 'archived').executeTakeFirst();
  const fromMessage = Math.min(Number(undecided?.id ?? Infinity), rows.reduce((most, r) => Math.max(most, r.id), 0) + 1);
  const errors: Array<{ message: number; error: string }> = [];
  for (const row of rows) {
    const out = await app.pipeline.decide(row, { redecide: true });
    if (out.status === 'error') errors.push({ message: row.id, error: out.error });
  }
  // A running service takes these rules up when it sees this row (service/rules-follow.ts).
  await recordRulesApplied(app.db, fromMessage);
  const after = await storedSummaries(app);
  const changes = rows.flatMap((row) => {
    const c = compare(row, before.get(row.id)!, after.get(row.id)!);
    return c ? [c] : [];
  });
  return { ...report(rows.length, changes), errors };
}

export function renderReplay(r: ReplayReport, verb: 'would change' | 'changed'): string {
  const show = (f: keyof DecisionSummary, s: DecisionSummary) => (f === 'kinds' ? `[${s.kinds.join(', ')}]` : String(s[f] ?? '-'));
  const lines: string[] = [];
  for (const c of r.changes) {
    lines.push(`#${c.message}  ${c.from ?? ''}  ${c.subject ?? ''}`);
    for (const f of c.changed) lines.push(`    ${f.padEnd(5)} ${show(f, c.before)} -> ${show(f, c.after)}`);
  }
  const n = r.counts;
  lines.push(`${r.messages} message(s) replayed: ${r.changes.length} ${verb} (unit ${n.unit}, kinds ${n.kinds}, late ${n.late}, reply ${n.reply}).`);
  return lines.join('\n');
}
