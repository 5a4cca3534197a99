import type { ImapFlow } from 'imapflow';
import type { ImapSettings } from '../config/imap.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import { flushToDisk } from '../store/durability.js';
import { imapSourceId, uidSet } from './imap-uids.js';

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

/**
 * What IMAP_AFTER says to do with messages that are archived and decided. A failure here is
 * logged and never undoes anything: the message is safe in the archive either way, and the
 * action is tried again after the next sync (catchUpAfterAction). The decisions are synced to
 * disk first: a message moved away while its row could still be lost to a power cut would never
 * be fetched again.
 */
export async function applyAfterAction(client: ImapFlow, db: Db, s: ImapSettings, uidValidity: string, uids: number[], log: Logger): Promise<void> {
  const a = s.after;
  if (a.kind === 'none' || uids.length === 0) return;
  const range = uidSet(uids);
  try {
    await flushToDisk(db);
    if (a.kind === 'seen') await client.messageFlagsAdd(range, ['\\Seen'], { uid: true });
    else if (a.kind === 'keyword') {
      const ok = await client.messageFlagsAdd(range, [a.keyword], { uid: true });
      if (!ok) log.warn({ keyword: a.keyword }, 'the server did not accept the keyword (its PERMANENTFLAGS may not allow keywords)');
    } else {
      await ensureFolder(client, a.folder, log);
      const moved = await client.messageMove(range, a.folder, { uid: true });
      if (!moved) log.warn({ folder: a.folder }, 'moving processed mail failed');
    }
  } catch (err) {
    log.warn({ action: a.kind, err: (err as Error).message }, 'after-processing action failed; the messages stay as they are until the next sync');
    return;
  }
  // Done as far as the server lets it: a refusal above (no keywords allowed) would only repeat.
  // A crash before this is recorded repeats the action, which is harmless (flags are added, not
  // toggled; a UID already moved is no longer there to move).
  const now = new Date().toISOString();
  const sources = uids.map((uid) => imapSourceId(s.mailbox, uidValidity, uid));
  for (let i = 0; i < sources.length; i += 500) {
    await db.updateTable('messages').set({ after_action_at: now }).where('source', 'in', sources.slice(i, i + 500)).execute();
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
    const prefix = imapSourceId(s.mailbox, uidValidity, 0).slice(0, -1);
    const rows = await db.selectFrom('messages').select('source').where('status', '=', 'decided').where('after_action_at', 'is', null).where('source', 'like', 'imap:%').execute();
    const uids = rows.flatMap((r) => (r.source.startsWith(prefix) ? [Number(r.source.slice(prefix.length))] : [])).filter((uid) => Number.isSafeInteger(uid) && uid > 0);
    if (uids.length === 0) return;
    log.info({ action: s.after.kind, messages: uids.length }, 'applying the after-processing action to messages decided after their sync');
    await applyAfterAction(client, db, s, uidValidity, uids, log);
  } finally {
    lock.release();
  }
}
