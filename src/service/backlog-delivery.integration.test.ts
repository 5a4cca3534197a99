import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRules } from '../rules/index.js';
import { RULES_DIR } from '../testing/app.js';
import { startDovecot, type Dovecot } from '../testing/dovecot.js';
import { startIntake, type RunningIntake } from '../testing/imap-service.js';
import { TestSmtpServer } from '../testing/smtp.js';
import { submissionMail } from '../testing/submissions.js';

/**
 * A backlog of more than one IMAP batch (100 messages), against Dovecot and a real SMTP server
 * that takes 50 ms per message: the replies to the first batch go out while the second batch is
 * being decided, not after it.
 */
let dovecot: Dovecot;
let smtp: TestSmtpServer;
let intake: RunningIntake | undefined;

beforeAll(async () => {
  dovecot = await startDovecot();
  smtp = await TestSmtpServer.start({ onAccepted: () => sleep(50) });
});
afterAll(async () => {
  await intake?.stop();
  await smtp?.stop();
  await dovecot?.cleanup();
});

describe('a backlog of two batches', () => {
  it('answers the first batch while the second is decided', async () => {
    const units = loadRules(RULES_DIR).units;
    const at = (i: number) => new Date(Date.parse('2021-07-22T01:00:00Z') + i * 60_000);
    const mails = await Promise.all(Array.from({ length: 110 }, async (_, i) => ({ raw: await submissionMail(units[i % units.length]!, i, at(i)), date: at(i) })));
    await dovecot.append(mails);

    intake = await startIntake(dovecot, { env: smtp.env({}) as Record<string, string> });
    await smtp.waitFor(110, 120_000);

    const db = intake.app.db;
    const firstOfSecondBatch = await db.selectFrom('messages').select('decided_at').where('id', '=', 101).executeTakeFirstOrThrow();
    const firstBatchReplies = await db.selectFrom('outbox').select('sent_at').where('message_row', '<=', 100).where('status', '=', 'sent').execute();
    expect(firstBatchReplies).toHaveLength(100);
    const lastSent = firstBatchReplies.map((r) => r.sent_at!).sort().at(-1)!;
    // 100 replies at 50 ms each take five seconds; the second batch was decided meanwhile.
    expect(firstOfSecondBatch.decided_at! < lastSent).toBe(true);
    // Each message was answered once, and nothing more went out by the time intake stopped.
    await intake.stop();
    expect(smtp.messages).toHaveLength(110);
    expect(new Set(smtp.messages.map((m) => m.messageId)).size).toBe(110);
  });
});
