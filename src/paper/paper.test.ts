import { afterEach, describe, expect, it } from 'vitest';
import { campaignStatus } from '../report/status.js';
import { renderStatusTable } from '../report/status-table.js';
import { loadRules } from '../rules/index.js';
import { FileSource } from '../sources/files.js';
import { ingestFrom } from '../service/ingest.js';
import { fixtureMail, RULES_DIR, rulesWith, testApp, type TestApp } from '../testing/app.js';
import { requirePaper } from '../testing/demo-campaign.js';
import { paperHistory, paperStates, parsePaperDate, recordPaper, undoPaper } from './paper.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.cleanup();
  app = undefined;
});

const rules = loadRules(RULES_DIR);
const NOW = new Date('2021-08-01T00:00:00Z');

describe('--date', () => {
  it.each([
    ['2021-07-20', { receivedOn: '2021-07-20', receivedAt: null }],
    ['2021-07-20T10:30', { receivedOn: '2021-07-20', receivedAt: '2021-07-20T02:30:00.000Z' }],
    ['2021-07-20 10:30:15', { receivedOn: '2021-07-20', receivedAt: '2021-07-20T02:30:15.000Z' }],
    ['2021-07-20T10:30+08:00', { receivedOn: '2021-07-20', receivedAt: '2021-07-20T02:30:00.000Z' }],
    // 20:00 UTC is already the next day in China.
    ['2021-07-20T20:00:00Z', { receivedOn: '2021-07-21', receivedAt: '2021-07-20T20:00:00.000Z' }],
  ])('%s', (text, expected) => {
    expect(parsePaperDate(text, rules, NOW)).toEqual(expected);
  });

  it.each([
    ['20/07/2021', /write a day as YYYY-MM-DD/],
    ['2021-02-30', /2021-02-30 is not a calendar day/],
    ['2021-08-02', /is in the future \(today is 2021-08-01 in Asia\/Shanghai\)/],
    ['2021-05-01', /is before the campaign opened/],
  ])('refuses %s', (text, message) => {
    expect(() => parsePaperDate(text, rules, NOW)).toThrow(message);
  });
});

describe('paper copies', () => {
  it('a day alone is on time on the deadline day; an instant counts against the deadline plus grace', async () => {
    app = await testApp({ rulesDir: rulesWith((c) => requirePaper(c).replace('grace_minutes: 0', 'grace_minutes: 30')) });
    const r = (unit: string, date: string) => recordPaper(app!.db, app!.rules, unit, { date, now: NOW });
    expect((await r('xunyang', '2021-07-22')).state).toMatchObject({ received: true, receivedOn: '2021-07-22', late: false });
    expect((await r('chaisang', '2021-07-23')).state.late).toBe(true);
    expect((await r('xiushui', '2021-07-23T00:20')).state.late).toBe(false); // within the 30 minutes' grace
    expect((await r('yongxiu', '2021-07-23T00:31')).state.late).toBe(true);
  });

  it('recording again corrects the record; undo removes it; the history keeps both', async () => {
    app = await testApp();
    await recordPaper(app.db, app.rules, 'xunyang', { date: '2021-07-20', note: '张三送来', now: NOW });
    const again = await recordPaper(app.db, app.rules, 'xunyang', { date: '2021-07-21', now: NOW });
    expect(again.replaced).toMatchObject({ received_on: '2021-07-20', note: '张三送来' });
    expect((await paperStates(app.db, app.rules)).get('xunyang')).toMatchObject({ received: true, receivedOn: '2021-07-21', required: false });
    expect(await undoPaper(app.db, 'xunyang', NOW)).toMatchObject({ received_on: '2021-07-21' });
    expect((await paperStates(app.db, app.rules)).get('xunyang')).toMatchObject({ received: false, receivedOn: null });
    expect(await undoPaper(app.db, 'xunyang', NOW)).toBeNull();
    expect((await paperHistory(app.db)).map((h) => [h.received_on, h.removed_at !== null])).toEqual([
      ['2021-07-21', true],
      ['2021-07-20', true],
    ]);
  });

  it('when required, a unit is complete only with it; status and its JSON show it', async () => {
    app = await testApp({ rulesDir: rulesWith(requirePaper) });
    await ingestFrom(app, new FileSource([fixtureMail('01-xunyang-complete.eml'), fixtureMail('02-chaisang-zip-gbk.eml')]));
    await recordPaper(app.db, app.rules, 'chaisang', { date: '2021-07-23', now: NOW });
    const status = await campaignStatus(app.db, app.rules);
    const unit = (id: string) => status.units.find((u) => u.unit === id)!;
    expect(unit('xunyang')).toMatchObject({ itemsComplete: true, complete: false, onTime: false, missing: ['paper'], paper: { required: true, received: false } });
    expect(unit('chaisang')).toMatchObject({ itemsComplete: true, complete: true, onTime: false, late: true, missing: [], paper: { received: true, receivedOn: '2021-07-23', late: true, deadline: '2021-07-22T23:59:59+08:00' } });
    expect(status.totals).toMatchObject({ complete: 1, completeOnTime: 0, paperReceived: 1 });
    const table = renderStatusTable(status, app.rules);
    expect(table).toMatch(/xunyang\s+浔阳区总工会\s+07-15 09:30\s+07-15 09:30\s+missing paper\s+due/);
    expect(table).toMatch(/chaisang\s+柴桑区总工会\s+\S+ \S+\s+\S+ \S+\s+complete, late\s+07-23 late/);
    expect(table).toContain('1 paper copy recorded');
  });

  it('the acknowledgment says what the paper copy still needs, or that it arrived', async () => {
    app = await testApp({ rulesDir: rulesWith(requirePaper) });
    await recordPaper(app.db, app.rules, 'chaisang', { date: '2021-07-15', now: NOW });
    await ingestFrom(app, new FileSource([fixtureMail('01-xunyang-complete.eml'), fixtureMail('02-chaisang-zip-gbk.eml')]));
    const body = async (unit: string) => (await app!.db.selectFrom('outbox').select('body_text').where('unit_id', '=', unit).executeTakeFirstOrThrow()).body_text;
    expect(await body('xunyang')).toContain('请于 2021年7月22日 23:59 前将加盖单位公章的纸质版报送至市总工会经济技术部，收到后材料方为齐全。');
    expect(await body('chaisang')).toContain('加盖单位公章的纸质版已于 2021年7月15日 收到。');
  });
});
