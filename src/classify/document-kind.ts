import type { DocumentContent } from '../documents/reader.js';
import { ITEM_KINDS, type DocumentKind, type DocumentsRules, type ItemKind } from '../rules/schema.js';

export interface KindEvidence {
  kind: ItemKind;
  signal: 'title' | 'text' | 'table_headers' | 'structure' | 'filename';
  match: string;
  weight: number;
}

export interface Classification {
  kind: DocumentKind;
  kinds: ItemKind[];
  evidence: KindEvidence[];
}

const QUALIFY = 3;
const WEAK = 1.5;

function firstLines(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, n)
    .join('\n');
}

/**
 * Content first: a keyword in the title, a registration table's header row, a plan's section
 * headings. The file name counts too but alone is only enough when the content says nothing.
 * A file qualifies for every kind that reaches the threshold, so one file can hold both.
 */
export function classifyDocument(filename: string, content: DocumentContent | null, rules: DocumentsRules): Classification {
  const evidence: KindEvidence[] = [];
  for (const kind of ITEM_KINDS) {
    const rule = rules.kinds[kind];
    if (content) {
      const title = firstLines(content.text, 3);
      const titleHit = longestIn(title, rule.content_keywords);
      if (titleHit) evidence.push({ kind, signal: 'title', match: titleHit, weight: 3 });
      else {
        const textHit = longestIn(content.text, rule.content_keywords);
        if (textHit) evidence.push({ kind, signal: 'text', match: textHit, weight: 1 });
      }
      if (rule.table_headers.length > 0) {
        const headers = bestHeaderRow(content, rule.table_headers);
        if (headers.length >= 3) evidence.push({ kind, signal: 'table_headers', match: headers.join('、'), weight: 3 });
      }
      if (rule.structure_keywords.length > 0) {
        const found = rule.structure_keywords.filter((k) => content.text.includes(k));
        if (found.length >= 2) evidence.push({ kind, signal: 'structure', match: found.join('、'), weight: found.length >= 4 ? 3 : 2 });
      }
    }
    const nameHit = longestIn(filename, rule.filename_keywords);
    if (nameHit) evidence.push({ kind, signal: 'filename', match: nameHit, weight: WEAK });
  }
  const score = (k: ItemKind) => evidence.filter((e) => e.kind === k).reduce((s, e) => s + e.weight, 0);
  const ranked = [...ITEM_KINDS].sort((a, b) => score(b) - score(a));
  let kinds = ranked.filter((k) => score(k) >= QUALIFY);
  if (kinds.length === 0 && score(ranked[0]!) >= WEAK && score(ranked[0]!) > score(ranked[1]!)) kinds = [ranked[0]!];
  return { kind: kinds[0] ?? 'other', kinds, evidence };
}

function longestIn(text: string, keywords: string[]): string | null {
  let best: string | null = null;
  for (const k of keywords) if (text.includes(k) && (!best || k.length > best.length)) best = k;
  return best;
}

function bestHeaderRow(content: DocumentContent, headers: string[]): string[] {
  let best: string[] = [];
  for (const table of content.tables) {
    for (const row of table.slice(0, 30)) {
      const found = new Set<string>();
      for (const cell of row) {
        const c = cell.replace(/\s+/g, '');
        if (c.length > 12) continue;
        const h = longestIn(c, headers);
        if (h) found.add(h);
      }
      if (found.size > best.length) best = [...found];
    }
  }
  return best;
}
