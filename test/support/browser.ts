/**
 * The e2e tests' browser session: a headless host and Debian's Chromium
 * (launched by ./chromium), with screenshots kept as artifacts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { launchChromium } from './chromium';
import { startHostProcess, type RunningHost } from './host';
import { repoRoot, tempDir } from './tmp';

export { CHROMIUM, launchChromium } from './chromium';

/** Screenshots are kept as test artifacts under test-results/screenshots/. */
export const screenshotDir = path.join(repoRoot, 'test-results', 'screenshots');
fs.mkdirSync(screenshotDir, { recursive: true });
export const shot = (name: string) => path.join(screenshotDir, `${name}.png`);

export interface AppSession {
  host: RunningHost;
  browser: Browser;
  page: Page;
}

/**
 * For a describe block: starts a headless host on a fresh data directory and
 * opens the app in Chromium before its tests, keeps a screenshot of any test
 * that fails, and closes both afterwards. Read the session in tests via `s.x`.
 */
export function appInBrowser(onPage?: (page: Page, host: RunningHost) => void): AppSession {
  const s = {} as AppSession;
  beforeAll(async () => {
    s.host = await startHostProcess(path.join(tempDir(), 'home'));
    s.browser = await launchChromium();
    s.page = await (await s.browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' })).newPage();
    s.page.setDefaultTimeout(15_000);
    onPage?.(s.page, s.host);
    await s.page.goto(s.host.openUrl);
    await s.page.getByTestId('nav').waitFor();
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail')
      await s.page?.screenshot({ path: shot(`failed-${ctx.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`) }).catch(() => undefined);
  });
  afterAll(async () => {
    await s.browser?.close();
    await s.host?.stop();
  });
  return s;
}
