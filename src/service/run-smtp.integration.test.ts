import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureMail, tempDir } from '../testing/app.js';
import { startCli } from '../testing/cli.js';
import { MaildirInbox, type TestInbox } from '../testing/inbox.js';
import { TestSmtpServer } from '../testing/smtp.js';

let smtp: TestSmtpServer;
let inbox: TestInbox;
beforeAll(async () => {
  smtp = await TestSmtpServer.start();
  inbox = await MaildirInbox.create();
});
afterAll(async () => {
  await smtp.stop();
  await inbox.close();
});

describe('intake run with a real SMTP server', () => {
  it('answers mail as it arrives; with the server down it waits, and when it is back every reply goes once, in order', async () => {
    const data = tempDir();
    const child = startCli(['run', '--data', data], { ...smtp.env(), ...inbox.env(), POLL_SECONDS: '1', REPLY_RETRY_SECONDS: '0.5' });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const waitFor = async (cond: () => boolean, what: string) => {
      for (let i = 0; i < 1200 && !cond(); i++) await new Promise((r) => setTimeout(r, 100));
      if (!cond()) throw new Error(`timed out waiting for ${what}; stdout:\n${stdout}\nstderr:\n${stderr}`);
    };
    try {
      await waitFor(() => stdout.includes('Watching'), 'the service to start');
      expect(stdout).toContain(`(replies: smtp://${smtp.user}@127.0.0.1:${smtp.port} (no TLS))`);
      expect(stdout).not.toContain(smtp.password);

      await inbox.deliver(readFileSync(fixtureMail('01-xunyang-complete.eml')));
      await waitFor(() => smtp.messages.length === 1, 'the first reply');
      expect(smtp.messages[0]!.envelope.to).toEqual(['xyqzgh@163.com']);

      await smtp.stop();
      for (const f of ['02-chaisang-zip-gbk.eml', '03-xiushui-form-only-gb2312.eml', '07-jiaoyu-outlook-q.eml']) await inbox.deliver(readFileSync(fixtureMail(f)));
      // Decided and waiting: the service tries, fails, backs off.
      await waitFor(() => (stderr.match(/reply delivery failed; will retry/g) ?? []).length >= 2, 'failed attempts while the server is down');
      expect(smtp.messages).toHaveLength(1);

      await smtp.restart();
      await waitFor(() => smtp.messages.length === 4, 'the waiting replies');
      expect(smtp.messages.map((m) => m.envelope.to[0])).toEqual(['xyqzgh@163.com', 'csqzgh@126.com', 'xsxzgh@163.com', 'jjjyjgh@163.com']);
      expect(new Set(smtp.messages.map((m) => m.messageId)).size).toBe(4);
      expect(stderr).not.toContain(smtp.password);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(0);
    // Nothing more arrives after the service stopped: no reply was left to go twice.
    expect(smtp.messages).toHaveLength(4);
  });
});
