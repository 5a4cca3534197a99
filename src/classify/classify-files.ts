import type { ReadFile } from '../documents/read-files.js';
import type { DocumentsRules } from '../rules/schema.js';
import { classifyDocument, type Classification } from './document-kind.js';
import { readRegistrationForm, type RegistrationForm } from './registration-form.js';

export interface ClassifiedFile extends ReadFile {
  readable: boolean;
  classification: Classification;
  /** The registration form's rows, when the file is (also) a registration form. */
  form: RegistrationForm | null;
}

export function classifyFiles(files: ReadFile[], rules: DocumentsRules): ClassifiedFile[] {
  return files.map((f) => {
    const classification = classifyDocument(f.filename, f.content, rules);
    const form = f.content && classification.kinds.includes('registration') ? readRegistrationForm(f.content.tables, rules, f.content.text) : null;
    return { ...f, readable: f.content !== null && f.error === null, classification, form };
  });
}
