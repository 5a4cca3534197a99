import type { Rules } from '../rules/index.js';
import { formatLocalTime } from '../util/time.js';
import type { CampaignStatus, UnitStatus } from './status.js';
import { renderTable } from './table.js';

function paperCell(u: UnitStatus): string {
  const p = u.paper;
  if (!p.received) return p.required ? 'due' : '-';
  return `${p.receivedOn!.slice(5)}${p.late ? ' late' : ''}`;
}

export function renderStatusTable(status: CampaignStatus, rules: Rules): string {
  const tz = rules.campaign.timezone;
  const headers = ['unit', 'name', ...rules.campaign.required.map((k) => rules.documents.kinds[k].label), 'state', `paper${rules.campaign.paper.required ? ' (required)' : ''}`];
  const rows = status.units.map((u) => [
    u.unit,
    u.name,
    ...rules.campaign.required.map((k) => {
      const i = u.items[k];
      // A late version of an item that came on time is a correction: the unit is not late for it.
      return i ? `${formatLocalTime(i.receivedAt, tz).slice(5, 16)}${i.late ? (i.onTime ? ' late correction' : ' late') : ''}` : '-';
    }),
    u.complete ? (u.onTime ? 'complete' : 'complete, late') : Object.keys(u.items).length > 0 || u.paper.received ? `missing ${u.missing.join(', ')}` : 'nothing yet',
    paperCell(u),
  ]);
  const t = status.totals;
  const lines = [
    `${t.units} units: ${t.completeOnTime} complete on time, ${t.complete - t.completeOnTime} complete late, ${t.incomplete} incomplete, ${t.nothing} nothing yet; ${t.paperReceived} paper cop${t.paperReceived === 1 ? 'y' : 'ies'} recorded; ${t.review} message(s) for review, ${t.errors} error(s). Deadline ${formatLocalTime(status.deadline, tz)} (${tz}).`,
  ];
  if (t.repliesFailed > 0) lines.push(`${t.repliesFailed} reply(ies) not delivered and waiting for a person: see \`intake outbox --problems\`.`);
  if (t.repliesWaiting > 0) lines.push(`${t.repliesWaiting} reply(ies) waiting to be sent.`);
  return `${renderTable(headers, rows)}\n\n${lines.join('\n')}`;
}
