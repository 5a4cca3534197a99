import type { ReadFile } from '../documents/read-files.js';
import type { DocumentsRules } from '../rules/schema.js';
import { classifyDocument, type Classification } from './document-kind.js';
import { readRegistrationForm, type FormProblem, type RegistrationForm } from './registration-form.js';

export interface ClassifiedFile extends ReadFile {
  readable: boolean;
  classification: Classification;
  /** The registration form's rows, when the file is (also) a registration form. */
  form: RegistrationForm | null;
}

/** What is stored per document in documents.fields_json and shown by `intake messages --json`. */
export interface DocumentFields {
  /** The reader that produced the text, e.g. "sheetjs", "libreoffice → mammoth", "text (gb18030)". */
  reader: string | null;
  /** The error's code when unreadable: empty, encrypted, scan, corrupt, unsupported, timeout... */
  errorCode: string | null;
  sheets?: string[];
  pages?: number;
  /** Characters of text read, and whether the stored text was cut to limits.max_text_chars. */
  textChars: number;
  textTruncated: boolean;
  form: RegistrationForm | null;
  problems: FormProblem[];
}

export function classifyFiles(files: ReadFile[], rules: DocumentsRules): ClassifiedFile[] {
  return files.map((f) => {
    const classification = classifyDocument(f.filename, f.content, rules);
    const form = f.content && classification.kinds.includes('registration') ? readRegistrationForm(f.content.tables, rules, f.content.text) : null;
    return { ...f, readable: f.content !== null && f.error === null, classification, form };
  });
}

export function documentFields(f: ClassifiedFile, maxTextChars: number): DocumentFields {
  const chars = f.content?.text.length ?? 0;
  return {
    reader: f.content?.via ?? null,
    errorCode: f.error?.code ?? null,
    ...(f.content?.sheets ? { sheets: f.content.sheets } : {}),
    ...(f.content?.pages !== undefined ? { pages: f.content.pages } : {}),
    textChars: chars,
    textTruncated: chars > maxTextChars,
    form: f.form,
    problems: f.form?.problems ?? [],
  };
}

/** fields_json as stored; rows written before 0.2 held the form itself. */
export function parseDocumentFields(json: string | null): Partial<DocumentFields> | null {
  if (!json) return null;
  const v = JSON.parse(json) as Record<string, unknown>;
  if ('rows' in v && !('form' in v)) return { form: v as unknown as RegistrationForm, problems: [] };
  return v as Partial<DocumentFields>;
}
