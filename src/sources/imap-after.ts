import type { ImapFlow } from 'imapflow';
import type { ImapSettings } from '../config/imap.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import { flushToDisk } from '../store/durability.js';
import { imapAccount, imapSourceId, uidSet } from './imap-uids.js';

const prepared = new WeakSet<ImapFlow>();

/** IMAP_AFTER=move:<folder>: the folder is created once per connection if it is missing. */
async function ensureFolder(client: ImapFlow, folder: string, log: Logger): Promise<void> {
  if (prepared.has(client)) return;
  const list = await client.list();
  if (!list.some((m) => m.path === folder || m.name === folder)) {
    await client.mailboxCreate(folder);
    log.info({ folder }, 'created the folder processed mail is moved to');
  }
  prepared.add(client);
}

/** UIDs per STORE or MOVE: a long scattered set would make one command line too long for some servers. */
const UIDS_PER_COMMAND = 500;

/**
 * A refusal that lasts (a read-only folder, a keyword the folder does not keep) would otherwise
 * be warned after every sync, about once a minute: on one connection each kind of warning is
 * repeated at most this often (at debug level in between), and said again at once after the
 * action has worked.
 */
const REPEAT_WARNING_MS = 3600_000;
const warnedAt = new WeakMap<ImapFlow, Map<string, number>>();

function warnNowAndThen(client: ImapFlow, log: Logger, key: string, fields: Record<string, unknown>, message: string, now = Date.now()): void {
  let times = warnedAt.get(client);
  if (!times) warnedAt.set(client, (times = new Map()));
  const last = times.get(key);
  if (last !== undefined && now - last < REPEAT_WARNING_MS) {
    log.debug({ ...fields, repeated: true }, message);
    return;
  }
  times.set(key, now);
  log.warn(last === undefined ? fields : { ...fields, warnedBefore: new Date(last).toISOString() }, message);
}

/**
 * What IMAP_AFTER says to do with messages that are archived and decided. A failure here is
 * logged and never undoes anything: the message is safe in the archive either way, and the
 * action is tried again after the next sync (catchUpAfterAction); each message records when its
 * action was done. The decisions are synced to disk first: a message moved away while its row
 * could still be lost to a power cut would never be fetched again.
 */
export async function applyAfterAction(client: ImapFlow, db: Db, s: ImapSettings, uidValidity: string, uids: number[], log: Logger): Promise<void> {
  const a = s.after;
  if (a.kind === 'none' || uids.length === 0) return;
  try {
    await flushToDisk(db);
  } catch (err) {
    log.warn({ action: a.kind, err: (err as Error).message }, 'after-processing action not applied: the decisions could not be synced to disk; tried again after the next sync');
    return;
  }
  const sorted = [...new Set(uids)].sort((x, y) => x - y);
  for (let i = 0; i < sorted.length; i += UIDS_PER_COMMAND) {
    const chunk = sorted.slice(i, i + UIDS_PER_COMMAND);
    const range = uidSet(chunk);
    let done: boolean;
    try {
      if (a.kind === 'seen') done = await client.messageFlagsAdd(range, ['\\Seen'], { uid: true });
      else if (a.kind === 'keyword') {
        // A folder that allows no such keyword (PERMANENTFLAGS) would refuse it on every try:
        // said once per command's worth of UIDs, and taken as done (imapflow would drop such a
        // flag without sending a command).
        const flags = client.mailbox ? client.mailbox.permanentFlags : undefined;
        if (flags && !flags.has('\\*') && !flags.has(a.keyword)) {
          warnNowAndThen(client, log, 'keyword-not-allowed', { keyword: a.keyword }, 'the folder does not allow the keyword (its PERMANENTFLAGS): processed mail is not marked');
          done = true;
        } else done = await client.messageFlagsAdd(range, [a.keyword], { uid: true });
      } else {
        await ensureFolder(client, a.folder, log);
        const moved = Boolean(await client.messageMove(range, a.folder, { uid: true }));
        // Without the MOVE extension imapflow copies, then deletes and expunges: a false answer
        // may follow a copy that worked, and copying again on every sync would pile up
        // duplicates in the folder. Tried once, then; a message left behind stays in the folder.
        if (!moved && !client.capabilities.has('MOVE')) log.warn({ folder: a.folder }, 'moving processed mail failed on a server without MOVE; not tried again (messages may be left in the folder, or copied without being removed)');
        done = moved || !client.capabilities.has('MOVE');
      }
    } catch (err) {
      done = false;
      warnNowAndThen(client, log, 'failed', { action: a.kind, err: (err as Error).message }, 'after-processing action failed');
    }
    // imapflow answers false for a NO, a BAD or a connection lost mid-command: not done.
    if (!done || !client.usable) {
      warnNowAndThen(client, log, 'not-applied', { action: a.kind, messages: sorted.length - i }, 'after-processing action not applied; the messages stay as they are until the next sync tries again');
      return;
    }
    warnedAt.get(client)?.delete('not-applied');
    warnedAt.get(client)?.delete('failed');
    // A crash before this is recorded repeats the action, which is harmless (flags are added,
    // not toggled; a UID already moved is no longer there to move).
    const now = new Date().toISOString();
    await db.updateTable('messages').set({ after_action_at: now }).where('source', 'in', chunk.map((uid) => imapSourceId(imapAccount(s), s.mailbox, uidValidity, uid))).execute();
  }
}

/**
 * Applies IMAP_AFTER to decided messages of the mailbox that do not have it yet: a message in
 * error when its sync passed it and decided by a later retry, or one whose action failed (the
 * connection dropped). Run after every sync, once the retries have run.
 */
export async function catchUpAfterAction(client: ImapFlow, db: Db, s: ImapSettings, log: Logger): Promise<void> {
  if (s.after.kind === 'none') return;
  const lock = await client.getMailboxLock(s.mailbox);
  try {
    const uidValidity = client.mailbox ? client.mailbox.uidValidity.toString() : null;
    if (!uidValidity) return;
    // Compared in code, not with LIKE: a mailbox name may hold LIKE's wildcards (_ and %).
    const prefix = imapSourceId(imapAccount(s), s.mailbox, uidValidity, 0).slice(0, -1);
    const rows = await db.selectFrom('messages').select('source').where('status', '=', 'decided').where('after_action_at', 'is', null).where('source', 'like', 'imap:%').execute();
    const uids = rows.flatMap((r) => (r.source.startsWith(prefix) ? [Number(r.source.slice(prefix.length))] : [])).filter((uid) => Number.isSafeInteger(uid) && uid > 0);
    if (uids.length === 0) return;
    log.info({ action: s.after.kind, messages: uids.length }, 'applying the after-processing action to messages decided after their sync');
    await applyAfterAction(client, db, s, uidValidity, uids, log);
  } finally {
    lock.release();
  }
}
