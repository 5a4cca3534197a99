import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type TestApp } from '../testing/app.js';
import { chinaTime as china, demoCampaign } from '../testing/demo-campaign.js';
import { renderDigest, type RenderedDigest } from './send.js';

/**
 * The digest rendered by a real browser engine (Debian's chromium, with fonts-noto-cjk) at a
 * phone's width and a desktop's. Set DIGEST_PNG_DIR to keep the screenshots for a look.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let app: TestApp;
let browser: BrowserContext;
let profile: string;
let open: RenderedDigest;
let closed: RenderedDigest;
const pngDir = process.env.DIGEST_PNG_DIR ?? join(tempDir('intake-digest-png-'), 'png');

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install the Debian packages "chromium fonts-noto-cjk" (.ci/run does), or set CHROMIUM_PATH`);
  mkdirSync(pngDir, { recursive: true });
  app = await demoCampaign();
  open = await renderDigest(app, china('2021-07-20T08:30:00'));
  closed = await renderDigest(app, china('2021-07-25T08:30:00'));
  profile = tempDir('intake-chromium-');
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.cleanup();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (!process.env.DIGEST_PNG_DIR) rmSync(join(pngDir, '..'), { recursive: true, force: true });
});

interface PageDocument {
  documentElement: { scrollWidth: number };
  body: { innerText: string };
  querySelectorAll(selector: string): ArrayLike<{ getBoundingClientRect(): { right: number; width: number } }> & Iterable<{ getBoundingClientRect(): { right: number; width: number } }>;
}

async function render(html: string, width: number, name: string) {
  const page = await browser.newPage();
  const requests: string[] = [];
  // A mail must load nothing: any request (image, font, stylesheet) is a failure.
  await page.route('**/*', (route) => {
    requests.push(route.request().url());
    return route.abort();
  });
  await page.setViewportSize({ width, height: 900 });
  await page.setContent(html, { waitUntil: 'load' });
  const metrics = await page.evaluate(() => {
    // The page's DOM (this project's type library is Node's, not the browser's).
    const document = (globalThis as unknown as { document: PageDocument }).document;
    const widest = Math.max(...[...document.querySelectorAll('table, td, div, span')].map((e) => e.getBoundingClientRect().right));
    return { scrollWidth: document.documentElement.scrollWidth, widest, text: document.body.innerText, card: document.querySelectorAll('body > table > tbody > tr > td > table')[0]!.getBoundingClientRect().width };
  });
  const png = join(pngDir, `${name}-${width}.png`);
  await page.screenshot({ path: png, fullPage: true });
  await page.close();
  return { ...metrics, requests, png };
}

describe('the digest in a browser engine', () => {
  it.each([320, 375])('at %ipx (a phone): nothing overflows sideways and every unit is there', async (width) => {
    const r = await render(open.html, width, 'digest-open');
    expect(r.requests).toEqual([]);
    expect(r.scrollWidth).toBeLessThanOrEqual(width);
    expect(r.widest).toBeLessThanOrEqual(width);
    for (const u of app.rules.units) expect(r.text).toContain(u.name);
    expect(r.text).toContain('各单位情况（43）');
    expect(r.text).toContain('永修县竞赛实施方案.docx');
    expect(r.text).toMatch(/8\s+已齐全/);
    const png = readFileSync(r.png);
    expect(png.subarray(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
    expect(png.length).toBeGreaterThan(20_000);
  });

  it('at 1024px (a desktop): one 720px column', async () => {
    const r = await render(open.html, 1024, 'digest-open');
    expect(r.requests).toEqual([]);
    expect(r.scrollWidth).toBeLessThanOrEqual(1024);
    expect(r.card).toBe(720);
    expect(r.text).toContain('距截止还有 2 天');
  });

  it('the final digest after the deadline, at both widths', async () => {
    for (const width of [375, 1024]) {
      const r = await render(closed.html, width, 'digest-closed');
      expect(r.requests).toEqual([]);
      expect(r.scrollWidth).toBeLessThanOrEqual(width);
      expect(r.text).toContain('最终参赛名单（7 个单位）');
      for (const u of closed.data.participants!) expect(r.text).toContain(u.name);
    }
  });
});
