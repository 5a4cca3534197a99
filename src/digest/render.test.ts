import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../testing/app.js';
import { recordPaper } from '../paper/paper.js';
import { HealthRecorder } from '../sources/health.js';
import { saveCheckpoint } from '../sources/imap-checkpoint.js';
import { recordUnfetched } from '../sources/imap-unfetched.js';
import { chinaTime as china, demoCampaign, demoDigests, paperRequiredRules } from '../testing/demo-campaign.js';
import type { DigestData } from './data.js';
import { renderDigest, type RenderedDigest } from './send.js';

let app: TestApp;
let open: RenderedDigest;
let closed: RenderedDigest;

beforeAll(async () => {
  ({ app, open, closed } = await demoDigests());
});
afterAll(() => app.cleanup());

/** The HTML as text, roughly as a reader sees it. */
const visible = (html: string) => html.replace(/<!--[\s\S]*?-->/g, '').replace(/<[^>]+>/g, ' ').replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');

describe('the digest as HTML mail', () => {
  it('is self-contained: no script, no style block, no external resource, every element styled inline', () => {
    const html = open.html;
    expect(html).not.toMatch(/<script|<style|<link|<img|<iframe|<form|javascript:/i);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).toMatch(/<meta http-equiv="Content-Type" content="text\/html; charset=utf-8">/);
    expect(html).toContain('<html lang="zh-CN">');
    // Layout is tables; the one fixed width is inside Outlook's conditional comment.
    expect(html).toMatch(/<!--\[if mso\]><table role="presentation" width="720"/);
    expect(html.replace(/<!--\[if mso\][\s\S]*?<!\[endif\]-->/g, '')).not.toMatch(/width="\d+"/);
    expect(html).not.toMatch(/<div[^>]*style="[^"]*(display:\s*flex|grid)/);
  });

  it('shows the counts of the database, the days left and the review queue', () => {
    const text = visible(open.html);
    const c = open.data.counts;
    for (const [n, label] of [
      [c.complete, '已齐全'],
      [c.incomplete, '材料不全'],
      [c.nothing, '未报送'],
      [c.late, '有逾期材料'],
      [c.review, '待人工确认'],
      [c.units, '单位总数'],
    ] as const) {
      expect(text).toContain(` ${n} ${label} `);
    }
    expect(c).toMatchObject({ complete: 8, incomplete: 1, nothing: 34, late: 1, review: 1 });
    expect(text).toContain('距截止还有 2 天（2021年7月22日 23:59）');
    expect(text).toContain('待人工确认（1）');
    expect(text).toContain('无法确定是哪个单位：邮件中没有名册中的单位名称或已知地址');
    expect(text).toContain('王芳 <wangfang88@163.com>');
    expect(text).toContain('退信： 收件人不明');
    expect(text).not.toContain('最终参赛名单');
    expect(open.subject).toBe('报送情况日报（7月20日）：已齐全 8/43，材料不全 1，未报送 34，距截止 2 天');
  });

  it('has a row for every unit with its items, receipt times and state', () => {
    const text = visible(open.html);
    expect(text).toContain('各单位情况（43）');
    for (const u of app.rules.units) expect(text).toContain(u.name);
    expect(text).toMatch(/浔阳区总工会 7月15日 09:30 浔阳区参赛报名表\.xlsx 7月15日 09:30 浔阳区竞赛实施方案\.docx 已齐全/);
    expect(text).toMatch(/永修县总工会 未收到 7月21日 11:00 永修县竞赛实施方案\.docx 缺参赛报名表/);
    expect(text).toMatch(/都昌县总工会 7月23日 09:12 逾期 都昌县参赛报名表\.xlsx 7月23日 09:12 逾期/);
    expect(text).toContain('未报送（34）');
  });

  it('after the deadline, opens with the final participants and who lost eligibility', () => {
    const text = visible(closed.html);
    expect(text).toContain('已于 2021年7月22日 23:59 截止（3 天前）');
    expect(text).toContain('最终参赛名单（7 个单位）');
    expect(text.indexOf('最终参赛名单')).toBeLessThan(text.indexOf('新收到的邮件'));
    for (const u of closed.data.participants!) expect(text).toContain(u.name);
    expect(text).toContain('逾期报齐 1 个：都昌县总工会');
    expect(text).toContain('材料不全 1 个：永修县总工会（缺参赛报名表）');
    expect(closed.subject).toBe('报送情况汇总（7月25日）：已截止，7/43 个单位按时报齐');
  });

  it('escapes what senders wrote', async () => {
    const d: DigestData = structuredClone(open.data);
    d.arrivals[0]!.subject = '<b onmouseover="x()">报名</b> & "表"';
    const { renderDigestHtml } = await import('./render-html.js');
    const html = renderDigestHtml(d);
    expect(html).toContain('&lt;b onmouseover=&quot;x()&quot;&gt;报名&lt;/b&gt; &amp; &quot;表&quot;');
    expect(html).not.toContain('<b onmouseover');
  });

  it('shows paper copies when the campaign requires them, and an unreachable mailbox when its health record says so', async () => {
    const paperApp = await demoCampaign({ rulesDir: paperRequiredRules() });
    try {
      await recordPaper(paperApp.db, paperApp.rules, 'xunyang', { date: '2021-07-19T10:00', now: china('2021-07-19T10:05:00') });
      const health = new HealthRecorder(paperApp.db, 'jjszjjb@sina.com', 'INBOX', 15 * 60_000);
      await health.synced(new Date('2021-07-19T22:00:00.000Z'));
      await health.failed('disconnected', 'Connection timed out', new Date('2021-07-20T00:00:00.000Z'));
      const r = await renderDigest(paperApp, china('2021-07-20T08:30:00'));
      const html = visible(r.html);
      expect(html).toContain(' 42 纸质件未交 ');
      expect(html).not.toContain('单位总数');
      expect(html).toContain('纸质件 7月19日 10:00 已收');
      expect(html).toContain('收件箱无法连接： jjszjjb@sina.com');
      expect(html).toContain('最后一次正常：2021年7月20日 06:00');
      expect(r.text).toContain('纸质件未交 42');
      expect(r.text).toContain('收件箱无法连接：jjszjjb@sina.com');
    } finally {
      await paperApp.cleanup();
    }
    // Without paper copies required and without a health record, neither appears.
    expect(visible(open.html)).not.toMatch(/纸质件|收件箱无法连接/);
  });

  it('names a message the mail server would not hand over, so that staff know one submission is held up', async () => {
    const app = await demoCampaign();
    try {
      const account = 'jjszjjb@sina.com@imap.sina.com';
      await new HealthRecorder(app.db, account, 'INBOX', 15 * 60_000).synced(new Date('2021-07-20T00:20:00.000Z'));
      await saveCheckpoint(app.db, { account, mailbox: 'INBOX', uidvalidity: '7', last_uid: 5, cutoff: null, baseline_uid: 0, baseline_count: 0, scan_uid: 5 });
      await recordUnfetched(app.db, { account, mailbox: 'INBOX', uidvalidity: '7' }, { uid: 3, size: 51_200, internalDate: new Date('2021-07-20T01:00:00.000Z') }, 'NO [UNAVAILABLE] Message could not be converted', 'refused', new Date('2021-07-20T00:10:00.000Z'));
      const r = await renderDigest(app, china('2021-07-20T08:30:00'));
      expect(r.text).toContain('- 邮件服务器未能交出一封邮件：jjszjjb@sina.com@imap.sina.com (INBOX) UID 3，收到于 2021年7月20日 09:00，已尝试 1 次（NO [UNAVAILABLE] Message could not be converted）');
      const html = visible(r.html);
      expect(html).toContain('邮件服务器未能交出一封邮件： jjszjjb@sina.com@imap.sina.com (INBOX) UID 3');
      expect(html).not.toContain('收件箱无法连接');
    } finally {
      await app.cleanup();
    }
    expect(visible(open.html)).not.toContain('邮件服务器未能交出');
  });
});

describe('the digest as plain text', () => {
  it('says the same as the HTML', () => {
    const t = open.text;
    expect(t).toContain('共 43 个单位：已齐全 8（其中逾期 1），材料不全 1，未报送 34；有逾期材料 1；待人工确认 1。');
    expect(t).toContain('距截止还有 2 天');
    expect(t).toContain('【新收到的邮件（11，自征集开始以来）】');
    expect(t).toContain('- 7月21日 11:00 永修县总工会：竞赛实施方案；无法读取：永修县参赛报名表.xlsx；回复：提示缺件');
    expect(t).toContain('另有 2 封自动回复、退信或系统邮件和 2 封重复投递未列出，均未回复。');
    expect(t).toContain('  原因：无法确定是哪个单位：邮件中没有名册中的单位名称或已知地址');
    expect(t).toContain('  浔阳区总工会：参赛报名表 7月15日 09:30；竞赛实施方案 7月15日 09:30 — 已齐全');
    expect(t).toContain('【投递问题】');
    expect(t).not.toContain('最终参赛名单');
    expect(t).not.toMatch(/<(table|tr|td|div|span|br|b)\b/);
    expect(closed.text).toContain('【最终参赛名单（7 个单位，截止前报齐，具备评奖资格）】');
    expect(closed.text).toContain('1. 浔阳区总工会（参赛报名表 7月15日 09:30；竞赛实施方案 7月15日 09:30）');
  });
});
