/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser),
 * headless, with the flags this offline machine needs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { repoRoot } from './tmp';

export const CHROMIUM = process.env.EDGEFORGE_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

/** Screenshots are kept as test artifacts under test-results/screenshots/. */
export const screenshotDir = path.join(repoRoot, 'test-results', 'screenshots');
fs.mkdirSync(screenshotDir, { recursive: true });
export const shot = (name: string) => path.join(screenshotDir, `${name}.png`);
