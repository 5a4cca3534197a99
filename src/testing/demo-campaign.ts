import { FileSource } from '../sources/files.js';
import { ingestFrom } from '../service/ingest.js';
import { renderDigest, type RenderedDigest } from '../digest/send.js';
import { FIXTURE_MAIL, rulesWith, testApp, type TestApp } from './app.js';

/** A campaign with the fixture mail taken in and answered: 43 units, 8 complete, 1 for review. */
export async function demoCampaign(opts: Parameters<typeof testApp>[0] = {}): Promise<TestApp> {
  const app = await testApp(opts);
  await ingestFrom(app, new FileSource([FIXTURE_MAIL]));
  await app.flushOutbox();
  return app;
}

/** A wall-clock time in China, e.g. chinaTime('2021-07-20T08:30:00'). */
export const chinaTime = (local: string): Date => new Date(`${local}+08:00`);

/** campaign.yaml edited so that every unit owes a sealed paper copy too. */
export function requirePaper(campaign: string): string {
  if (!/^paper:\n  required: false$/m.test(campaign)) throw new Error('campaign.yaml no longer has "paper:\n  required: false"');
  return campaign.replace(/^paper:\n  required: false$/m, 'paper:\n  required: true');
}

/** A copy of the shipped rules in which every unit owes a sealed paper copy too. */
export const paperRequiredRules = (): string => rulesWith(requirePaper);

/** The demo campaign's digest while the call is open (20 July, 08:30) and after the deadline (25 July). */
export async function demoDigests(): Promise<{ app: TestApp; open: RenderedDigest; closed: RenderedDigest }> {
  const app = await demoCampaign();
  return { app, open: await renderDigest(app, chinaTime('2021-07-20T08:30:00')), closed: await renderDigest(app, chinaTime('2021-07-25T08:30:00')) };
}
