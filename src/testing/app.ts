import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSettings, type Settings } from '../config/env.js';
import { silentLogger } from '../log.js';
import type { PipelineDeps } from '../pipeline/pipeline.js';
import { openApp, type App } from '../service/app.js';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const RULES_DIR = join(REPO, 'rules');
export const FIXTURE_MAIL = join(REPO, 'fixtures', 'mail');
export const fixtureMail = (name: string) => join(FIXTURE_MAIL, name);

/**
 * The team's shared material (the seed notice, third-party corpora) sits beside the checkout at
 * ../shared, on developer machines and in CI alike. Missing, it is an error, never a skip.
 */
export function sharedPath(...parts: string[]): string {
  const p = join(REPO, '..', 'shared', ...parts);
  if (!existsSync(p)) throw new Error(`${p} is missing: tests need the shared material checked out at ../shared next to the repository`);
  return p;
}

export function tempDir(prefix = 'intake-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A copy of the shipped rules that a test may edit. */
export function copyRules(): string {
  const dir = join(tempDir('intake-rules-'), 'rules');
  cpSync(RULES_DIR, dir, { recursive: true });
  return dir;
}

/** A copy of the shipped rules with campaign.yaml edited. */
export function rulesWith(edit: (campaign: string) => string): string {
  const dir = copyRules();
  const p = join(dir, 'campaign.yaml');
  writeFileSync(p, edit(readFileSync(p, 'utf8')));
  return dir;
}

export interface TestApp extends App {
  dataDir: string;
  cleanup(): Promise<void>;
}

/** An App on a fresh data folder with the shipped rules (or the given ones); logs are silent. */
export async function testApp(opts: { rulesDir?: string; dataDir?: string; env?: NodeJS.ProcessEnv; afterStage?: PipelineDeps['afterStage'] } = {}): Promise<TestApp> {
  const dataDir = opts.dataDir ?? tempDir();
  const settings: Settings = loadSettings({ rules: opts.rulesDir ?? RULES_DIR, data: dataDir }, opts.env ?? {});
  const app = await openApp(settings, silentLogger, { afterStage: opts.afterStage });
  return {
    ...app,
    dataDir,
    async cleanup() {
      await app.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
