import { RawStore } from '../archive/raw-store.js';
import type { Settings } from '../config/env.js';
import type { Logger } from '../log.js';
import { FileTransport } from '../outbox/file-transport.js';
import { OutboxSender } from '../outbox/sender.js';
import { SmtpTransport } from '../outbox/smtp-transport.js';
import type { Transport } from '../outbox/transport.js';
import { Pipeline, type PipelineDeps } from '../pipeline/pipeline.js';
import { loadRules, type Rules } from '../rules/index.js';
import { openDatabase, type Db } from '../store/db.js';

/** The pieces every command works with, opened once from settings and rules. */
export interface App {
  settings: Settings;
  rules: Rules;
  db: Db;
  raw: RawStore;
  transport: Transport;
  pipeline: Pipeline;
  sender: OutboxSender;
  log: Logger;
  /** Delivers due replies, or records them as suppressed when replies are off. */
  flushOutbox(): Promise<number>;
  close(): Promise<void>;
}

export interface OpenOptions extends Pick<PipelineDeps, 'afterStage'> {
  /** Commands that only read (reports, `rules test`) leave replies caught mid-delivery alone. */
  readOnly?: boolean;
}

export async function openApp(settings: Settings, log: Logger, extra: OpenOptions = {}): Promise<App> {
  const rules = loadRules(settings.rulesDir);
  const opened = await openDatabase(settings.database);
  const db = opened.db;
  const raw = new RawStore(settings.rawDir);
  const transport: Transport = settings.smtpUrl ? new SmtpTransport(settings.smtpUrl) : new FileTransport(settings.outboxDir);
  const pipeline = new Pipeline({ db, raw, rules, log, afterStage: extra.afterStage, maxMessageBytes: settings.maxMessageBytes });
  const from = { name: rules.campaign.replies.from_name ?? rules.campaign.organiser.name, address: rules.campaign.mailbox };
  const sender = new OutboxSender(db, transport, { from }, log);
  if (!extra.readOnly) await sender.recoverInFlight();
  return {
    settings,
    rules,
    db,
    raw,
    transport,
    pipeline,
    sender,
    log,
    async flushOutbox() {
      if (settings.repliesEnabled) return sender.deliverDue();
      const r = await db.updateTable('outbox').set({ status: 'suppressed', last_error: 'REPLIES=off: recorded, not sent' }).where('status', '=', 'pending').executeTakeFirst();
      return -Number(r.numUpdatedRows);
    },
    async close() {
      await transport.close();
      await opened.close();
    },
  };
}
