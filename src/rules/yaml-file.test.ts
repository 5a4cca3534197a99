import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, YamlFile } from './yaml-file.js';

/** YamlFile.read of `text` written to a temporary file: its problems as "line:column: message", and its value. */
function read(text: string): { problems: string[]; data: unknown } {
  const file = join(mkdtempSync(join(tmpdir(), 'yaml-file-')), 'units.yaml');
  writeFileSync(file, text);
  const y = YamlFile.read(file);
  return { problems: y.parseProblems.map((p) => formatProblem(p).slice(file.length + 1)), data: y.data };
}

describe('YamlFile: anchors and aliases', () => {
  it('an alias whose anchor is not above it is a problem at the alias, not an exception', () => {
    expect(read('units:\n  - id: a\n    aliases: *nope\n').problems).toEqual([
      '3:14: YAML: *nope repeats the value marked &nope, and no value above it is marked so: mark the value to repeat with &nope before this line, or write the value out here',
    ]);
    // Marked below the alias: still unresolved, at the alias.
    expect(read('a: *later\nb: &later [x]\n').problems).toEqual([expect.stringMatching(/^1:4: YAML: \*later repeats/)]);
  });

  it('one anchor repeated on every unit of a long roster is read', () => {
    const units = Array.from({ length: 500 }, (_, i) => `  - id: u${i}\n    kind: ${i === 0 ? '&dept ' : '*dept'}${i === 0 ? 'department' : ''}\n`).join('');
    const { problems, data } = read(`units:\n${units}`);
    expect(problems).toEqual([]);
    expect((data as { units: Array<{ kind: string }> }).units.every((u) => u.kind === 'department')).toBe(true);
  });

  it('aliases nested so that they expand far beyond the file are a problem, not an exception', () => {
    let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++) text += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
    expect(read(text).problems).toEqual([expect.stringMatching(/^1:1: YAML: its aliases \(\*name\) repeat values that hold aliases themselves/)]);
  });
});
