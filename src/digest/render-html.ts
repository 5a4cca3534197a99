import type { ItemKind } from '../rules/schema.js';
import type { DigestData, DigestUnit, UnitState } from './data.js';
import { deadlineText, itemsText, lateText, longDay, longTime, MAIL_KIND_LABEL, notEligible, notListedText, paperWhen, replyText, senderText, shortTime, STATE_LABEL, unitGroups, unitStateText, workbookFileName, zoneName } from './wording.js';

/**
 * The digest as HTML mail. Mail clients are not browsers: QQ Mail and Gmail drop <style>
 * blocks and media queries, Outlook on Windows renders with Word (no max-width, no flexbox,
 * no CSS backgrounds on divs). So: tables for layout, every style inline, no images, fonts or
 * scripts from anywhere, widths in percent inside one 720px column (fixed for Outlook through a
 * conditional table), and long unbroken strings (file names, addresses) allowed to break so a
 * phone never scrolls sideways.
 */

const FONT = "font-family:'PingFang SC','Hiragino Sans GB','Microsoft YaHei','微软雅黑','Noto Sans CJK SC','Source Han Sans SC',Arial,sans-serif;";
const INK = '#1f2937';
const MUTED = '#6b7280';
const LINE = '#e5e7eb';

const STATE_COLOURS: Record<UnitState, { bg: string; fg: string }> = {
  complete: { bg: '#dcfce7', fg: '#166534' },
  'complete-late': { bg: '#ffedd5', fg: '#9a3412' },
  incomplete: { bg: '#fef3c7', fg: '#92400e' },
  nothing: { bg: '#fee2e2', fg: '#991b1b' },
};

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

// Breaks a long file name or address only where it must (break-all would split "docx").
const breakable = (s: string) => `<span style="overflow-wrap:anywhere;word-break:break-word;">${esc(s)}</span>`;
const muted = (html: string, size = 12) => `<span style="color:${MUTED};font-size:${size}px;line-height:${size + 6}px;">${html}</span>`;
const cellStyle = `padding:6px 6px;border-bottom:1px solid ${LINE};font-size:14px;line-height:20px;vertical-align:top;color:${INK};${FONT}`;
const headStyle = `padding:6px 6px;border-bottom:2px solid #cbd5e1;font-size:13px;line-height:18px;font-weight:bold;text-align:left;color:#374151;background:#f8fafc;${FONT}`;

function table(headers: Array<{ text: string; width?: string }>, rows: string[]): string {
  const head = headers.map((h) => `<th align="left"${h.width ? ` width="${h.width}"` : ''} style="${headStyle}">${esc(h.text)}</th>`).join('');
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;width:100%;"><tr>${head}</tr>${rows.join('')}</table>`;
}

/** `7月15日 09:30`, wrapping between the day and the time only, never inside either. */
function timeHtml(iso: string, tz: string): string {
  const [day, hm] = shortTime(iso, tz).split(' ');
  return `<span style="white-space:nowrap;">${esc(day!)}</span> <span style="white-space:nowrap;">${esc(hm!)}</span>`;
}

const td = (html: string, extra = '') => `<td style="${cellStyle}${extra}">${html}</td>`;

function section(title: string, body: string, note?: string): string {
  return `<tr><td style="padding:18px 16px 4px 16px;${FONT}">
<div style="font-size:17px;line-height:24px;font-weight:bold;color:${INK};border-left:4px solid #1e40af;padding-left:8px;margin:0 0 10px 0;">${esc(title)}</div>
${note ? `<div style="font-size:13px;line-height:19px;color:${MUTED};margin:0 0 8px 0;">${note}</div>` : ''}${body}
</td></tr>`;
}

function badge(state: UnitState, text: string): string {
  const c = STATE_COLOURS[state];
  return `<span style="display:inline-block;background:${c.bg};color:${c.fg};font-size:13px;line-height:18px;padding:1px 6px;border-radius:3px;">${esc(text)}</span>`;
}

function countBox(value: string, label: string, colour: string, sub?: string): string {
  // Every box has the sub-line (blank when there is nothing to say) so that a row lines up.
  return `<td width="33%" align="center" valign="top" style="padding:4px;vertical-align:top;${FONT}"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;"><tr><td align="center" style="background:#f8fafc;border:1px solid ${LINE};padding:10px 4px;${FONT}">
<div style="font-size:26px;line-height:32px;font-weight:bold;color:${colour};">${esc(value)}</div>
<div style="font-size:13px;line-height:18px;color:#374151;">${esc(label)}</div><div style="font-size:12px;line-height:16px;color:${MUTED};">${sub ? esc(sub) : '&nbsp;'}</div>
</td></tr></table></td>`;
}

function counts(d: DigestData): string {
  const c = d.counts;
  const six = [
    countBox(String(c.complete), '已齐全', '#166534', c.completeLate > 0 ? `其中逾期 ${c.completeLate}` : `共 ${c.units} 个单位`),
    countBox(String(c.incomplete), '材料不全', '#92400e'),
    countBox(String(c.nothing), '未报送', '#991b1b'),
    countBox(String(c.late), '有逾期材料', '#9a3412'),
    countBox(String(c.review), '待人工确认', c.review > 0 ? '#1e40af' : INK, c.errors > 0 ? `其中出错 ${c.errors}` : undefined),
    c.paperPending !== null ? countBox(String(c.paperPending), '纸质件未交', '#6d28d9') : countBox(String(c.units), '单位总数', INK),
  ];
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;"><tr>${six.slice(0, 3).join('')}</tr><tr>${six.slice(3).join('')}</tr></table>`;
}

function itemCell(u: DigestUnit, k: ItemKind, tz: string): string {
  const i = u.items[k];
  if (!i) return td(`<span style="color:#b91c1c;">未收到</span>`);
  // A late correction of an item that came on time is no loss: said in the muted tone, not the late one.
  const late = !i.late ? '' : i.onTimeAt ? muted(esc(lateText(i, tz))) : ` <span style="color:#9a3412;font-weight:bold;">逾期</span>`;
  const versions = i.versions > 1 ? muted(`（共 ${i.versions} 版）`) : '';
  return td(`${timeHtml(i.receivedAt, tz)}${late}<br>${muted(breakable(i.filename))}${versions}`);
}

function unitTable(d: DigestData): string {
  const tz = d.campaign.timezone;
  const req = d.campaign.required;
  const itemWidth = req.length === 1 ? '36%' : '24%';
  const headers = [{ text: '单位', width: '30%' }, ...req.map((k) => ({ text: d.campaign.labels[k], width: itemWidth })), { text: '状态' }];
  const rows: string[] = [];
  for (const g of unitGroups(d)) {
    rows.push(`<tr><td colspan="${req.length + 2}" style="padding:10px 6px 4px 6px;font-size:13px;line-height:18px;font-weight:bold;color:${STATE_COLOURS[g.state].fg};border-bottom:1px solid ${LINE};${FONT}">${esc(STATE_LABEL[g.state])}（${g.units.length}）</td></tr>`);
    if (g.state === 'nothing') {
      // Units that sent nothing have no items to show: their names, in roster order, in one row.
      const names = g.units.map((u) => `<span style="white-space:nowrap;">${esc(u.name)}${u.paper.received ? muted('（纸质件已收）') : ''}</span>`).join('、');
      rows.push(`<tr><td colspan="${req.length + 2}" style="${cellStyle}">${names}</td></tr>`);
      continue;
    }
    for (const u of g.units) {
      const paper = !d.paperRequired ? '' : `<br>${muted(u.paper.received ? `纸质件 ${esc(paperWhen(u.paper, tz))} 已收${u.paper.late ? '（逾期）' : ''}` : '纸质件未交')}`;
      rows.push(`<tr>${td(esc(u.name))}${req.map((k) => itemCell(u, k, tz)).join('')}${td(badge(u.state, unitStateText(u, d.campaign.labels)) + paper)}</tr>`);
    }
  }
  return table(headers, rows);
}

function arrivals(d: DigestData): string {
  const tz = d.campaign.timezone;
  const notListed = notListedText(d);
  const tail = notListed ? `<div style="font-size:13px;line-height:19px;color:${MUTED};margin-top:6px;">${esc(notListed)}</div>` : '';
  if (d.arrivals.length === 0) return `<div style="font-size:14px;line-height:20px;color:${INK};">没有新的报送邮件。</div>${tail}`;
  const rows = d.arrivals.map((a) => {
    const who = a.unitName ? esc(a.unitName) : `<span style="color:#1e40af;">待确认</span><br>${muted(breakable(a.from ?? ''))}`;
    const what = `${esc(itemsText(a, d.campaign.labels))}${a.late ? ` <span style="color:#9a3412;font-weight:bold;">逾期</span>` : ''}<br>${muted(breakable(a.subject ?? '（无主题）'))}`;
    return `<tr>${td(timeHtml(a.receivedAt, tz))}${td(who)}${td(what)}${td(esc(replyText(a)))}</tr>`;
  });
  return table([{ text: '收到', width: '20%' }, { text: '单位', width: '26%' }, { text: '内容', width: '32%' }, { text: '回复' }], rows) + tail;
}

function block(lines: string[]): string {
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;margin:0 0 8px 0;"><tr><td style="border:1px solid ${LINE};background:#fafafa;padding:8px 10px;font-size:14px;line-height:21px;color:${INK};${FONT}">${lines.join('<br>')}</td></tr></table>`;
}

function review(d: DigestData): string {
  const tz = d.campaign.timezone;
  return d.review
    .map((r) =>
      block([
        `<b>#${r.message}</b> ${esc(shortTime(r.receivedAt, tz))} · ${breakable(senderText(r.fromName, r.from))}`,
        `主题：${breakable(r.subject ?? '（无主题）')}`,
        `<b>原因：</b>${esc(r.why)}`,
        ...(r.candidates.length > 0 ? [`可能的单位：${esc(r.candidates.map((c) => `${c.name}（${c.score}）`).join('、'))}`] : []),
        ...(r.files.length > 0 ? [`附件：${breakable(r.files.join('、'))}`] : []),
        muted(breakable(r.detail)),
      ]),
    )
    .join('');
}

function delivery(d: DigestData): string {
  const tz = d.campaign.timezone;
  const unitName = (id: string | null) => (id ? (d.units.find((u) => u.unit === id)?.name ?? id) : null);
  const out: string[] = [];
  if (d.mailbox && !d.mailbox.reachable) {
    out.push(
      block([
        `<b style="color:#b91c1c;">收件箱无法连接：</b>${breakable(d.mailbox.mailbox)}`,
        ...(d.mailbox.lastOkAt ? [`最后一次正常：${esc(longTime(d.mailbox.lastOkAt, tz))}（此后收到的邮件尚未处理）`] : []),
        ...(d.mailbox.lastError ? [muted(breakable(`${d.mailbox.lastErrorAt ? shortTime(d.mailbox.lastErrorAt, tz) + ' ' : ''}${d.mailbox.lastError}`))] : []),
      ]),
    );
  }
  for (const u of d.mailbox?.unfetched ?? []) {
    out.push(
      block([
        `<b style="color:#b91c1c;">邮件服务器未能交出一封邮件：</b>${breakable(d.mailbox!.mailbox)} UID ${u.uid}`,
        ...(u.receivedAt ? [`收到于：${esc(longTime(u.receivedAt, tz))}（每次同步都会再取，取到后自动处理）`] : ['每次同步都会再取，取到后自动处理']),
        muted(breakable(`已尝试 ${u.attempts} 次：${u.error}`)),
      ]),
    );
  }
  for (const f of d.delivery.failed) {
    const unit = unitName(f.unit);
    out.push(
      block([
        `<b style="color:#b91c1c;">发送失败：</b>${esc(MAIL_KIND_LABEL[f.kind] ?? f.kind)} → ${breakable(f.to)}${unit ? `（${esc(unit)}）` : ''}`,
        `主题：${breakable(f.subject)}`,
        muted(breakable(`尝试 ${f.attempts} 次${f.error ? `：${f.error}` : ''}`)),
      ]),
    );
  }
  for (const b of d.delivery.bounces) {
    const unit = unitName(b.bounced?.unit ?? null);
    const what = b.bounced ? `${esc(MAIL_KIND_LABEL[b.bounced.kind] ?? b.bounced.kind)}被退回${unit ? `（${esc(unit)}）` : ''}` : '退信';
    out.push(
      block([
        `<b style="color:#b91c1c;">${what}：</b>${b.recipients.length > 0 ? breakable(b.recipients.join('、')) : '收件人不明'}${b.fresh ? ' <span style="color:#1e40af;">新</span>' : ''}`,
        `${esc(shortTime(b.receivedAt, tz))} 收到 ${breakable(senderText(null, b.from))}：${breakable(b.subject ?? '')}`,
      ]),
    );
  }
  return out.join('');
}

function participants(d: DigestData): string {
  const tz = d.campaign.timezone;
  const list = d.participants ?? [];
  const req = d.campaign.required;
  const rows = list.map((u, i) => `<tr>${td(String(i + 1))}${td(esc(u.name))}${req.map((k) => td(u.items[k]?.onTimeAt ? timeHtml(u.items[k]!.onTimeAt!, tz) : '')).join('')}</tr>`);
  const body = list.length > 0 ? table([{ text: '序号', width: '12%' }, { text: '单位', width: '40%' }, ...req.map((k) => ({ text: `${d.campaign.labels[k]}收到` }))], rows) : `<div style="font-size:14px;color:${INK};">没有单位按时报齐材料。</div>`;
  const { late, incomplete, nothing } = notEligible(d);
  const lines: string[] = [];
  if (late.length > 0) lines.push(`逾期报齐 ${late.length} 个：${esc(late.map((u) => u.name).join('、'))}`);
  if (incomplete.length > 0) lines.push(`材料不全 ${incomplete.length} 个：${esc(incomplete.map((u) => `${u.name}（缺${u.missing.map((k) => d.campaign.labels[k]).join('、')}）`).join('、'))}`);
  if (nothing.length > 0) lines.push(`未报送 ${nothing.length} 个（见下方各单位情况）`);
  const excluded = lines.length > 0 ? `<div style="font-size:14px;line-height:21px;color:${INK};margin-top:10px;"><b>未按时报齐、不具备评奖资格：</b><br>${lines.join('<br>')}</div>` : '';
  return body + excluded;
}

export function renderDigestHtml(d: DigestData): string {
  const tz = d.campaign.timezone;
  const since = d.since.previousDigestAt ? `自上次汇总（${esc(longTime(d.since.previousDigestAt, tz))}）以来` : '自征集开始以来';
  const problems = delivery(d);
  const sections = [
    section('总体情况', counts(d)),
    ...(d.phase === 'closed'
      ? [section(`最终参赛名单（${d.participants?.length ?? 0} 个单位）`, participants(d), `截止时间前报齐${d.campaign.required.map((k) => d.campaign.labels[k]).join('和')}的单位，具备评奖资格。`)]
      : []),
    section(`新收到的邮件（${d.arrivals.length}）`, arrivals(d), since),
    ...(d.review.length > 0 ? [section(`待人工确认（${d.review.length}）`, review(d), '以下邮件 intake 无法自行判断，请在 intake 中确认所属单位（intake review / intake assign）。')] : []),
    ...(problems !== '' ? [section('投递问题', problems, '以下回复或汇总未能送达，相关单位可能没有收到回执。')] : []),
    section(`各单位情况（${d.counts.units}）`, unitTable(d), `时间为${esc(zoneName(tz))}；每项显示最新收到的版本。`),
  ];
  const title = `报送情况${d.phase === 'closed' ? '汇总' : '日报'}`;
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · ${esc(d.campaign.title)}</title>
</head>
<body style="margin:0;padding:0;background:#f3f4f6;-webkit-text-size-adjust:100%;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6;border-collapse:collapse;">
<tr><td align="center" style="padding:12px 6px;">
<!--[if mso]><table role="presentation" width="720" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:720px;width:100%;background:#ffffff;border:1px solid ${LINE};border-collapse:collapse;">
<tr><td style="background:#1e40af;padding:16px;${FONT}">
<div style="font-size:13px;line-height:18px;color:#dbeafe;">${esc(d.campaign.organiser)} · ${esc(longDay(d.generatedAt, tz))}</div>
<div style="font-size:20px;line-height:28px;font-weight:bold;color:#ffffff;margin-top:4px;">${esc(title)}</div>
<div style="font-size:14px;line-height:20px;color:#ffffff;margin-top:4px;">${esc(d.campaign.title)}</div>
<div style="font-size:15px;line-height:22px;color:#fde68a;font-weight:bold;margin-top:8px;">${esc(deadlineText(d))}</div>
</td></tr>
${sections.join('\n')}
<tr><td style="padding:16px;font-size:12px;line-height:18px;color:${MUTED};border-top:1px solid ${LINE};${FONT}">
附件《${esc(workbookFileName(d))}》：各单位报送情况和全部报名信息，可在 Excel 或 WPS 中筛选${d.phase === 'closed' ? '，含最终参赛名单' : ''}。<br>
本邮件由 intake 根据 ${breakable(d.campaign.mailbox)} 收到的邮件自动生成（${esc(longTime(d.generatedAt, tz))}，${esc(zoneName(tz))}），请勿直接回复。
</td></tr>
</table>
<!--[if mso]></td></tr></table><![endif]-->
</td></tr>
</table>
</body>
</html>
`;
}
