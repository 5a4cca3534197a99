import type { Rules } from '../rules/index.js';
import { formatLocalTime } from '../util/time.js';
import type { CampaignStatus } from './status.js';
import { renderTable } from './table.js';

export function renderStatusTable(status: CampaignStatus, rules: Rules): string {
  const tz = rules.campaign.timezone;
  const headers = ['unit', 'name', ...rules.campaign.required.map((k) => rules.documents.kinds[k].label), 'state'];
  const rows = status.units.map((u) => [
    u.unit,
    u.name,
    ...rules.campaign.required.map((k) => {
      const i = u.items[k];
      return i ? `${formatLocalTime(i.receivedAt, tz).slice(5, 16)}${i.late ? ' late' : ''}` : '-';
    }),
    u.complete ? (u.onTime ? 'complete' : 'complete, late') : Object.keys(u.items).length > 0 ? `missing ${u.missing.join(', ')}` : 'nothing yet',
  ]);
  const t = status.totals;
  const summary = `${t.units} units: ${t.completeOnTime} complete on time, ${t.complete - t.completeOnTime} complete late, ${t.incomplete} incomplete, ${t.nothing} nothing yet; ${t.review} message(s) for review, ${t.errors} error(s). Deadline ${formatLocalTime(status.deadline, tz)} (${tz}).`;
  return `${renderTable(headers, rows)}\n\n${summary}`;
}
