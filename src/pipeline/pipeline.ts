import type { RawStore } from '../archive/raw-store.js';
import { classifyFiles } from '../classify/classify-files.js';
import { expandMessage } from '../containers/expand.js';
import { ReaderUnavailable, type DocumentReader } from '../documents/reader.js';
import { readFiles } from '../documents/read-files.js';
import { isolatedReaders } from '../documents/isolated-reader.js';
import type { Logger } from '../log.js';
import { findCloudLinks } from '../mail/cloud-links.js';
import { machineMailReason } from '../mail/machine-mail.js';
import { MAX_HEAD_BYTES, parseMessage } from '../mail/parse.js';
import { readRawHeaders } from '../mail/raw-headers.js';
import { assignedMatch } from '../match/assigned.js';
import { matchInput } from '../match/match-input.js';
import { UnitMatcher, type MatchResult } from '../match/unit-matcher.js';
import { activeLearnedAddresses } from '../review/learned-addresses.js';
import type { Rules } from '../rules/index.js';
import type { Db } from '../store/db.js';
import type { MessageRow } from '../store/tables.js';
import { crashPoint } from '../util/crash-point.js';
import { archiveMessage, type Archived, type SourceMessage } from './archive.js';
import { commitDecision, type Decision } from './commit.js';
import type { Analysed } from './evaluate.js';

/**
 * The pipeline, in order. Each stage is its own module; this file only runs them.
 *   archive  → exact bytes stored and recorded (with the receipt time the source gives)
 *   parse    → MIME structure, headers, body (mailparser)
 *   expand   → forwarded messages and archives opened, files listed
 *   read     → each file's text and tables
 *   classify → registration / plan / other, and the registration form's rows
 *   match    → which unit sent it, with evidence (a person's assignment overrides)
 *   decide   → the unit's items, late or not, the reply, and the outbox row, in one transaction
 */
export const STAGES = ['archive', 'parse', 'expand', 'read', 'classify', 'match', 'decide'] as const;
export type Stage = (typeof STAGES)[number];

export interface PipelineDeps {
  db: Db;
  raw: RawStore;
  rules: Rules;
  log: Logger;
  readers?: readonly DocumentReader[];
  /** Called after each stage; tests use it to fail the pipeline at a chosen point. */
  afterStage?: (stage: Stage, messageRow: number | null) => void | Promise<void>;
  /** Give up retrying a failing message after this many attempts (a person can retry it). */
  maxAttempts?: number;
  /**
   * Replies are off (REPLIES=off, --dry-run): replies are written already suppressed, with this
   * reason, so nothing ever has to cancel rows after the fact (ones another process queued).
   */
  repliesOffReason?: string | null;
}

/**
 * What processAll and recover throw when the service is stopping: the message being decided was
 * finished and the rest were left for the next start (archived ones are decided by recover()).
 */
export class PipelineStopped extends Error {
  override name = 'PipelineStopped';
  constructor() {
    super('stopping: the messages after the one in flight wait for the next start');
  }
}

export type Outcome =
  | { row: number; status: 'decided'; decision: Decision }
  | { row: number; status: 'seen' }
  /** `readerUnavailable`: the reading process could not be used; the message is not to blame. */
  | { row: number; status: 'error'; error: string; readerUnavailable?: true };

export class Pipeline {
  private readonly readers: readonly DocumentReader[];
  private readonly matcher: UnitMatcher;
  private readonly maxAttempts: number;
  private stopping = false;

  constructor(private readonly deps: PipelineDeps) {
    this.readers = deps.readers ?? isolatedReaders();
    this.matcher = new UnitMatcher(deps.rules.units, deps.rules.matching, deps.rules.campaign);
    this.maxAttempts = deps.maxAttempts ?? 5;
  }

  /** Starts the document readers ahead of the first message (`intake run`). */
  warmReaders(): void {
    for (const r of this.readers) r.warm?.();
  }

  /**
   * A service shutting down: the message being decided is finished, no other is started. Final
   * (the service ends after it).
   */
  stop(): void {
    this.stopping = true;
  }

  /** Archives a message from a source, then decides it. */
  async process(msg: SourceMessage): Promise<Outcome> {
    let outcome: Outcome | undefined;
    await this.processAll([msg], (_, o) => void (outcome = o));
    return outcome!;
  }

  /**
   * Archives messages in the order given and decides them in that order, while the next one is
   * already being parsed and its documents read (in the reading process): on a deadline-day
   * backlog the cores work side by side. Decisions never overlap, so each one sees
   * the state the one before it left; analysis reads nothing a decision writes (matching depends
   * on the message and on learned addresses, which only a person changes). `each` hears every
   * outcome, in order, before the next decision. A message that cannot even be archived stops
   * the batch there: the ones before it are decided, nothing after it is archived, and the error
   * is thrown. After stop(), PipelineStopped is thrown before the next decision.
   */
  async processAll(msgs: readonly SourceMessage[], each: (index: number, outcome: Outcome) => void | Promise<void>): Promise<void> {
    const ahead: Array<{ step: Promise<Prepared>; bytes: number }> = [];
    let started = 0;
    let aheadBytes = 0;
    let archiving: Promise<unknown> = Promise.resolve();
    let stopped = false;
    const start = () => {
      // Bounded by count and by size: a batch of large messages is not held in memory at once.
      while (started < msgs.length && ahead.length < LOOKAHEAD && (ahead.length === 0 || aheadBytes < LOOKAHEAD_BYTES)) {
        const msg = msgs[started++]!;
        const bytes = msg.stored?.blob.size ?? msg.raw.length;
        aheadBytes += bytes;
        // Archiving is strictly in order (row ids are receipt order), and stops at a failure.
        const archived = archiving.then(() => (stopped ? null : archiveMessage(this.deps.db, this.deps.raw, msg)));
        archiving = archived.catch(() => {
          stopped = true;
        });
        const step = this.prepare(archived);
        // Awaited in its turn; until then a rejection must not count as unhandled.
        step.catch(() => {});
        ahead.push({ step, bytes });
      }
    };
    try {
      for (let i = 0; i < msgs.length; i++) {
        if (this.stopping) throw new PipelineStopped();
        start();
        const next = ahead.shift()!;
        const step = await next.step;
        if (step.kind === 'not-archived') throw step.error;
        const outcome = step.kind === 'seen' ? ({ row: step.row.id, status: 'seen' } as const) : await this.commit(step.row, step.analysed);
        // Its documents are let go with the decision.
        aheadBytes -= next.bytes;
        await each(i, outcome);
      }
    } finally {
      // After any failure (a message not archived, a crash point, the database refusing even to
      // record an error, the caller's callback), nothing more is archived and nothing is left
      // running behind the caller's back. Messages already archived ahead stay `archived`; the
      // next sync or run decides them (recover()).
      stopped = true;
      await Promise.allSettled(ahead.map((a) => a.step));
    }
  }

  /** Archive (awaited in order by the caller's chain), then the analysis; records nothing else. */
  private async prepare(archived: Promise<Archived | null>): Promise<Prepared> {
    let a: Archived | null;
    try {
      a = await archived;
    } catch (error) {
      return { kind: 'not-archived', error };
    }
    if (!a) return { kind: 'not-archived', error: new Error('not archived: an earlier message of the batch could not be') };
    const { row, fresh } = a;
    crashPoint('archive');
    await this.deps.afterStage?.('archive', row.id);
    if (!fresh) return { kind: 'seen', row };
    this.deps.log.info({ messageRow: row.id, source: row.source, sha256: row.sha256, messageId: row.message_id, duplicateOf: row.duplicate_of }, 'message archived');
    return { kind: 'analysed', row, analysed: await this.analyseSafely(row) };
  }

  /** Decides every message left undecided by a crash or an error, oldest first. */
  async recover(): Promise<Outcome[]> {
    const rows = await this.deps.db
      .selectFrom('messages')
      .selectAll()
      .where((eb) => eb.or([eb('status', '=', 'archived'), eb.and([eb('status', '=', 'error'), eb('attempts', '<', this.maxAttempts)])]))
      .orderBy('id')
      .execute();
    const out: Outcome[] = [];
    for (const row of rows) {
      if (this.stopping) throw new PipelineStopped();
      const outcome = await this.decide(row);
      out.push(outcome);
      // No reading process: the rest would each wait for a start that fails too (up to a minute
      // each). They keep their turn for the next cycle.
      if (outcome.status === 'error' && outcome.readerUnavailable) break;
    }
    return out;
  }

  /** Stages parse to match: what the message carries and who sent it; writes nothing. */
  async analyse(row: MessageRow, after: (stage: Stage) => Promise<void> = async () => {}): Promise<Analysed> {
    const { raw, rules, db } = this.deps;
    // Parsed from the archived file as a stream: a message of any size costs bounded memory (an
    // attachment over the limit is counted, not kept). Only the head is read whole, and when the
    // head is the whole message (nearly always) it is parsed from memory, twice as fast.
    const head = raw.readHead(row.sha256, MAX_HEAD_BYTES);
    const source = head.length === row.size ? head : { path: raw.pathOf(row.sha256), head };
    const parsed = await parseMessage(source, { maxAttachmentBytes: rules.documents.limits.max_attachment_bytes });
    await after('parse');
    const expanded = await expandMessage(parsed, rules.documents.limits);
    await after('expand');
    const read = await readFiles(expanded.files, this.readers);
    await after('read');
    const files = classifyFiles(read, rules.documents);
    await after('classify');
    const match: MatchResult = row.assigned_unit
      ? assignedMatch(row.assigned_unit, rules)
      : this.matcher.match(matchInput(parsed, expanded.forwarded, files), await activeLearnedAddresses(db));
    await after('match');
    const links = findCloudLinks([parsed.text, ...expanded.forwarded.map((f) => f.text)].join('\n'), [parsed.html ?? '', ...expanded.forwarded.map((f) => f.html ?? '')].join('\n'));
    const machine = machineMailReason(parsed, readRawHeaders(head), [rules.campaign.mailbox]);
    return { row, parsed, files, match, links, machine };
  }

  /**
   * Decides a message. With `redecide`, a message decided before is decided again under the
   * current rules and assignments, with the outbox's at-most-once guarantees.
   */
  async decide(row: MessageRow, opts: { redecide?: boolean } = {}): Promise<Outcome> {
    return this.commit(row, await this.analyseSafely(row), opts);
  }

  private stageHook(row: MessageRow) {
    return async (stage: Stage) => {
      crashPoint(stage);
      await this.deps.afterStage?.(stage, row.id);
    };
  }

  /** The analysis, or why it failed (recorded by `commit`, in the message's turn). */
  private async analyseSafely(row: MessageRow): Promise<Analysed | { failed: unknown }> {
    try {
      return await this.analyse(row, this.stageHook(row));
    } catch (failed) {
      return { failed };
    }
  }

  private async commit(row: MessageRow, analysed: Analysed | { failed: unknown }, opts: { redecide?: boolean } = {}): Promise<Outcome> {
    const { db, rules, log } = this.deps;
    try {
      if ('failed' in analysed) throw analysed.failed;
      const decision = await commitDecision(db, { ...analysed, row }, rules, { redecide: opts.redecide, repliesOffReason: this.deps.repliesOffReason });
      await this.stageHook(row)('decide');
      if (!decision) return { row: row.id, status: 'seen' };
      log.info(
        {
          messageRow: row.id,
          messageId: row.message_id,
          unit: decision.unit,
          evidence: analysed.match.evidence.map((e) => `${e.signal}:${e.unit}:${e.weight}`),
          match: analysed.match.reason,
          reply: decision.kind,
          late: decision.late,
          reason: decision.reason,
          files: analysed.files.length,
        },
        opts.redecide ? 'message decided again' : 'message decided',
      );
      return { row: row.id, status: 'decided', decision };
    } catch (err) {
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      // Attempts count what a message itself may cause, so that one which keeps failing stops
      // being retried; a reading process that cannot start says nothing about the message, which
      // is retried with every cycle until the reader is back, however long that takes.
      const counted = err instanceof ReaderUnavailable ? 0 : 1;
      await db
        .updateTable('messages')
        .set((eb) => ({ status: 'error', error: error.slice(0, 2000), attempts: eb('attempts', '+', counted) }))
        .where('id', '=', row.id)
        .where('status', '!=', 'decided')
        .execute();
      log.error({ messageRow: row.id, messageId: row.message_id, err: error }, 'message failed; recorded for retry');
      return counted ? { row: row.id, status: 'error', error } : { row: row.id, status: 'error', error, readerUnavailable: true };
    }
  }
}

/**
 * Messages of one batch in flight at once (the one being decided and those read ahead of it; the
 * documents of each are in memory until its decision), and their raw bytes at most. A message's
 * expanded files are bounded by its own limits (`documents.yaml` `limits`), so the worst case is
 * this many times those (3 × 100 MiB with the shipped limits). Three rather than two keeps the
 * reading process fed while a decision is written (about 0.2 s of a 7 s benchmark backlog, stop
 * 18); more gained nothing there.
 */
const LOOKAHEAD = 3;
const LOOKAHEAD_BYTES = 32 * 1024 * 1024;

type Prepared =
  | { kind: 'not-archived'; error: unknown }
  | { kind: 'seen'; row: MessageRow }
  | { kind: 'analysed'; row: MessageRow; analysed: Analysed | { failed: unknown } };
