import type { ClassifiedFile } from '../classify/classify-files.js';
import type { ParsedMessage } from '../mail/parse.js';
import type { MatchInput } from './unit-matcher.js';

const BODY_CHARS = 5000;

/** Title lines and the signature block: where a plan names the unit that wrote it. */
function titleAndSignature(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return [...lines.slice(0, 3), ...lines.slice(-6)].join('\n');
}

/**
 * Whom a registration form is for. Its 填报单位 line names who filled it in; without one, every
 * unit its rows name counts, not only the first row's: a department's form listing two roster
 * enterprises under it then names both, a contradiction that goes to review, instead of being
 * credited to whichever enterprise came first.
 */
function formUnits(form: NonNullable<ClassifiedFile['form']>): string[] {
  if (form.unitSource !== 'column') return form.unit ? [form.unit] : [];
  return [...new Set(form.rows.flatMap((r) => (r.unit ? [r.unit] : [])))];
}

export function matchInput(msg: ParsedMessage, forwarded: ParsedMessage[], files: ClassifiedFile[]): MatchInput {
  return {
    address: msg.from?.address ?? null,
    display_name: msg.from?.name ?? '',
    subject: msg.subject,
    filename: files.map((f) => f.containerPath),
    form_unit: files.flatMap((f) => (f.form ? formUnits(f.form) : [])),
    document: files.flatMap((f) => (f.content ? [titleAndSignature(f.content.text)] : [])),
    body: msg.text.slice(0, BODY_CHARS),
    forwarded_from: forwarded.flatMap((m) => [m.from?.name ?? '', m.subject]),
  };
}
