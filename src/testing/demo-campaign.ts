import { FileSource } from '../sources/files.js';
import { ingestFrom } from '../service/ingest.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyRules, FIXTURE_MAIL, testApp, type TestApp } from './app.js';

/** A campaign with the fixture mail taken in and answered: 43 units, 8 complete, 1 for review. */
export async function demoCampaign(opts: Parameters<typeof testApp>[0] = {}): Promise<TestApp> {
  const app = await testApp(opts);
  await ingestFrom(app, new FileSource([FIXTURE_MAIL]));
  await app.flushOutbox();
  return app;
}

/** A wall-clock time in China, e.g. chinaTime('2021-07-20T08:30:00'). */
export const chinaTime = (local: string): Date => new Date(`${local}+08:00`);

/** A copy of the shipped rules in which every unit owes a sealed paper copy too. */
export function paperRequiredRules(): string {
  const dir = copyRules();
  const file = join(dir, 'campaign.yaml');
  const text = readFileSync(file, 'utf8');
  if (!/^paper:\n  required: false$/m.test(text)) throw new Error('campaign.yaml no longer has "paper:\n  required: false"');
  writeFileSync(file, text.replace(/^paper:\n  required: false$/m, 'paper:\n  required: true'));
  return dir;
}
