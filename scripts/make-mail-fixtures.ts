/**
 * Builds the committed mail-decoding and container fixtures:
 *   fixtures/encodings/   headers, file names and bodies as Chinese clients really encode them
 *   fixtures/containers/  zip (GBK names, folders, zip in zip), rar, 7z, tar.gz, forwards, winmail.dat
 *   fixtures/hostile/     small hostile inputs (path traversal, 0 bytes, encrypted, truncated, deep)
 * Large hostile inputs (a zip bomb, a 5,000-entry zip, a 40 MB attachment) are built at test time
 * by src/testing/hostile.ts instead of being committed. Run `npm run fixtures:mail`; the outputs
 * are committed so tests never depend on this script.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mailFixtures } from '../src/testing/mail-fixtures.js';

const ROOT = join(import.meta.dirname, '..', 'fixtures');

async function main(): Promise<void> {
  const all = await mailFixtures();
  const dirs = new Set(all.map((f) => f.dir));
  for (const d of dirs) {
    rmSync(join(ROOT, d), { recursive: true, force: true });
    mkdirSync(join(ROOT, d), { recursive: true });
  }
  for (const f of all) writeFileSync(join(ROOT, f.dir, f.file), f.raw);
  console.log(`wrote ${all.length} messages to ${[...dirs].map((d) => `fixtures/${d}`).join(', ')}`);
}

await main();
