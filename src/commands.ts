import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { loadSettings, SettingsError } from './config/env.js';
import { createLogger } from './log.js';
import { messageReports } from './report/messages.js';
import { campaignStatus } from './report/status.js';
import { renderStatusTable } from './report/status-table.js';
import { renderTable, truncate } from './report/table.js';
import { parseReceiptTime, setReceiptTime } from './review/receipt.js';
import { formatProblem, loadRules, RulesError } from './rules/index.js';
import { openApp, type App } from './service/app.js';
import { ingestFrom } from './service/ingest.js';
import { runService, type StopReason } from './service/run.js';
import { redecideFrom } from './service/rules-follow.js';
import { FileSource, listMessageFiles } from './sources/files.js';
import { formatLocalTime } from './util/time.js';
import { assignMessage, resolveUnit } from './review/assign.js';
import { forgetAddress, learnedAddresses } from './review/learned-addresses.js';
import { reviewQueue } from './review/queue.js';
import { applyRules, renderReplay, testRules } from './replay/replay.js';
import { renderMessageDetail } from './report/message-detail.js';
import { outboxEntries, PROBLEM_STATUSES, renderOutboxTable, resolveOutbox } from './report/outbox.js';
import { paperHistory, PaperDateError, recordPaper, undoPaper } from './paper/paper.js';
import { dueOccasion, manualOccasion, nextOccasion, queueReminders, type ReminderRun } from './reminders/reminders.js';
import { OUTBOX_STATUSES, type OutboxStatus } from './store/tables.js';
import { queueDigest, renderDigest } from './digest/send.js';
import { mailboxHealth } from './sources/health.js';

const print = (s: string) => process.stdout.write(s + '\n');

/** A mistake in what the operator typed: said in one line, exit code 2. */
class UsageError extends Error {}

/** After a command that decides messages: with replies off, say that their replies were only recorded. */
function printRepliesOff(app: App): void {
  if (!app.settings.repliesEnabled) print(`replies not sent: ${app.settings.repliesOffReason}; see \`intake outbox\``);
}

/** A command whose whole point is to send: refused while replies are off, with what to do instead. */
function refuseWhileRepliesOff(app: App, instead: string): void {
  if (!app.settings.repliesEnabled) throw new UsageError(`replies are off (${app.settings.repliesOffReason}): nothing would be sent; ${instead}`);
}

interface GlobalOpts {
  rules?: string;
  data?: string;
  dryRun?: boolean;
}

const dryRunOption = () => new Option('--dry-run', 'decide and record every reply, send none (as REPLIES=off); `intake outbox` lists them');

function withGlobals(cmd: Command): Command {
  return cmd
    .addOption(new Option('--rules <dir>', 'rules folder (default ./rules, or INTAKE_RULES)'))
    .addOption(new Option('--data <dir>', 'data folder: database, raw archive, inbox, outbox (default ./var, or INTAKE_DATA)'));
}

/** Ctrl-C and SIGTERM, each with the exit code of a process they end (128 + the signal's number). */
const STOP_SIGNALS = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const;

/**
 * Ctrl-C or SIGTERM ends a one-shot command at once, as a crash would (nothing is lost: see the
 * crash tests), but by exiting rather than dying of the signal, so that its reading processes are
 * ended with it (one stuck in a file runs no handler of its own).
 */
function exitOnStopSignals(): void {
  for (const [signal, code] of STOP_SIGNALS) process.once(signal, () => process.exit(code));
}

async function withApp<T>(opts: GlobalOpts, fn: (app: App) => Promise<T>, open: { readOnly?: boolean } = {}): Promise<T> {
  exitOnStopSignals();
  const settings = loadSettings(opts);
  const app = await openApp(settings, createLogger(), open);
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

const program = new Command('intake').description('Runs a deadline-driven call for submissions by email.').showHelpAfterError();

withGlobals(program.command('run').description('the service: take in the inbox, answer, and keep watching').addOption(dryRunOption())).action(async (opts: GlobalOpts) => {
  const settings = loadSettings(opts);
  const log = createLogger();
  // Listening before the service starts: a stop asked for during startup (a backlog being taken
  // in) is a clean stop too. A second Ctrl-C ends the process at once, as a crash would (nothing
  // is lost then either); exiting, not dying of the signal, lets the reading processes be ended.
  const stopAsked = new AbortController();
  for (const [signal, code] of STOP_SIGNALS) process.on(signal, () => (stopAsked.signal.aborted ? process.exit(code) : stopAsked.abort()));
  // After `intake rules apply` the service stops and starts again on the applied rules: every
  // part (matching, replies, the digest and reminder schedules) then has them, as after a restart.
  let reason: StopReason = { kind: 'stopped' };
  do {
    const app = await openApp(settings, log);
    try {
      if (reason.kind === 'rules-applied') {
        const n = await redecideFrom(app, reason.run.from_message);
        print(`Rules applied: running with them now${n > 0 ? `; ${n} message(s) decided while they were applied decided again` : ''}.`);
      }
      const handle = await runService(app, print, stopAsked.signal);
      reason = await handle.done;
    } finally {
      await app.close();
    }
  } while (reason.kind === 'rules-applied' && !stopAsked.signal.aborted);
});

withGlobals(program.command('ingest').description('process .eml files, folders of them, or Maildirs, then exit').argument('<path...>').addOption(dryRunOption()))
  .action(async (paths: string[], opts: GlobalOpts) => {
    await withApp(opts, async (app) => {
      await app.pipeline.recover();
      const total = listMessageFiles(paths).length;
      const outcomes = await ingestFrom(app, new FileSource(paths));
      await app.flushOutbox();
      const decided = outcomes.filter((o) => o.status === 'decided').length;
      const errors = outcomes.filter((o) => o.status === 'error');
      print(`${total} message(s): ${decided} decided, ${total - decided - errors.length} already known, ${errors.length} error(s)`);
      printRepliesOff(app);
      const problems = await outboxEntries(app.db, { statuses: PROBLEM_STATUSES });
      if (problems.length > 0) print(`${problems.length} reply(ies) not delivered: see \`intake outbox --problems\``);
      for (const e of errors) if (e.status === 'error') print(`  message #${e.row}: ${e.error}`);
      if (errors.length > 0) process.exitCode = 1;
    });
  });

withGlobals(program.command('messages').description('every processed message with its decision').option('--json', 'one JSON object per line')).action(async (opts: GlobalOpts & { json?: boolean }) => {
  await withApp(opts, async (app) => {
    const reports = await messageReports(app.db);
    if (opts.json) {
      for (const r of reports) print(JSON.stringify(r));
      return;
    }
    const tz = app.rules.campaign.timezone;
    print(
      renderTable(
        ['#', 'received', 'from', 'subject', 'unit', 'documents', 'late', 'reply'],
        reports.map((r) => [
          String(r.id),
          formatLocalTime(r.receivedAt, tz).slice(0, 16),
          r.from ?? '',
          truncate(r.subject ?? '', 60),
          r.unit ?? (r.status === 'error' ? 'ERROR' : '-'),
          r.documents.map((d) => `${d.kind}${d.readable ? '' : '!'}`).join(' '),
          r.late ? 'late' : '',
          r.reply ? `${r.reply}${r.replyStatus && r.replyStatus !== 'sent' ? ` (${r.replyStatus})` : ''}` : r.status,
        ]),
      ),
    );
  }, { readOnly: true });
});

withGlobals(program.command('status').description('per unit: which required items are in, when, on time or late').option('--json', 'as JSON')).action(async (opts: GlobalOpts & { json?: boolean }) => {
  await withApp(opts, async (app) => {
    const status = await campaignStatus(app.db, app.rules);
    print(opts.json ? JSON.stringify(status, null, 2) : renderStatusTable(status, app.rules));
  }, { readOnly: true });
});

withGlobals(program.command('health').description('the watched IMAP mailbox: last sync, last mail, errors; exit code 1 when unreachable').option('--json', 'as JSON')).action(async (opts: GlobalOpts & { json?: boolean }) => {
  await withApp(opts, async (app) => {
    const health = await mailboxHealth(app.db);
    if (health.some((h) => h.unreachable)) process.exitCode = 1;
    if (opts.json) return print(JSON.stringify(health, null, 2));
    if (health.length === 0) return print('No IMAP mailbox has been watched yet (set IMAP_URL and run `intake run`).');
    const tz = app.rules.campaign.timezone;
    const t = (v: string | null) => (v ? formatLocalTime(v, tz).slice(0, 16) : '-');
    print(
      renderTable(
        ['mailbox', 'state', 'IDLE', 'last sync', 'last mail', 'down since', 'last error'],
        health.map((h) => [`${h.account}/${h.mailbox}`, h.unreachable ? `${h.state}, UNREACHABLE` : h.state, h.idle ? 'yes' : 'no', t(h.lastSyncAt), t(h.lastMailAt), t(h.downSince), h.lastError ? `${t(h.lastErrorAt)} ${h.lastError}`.slice(0, 80) : '']),
      ),
    );
    for (const h of health) if (h.problem) print(`\n${h.problem}`);
  }, { readOnly: true });
});

withGlobals(program.command('retry').description('decide again messages that ended in an error').argument('[message...]', 'message numbers (default: all in error)')).action(async (ids: string[], opts: GlobalOpts) => {
  await withApp(opts, async (app) => {
    let q = app.db.updateTable('messages').set({ status: 'archived', attempts: 0 }).where('status', '=', 'error');
    if (ids.length > 0) q = q.where('id', 'in', ids.map(Number));
    const reset = await q.executeTakeFirst();
    const outcomes = await app.pipeline.recover();
    await app.flushOutbox();
    print(`${Number(reset.numUpdatedRows)} message(s) retried: ${outcomes.filter((o) => o.status === 'decided').length} decided, ${outcomes.filter((o) => o.status === 'error').length} still failing`);
    printRepliesOff(app);
  });
});

withGlobals(program.command('review').description('messages waiting for a person, with their evidence').option('--json', 'one JSON object per line')).action(async (opts: GlobalOpts & { json?: boolean }) => {
  await withApp(opts, async (app) => {
    const queue = await reviewQueue(app.db);
    if (opts.json) {
      for (const r of queue) print(JSON.stringify(r));
      return;
    }
    if (queue.length === 0) return print('Nothing waits for review.');
    for (const r of queue) print(renderMessageDetail(r, app.rules) + '\n');
    print(`${queue.length} message(s) wait for review. Assign one with: intake assign <message> <unit|none>`);
  }, { readOnly: true });
});

withGlobals(program.command('show').description('one message in full: evidence, documents, replies').argument('<message>', 'message number')).action(async (id: string, opts: GlobalOpts) => {
  await withApp(opts, async (app) => {
    const [r] = await messageReports(app.db, { ids: [Number(id)] });
    if (!r) throw new UsageError(`no message #${id}: see \`intake messages\``);
    print(renderMessageDetail(r, app.rules));
  }, { readOnly: true });
});

withGlobals(program.command('assign').description('assign (or re-assign) a message to a unit, or to "none"; replies follow').argument('<message>', 'message number').argument('<unit>', 'unit id, name or alias, or "none"'))
  .action(async (id: string, unit: string, opts: GlobalOpts) => {
    await withApp(opts, async (app) => {
      let result;
      try {
        result = await assignMessage(app, Number(id), unit);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      await app.flushOutbox();
      const o = result.outcome;
      if (o.status === 'error') throw new Error(`message #${id} could not be decided again: ${o.error}`);
      const d = o.status === 'decided' ? o.decision : null;
      print(`message #${id}: ${result.previousUnit ?? 'no unit'} -> ${d?.unit ?? 'no unit'}; reply ${d?.kind ?? '-'} (${d?.reason ?? ''})`);
      print(result.learned === 'not-learned' ? `sender address not learned: ${result.learnNote}` : `sender address ${result.learned === 'learned' ? 'learned' : 'already known'} for ${d?.unit}`);
      printRepliesOff(app);
    });
  });

withGlobals(
  program
    .command('receipt')
    .description('set when the server received a message, found where intake could not (its time was not the server\'s); it is decided again, replies follow')
    .argument('<message>', 'message number')
    .argument('<time>', 'YYYY-MM-DD HH:MM[:SS] on the campaign\'s clock, or an ISO time with its offset')
    .requiredOption('--note <evidence>', 'where the time comes from, e.g. "新浪邮箱网页版显示 7月22日 16:03 收到"'),
).action(async (id: string, time: string, opts: GlobalOpts & { note: string }) => {
  await withApp(opts, async (app) => {
    let result;
    try {
      result = await setReceiptTime(app, Number(id), parseReceiptTime(time, app.rules.campaign.timezone), opts.note);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    await app.flushOutbox();
    const o = result.outcome;
    if (o.status === 'error') throw new Error(`message #${id} could not be decided again: ${o.error}`);
    const d = o.status === 'decided' ? o.decision : null;
    const tz = app.rules.campaign.timezone;
    print(`message #${id}: received ${formatLocalTime(result.previous.at, tz)} (${result.previous.basis}) -> ${formatLocalTime(result.at, tz)} (person); ${d?.late ? 'late' : 'on time'}; reply ${d?.kind ?? '-'} (${d?.reason ?? ''})`);
    printRepliesOff(app);
  });
});

withGlobals(program.command('units').description('the roster with each unit\'s known addresses and status').option('--json', 'as JSON')).action(async (opts: GlobalOpts & { json?: boolean }) => {
  await withApp(opts, async (app) => {
    const status = await campaignStatus(app.db, app.rules);
    const learned = await learnedAddresses(app.db);
    const units = app.rules.units.map((u) => {
      const s = status.units.find((x) => x.unit === u.id)!;
      return {
        id: u.id,
        name: u.name,
        kind: u.kind,
        aliases: u.aliases,
        addresses: u.addresses,
        learned: learned.filter((l) => l.unit_id === u.id).map((l) => ({ address: l.address, message: l.message_row, learnedAt: l.learned_at })),
        complete: s.complete,
        onTime: s.onTime,
        missing: s.missing,
      };
    });
    if (opts.json) return print(JSON.stringify(units, null, 2));
    print(
      renderTable(
        ['unit', 'name', 'addresses (roster)', 'learned', 'state'],
        units.map((u) => [u.id, u.name, u.addresses.join(' '), u.learned.map((l) => `${l.address} (#${l.message})`).join(' '), u.complete ? (u.onTime ? 'complete' : 'complete, late') : `missing ${u.missing.join(', ')}`]),
      ),
    );
  }, { readOnly: true });
});

withGlobals(program.command('forget').description('remove an address learned from review (the record is kept)').argument('<address>')).action(async (address: string, opts: GlobalOpts) => {
  await withApp(opts, async (app) => {
    const n = await forgetAddress(app.db, address);
    if (n === 0) throw new UsageError(`${address} is not a learned address: see \`intake units\` (roster addresses are edited in rules/units.yaml)`);
    print(`forgot ${address}; its next mail is matched without it`);
  });
});

const outbox = withGlobals(
  program
    .command('outbox')
    .description('every reply and reminder: sent, waiting, failed or held, with the last error')
    .option('--json', 'one JSON object per line')
    .option('--problems', 'only those a person must decide (failed, held)')
    .addOption(new Option('--status <status>', 'only those in this state').choices([...OUTBOX_STATUSES])),
).action(async (opts: GlobalOpts & { json?: boolean; problems?: boolean; status?: OutboxStatus }) => {
  await withApp(opts, async (app) => {
    const entries = await outboxEntries(app.db, { statuses: opts.problems ? PROBLEM_STATUSES : opts.status ? [opts.status] : undefined });
    if (opts.json) {
      for (const e of entries) print(JSON.stringify(e));
      return;
    }
    print(renderOutboxTable(entries, app.rules));
  }, { readOnly: true });
});
for (const [name, action, description] of [
  ['resend', 'resend', 'send again replies that failed, were held after an interrupted delivery, or were suppressed (REPLIES=off, --dry-run)'],
  ['mark-sent', 'mark-sent', 'record that held or failed replies did arrive (e.g. found in the Sent folder); they are never sent again'],
] as const) {
  withGlobals(outbox.command(name).description(description).argument('<reply...>', 'reply numbers from `intake outbox`')).action(async (ids: string[], _opts: GlobalOpts, cmd: Command) => {
    // --rules and --data may be written before or after the subcommand.
    await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
      const numbers = ids.map(Number);
      if (numbers.some((n) => !Number.isInteger(n))) throw new UsageError(`reply numbers are whole numbers: see \`intake outbox\``);
      // Rows set back to pending here would wait for whichever process next runs with replies on.
      if (action === 'resend') refuseWhileRepliesOff(app, 'run `intake outbox resend` with replies on');
      const r = await resolveOutbox(app.db, numbers, action);
      for (const s of r.skipped) print(`reply #${s.id} left alone: ${s.why}`);
      if (action === 'resend') await app.flushOutbox();
      const after = await outboxEntries(app.db, { ids: r.changed });
      for (const e of after) print(`reply #${e.id} to ${e.to}: ${e.status}${e.status !== 'sent' && e.lastError ? ` (${e.lastError})` : ''}`);
      if (r.skipped.length > 0) process.exitCode = 1;
    });
  });
}

withGlobals(
  program
    .command('paper')
    .description('record that a unit\'s paper copy with the official seal arrived; without a unit, list the records')
    .argument('[unit]', 'unit id, name or alias')
    .option('--date <when>', 'when it arrived: YYYY-MM-DD, or a time such as 2021-07-20T10:30 (default: now)')
    .option('--note <text>', 'e.g. who brought it')
    .option('--undo', 'remove the unit\'s paper copy record (a mistaken one); the record is kept, marked removed')
    .option('--json', 'as JSON'),
).action(async (unitText: string | undefined, opts: GlobalOpts & { date?: string; note?: string; undo?: boolean; json?: boolean }) => {
  await withApp(opts, async (app) => {
    const tz = app.rules.campaign.timezone;
    if (unitText === undefined) {
      const rows = await paperHistory(app.db);
      if (opts.json) return print(JSON.stringify(rows, null, 2));
      if (rows.length === 0) return print('No paper copy recorded yet. Record one with: intake paper <unit> [--date YYYY-MM-DD]');
      return print(
        renderTable(
          ['#', 'unit', 'received', 'recorded', 'note', 'state'],
          rows.map((r) => [String(r.id), r.unit_id, r.received_at ? formatLocalTime(r.received_at, tz).slice(0, 16) : r.received_on, formatLocalTime(r.recorded_at, tz).slice(0, 16), r.note ?? '', r.removed_at ? `removed ${formatLocalTime(r.removed_at, tz).slice(0, 16)}` : 'current']),
        ),
      );
    }
    const unit = resolveUnit(app, unitText);
    if (unit === null || unit === '-') throw new UsageError(`no unit "${unitText}": use a unit id, name or alias from rules/units.yaml (see \`intake units\`)`);
    const name = app.rules.units.find((u) => u.id === unit)!.name;
    if (opts.undo) {
      if (opts.date !== undefined || opts.note !== undefined) throw new UsageError('--undo takes no --date or --note');
      const row = await undoPaper(app.db, unit);
      if (!row) throw new UsageError(`${unit} (${name}) has no paper copy recorded: nothing to undo`);
      return print(`${unit} (${name}): paper copy of ${row.received_on} removed; the unit has no paper copy recorded`);
    }
    let r;
    try {
      r = await recordPaper(app.db, app.rules, unit, { date: opts.date, note: opts.note });
    } catch (err) {
      if (err instanceof PaperDateError) throw new UsageError(err.message);
      throw err;
    }
    if (opts.json) return print(JSON.stringify({ unit, ...r.state }, null, 2));
    const s = r.state;
    print(`${unit} (${name}): paper copy received ${s.receivedAt ? formatLocalTime(s.receivedAt, tz).slice(0, 16) : s.receivedOn}${s.late ? ` — LATE (due ${formatLocalTime(s.deadline, tz).slice(0, 16)})` : ''}${r.replaced ? ` (replaces the record of ${r.replaced.received_on})` : ''}`);
  });
});

withGlobals(
  program
    .command('remind')
    .description('queue and send the reminder due now to every incomplete unit (as `intake run` does on schedule)')
    .option('--dry-run', 'list who would get which reminder and what it would say is missing; write and send nothing')
    .option('--now', 'an extra reminder now, outside the schedule (at most one a unit a day)'),
).action(async (opts: GlobalOpts & { now?: boolean }) => {
  const dryRun = opts.dryRun === true;
  await withApp({ rules: opts.rules, data: opts.data }, async (app) => {
    const now = new Date();
    const tz = app.rules.campaign.timezone;
    if (now.getTime() >= Date.parse(app.rules.campaign.deadline)) throw new UsageError(`the deadline (${formatLocalTime(app.rules.campaign.deadline, tz)}) has passed: reminders are no longer sent`);
    if (opts.now && !app.rules.templates.reminder) throw new UsageError('there is no reminder template: create templates/reminder.txt in the rules folder');
    const occasion = opts.now ? manualOccasion(app.rules, now) : dueOccasion(app.rules, now);
    const next = nextOccasion(app.rules, now);
    if (!occasion) {
      print(`No reminder is due now.${next ? ` Next: ${formatLocalTime(next.at, tz).slice(0, 16)} (${tz}).` : ' No reminder time is left before the deadline.'}`);
      if (!dryRun || !next) return;
    }
    // With replies off a queued reminder would only be suppressed, and its key would keep it from
    // ever being queued again: list it as a dry run does.
    const listOnly = dryRun || !app.settings.repliesEnabled;
    const run = await queueReminders(app.db, app.rules, occasion ?? next!, { now, dryRun: listOnly });
    print(renderReminderRun(run, listOnly, tz));
    if (!dryRun && listOnly) print(`Replies are off (${app.settings.repliesOffReason}): no reminder was queued. Run \`intake remind\` again with replies on.`);
    if (!listOnly) await app.flushOutbox();
  }, { readOnly: dryRun });
});

function renderReminderRun(run: ReminderRun, dryRun: boolean, tz: string): string {
  const when = run.occasion.key.startsWith('manual:') ? `extra reminder of ${run.occasion.key.slice(7)}` : `reminder of ${formatLocalTime(run.occasion.at, tz).slice(0, 16)}`;
  const rows = [
    ...run.queued.map((t) => [t.unit, t.name, t.address ?? '', t.addressFrom ?? '', t.missing.join(', '), dryRun ? 'would be sent' : 'queued']),
    ...run.already.map((t) => [t.unit, t.name, t.address ?? '', t.addressFrom ?? '', t.missing.join(', '), 'already had it']),
    ...run.noAddress.map((t) => [t.unit, t.name, '', '', t.missing.join(', '), 'no address known']),
  ];
  const head = `${when} (${tz}): ${run.queued.length} ${dryRun ? 'would be queued' : 'queued'}, ${run.already.length} already sent, ${run.noAddress.length} incomplete unit(s) without an address.`;
  return rows.length === 0 ? `${head}
Every unit is complete.` : `${renderTable(['unit', 'name', 'address', 'from', 'missing', 'reminder'], rows)}

${head}${dryRun ? ' Nothing was written or sent.' : ''}`;
}


withGlobals(
  program
    .command('digest')
    .description('the staff digest now: print its text, write its HTML (--out), or send it (--send)')
    .option('--out <file.html>', 'write the HTML digest to this file; sends nothing')
    .option('--send', 'send it now to campaign.yaml staff.digest_recipients, with the workbook'),
).action(async (opts: GlobalOpts & { out?: string; send?: boolean }) => {
  await withApp(opts, async (app) => {
    const now = new Date();
    if (opts.send) {
      if (app.rules.campaign.staff.digest_recipients.length === 0) throw new UsageError('campaign.yaml staff.digest_recipients is empty: list who receives the digest');
      // A suppressed digest would still count as one sent by hand, and keep the day's scheduled one from going.
      refuseWhileRepliesOff(app, '`intake digest --out digest.html` shows it, or run `intake digest --send` with replies on');
      const queued = await queueDigest(app, { slot: `manual:${now.toISOString()}`, trigger: 'manual', now });
      if (!queued) throw new Error('a digest was recorded at this very time already; run the command again');
      await app.flushOutbox();
      const rows = await app.db.selectFrom('outbox').select(['to_address', 'status', 'last_error']).where('id', 'in', queued.outbox).execute();
      for (const r of rows) print(`digest #${queued.digest} to ${r.to_address}: ${r.status}${r.last_error ? ` (${r.last_error})` : ''}`);
      if (rows.some((r) => r.status === 'failed')) process.exitCode = 1;
      if (opts.out) writeFileSync(opts.out, queued.rendered.html);
      return;
    }
    const rendered = await renderDigest(app, now);
    if (opts.out) {
      writeFileSync(opts.out, rendered.html);
      print(`wrote ${opts.out}: ${rendered.subject}`);
    } else {
      print(`${rendered.subject}\n\n${rendered.text}`);
    }
  }, { readOnly: !opts.send });
});

withGlobals(program.command('export').description('write the consolidated workbook: status per unit, every registration row, final participants after the deadline').argument('<file.xlsx>'))
  .action(async (file: string, opts: GlobalOpts) => {
    await withApp(opts, async (app) => {
      const rendered = await renderDigest(app, new Date());
      writeFileSync(file, rendered.workbook.content);
      const d = rendered.data;
      print(`wrote ${file}: ${d.units.length} units, ${d.registrations.length} registration row(s)${d.participants ? `, ${d.participants.length} final participant(s)` : ''}`);
    }, { readOnly: true });
  });

const rules = program.command('rules').description('check, test and apply the rules folder');
withGlobals(rules.command('check').description('validate rules/; errors name the file, line and fix')).action((opts: GlobalOpts) => {
  const settings = loadSettings(opts);
  const r = loadRules(settings.rulesDir);
  print(`rules OK: ${r.units.length} units, deadline ${r.campaign.deadline}, required ${r.campaign.required.join(' + ')}`);
});

withGlobals(rules.command('test').description('replay every stored message against the rules on disk; print what would change; write nothing')).action(async (opts: GlobalOpts) => {
  await withApp(opts, async (app) => print(renderReplay(await testRules(app), 'would change') + ' Nothing was written or sent.'), { readOnly: true });
});

withGlobals(rules.command('apply').description('decide stored messages again under the current rules; replies follow at most once')).action(async (opts: GlobalOpts) => {
  await withApp(opts, async (app) => {
    const r = await applyRules(app);
    await app.flushOutbox();
    print(renderReplay(r, 'changed'));
    print(`A running \`intake run\` starts again on these rules within ${app.settings.pollMs / 1000} s.`);
    printRepliesOff(app);
    for (const e of r.errors) print(`  message #${e.message}: ${e.error}`);
    if (r.errors.length > 0) process.exitCode = 1;
  });
});

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`intake: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof RulesError) {
    process.stderr.write(`rules are invalid (${err.problems.length} problem(s)):\n${err.problems.map((p) => '  ' + formatProblem(p)).join('\n')}\n`);
    process.exit(2);
  }
  if (err instanceof SettingsError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`intake: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
