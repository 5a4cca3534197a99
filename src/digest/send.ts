import { createHash } from 'node:crypto';
import type { App } from '../service/app.js';
import { queuedStatus, type OutboxAttachment } from '../store/tables.js';
import { digestDedupeKey, gatherDigest, type DigestData } from './data.js';
import { renderDigestHtml } from './render-html.js';
import { renderDigestText } from './render-text.js';
import { buildWorkbook } from './workbook.js';
import { digestSubject, workbookFileName } from './wording.js';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export interface RenderedDigest {
  data: DigestData;
  subject: string;
  html: string;
  text: string;
  workbook: { filename: string; content: Buffer };
}

type DigestApp = Pick<App, 'db' | 'rules' | 'raw' | 'settings'>;

/** The digest as of `now`: its data, both bodies and the workbook. Writes nothing. */
export async function renderDigest(app: DigestApp, now: Date): Promise<RenderedDigest> {
  const data = await gatherDigest(app.db, app.rules, { now, readRaw: (sha) => app.raw.read(sha) });
  return {
    data,
    subject: digestSubject(data),
    html: renderDigestHtml(data),
    text: renderDigestText(data),
    workbook: { filename: workbookFileName(data), content: await buildWorkbook(data) },
  };
}

export interface QueuedDigest {
  digest: number;
  slot: string;
  recipients: string[];
  outbox: number[];
  rendered: RenderedDigest;
}

/**
 * Records a digest for `slot` and puts one copy per staff recipient in the outbox, in one
 * transaction; the outbox sender delivers them at most once. A slot already recorded (by this
 * process before a restart, or by another one) is never sent again: returns null.
 */
export async function queueDigest(app: DigestApp, opts: { slot: string; trigger: 'schedule' | 'manual'; now: Date }): Promise<QueuedDigest | null> {
  const recipients = [...new Set(app.rules.campaign.staff.digest_recipients.map((a) => a.toLowerCase()))];
  if (recipients.length === 0) throw new Error('campaign.yaml staff.digest_recipients is empty: list who receives the digest');
  if (await app.db.selectFrom('digests').select('id').where('slot', '=', opts.slot).executeTakeFirst()) return null;
  const rendered = await renderDigest(app, opts.now);
  const attachments: OutboxAttachment[] = [{ filename: rendered.workbook.filename, contentType: XLSX_TYPE, contentBase64: rendered.workbook.content.toString('base64') }];
  const domain = app.rules.campaign.mailbox.split('@')[1] ?? 'intake.invalid';
  const created = opts.now.toISOString();
  return app.db.transaction().execute(async (trx) => {
    const digest = await trx
      .insertInto('digests')
      .values({ slot: opts.slot, trigger: opts.trigger, generated_at: created, through_message_row: rendered.data.since.throughMessage, recipients_json: JSON.stringify(recipients), subject: rendered.subject })
      .onConflict((oc) => oc.column('slot').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!digest) return null;
    const outbox: number[] = [];
    for (const to of recipients) {
      const tag = createHash('sha256').update(`${opts.slot}|${to}`).digest('hex').slice(0, 12);
      const row = await trx
        .insertInto('outbox')
        .values({
          dedupe_key: digestDedupeKey(opts.slot, to),
          message_row: null,
          kind: 'digest',
          to_address: to,
          subject: rendered.subject,
          body_text: rendered.text,
          body_html: rendered.html,
          attachments_json: JSON.stringify(attachments),
          in_reply_to: null,
          references_text: null,
          reply_message_id: `<intake.digest.${digest.id}.${tag}@${domain}>`,
          ...queuedStatus(app.settings.repliesOffReason),
          attempts: 0,
          created_at: created,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      outbox.push(row.id);
    }
    return { digest: digest.id, slot: opts.slot, recipients, outbox, rendered };
  });
}
