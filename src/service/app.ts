import { join } from 'node:path';
import { RawStore } from '../archive/raw-store.js';
import type { Settings } from '../config/env.js';
import type { Logger } from '../log.js';
import { FileTransport } from '../outbox/file-transport.js';
import { ImapSentFolder } from '../outbox/imap-sent-check.js';
import { OutboxSender } from '../outbox/sender.js';
import { SmtpTransport } from '../outbox/smtp-transport.js';
import type { Transport } from '../outbox/transport.js';
import { isolatedReaders } from '../documents/isolated-reader.js';
import { Pipeline, type PipelineDeps } from '../pipeline/pipeline.js';
import { reminderStillDue } from '../reminders/reminders.js';
import { loadRules, type Rules } from '../rules/index.js';
import { openDatabase, type Db } from '../store/db.js';
import { owedReply } from './owed-reply.js';

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
  /**
   * Delivers due replies. With replies off it does nothing: this process wrote its rows already
   * suppressed, and rows another process queued are that process's to send.
   */
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
  const transport: Transport = settings.smtp ? new SmtpTransport(settings.smtp) : new FileTransport(settings.outboxDir);
  const pipeline = new Pipeline({ db, raw, rules, log, afterStage: extra.afterStage, readers: isolatedReaders(settings.soffice, settings.readerProcesses), repliesOffReason: settings.repliesOffReason });
  const from = { name: rules.campaign.replies.from_name ?? rules.campaign.organiser.name, address: rules.campaign.mailbox };
  if (settings.smtp?.user && settings.smtp.user.includes('@') && settings.smtp.user.toLowerCase() !== from.address.toLowerCase()) {
    // Sina, QQ and 163 refuse (553) mail whose sender is not the account that logged in.
    log.warn({ smtpUser: settings.smtp.user, mailbox: from.address }, 'SMTP_USER differs from campaign.yaml mailbox; most providers refuse mail sent as another address');
  }
  const sender = new OutboxSender(
    db,
    transport,
    {
      from,
      retry: settings.retry,
      perRecipientPerDay: rules.campaign.replies.per_recipient_per_day,
      stillDue: reminderStillDue(db, rules),
      replyGivenUp: owedReply(db, pipeline, log),
      sentCheck: settings.sentFolder ? new ImapSentFolder(settings.sentFolder) : null,
      sentFolderDelayMs: settings.sentFolder?.delayMs,
    },
    log,
  );
  if (!extra.readOnly) {
    await sender.recoverInFlight();
    const stale = raw.removeStaleTemp();
    if (stale > 0) log.info({ files: stale, dir: join(settings.rawDir, 'tmp') }, 'removed temp files of archive writes a stopped process left unfinished');
  }
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
      return settings.repliesEnabled ? sender.deliverDue() : 0;
    },
    async close() {
      await transport.close();
      await opened.close();
    },
  };
}
