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

const print = (s: string) => process.stdout.write(s + '\n');

interface GlobalOpts {
  rules?: string;
  data?: string;
}

function withGlobals(cmd: Command): Command {
  return cmd
    .addOption(new Option('--rules <dir>', 'rules folder (default ./rules, or INTAKE_RULES)'))
    .addOption(new Option('--data <dir>', 'data folder: database, raw archive, inbox, outbox (default ./var, or INTAKE_DATA)'));
}

async function withApp<T>(opts: GlobalOpts, fn: (app: App) => Promise<T>): Promise<T> {
  const settings = loadSettings(opts);
  const app = await openApp(settings, createLogger());
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
  });
});

withGlobals(program.command('status').description('per unit: which required items are in, when, on time or late').option('--json', 'as JSON')).action(async (opts: GlobalOpts & { json?: boolean }) => {
  await withApp(opts, async (app) => {
    const status = await campaignStatus(app.db, app.rules);
    print(opts.json ? JSON.stringify(status, null, 2) : renderStatusTable(status, app.rules));
  });
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

const rules = program.command('rules').description('check the rules folder');
withGlobals(rules.command('check').description('validate rules/; errors name the file, line and fix')).action((opts: GlobalOpts) => {
  const settings = loadSettings(opts);
  const r = loadRules(settings.rulesDir);
  print(`rules OK: ${r.units.length} units, deadline ${r.campaign.deadline}, required ${r.campaign.required.join(' + ')}`);
});

program.parseAsync(process.argv).catch((err: unknown) => {
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
