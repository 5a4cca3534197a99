import { readFileSync } from 'node:fs';
import type { RuleProblem } from './yaml-file.js';

// fatal: bytes that are not UTF-8 are an error, not U+FFFD. A BOM (Windows Notepad writes one)
// is dropped, so it never reaches a reply's first line or a YAML key.
const strictUtf8 = () => new TextDecoder('utf-8', { fatal: true });

/** A rules file's text, or why it cannot be used; `missing` when there is no such file. */
export type RulesText = { text: string } | { problem: RuleProblem; missing: boolean };

/**
 * Reads a file of `rules/` as UTF-8. Saved as GBK (Notepad's "ANSI" on a Chinese Windows, older
 * WPS), Chinese text decodes to replacement characters without any error, and those would go
 * out in every reply; so a file that is not UTF-8 is refused, at the line of its first bad byte.
 */
export function readRulesText(file: string): RulesText {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const missing = code === 'ENOENT';
    return { missing, problem: { file, line: 1, column: 1, message: missing ? 'file is missing' : `cannot read file: ${String(err)}` } };
  }
  try {
    return { text: strictUtf8().decode(bytes) };
  } catch {
    return { missing: false, problem: { file, ...firstBadByte(bytes), message: `not UTF-8 text (a file saved as GBK or "ANSI" looks like this): save it as UTF-8, e.g. \`iconv -f GBK -t UTF-8 ${file} > fixed && mv fixed ${file}\`` } };
  }
}

/** Line and column (in characters, as an editor counts them) of the first byte that is not UTF-8. */
function firstBadByte(bytes: Buffer): { line: number; column: number } {
  // Decoded leniently, the first bad byte is the first U+FFFD (a real U+FFFD in a rules file is
  // not worth telling apart).
  const lines = new TextDecoder('utf-8').decode(bytes).split('\n');
  const line = lines.findIndex((l) => l.includes('\uFFFD'));
  return line === -1 ? { line: 1, column: 1 } : { line: line + 1, column: lines[line]!.indexOf('\uFFFD') + 1 };
}
