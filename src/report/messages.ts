import type { Db } from '../store/db.js';
import type { MessageRow } from '../store/tables.js';
import type { MatchResult } from '../match/unit-matcher.js';
import { parseDocumentFields } from '../classify/classify-files.js';
import type { FormProblem, RegistrationForm } from '../classify/registration-form.js';

export interface MessageReport {
  id: number;
  source: string;
  messageId: string | null;
  from: string | null;
  fromName: string | null;
  subject: string | null;
  receivedAt: string;
  receivedBasis: string;
  status: string;
  unit: string | null;
  evidence: MatchResult['evidence'];
  matchReason: string | null;
  documents: Array<{
    filename: string;
    path: string;
    /** What the bytes are, whatever the name or MIME type says. */
    format: string | null;
    /** Bytes, counted while streaming even when the file was too large to keep. */
    size: number;
    kind: string;
    kinds: string[];
    readable: boolean;
    error?: string;
    /** The error's code: empty, encrypted, scan, corrupt, unsupported, timeout, too-complex... */
    errorCode?: string;
    /** Which reader read it, e.g. "sheetjs", "libreoffice → mammoth". */
    reader?: string;
    form?: RegistrationForm;
    /** What is wrong with the registration form (no phone, phone invalid, no rows...). */
    problems?: FormProblem[];
    textChars?: number;
  }>;
  late: boolean;
  reply: string | null;
  replyReason: string | null;
  replyStatus: string | null;
  /** Why the reply has not gone out (failed, held, waiting to retry, suppressed), or null. */
  replyError: string | null;
  duplicateOf: number | null;
  links: string[];
  /** A person's assignment: a unit id, or "-" for no unit; null when intake decided alone. */
  assignedUnit: string | null;
  /** Set when a person set the receipt time (`intake receipt`): when, their evidence, and what intake had found. */
  receiptByPerson: { setAt: string; note: string; foundAt: string; foundBasis: string } | null;
  error: string | null;
}

/** Every message with its decision, as `intake messages --json` prints it (one object a line). */
export async function messageReports(db: Db, filter: { ids?: number[] } = {}): Promise<MessageReport[]> {
  let q = db.selectFrom('messages').selectAll().orderBy('id');
  if (filter.ids) q = q.where('id', 'in', filter.ids.length > 0 ? filter.ids : [-1]);
  const rows = await q.execute();
  const docs = await db.selectFrom('documents').selectAll().orderBy('message_row').orderBy('seq').execute();
  const outbox = await db.selectFrom('outbox').select(['message_row', 'kind', 'status', 'last_error']).execute();
  return rows.map((r) => toReport(r, docs.filter((d) => d.message_row === r.id), outbox.filter((o) => o.message_row === r.id)));
}

function toReport(r: MessageRow, docs: Array<{ filename: string; container_path: string; format: string | null; size: number; kind: string; kinds_json: string; readable: number; error: string | null; error_code: string | null; fields_json: string | null }>, outbox: Array<{ kind: string; status: string; last_error: string | null }>): MessageReport {
  const match = r.match_json ? (JSON.parse(r.match_json) as MatchResult) : null;
  const reply = outbox.find((o) => o.kind === r.reply_kind);
  return {
    id: r.id,
    source: r.source,
    messageId: r.message_id,
    from: r.from_address,
    fromName: r.from_name,
    subject: r.subject,
    receivedAt: r.received_at,
    receivedBasis: r.received_basis,
    status: r.status,
    unit: r.unit_id,
    evidence: match?.evidence ?? [],
    matchReason: match?.reason ?? null,
    documents: docs.map((d) => {
      const fields = parseDocumentFields(d.fields_json);
      const errorCode = d.error_code ?? fields?.errorCode ?? (d.error ? d.error.slice(0, d.error.indexOf(':')) : null);
      return {
        filename: d.filename,
        path: d.container_path,
        format: d.format,
        size: Number(d.size),
        kind: d.kind,
        kinds: JSON.parse(d.kinds_json) as string[],
        readable: d.readable === 1,
        ...(d.error ? { error: d.error } : {}),
        ...(errorCode ? { errorCode } : {}),
        ...(fields?.reader ? { reader: fields.reader } : {}),
        ...(fields?.form ? { form: fields.form } : {}),
        ...(fields?.problems && fields.problems.length > 0 ? { problems: fields.problems } : {}),
        ...(fields?.textChars !== undefined ? { textChars: fields.textChars } : {}),
      };
    }),
    late: r.late === 1,
    reply: r.reply_kind,
    replyReason: r.reply_reason,
    replyStatus: reply?.status ?? null,
    replyError: reply && reply.status !== 'sent' ? reply.last_error : null,
    duplicateOf: r.duplicate_of,
    links: r.links_json ? (JSON.parse(r.links_json) as string[]) : [],
    assignedUnit: r.assigned_unit,
    receiptByPerson: r.receipt_set_at ? { setAt: r.receipt_set_at, note: r.receipt_note ?? '', foundAt: r.found_received_at ?? '', foundBasis: r.found_received_basis ?? '' } : null,
    error: r.error,
  };
}
