import type { Rules } from '../rules/index.js';
import { formatLocalTime } from '../util/time.js';
import type { MessageReport } from './messages.js';

/** One message as a person reviewing it needs it: who, when, what, and why intake decided so. */
export function renderMessageDetail(r: MessageReport, rules: Rules): string {
  const tz = rules.campaign.timezone;
  const unitName = (id: string) => rules.units.find((u) => u.id === id)?.name ?? id;
  const lines = [
    `#${r.id}  ${formatLocalTime(r.receivedAt, tz)} (${r.receivedBasis})${r.late ? '  LATE' : ''}`,
    `  from:     ${r.fromName ? `${r.fromName} ` : ''}<${r.from ?? '?'}>`,
    `  subject:  ${r.subject ?? ''}`,
    `  unit:     ${r.unit ? `${r.unit} (${unitName(r.unit)})` : '-'} — ${r.matchReason ?? r.status}`,
  ];
  if (r.evidence.length > 0) {
    lines.push('  evidence:');
    for (const e of r.evidence) lines.push(`    ${e.signal.padEnd(14)} ${e.unit.padEnd(14)} ${String(e.weight).padStart(4)}  ${e.match}`);
  }
  if (r.documents.length > 0) {
    lines.push('  documents:');
    for (const d of r.documents) lines.push(`    ${d.kinds.length > 0 ? d.kinds.join('+') : d.kind}${d.readable ? '' : ' (unreadable)'}  ${d.path}${d.error ? `\n      ${d.error}` : ''}`);
  }
  if (r.links.length > 0) lines.push('  cloud links:', ...r.links.map((l) => `    ${l}`));
  lines.push(`  reply:    ${r.reply ?? '-'}${r.replyStatus ? ` [${r.replyStatus}]` : ''} — ${r.replyReason ?? ''}`);
  if (r.replyError) lines.push(`            ${r.replyError}`);
  if (r.duplicateOf) lines.push(`  duplicate of #${r.duplicateOf}`);
  if (r.error) lines.push(`  ERROR:    ${r.error}`);
  return lines.join('\n');
}
