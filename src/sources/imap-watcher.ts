import type { ImapFlow } from 'imapflow';
import { schedule, type ScheduledTask } from 'node-cron';
import { describeImap, type ImapSettings } from '../config/imap.js';
import type { Logger } from '../log.js';
import { PipelineStopped } from '../pipeline/pipeline.js';
import { Backoff } from './backoff.js';
import { HealthRecorder } from './health.js';
import { createImapClient, identifyAfterLogin } from './imap-client.js';
import { catchUpAfterAction } from './imap-after.js';
import { imapAccount } from './imap-uids.js';
import { errorText } from './imap-errors.js';
import { syncMailbox, type FetchTrouble, type SyncContext, type SyncResult } from './imap-sync.js';

/** What a sync needs, less what the watcher owns itself (the account, its health record). */
export interface ImapWatcherOptions extends Omit<SyncContext, 'account' | 'health' | 'reselect' | 'now'> {
  /** After every completed sync, also when nothing was new (the poll's heartbeat). */
  afterSync?(result: SyncResult): Promise<void>;
  /** Tests: another client factory or randomness. */
  createClient?: (s: ImapSettings, log: Logger) => ImapFlow;
  random?: () => number;
}

/**
 * Watches one mailbox for as long as the service runs. imapflow does not reconnect, so this
 * supervisor builds a new client after every close or error, waiting with exponential backoff
 * and jitter, and resyncs by UID on every (re)connection. New mail is seen through IDLE
 * (imapflow idles whenever the connection is free and reports EXISTS); a cron poll syncs
 * anyway, for whatever IDLE missed and for servers without IDLE.
 */
export class ImapWatcher {
  readonly account: string;
  readonly health: HealthRecorder;
  private readonly backoff: Backoff;
  private readonly log: Logger;
  private client: ImapFlow | null = null;
  private connecting: Promise<void> | null = null;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private poll: ScheduledTask | null = null;
  private syncing: Promise<void> | null = null;
  private again = false;
  /** A poll asked for a sync while one was running: the sync it gets SELECTs the folder again. */
  private pollAgain = false;
  /** Kept across reconnects: a message at which every sync loses the connection (imap-sync.ts). */
  private readonly trouble: { current: FetchTrouble | null } = { current: null };
  private stopped = false;
  private lastGoodSync = Date.now();
  private lastUnreachableWarning = 0;

  constructor(private readonly o: ImapWatcherOptions) {
    this.account = imapAccount(o.settings);
    this.log = o.log.child({ mailbox: o.settings.mailbox, imap: describeImap(o.settings) });
    this.health = new HealthRecorder(o.db, this.account, o.settings.mailbox, o.settings.unreachableAfterMs);
    this.backoff = new Backoff(o.settings.reconnectMinMs, o.settings.reconnectMaxMs, o.random);
  }

  /** Connects and takes in what is waiting; resolves after that first attempt, whether or not it worked. */
  async start(): Promise<void> {
    this.poll = schedule(this.o.settings.pollCron, () => this.onPoll(), {
      name: `imap-poll:${this.o.settings.mailbox}`,
      noOverlap: true,
      logger: { info: () => {}, debug: () => {}, warn: (m) => this.log.warn({ cron: m }, 'poll schedule'), error: (m) => this.log.warn({ cron: String(m) }, 'poll schedule') },
    });
    await this.connect();
  }

  /** Stops watching: no new sync starts, the one running finishes, the connection logs out. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.poll?.destroy();
    clearTimeout(this.reconnectTimer);
    await this.connecting?.catch(() => {});
    await this.syncing?.catch(() => {});
    const c = this.client;
    this.client = null;
    if (c) await c.logout().catch(() => c.close());
    await this.health.update({ state: 'stopped' }).catch(() => {});
  }

  /** Syncs now (or right after the sync already running). Never throws. */
  async syncNow(reason: string): Promise<void> {
    if (this.syncing) {
      this.again = true;
      // A poll that comes during a sync still gets its fresh SELECT (reselect: see syncMailbox),
      // or a UIDVALIDITY change on a busy mailbox would wait for a poll that finds it idle.
      if (reason === 'poll') this.pollAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      try {
        do {
          this.again = false;
          await this.syncOnce(reason);
          reason = this.pollAgain ? 'poll' : 'new mail during sync';
          this.pollAgain = false;
        } while (this.again && !this.stopped);
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }

  private connect(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.connecting = this.connectOnce().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async connectOnce(): Promise<void> {
    const s = this.o.settings;
    await this.health.update({ state: 'connecting' }).catch(() => {});
    const client = (this.o.createClient ?? createImapClient)(s, this.log);
    this.client = client;
    // imapflow emits 'error' once, then 'close'; without a listener the error would crash the process.
    client.on('error', (err: Error) => this.log.warn({ err: errorText(err) }, 'IMAP connection error'));
    client.on('close', () => this.onClose(client));
    client.on('exists', (d) => {
      if (d.count > d.prevCount) void this.syncNow('new mail (EXISTS)');
    });
    try {
      await client.connect();
      await identifyAfterLogin(client);
    } catch (err) {
      this.log.warn({ err: errorText(err), attempt: this.backoff.attempts + 1 }, 'could not connect to the IMAP server');
      await this.health.failed('disconnected', `connect: ${errorText(err)}`).catch(() => {});
      this.warnIfUnreachable();
      if (this.client === client) this.client = null;
      client.close();
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) return;
    this.log.info({ idle: client.capabilities.has('IDLE'), server: client.serverInfo?.name ?? null }, 'connected to the IMAP server');
    await this.health.update({ state: 'connected', connected_at: new Date().toISOString(), idle: client.capabilities.has('IDLE') ? 1 : 0 }).catch(() => {});
    await this.syncNow('connected');
  }

  private onClose(client: ImapFlow): void {
    if (client !== this.client) return;
    this.client = null;
    if (this.stopped) return;
    this.log.warn({ byServer: !client.closedByClient, idling: client.idlingAtClose, bye: client.byeReason ?? null }, 'IMAP connection closed; reconnecting');
    void this.health.failed('disconnected', `connection closed${client.byeReason ? `: ${client.byeReason}` : ''}`).catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer !== undefined) return;
    const delay = this.backoff.next();
    this.log.info({ delayMs: delay, attempt: this.backoff.attempts }, 'reconnecting after a pause');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }

  private onPoll(): void {
    this.warnIfUnreachable();
    if (this.client?.usable) void this.syncNow('poll');
  }

  private async syncOnce(reason: string): Promise<void> {
    const client = this.client;
    if (!client || !client.usable || this.stopped) return;
    let result: SyncResult;
    try {
      result = await syncMailbox(client, { settings: this.o.settings, account: this.account, db: this.o.db, raw: this.o.raw, log: this.log, opens: this.o.opens, maxMessageBytes: this.o.maxMessageBytes, takeAll: this.o.takeAll, health: this.health, afterBatch: this.o.afterBatch, reselect: reason === 'poll', trouble: this.trouble, stopping: () => this.stopped });
    } catch (err) {
      // The service is stopping: the messages not taken in are fetched again at the next start.
      if (err instanceof PipelineStopped) {
        this.log.info({ reason }, 'mailbox sync stopped: the service is stopping');
        return;
      }
      this.log.error({ reason, err: errorText(err) }, 'mailbox sync failed; reconnecting to try again');
      await this.health.failed('disconnected', `sync: ${errorText(err)}`).catch(() => {});
      this.warnIfUnreachable();
      // A fresh connection after a pause is the one retry path for every failure (a mailbox
      // deleted under us, a half-dead session, a full disk): it resyncs by UID with backoff.
      if (this.client === client) client.close();
      return;
    }
    this.lastGoodSync = Date.now();
    this.backoff.reset();
    await this.health.synced().catch((err) => this.log.warn({ err: errorText(err) }, 'could not record mailbox health'));
    if (result.taken > 0 || result.skipped > 0 || result.unfetched > 0 || result.fullScan) this.log.info({ reason, ...result }, 'mailbox synced');
    else this.log.debug({ reason }, 'mailbox synced, nothing new');
    try {
      await this.o.afterSync?.(result);
    } catch (err) {
      this.log.error({ err: errorText(err) }, 'after-sync work failed');
    }
    // After afterSync: it retries the messages in error, whose action is still to be applied.
    if (this.stopped || !client.usable) return;
    try {
      await catchUpAfterAction(client, this.o.db, this.o.settings, this.log);
    } catch (err) {
      this.log.warn({ err: errorText(err) }, 'after-processing action for earlier messages failed; tried again after the next sync');
    }
  }

  /** A warning at most once per IMAP_UNREACHABLE_MINUTES while no sync succeeds. */
  private warnIfUnreachable(): void {
    const limit = this.o.settings.unreachableAfterMs;
    const down = Date.now() - this.lastGoodSync;
    if (down < limit || Date.now() - this.lastUnreachableWarning < limit) return;
    this.lastUnreachableWarning = Date.now();
    this.log.warn({ downMinutes: Math.round(down / 60_000), thresholdMinutes: Math.round(limit / 60_000) }, 'mailbox unreachable: no successful sync; new submissions are not being seen');
  }
}
