import type { PaperState } from '../paper/paper.js';
import type { ItemKind } from '../rules/schema.js';
import { formatLocalTime } from '../util/time.js';
import type { Arrival, DigestData, DigestUnit, UnitState } from './data.js';

/** How the digest says things to the organiser's staff (Simplified Chinese). */

function parts(iso: string, tz: string) {
  const t = formatLocalTime(iso, tz);
  return { y: t.slice(0, 4), m: Number(t.slice(5, 7)), d: Number(t.slice(8, 10)), hm: t.slice(11, 16) };
}

/** `7月15日 09:30` */
export function shortTime(iso: string, tz: string): string {
  const p = parts(iso, tz);
  return `${p.m}月${p.d}日 ${p.hm}`;
}

/** When a paper copy arrived: `7月19日 10:00`, or `7月19日` when staff gave the day alone. */
export function paperWhen(p: PaperState, tz: string): string {
  if (p.receivedAt) return shortTime(p.receivedAt, tz);
  const [, m, d] = (p.receivedOn ?? '').split('-').map(Number);
  return `${m}月${d}日`;
}

/** `2021年7月20日` */
export function longDay(iso: string, tz: string): string {
  const p = parts(iso, tz);
  return `${p.y}年${p.m}月${p.d}日`;
}

/** `2021年7月22日 23:59` */
export function longTime(iso: string, tz: string): string {
  return `${longDay(iso, tz)} ${parts(iso, tz).hm}`;
}

/** What people call the zone: 北京时间 for China, else its IANA name. */
export function zoneName(tz: string): string {
  return tz === 'Asia/Shanghai' || tz === 'Asia/Chongqing' || tz === 'PRC' ? '北京时间' : tz;
}

export const STATE_LABEL: Record<UnitState, string> = {
  complete: '已齐全',
  'complete-late': '已齐全（逾期）',
  incomplete: '材料不全',
  nothing: '未报送',
};

/**
 * What an item's lateness means, after its time: nothing when on time; 逾期 when it never came
 * on time; a correction after the deadline, with when the item came on time, which stands.
 */
export function lateText(i: { late: boolean; onTimeAt: string | null }, tz: string): string {
  if (!i.late) return '';
  return i.onTimeAt ? `（截止后更正，${shortTime(i.onTimeAt, tz)} 已按时收到）` : ' 逾期';
}

/** The state of a unit in a few words: 已齐全, 缺实施方案, 未报送... */
export function unitStateText(u: DigestUnit, labels: Record<ItemKind | 'paper', string>): string {
  if (u.state === 'incomplete') return `缺${u.missing.map((k) => labels[k]).join('、')}`;
  return STATE_LABEL[u.state];
}

export function deadlineText(d: DigestData): string {
  const tz = d.campaign.timezone;
  const deadline = longTime(d.campaign.deadline, tz);
  if (d.phase === 'closed') return `已于 ${deadline} 截止${d.daysLeft < 0 ? `（${-d.daysLeft} 天前）` : ''}`;
  if (d.daysLeft > 1) return `距截止还有 ${d.daysLeft} 天（${deadline}）`;
  if (d.daysLeft === 1) return `明天截止（${deadline}）`;
  return `今天截止（${deadline}）`;
}

const REPLY_LABEL: Record<string, string> = {
  ack: '确认收齐',
  missing: '提示缺件',
  late: '告知逾期',
  review: '告知人工确认',
  none: '不回复',
};

const DELIVERY_LABEL: Record<string, string> = {
  pending: '（待发送）',
  sending: '（发送中）',
  failed: '（发送失败）',
  suppressed: '（未发送）',
};

export function replyText(a: Pick<Arrival, 'reply' | 'replyStatus' | 'status'>): string {
  if (a.status === 'error') return '处理出错';
  if (a.status === 'archived' || a.reply === null) return '处理中';
  return `${REPLY_LABEL[a.reply] ?? a.reply}${a.replyStatus && a.replyStatus !== 'sent' ? (DELIVERY_LABEL[a.replyStatus] ?? `（${a.replyStatus}）`) : ''}`;
}

export function itemsText(a: Arrival, labels: Record<ItemKind, string>): string {
  const parts: string[] = [];
  if (a.items.length > 0) parts.push(a.items.map((k) => labels[k]).join('、') + (a.counted || a.unit !== null ? '' : '（单位确认后计入）'));
  if (a.unreadable.length > 0) parts.push(`无法读取：${a.unreadable.join('、')}`);
  return parts.length > 0 ? parts.join('；') : '无所需材料';
}

export const MAIL_KIND_LABEL: Record<string, string> = {
  ack: '确认回复',
  missing: '缺件提示',
  late: '逾期告知',
  review: '转人工回复',
  digest: '每日汇总',
  reminder: '催报提醒',
};

export function senderText(name: string | null, address: string | null): string {
  if (name && address) return `${name} <${address}>`;
  return address ?? name ?? '（无发件人）';
}

/** The order staff act in: what is missing first, then who sent nothing, then what is done. */
export const STATE_ORDER: UnitState[] = ['incomplete', 'nothing', 'complete-late', 'complete'];

export function unitGroups(d: DigestData): Array<{ state: UnitState; units: DigestUnit[] }> {
  return STATE_ORDER.map((state) => ({ state, units: d.units.filter((u) => u.state === state) })).filter((g) => g.units.length > 0);
}

export function digestSubject(d: DigestData): string {
  const day = shortTime(d.generatedAt, d.campaign.timezone).split(' ')[0];
  const c = d.counts;
  if (d.phase === 'closed') return `报送情况汇总（${day}）：已截止，${c.completeOnTime}/${c.units} 个单位按时报齐`;
  const left = d.daysLeft > 0 ? `距截止 ${d.daysLeft} 天` : '今天截止';
  return `报送情况日报（${day}）：已齐全 ${c.complete}/${c.units}，材料不全 ${c.incomplete}，未报送 ${c.nothing}，${left}`;
}

/** `报送汇总_20210720.xlsx`: the attached workbook's name. */
export function workbookFileName(d: DigestData): string {
  return `报送汇总_${formatLocalTime(d.generatedAt, d.campaign.timezone).slice(0, 10).replaceAll('-', '')}.xlsx`;
}

/** After the deadline: the units that lose eligibility, by why. */
export function notEligible(d: DigestData): { late: DigestUnit[]; incomplete: DigestUnit[]; nothing: DigestUnit[] } {
  const out = d.units.filter((u) => !u.onTime);
  return { late: out.filter((u) => u.state === 'complete-late'), incomplete: out.filter((u) => u.state === 'incomplete'), nothing: out.filter((u) => u.state === 'nothing') };
}

/** The arrivals the digest leaves out of its list, in one sentence; null when none. */
export function notListedText(d: DigestData): string | null {
  const { machine, duplicates } = d.arrivalsNotListed;
  const left = [machine > 0 ? `${machine} 封自动回复、退信或系统邮件` : '', duplicates > 0 ? `${duplicates} 封重复投递` : ''].filter(Boolean);
  return left.length > 0 ? `另有 ${left.join('和 ')}未列出，均未回复。` : null;
}
