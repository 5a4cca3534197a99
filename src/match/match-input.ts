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

export function matchInput(msg: ParsedMessage, forwarded: ParsedMessage[], files: ClassifiedFile[]): MatchInput {
  return {
    address: msg.from?.address ?? null,
    display_name: msg.from?.name ?? '',
    subject: msg.subject,
    filename: files.map((f) => f.containerPath),
    form_unit: files.flatMap((f) => (f.form?.unit ? [f.form.unit] : [])),
    document: files.flatMap((f) => (f.content ? [titleAndSignature(f.content.text)] : [])),
    body: msg.text.slice(0, BODY_CHARS),
    forwarded_from: forwarded.flatMap((m) => [m.from?.name ?? '', m.subject]),
  };
}
