import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, shot } from '../support/browser';
import { startHostProcess, type RunningHost } from '../support/host';
import { tempDir } from '../support/tmp';

describe('Catalog › Hardware models in the browser', () => {
  let host: RunningHost;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    host = await startHostProcess(path.join(tempDir(), 'home'));
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' })).newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(host.openUrl);
    await page.getByTestId('nav-catalog').click();
    await page.getByRole('tab', { name: 'Hardware models' }).click();
    await page.getByTestId('model-new').waitFor();
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail')
      await page?.screenshot({ path: shot(`failed-${ctx.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`) }).catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await host?.stop();
  });

  const editor = () => page.getByTestId('model-editor');

  it('shows each broken rule under its own field, then saves the draft once fixed', async () => {
    await page.getByTestId('model-new').click();
    await editor().waitFor();
    await page.getByTestId('model-name').fill('edge_box x1');
    await page.getByTestId('model-memory').fill('1024');
    await page.getByTestId('nic-add').click();
    await page.getByTestId('nic-name-1').fill('eth0');
    await page.getByTestId('model-save').click();
    await editor().getByText('A model name has 1–63 characters').waitFor();
    await editor().getByText('At least 2048 MiB of RAM').waitFor();
    await editor().getByText('NIC name "eth0" is used twice.').waitFor();
    await page.screenshot({ path: shot('model-editor-errors-en') });
    await page.getByTestId('model-name').fill('edge-box-x1');
    await page.getByTestId('model-memory').fill('8192');
    await page.getByTestId('nic-name-1').fill('eth1');
    await page.getByTestId('model-save').click();
    await editor().waitFor({ state: 'detached' });
    await expect.poll(() => page.getByTestId('model-row-edge-box-x1').getAttribute('data-state')).toBe('draft');
  });

  it('publishes after confirmation, makes a new revision, and shows the diff', async () => {
    const row = page.getByTestId('model-row-edge-box-x1');
    await row.getByTestId('model-publish').click();
    await page.getByRole('button', { name: 'Yes' }).click();
    await expect.poll(() => row.getAttribute('data-state')).toBe('published');
    await row.getByTestId('model-new-revision').click();
    await editor().waitFor();
    await page.getByTestId('model-cores').fill('8');
    await page.getByTestId('model-save').click();
    await editor().waitFor({ state: 'detached' });
    await row.getByTestId('model-diff-open').click();
    const diff = page.getByTestId('model-diff');
    await diff.getByText('minCpuCores').waitFor();
    expect(await diff.textContent()).toMatch(/minCpuCores.*4.*8/);
    await page.screenshot({ path: shot('model-diff-en') });
    await page.keyboard.press('Escape');
  });

  it('speaks Chinese in the editor too', async () => {
    await page.getByTestId('language-switch').getByText('中文').click();
    await page.getByTestId('model-row-edge-box-x1').getByTestId('model-edit').click();
    await editor().waitFor();
    await page.getByTestId('model-memory').fill('100');
    await page.getByTestId('model-save').click();
    await editor().getByText('内存至少 2048 MiB').waitFor();
    await page.screenshot({ path: shot('model-editor-errors-zh') });
  });
});
