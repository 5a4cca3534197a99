import type { ImapFlow } from 'imapflow';
import type { RawStore } from '../archive/raw-store.js';
import { storeMessageStream } from '../archive/stream-message.js';
import type { ImapSettings } from '../config/imap.js';
import type { Logger } from '../log.js';
import { topReceivedDate } from '../mail/receipt-time.js';
import type { SourceMessage } from '../pipeline/archive.js';
import { PipelineStopped, type Outcome } from '../pipeline/pipeline.js';
import type { Db } from '../store/db.js';
import type { ReceivedBasis } from '../store/tables.js';
import type { HealthRecorder } from './health.js';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from './imap-checkpoint.js';
import { applyAfterAction } from './imap-after.js';
import { imapSourceId, uidSet } from './imap-uids.js';
import { recordUnfetched, settleUnfetched, unfetchedOf, type FolderKey, type Unfetched } from './imap-unfetched.js';
import { crashPoint } from '../util/crash-point.js';
import { errorText, refusal } from './imap-errors.js';

export interface SyncContext {
  settings: ImapSettings;
  /** user@host: checkpoints are per account and mailbox. */
  account: string;
  db: Db;
  raw: RawStore;
  log: Logger;
  /** The campaign's `opens`: with IMAP_EXISTING_MAIL=since-opens, older mail is left alone (null: none is). */
  opens: Date | null;
  /** Larger messages are streamed to disk instead of fetched into memory. */
  maxMessageBytes: number;
  /**
   * Archives and decides messages in order, telling `each` every outcome as it comes (see
   * Pipeline.processAll). Throws only when a message could not even be archived.
   */
  takeAll(msgs: SourceMessage[], each: (index: number, outcome: Outcome) => void): Promise<void>;
  health: HealthRecorder;
  /** After each batch that took in mail: replies go out while a long backlog is still read. */
  afterBatch?: () => Promise<void>;
  /** The service is stopping: no further batch is taken in or fetched ahead (PipelineStopped is thrown). */
  stopping?: () => boolean;
  /** SELECT the folder again first (the poll does): see syncMailbox. */
  reselect?: boolean;
  /**
   * Where syncs of this folder keep failing with a lost connection, kept by the caller from one
   * sync (and connection) to the next: see DROPS_BEFORE_ALONE.
   */
  trouble?: { current: FetchTrouble | null };
  now?: () => Date;
}

/** The first message a failed body fetch did not deliver, and in how many syncs in a row that happened. */
export interface FetchTrouble {
  uid: number;
  failures: number;
}

export interface SyncResult {
  uidValidity: string;
  /** New messages archived (and decided, or recorded in error). */
  taken: number;
  /** Old mail left alone on a first sync (IMAP_EXISTING_MAIL). */
  skipped: number;
  errors: number;
  /** Messages the server lists but would not hand over this time (kept, and asked for at every sync). */
  unfetched: number;
  /** The mailbox was read from its first UID: a first sync or a UIDVALIDITY change. */
  fullScan: boolean;
}

/**
 * Messages fetched into memory per round trip: at most this many, and about this many bytes (a
 * larger message that is not streamed makes a batch of its own). The next batch is fetched while
 * one is decided when the two together stay within twice this many bytes.
 */
const BATCH_COUNT = 100;
const BATCH_BYTES = 16 * 1024 * 1024;

interface Meta {
  uid: number;
  size: number;
  /** null: the server gave none, or one that does not parse (imapflow then passes its text on). */
  internalDate: Date | null;
}

const dateOf = (v: unknown): Date | null => {
  const d = v instanceof Date ? v : typeof v === 'string' ? new Date(v) : null;
  return d && Number.isFinite(d.getTime()) ? d : null;
};

const LEFT_OUT = 'the server listed this message but left it out of its FETCH answer';

/**
 * Dovecot does not answer NO for a message it cannot read (a damaged or unreadable file in its
 * store): it logs an error and closes the connection, every time. A connection lost at the same
 * message this many syncs in a row has that message fetched alone on the next one; lost again
 * there, it is recorded as one the server will not hand over, and the syncs after it go on.
 */
const DROPS_BEFORE_ALONE = 3;
/** One whose fetch closed the connection is asked for again at most this often (each try costs a reconnect). */
const DROPPED_RETRY_MS = 3600_000;

/** Bytes of a message fetched into memory: one over `maxBytes` is streamed instead. */
const inMemoryBytes = (m: Meta, maxBytes: number) => (m.size <= maxBytes ? m.size : 0);

function batches(metas: Meta[], maxBytes: number): Meta[][] {
  const out: Meta[][] = [];
  let cur: Meta[] = [];
  let bytes = 0;
  for (const m of metas) {
    const inMemory = inMemoryBytes(m, maxBytes);
    if (cur.length > 0 && (cur.length >= BATCH_COUNT || bytes + inMemory > BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(m);
    bytes += inMemory;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Where old mail starts on a first sync, by IMAP_EXISTING_MAIL. */
function firstCheckpoint(ctx: SyncContext, uidValidity: string, metas: Meta[], scan_uid: number, now: Date): Checkpoint {
  const base = { account: ctx.account, mailbox: ctx.settings.mailbox, uidvalidity: uidValidity, last_uid: 0, baseline_uid: 0, baseline_count: 0, scan_uid };
  switch (ctx.settings.existingMail) {
    case 'all':
      return { ...base, cutoff: null };
    case 'since-opens':
      return { ...base, cutoff: ctx.opens?.toISOString() ?? null };
    case 'baseline': {
      // Everything already there is the baseline, by UID; the cutoff (now) keeps it out again
      // if a UIDVALIDITY change ever forces a full resync.
      return { ...base, cutoff: now.toISOString(), last_uid: scan_uid, baseline_uid: scan_uid, baseline_count: metas.length };
    }
  }
}

/**
 * One pass over the mailbox: every message above the checkpoint, in UID order, is fetched,
 * archived and decided, and the checkpoint advances past it only once it is archived. A crash
 * anywhere leaves the checkpoint at or below what is archived; the archive's source id (and
 * its sha256/Message-ID dedupe) makes fetching a message again harmless.
 */
export async function syncMailbox(client: ImapFlow, ctx: SyncContext): Promise<SyncResult> {
  const now = ctx.now ?? (() => new Date());
  const { settings, log, db } = ctx;
  const lock = await client.getMailboxLock(settings.mailbox);
  try {
    // The message count imapflow keeps is only as fresh as the last untagged EXISTS; without
    // IDLE nothing has told us about new mail, so ask (NOOP makes the server report it). The
    // poll SELECTs again instead: a session whose folder was deleted and recreated under it may
    // go on seeing the old one (Dovecot does, until it drops the session), and only a fresh
    // SELECT shows the new UIDVALIDITY.
    if (ctx.reselect) await client.mailboxOpen(settings.mailbox);
    else await client.noop();
    const mb = client.mailbox;
    if (!mb) throw new Error(`mailbox ${settings.mailbox} could not be selected`);
    const uidValidity = mb.uidValidity.toString();
    const stored = await loadCheckpoint(db, ctx.account, settings.mailbox);
    const fullScan = !stored || stored.uidvalidity !== uidValidity;
    const after = stored && !fullScan ? stored.last_uid : 0;

    const metas: Meta[] = [];
    if (mb.exists > 0) {
      for await (const m of client.fetch(`${after + 1}:*`, { uid: true, size: true, internalDate: true }, { uid: true })) {
        // "n:*" also returns the last message when n is above every UID (RFC 3501 6.4.8).
        if (m.uid > after) metas.push({ uid: m.uid, size: m.size ?? 0, internalDate: dateOf(m.internalDate) });
      }
    }
    metas.sort((a, b) => a.uid - b.uid);
    // What a full scan finds: see Checkpoint.scan_uid.
    const highestUid = metas.at(-1)?.uid ?? 0;

    let cp: Checkpoint;
    if (!stored) {
      cp = firstCheckpoint(ctx, uidValidity, metas, highestUid, now());
      log.info({ uidValidity, messages: metas.length, existingMail: settings.existingMail, cutoff: cp.cutoff, baseline: cp.baseline_count }, 'first sync of the mailbox');
    } else if (stored.uidvalidity !== uidValidity) {
      // An empty UIDVALIDITY is no server's: migration 0009 set it to have the folder read again.
      if (stored.uidvalidity === '')
        log.warn({ uidValidity, messages: metas.length }, 'reading the whole mailbox again, as an upgrade asked (source ids could not be given their account); messages already archived are recorded as duplicates and not answered');
      else
        log.warn(
          { previousUidValidity: stored.uidvalidity, uidValidity, messages: metas.length },
          'UIDVALIDITY changed: reading the whole mailbox again; messages already archived are recorded as duplicates and not answered',
        );
      cp = { ...stored, uidvalidity: uidValidity, last_uid: 0, baseline_uid: 0, baseline_count: 0, scan_uid: highestUid };
    } else {
      cp = { ...stored };
    }

    // On a full scan, old mail (by receipt time) is left alone, and so it is on the syncs that
    // finish an interrupted one (a stop, a failure part-way) up to the UIDs it found; past them,
    // every new UID is taken (mail moved in from another folder keeps its old receipt time).
    const cutoff = cp.cutoff ? Date.parse(cp.cutoff) : null;
    // A message without a readable INTERNALDATE is never taken for old: it is read, not skipped.
    const isOld = (m: Meta) => m.uid <= cp.baseline_uid || (cutoff !== null && (fullScan || m.uid <= cp.scan_uid) && m.internalDate !== null && m.internalDate.getTime() < cutoff);
    const result: SyncResult = { uidValidity, taken: 0, skipped: stored ? 0 : cp.baseline_count, errors: 0, unfetched: 0, fullScan };

    const pending = metas.filter((m) => m.uid > cp.last_uid);
    const sourceOf = (m: Meta) => imapSourceId(ctx.account, settings.mailbox, uidValidity, m.uid);
    const key: FolderKey = { account: ctx.account, mailbox: settings.mailbox, uidvalidity: uidValidity };
    // Recorded as not handed over (under this UIDVALIDITY; a full scan after a change reads all).
    const unresolved = new Map(fullScan ? [] : (await unfetchedOf(db, key)).map((u) => [u.uid, u] as const));
    const trouble = ctx.trouble ?? { current: null };
    // A body fetch that lost the connection: which message it was stuck at, and (the last time,
    // with the message fetched alone) the record that lets the next sync go past it.
    const lostAt = async (m: Meta, alone: boolean, err: unknown): Promise<void> => {
      const failures = trouble.current?.uid === m.uid ? trouble.current.failures + 1 : 1;
      trouble.current = { uid: m.uid, failures };
      if (!alone || failures <= DROPS_BEFORE_ALONE) return;
      const why = `the server closed the connection each time this message was fetched (${failures} syncs in a row): ${errorText(err)}`;
      await recordUnfetched(db, key, m, why, 'dropped', now());
      log.warn({ uid: m.uid, size: m.size, failures }, 'the connection is lost whenever this message is fetched; going past it, and asking for it again every hour');
      trouble.current = null;
    };
    const fetchBody = async (uid: number): Promise<Buffer | null> => {
      let body: Buffer | null = null;
      for await (const m of client.fetch(String(uid), { uid: true, source: true }, { uid: true })) if (m.uid === uid && m.source) body = m.source;
      return body;
    };
    // The receipt time is the server's: its INTERNALDATE, else the Received header its delivery
    // agent put on top, else (neither readable) the time the message was fetched, which is never
    // earlier than its receipt.
    const receipt = (m: Meta, head: Buffer): { receivedAt: Date; receivedBasis: ReceivedBasis } => {
      if (m.internalDate) return { receivedAt: m.internalDate, receivedBasis: 'internaldate' };
      const at = topReceivedDate(head);
      log.warn({ uid: m.uid, basis: at ? 'received-header' : 'fetched-at' }, 'the server gave no readable INTERNALDATE for a message');
      return at ? { receivedAt: at, receivedBasis: 'received-header' } : { receivedAt: now(), receivedBasis: 'fetched-at' };
    };
    const inMemory = (m: Meta, source: string, raw: Buffer | null | undefined): SourceMessage | null => (raw ? { source, raw, ...receipt(m, raw) } : null);
    const streamLarge = async (m: Meta, source: string): Promise<SourceMessage | null> => {
      const dl = await client.download(String(m.uid), undefined, { uid: true });
      if (!dl.content) return null;
      const streamed = await storeMessageStream(ctx.raw, dl.content);
      log.info({ uid: m.uid, size: streamed.blob.size, sha256: streamed.blob.sha256 }, 'large message streamed to the archive');
      return { source, raw: streamed.head, stored: { blob: streamed.blob, contentKey: streamed.contentKey }, ...receipt(m, streamed.head) };
    };
    // A message missing from an answer that did not fail: gone (expunged meanwhile), or left out
    // by the server (some answer OK with fewer messages than asked for). Only one the server says
    // is gone is let go: imapflow gives false, not a list, when the SEARCH itself is refused.
    const gone = async (uid: number): Promise<boolean> => {
      const found = await client.search({ uid: String(uid) }, { uid: true });
      return Array.isArray(found) && !found.includes(uid);
    };
    // A message not had, refused with the server's answer or (null) left out of it: recorded, to
    // be asked for again, unless the server says it is gone.
    const notHad = async (m: Meta, refusedWith: string | null): Promise<'gone' | 'recorded'> => {
      if (refusedWith === null && (await gone(m.uid))) return 'gone';
      await recordUnfetched(db, key, m, refusedWith ?? LEFT_OUT, refusedWith === null ? 'left-out' : 'refused', now());
      return 'recorded';
    };

    /**
     * Messages earlier syncs could not fetch, asked for again. One taken in, or gone from the
     * folder, is settled; one refused again stays, with its count of attempts. The checkpoint is
     * already past them and is not touched.
     */
    const takeUnfetched = async (list: Unfetched[]) => {
      const taking: Array<{ uid: number; msg: SourceMessage }> = [];
      for (const u of list) {
        const m: Meta = { uid: u.uid, size: u.size, internalDate: u.internalDate };
        const source = sourceOf(m);
        let msg: SourceMessage | null = null;
        let why: string | null = null;
        try {
          msg = m.size > ctx.maxMessageBytes ? await streamLarge(m, source) : inMemory(m, source, await fetchBody(m.uid));
        } catch (err) {
          if ((why = refusal(err)) === null) {
            // The connection (or the archive write) failed with it; the try counts, and the next is in an hour.
            await recordUnfetched(db, key, m, `fetching this message failed again: ${errorText(err)}`, 'dropped', now());
            throw err;
          }
        }
        if (msg) taking.push({ uid: m.uid, msg });
        else if ((await notHad(m, why)) === 'gone') {
          await settleUnfetched(db, key, m.uid, 'gone', now());
          log.info({ uid: m.uid }, 'a message the server would not hand over earlier is gone from the folder');
        }
      }
      if (taking.length === 0) return;
      const done: number[] = [];
      try {
        await ctx.takeAll(
          taking.map((t) => t.msg),
          (k, outcome) => {
            result.taken++;
            if (outcome.status === 'error') result.errors++;
            else done.push(taking[k]!.uid);
          },
        );
      } finally {
        // Archived, so settled (decided or in error, it is a message row a person can see now);
        // a failure leaves the rest for the next sync. Bookkeeping that fails here is done then
        // too, and must not hide why the batch stopped.
        const settle = async () => {
          for (const t of taking) if ((await db.selectFrom('messages').select('id').where('source', '=', t.msg.source).executeTakeFirst()) !== undefined) await settleUnfetched(db, key, t.uid, 'taken', now());
          if (done.length > 0) await applyAfterAction(client, db, settings, uidValidity, done, log);
        };
        await settle().catch((err: unknown) => log.warn({ err: errorText(err) }, 'recording messages taken in after all failed; done again at the next sync'));
      }
      log.info({ uids: uidSet(taking.map((t) => t.uid)) }, 'messages the server would not hand over earlier are taken in');
    };

    // What of a batch is archived already (by a sync that stopped before its checkpoint), and
    // the bodies of the rest that fit in memory.
    const load = async (batch: Meta[]) => {
      const fresh = batch.filter((m) => !isOld(m));
      const ids = fresh.map(sourceOf);
      const known = new Map<string, string>();
      if (ids.length > 0) for (const r of await db.selectFrom('messages').select(['source', 'status']).where('source', 'in', ids).execute()) known.set(r.source, r.status);
      const toFetch = fresh.filter((m) => m.size <= ctx.maxMessageBytes && !known.has(sourceOf(m)) && !unresolved.has(m.uid));
      const bodies = new Map<number, Buffer>();
      // UIDs the server refused to hand over, with its answer.
      const refused = new Map<number, string>();
      // `after`: the drops that had the batch fetched one by one (null: a refusal did).
      const oneByOne = async (after: FetchTrouble | null) => {
        for (const x of toFetch) {
          if (bodies.has(x.uid)) continue;
          try {
            const body = await fetchBody(x.uid);
            if (body) bodies.set(x.uid, body);
          } catch (one) {
            const why = refusal(one);
            if (why === null) {
              // Alone, the message the connection is lost at is known: a batch's drop was only
              // put on its first message not delivered (imapflow also drops rows it had read
              // but not handed on). This one takes over the count.
              if (after && x.uid !== after.uid) trouble.current = { uid: x.uid, failures: after.failures };
              await lostAt(x, true, one);
              throw one;
            }
            refused.set(x.uid, why);
          }
        }
      };
      const suspect = trouble.current;
      if (toFetch.length > 0 && suspect && suspect.failures >= DROPS_BEFORE_ALONE && toFetch.some((x) => x.uid === suspect.uid)) {
        log.warn({ uid: suspect.uid, failures: suspect.failures }, 'the connection was lost at this message in every recent sync; fetching its batch one message at a time');
        await oneByOne(suspect);
      } else if (toFetch.length > 0) {
        try {
          for await (const m of client.fetch(uidSet(toFetch.map((x) => x.uid)), { uid: true, source: true }, { uid: true })) if (m.source) bodies.set(m.uid, m.source);
        } catch (err) {
          if (refusal(err) === null) {
            const stuck = toFetch.find((x) => !bodies.has(x.uid));
            if (stuck) await lostAt(stuck, false, err);
            throw err;
          }
          // One message the server will not serve fails the whole UID FETCH: ask for each of the
          // rest alone, so that only that one is left for later and the others are taken in.
          log.warn({ uids: uidSet(toFetch.map((x) => x.uid)), response: refusal(err) }, 'the server refused a batch fetch; fetching its messages one at a time');
          await oneByOne(null);
        }
      }
      if (suspect && bodies.has(suspect.uid)) trouble.current = null;
      return { known, bodies, refused };
    };
    const all = batches(pending, ctx.maxMessageBytes);
    let next: Promise<Awaited<ReturnType<typeof load>>> | null = null;
    try {
      for (let b = 0; b < all.length; b++) {
        const batch = all[b]!;
        // Stopping: no batch is taken in (one fetched ahead is let finish, in the finally below).
        if (ctx.stopping?.()) throw new PipelineStopped();
        const { known, bodies, refused } = await (next ?? load(batch));
        // The next batch is fetched while this one is decided: otherwise, at every batch, the
        // reading process waits for the fetch and the connection for the decisions (on a remote
        // mailbox, seconds per batch). Not when the service is stopping; not when this batch
        // streams large messages (their downloads would queue behind the fetch); not when both
        // batches together pass twice BATCH_BYTES (a large message fetched into memory is a
        // batch of its own: two of them are not held at once). A failure shows when its turn
        // comes, or is let go with this sync's failure (below).
        const ahead = all[b + 1];
        const streams = batch.some((m) => m.size > ctx.maxMessageBytes);
        next = ahead && !ctx.stopping?.() && !streams && [...batch, ...ahead].reduce((n, m) => n + inMemoryBytes(m, ctx.maxMessageBytes), 0) <= 2 * BATCH_BYTES ? load(ahead) : null;
        next?.catch(() => {});

        // First what to do with each UID, in order (fetching what must be streamed); then the
        // messages are archived and decided as a batch, and each UID's bookkeeping is applied in
        // UID order as its turn comes, so a failure leaves the checkpoint just before it.
        const plan: Array<{ m: Meta; msg: SourceMessage | null; decided?: boolean }> = [];
        const done: number[] = [];
        // Assigned in the callback, which the type checker does not follow.
        let lastReceived = null as Date | null;
        let applied = 0;
        const passOver = (upTo: number) => {
          for (; applied < upTo; applied++) {
            const p = plan[applied]!;
            if (isOld(p.m)) result.skipped++;
            if (p.decided) done.push(p.m.uid);
            cp.last_uid = p.m.uid;
          }
        };
        try {
          for (const m of batch) {
            if (isOld(m)) {
              plan.push({ m, msg: null });
              continue;
            }
            const source = sourceOf(m);
            const status = known.get(source);
            if (status !== undefined) {
              // Archived by a sync that stopped before its checkpoint was written.
              plan.push({ m, msg: null, decided: status === 'decided' });
              continue;
            }
            if (unresolved.has(m.uid)) {
              // Recorded by an earlier sync that failed before its checkpoint passed it: asked for
              // again after the new mail (takeUnfetched), not here.
              plan.push({ m, msg: null });
              continue;
            }
            let msg: SourceMessage | null = null;
            let unfetched = refused.get(m.uid) ?? null;
            if (unfetched === null) {
              try {
                msg = m.size > ctx.maxMessageBytes ? await streamLarge(m, source) : inMemory(m, source, bodies.get(m.uid));
                if (msg && trouble.current?.uid === m.uid) trouble.current = null;
              } catch (err) {
                if ((unfetched = refusal(err)) === null) {
                  // A download is always of one message alone.
                  if (m.size > ctx.maxMessageBytes) await lostAt(m, true, err);
                  throw err;
                }
              }
            }
            // Not had: recorded before the checkpoint can pass it, and asked for again at every sync.
            if (!msg && (await notHad(m, unfetched)) === 'recorded') {
              log.warn({ uid: m.uid, size: m.size, response: unfetched ?? LEFT_OUT }, 'the server would not hand over a message; going on with the rest, and asking for it again at every sync');
              result.unfetched++;
            } else if (!msg) log.warn({ uid: m.uid }, 'message gone before it could be fetched (deleted by someone else); nothing to archive');
            plan.push({ m, msg });
          }

          const taking = plan.flatMap((p, i) => (p.msg ? [{ i, msg: p.msg }] : []));
          await ctx.takeAll(
            taking.map((t) => t.msg),
            (k, outcome) => {
              const { i } = taking[k]!;
              passOver(i);
              const { m } = plan[i]!;
              cp.last_uid = m.uid;
              applied = i + 1;
              result.taken++;
              lastReceived = taking[k]!.msg.receivedAt;
              if (outcome.status === 'error') result.errors++;
              else done.push(m.uid);
            },
          );
          passOver(plan.length);
        } catch (err) {
          // What is safely behind the failure still counts: old, known or vanished UIDs up to the
          // first message not taken in. Without this, a full scan's old mail before a failed
          // download would be taken as new mail on the next (no longer full) sync.
          let stop = applied;
          while (stop < plan.length && !plan[stop]!.msg) stop++;
          passOver(stop);
          if (done.length > 0) await applyAfterAction(client, db, settings, uidValidity, done, log).catch(() => {});
          throw err;
        }
        // Only once decided and durable may a message change flags or leave the mailbox. Before
        // the checkpoint: a crash in between repeats the (idempotent) action, never skips it.
        if (done.length > 0) await applyAfterAction(client, db, settings, uidValidity, done, log);
        crashPoint('imap-batch');
        await saveCheckpoint(db, cp, now());
        if (lastReceived) {
          await ctx.health.update({ last_mail_at: now().toISOString(), last_mail_received_at: lastReceived.toISOString() }, now());
          await ctx.afterBatch?.();
        }
      }
    } finally {
      // A fetch still running for a batch not reached ends before the folder is let go.
      await next?.catch(() => {});
      // Progress made before a failure is kept; the failed message is fetched again next time.
      await saveCheckpoint(db, cp, now());
    }
    // Then what earlier syncs could not fetch (new mail first: a message that costs the connection
    // must not hold it up). One whose fetch closed the connection waits DROPPED_RETRY_MS between tries.
    const retrying = [...unresolved.values()].filter((u) => u.uid <= cp.last_uid && (u.cause !== 'dropped' || now().getTime() - Date.parse(u.lastFailedAt) >= DROPPED_RETRY_MS));
    if (retrying.length > 0 && !ctx.stopping?.()) await takeUnfetched(retrying);
    if (result.skipped > 0) log.info({ skipped: result.skipped, cutoff: cp.cutoff, existingMail: settings.existingMail }, 'old mail left alone');
    return result;
  } finally {
    lock.release();
  }
}
