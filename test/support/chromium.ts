/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser),
 * headless, with the flags this offline machine needs. A plain module (no
 * test hooks), so that the e2e tests and the benches launch it alike.
 */
import { chromium, type Browser } from 'playwright-core';

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
