import type { Logger } from '../log.js';
import { loadRules, RulesError, formatProblem } from '../rules/index.js';
import type { Db } from '../store/db.js';
import type { App } from './app.js';

/** The last `intake rules apply` run recorded, if any. */
export async function latestRulesApplied(db: Db): Promise<{ id: number; applied_at: string; from_message: number } | undefined> {
  return db.selectFrom('rules_applied').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
}

export async function recordRulesApplied(db: Db, fromMessage: number, now = new Date()): Promise<void> {
  await db.insertInto('rules_applied').values({ applied_at: now.toISOString(), from_message: fromMessage }).execute();
}

/**
 * Watches for `intake rules apply` while the service runs. The service decides new mail with the
 * rules it loaded at its start; after an apply it must decide with the applied ones, or the next
 * message of a unit given a new alias would still go to review. A new apply calls `applied` once
 * the rules on disk load cleanly; rules edited again since, into something invalid, are not taken
 * up: the error is logged (once) and the service goes on with the rules it has.
 */
export function followRulesApplied(opts: { db: Db; rulesDir: string; log: Logger; everyMs: number; since: number; applied: (run: { id: number; from_message: number }) => void }): { stop(): void } {
  let seen = opts.since;
  let reported = 0;
  let busy = false;
  const check = async () => {
    if (busy) return;
    busy = true;
    try {
      const run = await latestRulesApplied(opts.db);
      if (!run || run.id <= seen) return;
      try {
        loadRules(opts.rulesDir);
      } catch (err) {
        if (!(err instanceof RulesError)) throw err;
        if (reported !== run.id) opts.log.error({ problems: err.problems.map(formatProblem) }, 'rules were applied but are invalid on disk now: going on with the rules the service has (fix them and run `intake rules apply` again)');
        reported = run.id;
        return;
      }
      seen = run.id;
      clearInterval(timer);
      opts.applied(run);
    } catch (err) {
      opts.log.error({ err: (err as Error).message }, 'checking for applied rules failed; will retry');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void check(), opts.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * Messages the service may have decided with its old rules while `rules apply` ran: undecided
 * when the apply listed what it would decide again, or archived after, they were in no one's
 * re-decision (ids from `fromMessage` on; the few the apply did decide are decided once more, to
 * the same result). Decided again now, in the order received, with the outbox's at-most-once rules.
 */
export async function redecideFrom(app: App, fromMessage: number): Promise<number> {
  const rows = await app.db
    .selectFrom('messages')
    .selectAll()
    .where('status', '=', 'decided')
    .where('id', '>=', fromMessage)
    .orderBy('received_at')
    .orderBy('id')
    .execute();
  for (const row of rows) await app.pipeline.decide(row, { redecide: true });
  return rows.length;
}
