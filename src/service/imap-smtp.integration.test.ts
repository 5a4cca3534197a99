import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageReports } from '../report/messages.js';
import { fixtureMail } from '../testing/app.js';
import { startDovecot, type Dovecot } from '../testing/dovecot.js';
import { startIntake, waitFor, type RunningIntake } from '../testing/imap-service.js';
import { TestSmtpServer, type CapturedMail } from '../testing/smtp.js';

/**
 * The whole path with real servers on both sides: units' mail APPENDed to Dovecot, `intake run`
 * watching it over IMAP (IDLE), replies going out through a real SMTP server, which files a copy
 * in the account's Sent folder as Sina and QQ Mail do.
 */
const ACCOUNT = { user: 'jjszjjb@sina.com', password: 'authcode-测试-2' };
const china = (local: string) => new Date(`${local}+08:00`);

let dovecot: Dovecot;
let smtp: TestSmtpServer;
const running: RunningIntake[] = [];
let dataDir: string;

beforeAll(async () => {
  dovecot = await startDovecot({ users: [ACCOUNT] });
  smtp = await TestSmtpServer.start({ onAccepted: async (m) => void (await dovecot.appendOne(m.raw, { mailbox: 'Sent' })) });
});
afterAll(async () => {
  for (const r of running) await r.stop();
  await smtp?.stop();
  await dovecot?.cleanup();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<RunningIntake> {
  const r = await startIntake(dovecot, { ...(dataDir ? { dataDir } : {}), env: smtp.env({ REPLY_RETRY_SECONDS: '0.05' }) as Record<string, string> });
  dataDir = r.dataDir;
  running.push(r);
  return r;
}

const replyTo = (to: string): CapturedMail[] => smtp.messages.filter((m) => m.envelope.to.includes(to));

describe('Dovecot in, SMTP out', () => {
  it('answers each unit once, threaded, in Chinese, stamped with the server\'s receipt time; machines get nothing; a restart sends nothing again', async () => {
    // Already waiting in the mailbox when intake starts: the deadline-day backlog.
    await dovecot.append([
      { raw: readFileSync(fixtureMail('01-xunyang-complete.eml')), date: china('2021-07-15T09:30:12') },
      { raw: readFileSync(fixtureMail('03-xiushui-form-only-gb2312.eml')), date: china('2021-07-17T08:15:03') },
      // Dated 23:50 on the deadline day by the sender's clock; the server received it the next morning.
      { raw: readFileSync(fixtureMail('05-duchang-late.eml')), date: china('2021-07-23T09:12:00') },
      { raw: readFileSync(fixtureMail('08-ruichang-autoreply.eml')), date: china('2021-07-19T16:00:01') },
    ]);
    const intake = await start();
    await smtp.waitFor(3);

    const [xunyang] = replyTo('xyqzgh@163.com');
    expect(xunyang).toBeDefined();
    expect(xunyang!.envelope.from).toBe(ACCOUNT.user);
    expect(xunyang!.parsed.subject).toBe('Re: 浔阳区报送劳动和技能竞赛参赛报名表及实施方案');
    expect(xunyang!.parsed.inReplyTo).toBe('<20210715093012.xy01@163.com>');
    expect([xunyang!.parsed.references].flat()).toContain('<20210715093012.xy01@163.com>');
    expect(xunyang!.parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(xunyang!.parsed.text).toContain('浔阳区总工会');
    expect(xunyang!.parsed.text).toContain('浔阳区参赛报名表.xlsx');
    expect(xunyang!.parsed.text).toContain('2021年7月15日 09:30:12');

    const [xiushui] = replyTo('xsxzgh@163.com');
    expect(xiushui!.parsed.text).toMatch(/仍需报送：\s*· 竞赛实施方案/);

    // The late notice gives the server's receipt time (INTERNALDATE), not the sender's Date: header.
    const [duchang] = replyTo('dcxzgh@qq.com');
    expect(duchang!.parsed.text).toContain('2021年7月23日 09:12:00');
    expect(duchang!.parsed.text).not.toContain('23:50');
    const reports = await messageReports(intake.app.db);
    expect(reports.find((r) => r.from === 'dcxzgh@qq.com')).toMatchObject({ unit: 'duchang', late: true, reply: 'late', receivedBasis: 'internaldate', receivedAt: '2021-07-23T01:12:00.000Z' });
    expect(reports.find((r) => r.from === 'rcszgh@163.com')).toMatchObject({ reply: 'none' });
    expect(replyTo('rcszgh@163.com')).toEqual([]);

    // New mail while intake idles in IDLE: answered within seconds; the same message delivered
    // again (a duplicate delivery) is recorded and not answered.
    await dovecot.appendOne(readFileSync(fixtureMail('02-chaisang-zip-gbk.eml')), { date: china('2021-07-16T10:10:09') });
    await smtp.waitFor(4);
    expect(replyTo('csqzgh@126.com')).toHaveLength(1);
    await dovecot.appendOne(readFileSync(fixtureMail('10-xunyang-duplicate.eml')), { date: china('2021-07-15T09:31:00') });
    await waitFor('the duplicate to be decided', async () => (await messageReports(intake.app.db)).find((r) => r.duplicateOf !== null && r.status === 'decided'));
    expect(replyTo('xyqzgh@163.com')).toHaveLength(1);

    // Every reply went out once and was filed in the Sent folder.
    const ids = smtp.messages.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await dovecot.mailboxStatus('Sent')).messages).toBe(smtp.messages.length);

    // A restart resyncs the mailbox from its checkpoint: nothing is taken in or answered twice.
    await intake.stop();
    const before = smtp.messages.length;
    const restartedAt = new Date().toISOString();
    const again = await start();
    await waitFor('a sync after the restart', async () => ((await again.app.db.selectFrom('mailbox_health').select('last_sync_at').executeTakeFirst())?.last_sync_at ?? '') > restartedAt);
    await again.app.flushOutbox();
    expect(smtp.messages.length).toBe(before);
    expect((await messageReports(again.app.db)).length).toBe(6);
  });
});
