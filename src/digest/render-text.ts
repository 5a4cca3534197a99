import type { DigestData } from './data.js';
import { deadlineText, itemsText, lateText, longDay, longTime, MAIL_KIND_LABEL, notEligible, notListedText, paperWhen, replyText, senderText, shortTime, STATE_LABEL, unitGroups, unitStateText, workbookFileName, zoneName } from './wording.js';

/**
 * The digest's plain-text part: the same content as the HTML, as lists rather than tables,
 * since Chinese text does not line up in columns in a proportional font.
 */
export function renderDigestText(d: DigestData): string {
  const tz = d.campaign.timezone;
  const c = d.counts;
  const labels = d.campaign.labels;
  const unitName = (id: string | null) => (id ? (d.units.find((u) => u.unit === id)?.name ?? id) : null);
  const out: string[] = [];
  const heading = (t: string) => out.push('', `【${t}】`);

  out.push(`报送情况${d.phase === 'closed' ? '汇总' : '日报'} · ${longDay(d.generatedAt, tz)}`, d.campaign.title, deadlineText(d));

  heading('总体情况');
  out.push(`共 ${c.units} 个单位：已齐全 ${c.complete}${c.completeLate > 0 ? `（其中逾期 ${c.completeLate}）` : ''}，材料不全 ${c.incomplete}，未报送 ${c.nothing}；有逾期材料 ${c.late}；待人工确认 ${c.review}${c.errors > 0 ? `（其中出错 ${c.errors}）` : ''}${c.paperPending !== null ? `；纸质件未交 ${c.paperPending}` : ''}。`);

  if (d.phase === 'closed') {
    const list = d.participants ?? [];
    heading(`最终参赛名单（${list.length} 个单位，截止前报齐，具备评奖资格）`);
    if (list.length === 0) out.push('没有单位按时报齐材料。');
    list.forEach((u, i) => out.push(`${i + 1}. ${u.name}（${d.campaign.required.map((k) => `${labels[k]} ${u.items[k]?.onTimeAt ? shortTime(u.items[k]!.onTimeAt!, tz) : ''}`).join('；')}）`));
    const { late, incomplete, nothing } = notEligible(d);
    if (late.length + incomplete.length + nothing.length > 0) out.push('', '未按时报齐、不具备评奖资格：');
    if (late.length > 0) out.push(`  逾期报齐 ${late.length} 个：${late.map((u) => u.name).join('、')}`);
    if (incomplete.length > 0) out.push(`  材料不全 ${incomplete.length} 个：${incomplete.map((u) => `${u.name}（缺${u.missing.map((k) => labels[k]).join('、')}）`).join('、')}`);
    if (nothing.length > 0) out.push(`  未报送 ${nothing.length} 个：${nothing.map((u) => u.name).join('、')}`);
  }

  heading(`新收到的邮件（${d.arrivals.length}，${d.since.previousDigestAt ? `自上次汇总 ${longTime(d.since.previousDigestAt, tz)} 以来` : '自征集开始以来'}）`);
  if (d.arrivals.length === 0) out.push('没有新的报送邮件。');
  for (const a of d.arrivals) {
    out.push(`- ${shortTime(a.receivedAt, tz)} ${a.unitName ?? `待确认（${a.from ?? ''}）`}：${itemsText(a, labels)}${a.late ? '，逾期' : ''}；回复：${replyText(a)}`, `  主题：${a.subject ?? '（无主题）'}`);
  }
  const notListed = notListedText(d);
  if (notListed) out.push(notListed);

  if (d.review.length > 0) {
    heading(`待人工确认（${d.review.length}）`);
    for (const r of d.review) {
      out.push(`- #${r.message} ${shortTime(r.receivedAt, tz)} ${senderText(r.fromName, r.from)}`, `  主题：${r.subject ?? '（无主题）'}`, `  原因：${r.why}`);
      if (r.candidates.length > 0) out.push(`  可能的单位：${r.candidates.map((x) => `${x.name}（${x.score}）`).join('、')}`);
      if (r.files.length > 0) out.push(`  附件：${r.files.join('、')}`);
      out.push(`  （${r.detail}）`);
    }
    out.push('请在 intake 中确认所属单位：intake review / intake assign <编号> <单位>');
  }

  const problems: string[] = [];
  if (d.mailbox && !d.mailbox.reachable) {
    problems.push(`- 收件箱无法连接：${d.mailbox.mailbox}${d.mailbox.lastOkAt ? `，最后一次正常 ${longTime(d.mailbox.lastOkAt, tz)}` : ''}${d.mailbox.lastError ? `（${d.mailbox.lastError}）` : ''}`);
  }
  for (const u of d.mailbox?.unfetched ?? []) {
    problems.push(`- 邮件服务器未能交出一封邮件：${d.mailbox!.mailbox} UID ${u.uid}${u.receivedAt ? `，收到于 ${longTime(u.receivedAt, tz)}` : ''}，已尝试 ${u.attempts} 次（${u.error}）；每次同步都会再取，取到后自动处理`);
  }
  for (const f of d.delivery.failed) {
    const unit = unitName(f.unit);
    problems.push(`- 发送失败：${MAIL_KIND_LABEL[f.kind] ?? f.kind} → ${f.to}${unit ? `（${unit}）` : ''}，尝试 ${f.attempts} 次${f.error ? `：${f.error}` : ''}`);
  }
  for (const b of d.delivery.bounces) {
    const unit = unitName(b.bounced?.unit ?? null);
    const what = b.bounced ? `${MAIL_KIND_LABEL[b.bounced.kind] ?? b.bounced.kind}被退回${unit ? `（${unit}）` : ''}` : '退信';
    problems.push(`- ${what}：${b.recipients.length > 0 ? b.recipients.join('、') : '收件人不明'}${b.fresh ? '（新）' : ''}；${shortTime(b.receivedAt, tz)} 收到 ${b.from ?? ''}：${b.subject ?? ''}`);
  }
  if (problems.length > 0) {
    heading('投递问题');
    out.push(...problems);
  }

  heading(`各单位情况（时间为${zoneName(tz)}）`);
  for (const g of unitGroups(d)) {
    out.push(`${STATE_LABEL[g.state]}（${g.units.length}）：`);
    if (g.state === 'nothing') {
      out.push(`  ${g.units.map((u) => u.name + (u.paper.received ? '（纸质件已收）' : '')).join('、')}`);
      continue;
    }
    for (const u of g.units) {
      const items = d.campaign.required.map((k) => {
        const i = u.items[k];
        return i ? `${labels[k]} ${shortTime(i.receivedAt, tz)}${lateText(i, tz)}` : `${labels[k]} 未收到`;
      });
      const paper = !d.paperRequired ? '' : u.paper.received ? `；纸质件 ${paperWhen(u.paper, tz)} 已收${u.paper.late ? '（逾期）' : ''}` : '；纸质件未交';
      out.push(`  ${u.name}：${u.state === 'nothing' ? '未报送' : `${items.join('；')} — ${unitStateText(u, labels)}`}${paper}`);
    }
  }

  out.push('', `附件《${workbookFileName(d)}》：各单位报送情况和全部报名信息。`, `本邮件由 intake 自动生成（${longTime(d.generatedAt, tz)}），请勿直接回复。`);
  return out.join('\n') + '\n';
}
