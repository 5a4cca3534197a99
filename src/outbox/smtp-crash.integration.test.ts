import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtureMail, tempDir } from '../testing/app.js';
import { runCli } from '../testing/cli.js';
import { TestSmtpServer } from '../testing/smtp.js';

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await TestSmtpServer.start();
});
afterAll(async () => {
  await smtp.stop();
});
beforeEach(() => {
  smtp.messages.length = 0;
});

const files = [fixtureMail('01-xunyang-complete.eml'), fixtureMail('03-xiushui-form-only-gb2312.eml')];

async function outbox(data: string): Promise<Array<{ id: number; status: string; replyMessageId: string; lastError: string | null }>> {
  const r = await runCli(['outbox', '--json', '--data', data], smtp.env());
  expect(r.stderr).toBe('');
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

describe('a crash (SIGKILL) at each step of a reply sent over SMTP', () => {
  // Before the hand-over the server cannot have accepted the reply: a restart sends it, once.
  const before = ['archive', 'parse', 'expand', 'read', 'classify', 'match', 'decide', 'reply-claimed'];
  it.each(before)('at %s: after restart each reply is delivered exactly once', async (point) => {
    const data = tempDir();
    const crashed = await runCli(['ingest', ...files, '--data', data], smtp.env({ INTAKE_CRASH_AT: point }));
    expect(crashed.signal).toBe('SIGKILL');
    const again = await runCli(['ingest', ...files, '--data', data], smtp.env());
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    const rows = await outbox(data);
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent']);
    for (const r of rows) expect(smtp.copiesOf(r.replyMessageId)).toBe(1);
    expect(smtp.messages).toHaveLength(2);
  });

  it('at reply-handed-over (the server had all but the end of the message): nothing was accepted; held, and resent once by a person', async () => {
    const data = tempDir();
    const crashed = await runCli(['ingest', ...files, '--data', data], smtp.env({ INTAKE_CRASH_AT: 'reply-handed-over' }));
    expect(crashed.signal).toBe('SIGKILL');
    expect(smtp.messages).toHaveLength(0);
    await runCli(['ingest', ...files, '--data', data], smtp.env());
    const [first, second] = await outbox(data);
    // SMTP cannot say whether it took the first reply, so it is held rather than risked twice.
    expect(first).toMatchObject({ status: 'held' });
    expect(first!.lastError).toMatch(/interrupted after the message was handed over/);
    expect(second).toMatchObject({ status: 'sent' });
    expect(smtp.copiesOf(first!.replyMessageId)).toBe(0);
    const resend = await runCli(['outbox', 'resend', String(first!.id), '--data', data], smtp.env());
    expect(resend.stdout).toContain(`reply #${first!.id} to xyqzgh@163.com: sent`);
    expect(smtp.copiesOf(first!.replyMessageId)).toBe(1);
    expect(smtp.copiesOf(second!.replyMessageId)).toBe(1);
  });

  it('at reply-sent (the server accepted it, the "sent" mark was lost): no second copy, ever', async () => {
    const data = tempDir();
    const crashed = await runCli(['ingest', ...files, '--data', data], smtp.env({ INTAKE_CRASH_AT: 'reply-sent' }));
    expect(crashed.signal).toBe('SIGKILL');
    expect(smtp.messages).toHaveLength(1);
    const acceptedId = smtp.messages[0]!.messageId;
    // Restart twice: the accepted reply is never sent again; the other one goes once.
    await runCli(['ingest', ...files, '--data', data], smtp.env());
    await runCli(['ingest', ...files, '--data', data], smtp.env());
    const [first, second] = await outbox(data);
    expect(first).toMatchObject({ status: 'held', replyMessageId: acceptedId });
    expect(second).toMatchObject({ status: 'sent' });
    expect(smtp.copiesOf(acceptedId)).toBe(1);
    expect(smtp.copiesOf(second!.replyMessageId)).toBe(1);
    // A person finds it in the Sent folder and records it; nothing is sent.
    const marked = await runCli(['outbox', 'mark-sent', String(first!.id), '--data', data], smtp.env());
    expect(marked.stdout).toContain(`reply #${first!.id} to xyqzgh@163.com: sent`);
    expect(smtp.messages).toHaveLength(2);
  });
});
