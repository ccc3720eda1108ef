// A real browser for the dashboard tests: Debian's chromium driven by playwright-core (no
// browser download), headless, a fresh profile per launch; and the dashboard's built files.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './server.js';

export const CHROMIUM = process.env.SLIPWAY_CHROMIUM || '/usr/bin/chromium';
export const UI_DIST = path.join(ROOT, 'ui/dist');
/** Where the tests write a screenshot of each page at each size (README names it). */
export const SCREENSHOTS = path.join(ROOT, 'docs/screenshots');

export const SIZES = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: run \`npm test\` (its set-up installs Debian's chromium) or set SLIPWAY_CHROMIUM`);
  // launch() gives every browser a fresh temporary profile (user data dir) and removes it after.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds ui/ when its output is missing or older than its sources (test.sh builds it first). */
export function ensureUiBuilt(): void {
  const index = path.join(UI_DIST, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(path.join(ROOT, 'ui/src'))) return;
  execFileSync('npx', ['vite', 'build', 'ui', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
}

export async function newPage(browser: Browser, size: keyof typeof SIZES): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: SIZES[size], deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(240_000);
  return { context, page };
}

export async function screenshot(page: Page, name: string, size: keyof typeof SIZES): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${size}.png`) });
}
