import { untrustedReceipt } from '../replies/decide.js';
import { unitNameOf, type Rules } from '../rules/index.js';
import type { ReceivedBasis } from '../store/tables.js';
import { formatLocalTime } from '../util/time.js';
import type { MessageReport } from './messages.js';

/** One message as a person reviewing it needs it: who, when, what, and why intake decided so. */
function maskPhone(phone: string): string {
  return phone.replace(/\d(?=\d{4})/g, '*');
}

/** Where a receipt time came from, in the words a person deciding on lateness needs. */
export function receiptBasisText(basis: string, byPerson?: MessageReport['receiptByPerson'], zone?: string): string {
  if (basis === 'person' && byPerson) {
    return `person — set on ${formatLocalTime(byPerson.setAt, zone)} from "${byPerson.note}"; intake had found ${formatLocalTime(byPerson.foundAt, zone)} (${byPerson.foundBasis})`;
  }
  const why = untrustedReceipt(basis as ReceivedBasis);
  if (why) return `${basis} — ${why}; not the server's: late by it goes to review, never a late notice`;
  if (basis === 'internaldate') return "internaldate — the IMAP server's INTERNALDATE";
  if (basis === 'received-header') return 'received-header — the topmost Received header, added by the server that took the message in';
  return basis;
}

export function renderMessageDetail(r: MessageReport, rules: Rules): string {
  const tz = rules.campaign.timezone;
  const lines = [
    `#${r.id}  ${formatLocalTime(r.receivedAt, tz)} (${r.receivedBasis})${r.late ? '  LATE' : ''}`,
    `  from:     ${r.fromName ? `${r.fromName} ` : ''}<${r.from ?? '?'}>`,
    `  receipt:  ${receiptBasisText(r.receivedBasis, r.receiptByPerson, tz)}`,
    `  subject:  ${r.subject ?? ''}`,
    `  unit:     ${r.unit ? `${r.unit} (${unitNameOf(rules, r.unit)})` : '-'} — ${r.matchReason ?? r.status}`,
  ];
  if (r.evidence.length > 0) {
    lines.push('  evidence:');
    for (const e of r.evidence) lines.push(`    ${e.signal.padEnd(14)} ${e.unit.padEnd(14)} ${String(e.weight).padStart(4)}  ${e.match}`);
  }
  if (r.documents.length > 0) {
    lines.push('  documents:');
    for (const d of r.documents) {
      lines.push(`    ${d.kinds.length > 0 ? d.kinds.join('+') : d.kind}${d.readable ? '' : ' (unreadable)'}  ${d.path}${d.reader ? `  [${d.reader}]` : ''}${d.error ? `\n      ${d.error}` : ''}`);
      if (d.form) {
        lines.push(`      form: unit ${d.form.unit ?? '-'}${d.form.unitSource ? ` (${d.form.unitSource})` : ''}, ${d.form.rows.length} row(s)`);
        // Phone numbers are personal: shown masked here (the full rows are in --json for staff).
        for (const row of d.form.rows.slice(0, 10)) lines.push(`        ${[row.unit, row.project, row.participants, row.contact, row.phone ? maskPhone(row.phone) : undefined, row.notes].map((v) => v ?? '-').join(' | ')}`);
        if (d.form.rows.length > 10) lines.push(`        … ${d.form.rows.length - 10} more`);
      }
      for (const p of d.problems ?? []) lines.push(`      problem: ${p.code} — ${p.message}`);
    }
  }
  if (r.links.length > 0) lines.push('  cloud links:', ...r.links.map((l) => `    ${l}`));
  lines.push(`  reply:    ${r.reply ?? '-'}${r.replyStatus ? ` [${r.replyStatus}]` : ''} — ${r.replyReason ?? ''}`);
  if (r.replyError) lines.push(`            ${r.replyError}`);
  if (r.duplicateOf) lines.push(`  duplicate of #${r.duplicateOf}`);
  if (r.error) lines.push(`  ERROR:    ${r.error}`);
  return lines.join('\n');
}
