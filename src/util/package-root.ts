import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The folder holding intake's package.json (and rules/, fixtures/). Found by walking up rather
 * than by a fixed `../..`: the same code runs from src/<dir>/ under tsx and from the flat,
 * bundled dist/ (scripts/build.mjs), which sit at different depths below it.
 */
export function packageRoot(): string {
  if (root) return root;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return (root = dir);
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}: intake must run from its own folder`);
  }
}
