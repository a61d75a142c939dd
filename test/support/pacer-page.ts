/**
 * A blank page in Debian's Chromium with xterm.js (its script and CSS from
 * node_modules) and the app's pacer (renderer/src/terminal/pacing.ts, as
 * `Pacing`), for the tests of the pacer and its fast-forward in xterm.js
 * itself.
 */
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium';

const root = path.resolve(import.meta.dirname, '../..');

/** `body`: the page's elements for the screens. */
export async function pacerPage(body: string): Promise<{ browser: Browser; page: Page }> {
  const pacing = await build({
    entryPoints: [path.join(root, 'renderer/src/terminal/pacing.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'Pacing',
    write: false,
    target: 'es2022',
  });
  const browser = await launchChromium();
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await page.setContent(`<!doctype html><body style="margin:0">${body}</body>`);
  await page.addStyleTag({ path: path.join(root, 'node_modules/@xterm/xterm/css/xterm.css') });
  await page.addScriptTag({ path: path.join(root, 'node_modules/@xterm/xterm/lib/xterm.js') });
  await page.addScriptTag({ content: pacing.outputFiles[0]!.text });
  return { browser, page };
}
