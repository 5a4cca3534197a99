import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtureMail, tempDir } from '../testing/app.js';
import { runCli } from '../testing/cli.js';
import { startDovecot, type Dovecot } from '../testing/dovecot.js';
import { TestSmtpServer } from '../testing/smtp.js';

/**
 * The provider files a copy of every accepted message in the mailbox's Sent folder, as Sina and
 * QQ Mail do when "save sent mail" is on: intake asks that folder (a real Dovecot, over IMAP)
 * about a reply whose delivery a crash cut off, and so delivers every reply exactly once.
 */
let mailbox: Dovecot;
let filing: TestSmtpServer;
let notFiling: TestSmtpServer;
beforeAll(async () => {
  mailbox = await startDovecot({ users: [{ user: 'jjszjjb@sina.com', password: 'authcode-测试-1' }] });
  filing = await TestSmtpServer.start({ onAccepted: async (m) => void (await mailbox.appendOne(m.raw, { mailbox: 'Sent' })) });
  notFiling = await TestSmtpServer.start();
});
afterAll(async () => {
  await filing?.stop();
  await notFiling?.stop();
  await mailbox?.cleanup();
});
beforeEach(() => {
  filing.messages.length = 0;
  notFiling.messages.length = 0;
});

const files = [fixtureMail('01-xunyang-complete.eml'), fixtureMail('03-xiushui-form-only-gb2312.eml')];
const env = (smtp: TestSmtpServer, extra: NodeJS.ProcessEnv = {}) => smtp.env({ SENT_IMAP_URL: mailbox.accountUrl(), SENT_FOLDER_DELAY_SECONDS: '0', ...extra });

async function outbox(smtp: TestSmtpServer, data: string): Promise<Array<{ id: number; status: string; replyMessageId: string; serverResponse: string | null; lastError: string | null }>> {
  const r = await runCli(['outbox', '--json', '--data', data], env(smtp));
  expect(r.stderr).toBe('');
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

describe('a crash mid-delivery, settled by the Sent folder over IMAP', () => {
  it.each(['reply-handed-over', 'reply-sent'])('at %s: after restart each reply is delivered exactly once', async (point) => {
    const data = tempDir();
    const crashed = await runCli(['ingest', ...files, '--data', data], env(filing, { INTAKE_CRASH_AT: point }));
    expect(crashed.signal).toBe('SIGKILL');
    const again = await runCli(['ingest', ...files, '--data', data], env(filing));
    // Warnings (a reply held until the folder is asked) are expected; errors are not.
    expect(again.stderr.split('\n').filter((l) => l.startsWith('{') && JSON.parse(l).level >= 50)).toEqual([]);
    const rows = await outbox(filing, data);
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent']);
    for (const r of rows) expect(filing.copiesOf(r.replyMessageId)).toBe(1);
    expect(filing.messages).toHaveLength(2);
    if (point === 'reply-sent') expect(rows[0]!.serverResponse).toMatch(/^found in the Sent folder/);
    else expect(rows[0]!.serverResponse).toMatch(/^250 /);
  });

  it('a server that files no copies proves nothing: the cut-off reply stays held, never sent twice', async () => {
    const data = tempDir();
    const crashed = await runCli(['ingest', ...files, '--data', data], env(notFiling, { INTAKE_CRASH_AT: 'reply-sent' }));
    expect(crashed.signal).toBe('SIGKILL');
    await runCli(['ingest', ...files, '--data', data], env(notFiling));
    await runCli(['ingest', ...files, '--data', data], env(notFiling));
    const [first, second] = await outbox(notFiling, data);
    expect(first).toMatchObject({ status: 'held' });
    expect(second).toMatchObject({ status: 'sent' });
    expect(notFiling.copiesOf(first!.replyMessageId)).toBe(1);
    expect(notFiling.messages).toHaveLength(2);
  });
});
