/**
 * The cluster console as the e2e tests drive it in Chromium: the app session
 * (./browser), the page errors it raised, and the moves a person makes in the
 * console (a view by its number key, a row selected, a screenshot once the
 * antd overlays are done moving). Read the session in tests via `s.x`.
 */
import type { Locator } from 'playwright-core';
import { expect } from 'vitest';
import { appInBrowser, shot, type AppSession } from './browser';

export interface ClusterConsolePage {
  s: AppSession;
  /** Uncaught errors in the page, for a last test to say there were none. */
  pageErrors: string[];
  dialogOf(testId: string): Locator;
  /** The messages under the form items that hold the control with this test id. */
  fieldErrors(scope: Locator, testId: string): Locator;
  row(table: string, name: string): Locator;
  /** Until no dialog, drawer or menu is still moving in: a click computed on the first frame of antd's zoom lands beside its target. */
  still(): Promise<void>;
  /** A screenshot once toasts, tooltips and opening animations are done. */
  picture(name: string): Promise<void>;
  /** Dialogs and drawers (closing ones too) keep the console's keys to themselves. */
  noOverlay(): Promise<void>;
  /** Shows a view with its number key, as a person would. */
  view(n: number, name: string): Promise<void>;
  /** Selects a table's row by its name with a click, once nothing covers it. */
  select(table: string, name: string): Promise<void>;
}

/** For a describe block: the app in Chromium (appInBrowser), with the helpers above bound to its page. */
export function clusterConsoleInBrowser(): ClusterConsolePage {
  const pageErrors: string[] = [];
  const s = appInBrowser((page) => page.on('pageerror', (e) => pageErrors.push(e.message)));
  const row = (table: string, name: string) => s.page.locator(`[data-testid="${table}-row"][data-name="${name}"]`);
  const settled = async () => {
    await s.page.mouse.move(0, 0);
    for (const sel of ['.ant-message-notice', '.ant-tooltip:visible']) await expect.poll(() => s.page.locator(sel).count(), { timeout: 10_000 }).toBe(0);
    await s.page.waitForTimeout(300);
  };
  const noOverlay = () => expect.poll(() => s.page.locator('.ant-modal-wrap:visible, .ant-drawer-open').count(), { timeout: 10_000 }).toBe(0);
  return {
    s,
    pageErrors,
    dialogOf: (testId) => s.page.getByTestId(testId),
    fieldErrors: (scope, testId) =>
      scope
        .locator('.ant-form-item')
        .filter({ has: s.page.getByTestId(testId) })
        .locator('.ant-form-item-explain-error'),
    row,
    still: () =>
      expect
        .poll(
          () =>
            s.page
              .locator(
                [
                  '.ant-modal[class*="-appear"]',
                  '.ant-modal[class*="-enter"]',
                  '[class*="ant-drawer"][class*="-appear"]',
                  '[class*="ant-drawer"][class*="-enter"]',
                  '.ant-dropdown[class*="-appear"]',
                  '.ant-dropdown[class*="-enter"]',
                  '.ant-select-dropdown[class*="-appear"]',
                  '.ant-select-dropdown[class*="-enter"]',
                ].join(', '),
              )
              .count(),
          { timeout: 5_000 },
        )
        .toBe(0),
    picture: async (name) => {
      await settled();
      await s.page.screenshot({ path: shot(name) });
    },
    noOverlay,
    view: async (n, name) => {
      await noOverlay();
      await s.page.locator('body').press(String(n));
      await expect.poll(() => s.page.evaluate(() => window.location.hash)).toContain(`/${name}`);
      // The view itself, not only the address: a key pressed before it renders goes to the view going away (its filter
      // field, which then leaves the page with the focus).
      await s.page.getByTestId(name === 'deploy' ? 'deploy-view' : `${name}-table`).waitFor();
    },
    select: async (table, name) => {
      await noOverlay();
      await row(table, name).click();
      await expect.poll(() => s.page.getByTestId(table).getAttribute('data-selected')).toBe(name);
    },
  };
}
