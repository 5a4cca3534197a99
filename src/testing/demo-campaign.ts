import { FileSource } from '../sources/files.js';
import { ingestFrom } from '../service/ingest.js';
import { FIXTURE_MAIL, testApp, type TestApp } from './app.js';

/** A campaign with the fixture mail taken in and answered: 43 units, 8 complete, 1 for review. */
export async function demoCampaign(opts: Parameters<typeof testApp>[0] = {}): Promise<TestApp> {
  const app = await testApp(opts);
  await ingestFrom(app, new FileSource([FIXTURE_MAIL]));
  await app.flushOutbox();
  return app;
}

/** A wall-clock time in China, e.g. chinaTime('2021-07-20T08:30:00'). */
export const chinaTime = (local: string): Date => new Date(`${local}+08:00`);
