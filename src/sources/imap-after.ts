import type { ImapFlow } from 'imapflow';
import type { ImapSettings } from '../config/imap.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import { flushToDisk } from '../store/durability.js';
import { uidSet } from './imap-uids.js';

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
 * logged and never undoes anything: the message is safe in the archive either way. The
 * decisions are synced to disk first: a message moved away while its row could still be lost to
 * a power cut would never be fetched again.
 */
export async function applyAfterAction(client: ImapFlow, db: Db, s: ImapSettings, uids: number[], log: Logger): Promise<void> {
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
    log.warn({ action: a.kind, err: (err as Error).message }, 'after-processing action failed; the messages stay as they are');
  }
}
