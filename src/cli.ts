#!/usr/bin/env node
import { Command, Option } from 'commander';
import { loadSettings, SettingsError } from './config/env.js';
import { createLogger } from './log.js';
import { messageReports } from './report/messages.js';
import { campaignStatus } from './report/status.js';
import { renderStatusTable } from './report/status-table.js';
import { renderTable } from './report/table.js';
import { formatProblem, loadRules, RulesError } from './rules/index.js';
import { openApp, type App } from './service/app.js';
import { ingestFrom } from './service/ingest.js';
import { runService } from './service/run.js';
import { FileSource, listMessageFiles } from './sources/files.js';
import { formatLocalTime } from './util/time.js';
import { assignMessage } from './review/assign.js';
import { forgetAddress, learnedAddresses } from './review/learned-addresses.js';
import { reviewQueue } from './review/queue.js';
import { applyRules, renderReplay, testRules } from './replay/replay.js';
import { renderMessageDetail } from './report/message-detail.js';
import { mailboxHealth } from './sources/health.js';

const print = (s: string) => process.stdout.write(s + '\n');

/** A mistake in what the operator typed: said in one line, exit code 2. */
class UsageError extends Error {}

interface GlobalOpts {
  rules?: string;
  data?: string;
}

function withGlobals(cmd: Command): Command {
  return cmd
    .addOption(new Option('--rules <dir>', 'rules folder (default ./rules, or INTAKE_RULES)'))
    .addOption(new Option('--data <dir>', 'data folder: database, raw archive, inbox, outbox (default ./var, or INTAKE_DATA)'));
}

async function withApp<T>(opts: GlobalOpts, fn: (app: App) => Promise<T>, open: { readOnly?: boolean } = {}): Promise<T> {
  const settings = loadSettings(opts);
  const app = await openApp(settings, createLogger(), open);
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

const program = new Command('intake').description('Runs a deadline-driven call for submissions by email.').showHelpAfterError();

withGlobals(program.command('run').description('the service: take in the inbox, answer, and keep watching')).action(async (opts: GlobalOpts) => {
  const settings = loadSettings(opts);
  const app = await openApp(settings, createLogger());
  const handle = await runService(app, print);
  const stop = () => handle.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await handle.done;
  await app.close();
});

withGlobals(program.command('ingest').description('process .eml files, folders of them, or Maildirs, then exit').argument('<path...>'))
  .action(async (paths: string[], opts: GlobalOpts) => {
    await withApp(opts, async (app) => {
      await app.pipeline.recover();
      const total = listMessageFiles(paths).length;
      const outcomes = await ingestFrom(app, new FileSource(paths));
      await app.flushOutbox();
      const decided = outcomes.filter((o) => o.status === 'decided').length;
      const errors = outcomes.filter((o) => o.status === 'error');
      print(`${total} message(s): ${decided} decided, ${total - decided - errors.length} already known, ${errors.length} error(s)`);
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
          (r.subject ?? '').slice(0, 30),
          r.unit ?? (r.status === 'error' ? 'ERROR' : '-'),
          r.documents.map((d) => `${d.kind}${d.readable ? '' : '!'}`).join(' '),
          r.late ? 'late' : '',
          r.reply ?? r.status,
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
