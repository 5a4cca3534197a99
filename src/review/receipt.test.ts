import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { renderMessageDetail } from '../report/message-detail.js';
import { messageReports } from '../report/messages.js';
import { campaignStatus } from '../report/status.js';
import { ingestFrom } from '../service/ingest.js';
import { FileSource } from '../sources/files.js';
import { tempDir, testApp, type TestApp } from '../testing/app.js';
import { submissionMail } from '../testing/submissions.js';
import { parseReceiptTime, setReceiptTime } from './receipt.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.cleanup();
  app = undefined;
});

const TZ = 'Asia/Shanghai';

describe('a receipt time a person types', () => {
  it('is read on the campaign clock, or as an ISO time with its offset', () => {
    expect(parseReceiptTime('2021-07-22 16:03', TZ).toISOString()).toBe('2021-07-22T08:03:00.000Z');
    expect(parseReceiptTime('2021-07-22 23:59:59', TZ).toISOString()).toBe('2021-07-22T15:59:59.000Z');
    expect(parseReceiptTime('2021-07-22T16:03:00+08:00', TZ).toISOString()).toBe('2021-07-22T08:03:00.000Z');
    // An ISO time without an offset is on the campaign clock too.
    expect(parseReceiptTime('2021-07-22T16:03', TZ).toISOString()).toBe('2021-07-22T08:03:00.000Z');
  });

  it('is refused when it is no time, or none that exists, with how to write it', () => {
    expect(() => parseReceiptTime('22/07/2021 16:03', TZ)).toThrow(/write it as YYYY-MM-DD HH:MM\[:SS\] on the campaign's clock \(Asia\/Shanghai\)/);
    expect(() => parseReceiptTime('2021-07-22T16:03+8', TZ)).toThrow(/or as an ISO time with its offset/);
    expect(() => parseReceiptTime('2021-02-30 10:00', TZ)).toThrow(/does not exist on the calendar or the clock/);
    expect(() => parseReceiptTime('2021-07-22 24:30', TZ)).toThrow(/does not exist/);
  });
});

describe('intake receipt', () => {
  /** A chaisang submission whose file lost its Received header and was copied after the deadline. */
  async function heldForReview(a: TestApp) {
    const unit = a.rules.units.find((u) => u.id === 'chaisang')!;
    const raw = (await submissionMail(unit, 1, new Date(Date.UTC(2021, 6, 20, 2)))).toString('latin1').replace(/^Received:.*\r\n(?:[ \t].*\r\n)*/m, '');
    const path = join(tempDir(), 'chaisang.eml');
    writeFileSync(path, Buffer.from(raw, 'latin1'));
    await ingestFrom(a, new FileSource([path]));
    const [report] = await messageReports(a.db);
    expect(report).toMatchObject({ receivedBasis: 'file-mtime', late: true, reply: 'review' });
    return report!;
  }

  it('a person sets the server time they found: decided again on it, the due reply goes out, what intake found is kept', async () => {
    app = await testApp();
    const held = await heldForReview(app);
    const now = new Date('2026-12-04T10:00:00Z');
    const result = await setReceiptTime(app, held.id, parseReceiptTime('2021-07-20 10:05', TZ), '新浪邮箱网页版显示 7月20日 10:05 收到', now);
    expect(result.outcome).toMatchObject({ status: 'decided', decision: { unit: 'chaisang', late: false, kind: 'ack' } });
    const [report] = await messageReports(app.db);
    expect(report).toMatchObject({ receivedAt: '2021-07-20T02:05:00.000Z', receivedBasis: 'person', late: false, reply: 'ack' });
    expect(report!.receiptByPerson).toEqual({ setAt: now.toISOString(), note: '新浪邮箱网页版显示 7月20日 10:05 收到', foundAt: held.receivedAt, foundBasis: 'file-mtime' });
    expect(renderMessageDetail(report!, app.rules)).toMatch(/receipt: +person — set on 2026-12-04 18:00(:00)? from "新浪邮箱网页版显示 7月20日 10:05 收到"; intake had found .* \(file-mtime\)/);
    expect((await app.db.selectFrom('outbox').select('kind').orderBy('id').execute()).map((o) => o.kind)).toEqual(['review', 'ack']);
    const chaisang = (await campaignStatus(app.db, app.rules)).units.find((u) => u.unit === 'chaisang')!;
    expect(chaisang).toMatchObject({ complete: true, onTime: true, late: false });

    // Set again (a typo corrected): the first finding stays what intake found.
    await setReceiptTime(app, held.id, parseReceiptTime('2021-07-20 10:06', TZ), '更正', now);
    expect((await messageReports(app.db))[0]!.receiptByPerson).toMatchObject({ foundAt: held.receivedAt, foundBasis: 'file-mtime', note: '更正' });
  });

  it('a person who finds it was late: the late notice goes out, as for the server\'s own time', async () => {
    app = await testApp();
    const held = await heldForReview(app);
    const result = await setReceiptTime(app, held.id, parseReceiptTime('2021-07-23 09:00', TZ), '邮件服务商投递日志', new Date('2026-12-04T10:00:00Z'));
    expect(result.outcome).toMatchObject({ status: 'decided', decision: { late: true, kind: 'late' } });
  });

  it('asks for the evidence, and refuses a time in the future or an unknown message', async () => {
    app = await testApp();
    const held = await heldForReview(app);
    const now = new Date('2026-12-04T10:00:00Z');
    await expect(setReceiptTime(app, held.id, new Date('2021-07-20T02:05:00Z'), ' ', now)).rejects.toThrow(/--note/);
    await expect(setReceiptTime(app, held.id, new Date('2026-12-05T00:00:00Z'), '?', now)).rejects.toThrow(/in the future/);
    await expect(setReceiptTime(app, 99, new Date('2021-07-20T02:05:00Z'), '?', now)).rejects.toThrow(/no message #99/);
    expect((await messageReports(app.db))[0]).toMatchObject({ receivedBasis: 'file-mtime', reply: 'review' });
  });
});
