import type { RawStore } from '../archive/raw-store.js';
import { classifyFiles } from '../classify/classify-files.js';
import { expandMessage } from '../containers/expand.js';
import type { DocumentReader } from '../documents/reader.js';
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
import { archiveMessage, type SourceMessage } from './archive.js';
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
}

export type Outcome = { row: number; status: 'decided'; decision: Decision } | { row: number; status: 'seen' } | { row: number; status: 'error'; error: string };

export class Pipeline {
  private readonly readers: readonly DocumentReader[];
  private readonly matcher: UnitMatcher;
  private readonly maxAttempts: number;

  constructor(private readonly deps: PipelineDeps) {
    this.readers = deps.readers ?? isolatedReaders();
    this.matcher = new UnitMatcher(deps.rules.units, deps.rules.matching, deps.rules.campaign);
    this.maxAttempts = deps.maxAttempts ?? 5;
  }

  /** Archives a message from a source, then decides it. */
  async process(msg: SourceMessage): Promise<Outcome> {
    const { row, fresh } = await archiveMessage(this.deps.db, this.deps.raw, msg);
    crashPoint('archive');
    await this.deps.afterStage?.('archive', row.id);
    if (!fresh) return { row: row.id, status: 'seen' };
    this.deps.log.info({ messageRow: row.id, source: row.source, sha256: row.sha256, messageId: row.message_id, duplicateOf: row.duplicate_of }, 'message archived');
    return this.decide(row);
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
    for (const row of rows) out.push(await this.decide(row));
    return out;
  }

  /** Stages parse to match: what the message carries and who sent it; writes nothing. */
  async analyse(row: MessageRow, after: (stage: Stage) => Promise<void> = async () => {}): Promise<Analysed> {
    const { raw, rules, db } = this.deps;
    // Parsed from the archived file as a stream: a message of any size costs bounded memory (an
    // attachment over the limit is counted, not kept). Only the head is read whole.
    const head = raw.readHead(row.sha256, MAX_HEAD_BYTES);
    const parsed = await parseMessage({ path: raw.pathOf(row.sha256), head }, { maxAttachmentBytes: rules.documents.limits.max_attachment_bytes });
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
    const { db, rules, log } = this.deps;
    const after = async (stage: Stage) => {
      crashPoint(stage);
      await this.deps.afterStage?.(stage, row.id);
    };
    try {
      const analysed = await this.analyse(row, after);
      const decision = await commitDecision(db, { ...analysed, row }, rules, { redecide: opts.redecide });
      await after('decide');
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
      await db
        .updateTable('messages')
        .set((eb) => ({ status: 'error', error: error.slice(0, 2000), attempts: eb('attempts', '+', 1) }))
        .where('id', '=', row.id)
        .where('status', '!=', 'decided')
        .execute();
      log.error({ messageRow: row.id, messageId: row.message_id, err: error }, 'message failed; recorded for retry');
      return { row: row.id, status: 'error', error };
    }
  }
}
