import type { Db } from '../store/db.js';
import type { MailboxHealthTable, MailboxState } from '../store/tables.js';
import { loadCheckpoint } from './imap-checkpoint.js';
import { unfetchedOf, type Unfetched } from './imap-unfetched.js';

/** How a watched mailbox is doing, as `intake health`, `intake run` and the digest show it. */
export interface MailboxHealth {
  account: string;
  mailbox: string;
  /** connecting / connected / disconnected while `intake run` runs; stopped after it ended. */
  state: MailboxState;
  connectedAt: string | null;
  /** The last sync that completed: every message up to then is taken in. */
  lastSyncAt: string | null;
  /** When intake last took in a new message, and that message's receipt time (INTERNALDATE). */
  lastMailAt: string | null;
  lastMailReceivedAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  /** Since when syncing has failed (null while it works). */
  downSince: string | null;
  /** Whether the server supports IDLE; without it, new mail waits for the poll. */
  idle: boolean;
  /** No sync has completed for longer than IMAP_UNREACHABLE_MINUTES (the service down counts too). */
  unreachable: boolean;
  /**
   * Messages the server lists but has not handed over (under the folder's current UIDVALIDITY):
   * not lost, asked for again at every sync, but not read or answered until then.
   */
  unfetched: Unfetched[];
  /** For people when something is wrong (a line each), else null. */
  problem: string | null;
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

/**
 * Every watched mailbox's health, judged at `now`. Reads only the database, so any process can
 * call it: the digest uses it to say "mailbox unreachable". A mailbox is unreachable when no sync
 * has completed within the service's IMAP_UNREACHABLE_MINUTES (stored with the row): whether the
 * server refuses us, the network is down, or `intake run` is not running, no mail is coming in.
 */
export async function mailboxHealth(db: Db, now = new Date()): Promise<MailboxHealth[]> {
  const rows = await db.selectFrom('mailbox_health').selectAll().orderBy('account').orderBy('mailbox').execute();
  const out: MailboxHealth[] = [];
  for (const r of rows) {
    const limit = Number(r.unreachable_after_ms);
    const since = r.last_sync_at ?? r.down_since ?? r.updated_at;
    const quietMs = now.getTime() - Date.parse(since);
    const unreachable = quietMs > limit;
    const problems: string[] = [];
    if (unreachable) {
      const what = r.last_sync_at ? `no successful sync for ${minutes(quietMs)} (since ${r.last_sync_at})` : `never synced (trying since ${since})`;
      const why = r.state === 'stopped' ? 'intake run is not running' : r.last_error ? `last error: ${r.last_error}` : 'no error recorded';
      problems.push(`mailbox ${r.mailbox} of ${r.account} unreachable: ${what}; ${why}`);
    }
    const cp = await loadCheckpoint(db, r.account, r.mailbox);
    const unfetched = cp ? await unfetchedOf(db, { account: r.account, mailbox: r.mailbox, uidvalidity: cp.uidvalidity }) : [];
    if (unfetched.length > 0) {
      problems.push(
        `mailbox ${r.mailbox} of ${r.account}: the server would not hand over ${unfetched.length} message(s); intake asks again at every sync, and they are not read or answered until then:\n` +
          unfetched.map((u) => `  UID ${u.uid} (${u.size} bytes, received ${u.internalDate?.toISOString() ?? 'unknown'}): ${u.attempts} attempt(s) since ${u.firstFailedAt}; last: ${u.error}`).join('\n'),
      );
    }
    out.push({
      account: r.account,
      mailbox: r.mailbox,
      state: r.state,
      connectedAt: r.connected_at,
      lastSyncAt: r.last_sync_at,
      lastMailAt: r.last_mail_at,
      lastMailReceivedAt: r.last_mail_received_at,
      lastError: r.last_error,
      lastErrorAt: r.last_error_at,
      downSince: r.down_since,
      idle: r.idle === 1,
      unreachable,
      unfetched,
      problem: problems.length > 0 ? problems.join('\n') : null,
    });
  }
  return out;
}

type HealthUpdate = Partial<Omit<MailboxHealthTable, 'account' | 'mailbox' | 'updated_at' | 'unreachable_after_ms'>>;

/** The service's writes to its mailbox_health row. */
export class HealthRecorder {
  constructor(
    private readonly db: Db,
    readonly account: string,
    readonly mailbox: string,
    private readonly unreachableAfterMs: number,
  ) {}

  async update(set: HealthUpdate, now = new Date()): Promise<void> {
    const at = now.toISOString();
    await this.db
      .insertInto('mailbox_health')
      .values({ account: this.account, mailbox: this.mailbox, state: 'connecting', idle: 0, ...set, unreachable_after_ms: this.unreachableAfterMs, updated_at: at })
      .onConflict((oc) => oc.columns(['account', 'mailbox']).doUpdateSet({ ...set, unreachable_after_ms: this.unreachableAfterMs, updated_at: at }))
      .execute();
  }

  /** A failure: kept with its time; down_since marks the first failure after the last good sync. */
  async failed(state: MailboxState, error: string, now = new Date()): Promise<void> {
    const at = now.toISOString();
    await this.update({ state, last_error: error.slice(0, 1000), last_error_at: at }, now);
    await this.db.updateTable('mailbox_health').set({ down_since: at }).where('account', '=', this.account).where('mailbox', '=', this.mailbox).where('down_since', 'is', null).execute();
  }

  async synced(now = new Date()): Promise<void> {
    await this.update({ state: 'connected', last_sync_at: now.toISOString(), down_since: null }, now);
  }
}
