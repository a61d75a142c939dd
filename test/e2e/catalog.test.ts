import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureOciFixtures } from '../lab/cache';
import { launchChromium, shot } from '../support/browser';
import { startHostProcess, type RunningHost } from '../support/host';
import { tempDir } from '../support/tmp';

describe('Catalog › Artifacts in the browser', () => {
  let host: RunningHost;
  let browser: Browser;
  let page: Page;
  let fixtures: string;

  beforeAll(async () => {
    fixtures = ensureOciFixtures().dir;
    host = await startHostProcess(path.join(tempDir(), 'home'));
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' })).newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(host.openUrl);
    await page.getByTestId('nav-catalog').click();
    await page.getByTestId('import-form').waitFor();
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail')
      await page?.screenshot({ path: shot(`failed-${ctx.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`) }).catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await host?.stop();
  });

  it('imports a docker-archive and lists it with its platform, then shows its details', async () => {
    await page.getByTestId('import-path').fill(path.join(fixtures, 'app-amd64.docker.tar'));
    await page.getByTestId('import-start').click();
    await expect.poll(() => page.getByTestId('import-job').getAttribute('data-state'), { timeout: 20_000 }).toBe('succeeded');
    const row = page.locator('[data-testid^="artifact-row-"]').first();
    await row.waitFor();
    expect(await row.textContent()).toContain('edgeforge/fixture-app:amd64');
    expect(await row.textContent()).toContain('linux/amd64');
    await row.getByTestId('artifact-details-open').click();
    const details = page.getByTestId('artifact-details');
    await details.waitFor();
    expect(await details.textContent()).toContain('/app/run.sh');
    expect(await details.textContent()).toContain('8080/tcp');
    await page.screenshot({ path: shot('catalog-artifact-details-en') });
    await page.keyboard.press('Escape');
  });

  it('refuses a broken image with its own message, and asks for a platform on a multi-arch index', async () => {
    await page.getByTestId('import-path').fill(path.join(fixtures, 'broken', 'layer-digest-mismatch.oci'));
    await page.getByTestId('import-start').click();
    await expect.poll(() => page.getByTestId('import-error').textContent(), { timeout: 20_000 }).toContain('BLOB_DIGEST_MISMATCH');
    await page.getByTestId('import-path').fill(path.join(fixtures, 'multiarch.oci'));
    await page.getByTestId('import-start').click();
    await expect.poll(() => page.getByTestId('import-error').textContent(), { timeout: 20_000 }).toContain('Choose which to import');
    await page.getByTestId('import-platforms').click();
    await page.keyboard.type('linux/arm64');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Escape');
    await page.getByTestId('import-start').click();
    await expect.poll(() => page.getByTestId('import-job').getAttribute('data-state'), { timeout: 20_000 }).toBe('succeeded');
    await expect.poll(() => page.locator('[data-testid^="artifact-row-"]').count()).toBe(2);
    await page.screenshot({ path: shot('catalog-artifacts-en') });
  });

  it('imports a file dropped on the page: uploaded to the station, imported, then the upload removed', async () => {
    const before = await page.locator('[data-testid^="artifact-row-"]').count();
    await page.getByTestId('import-drop').locator('input[type=file]').setInputFiles(path.join(fixtures, 'app-arm64.docker.tar'));
    await expect.poll(() => page.locator('[data-testid^="artifact-row-"]').count(), { timeout: 20_000 }).toBe(before + 1);
    expect(await page.getByTestId('artifacts-table').textContent()).toContain('edgeforge/fixture-app:arm64');
    await expect.poll(() => fs.readdirSync(path.join(host.home, 'uploads')).length).toBe(0);
  });

  it('says a relative path is wrong, next to the field', async () => {
    await page.getByTestId('import-path').fill('images/app.tar');
    await page.getByTestId('import-start').click();
    await page.getByText('"images/app.tar" is not an absolute path', { exact: false }).waitFor();
  });

  it('removes an artifact after confirmation, and frees its blobs with garbage collection', async () => {
    const rows = page.locator('[data-testid^="artifact-row-"]');
    await rows.first().getByTestId('artifact-remove').click();
    await page.getByRole('button', { name: 'Yes' }).click();
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByTestId('gc-check').click();
    await expect.poll(() => page.getByTestId('gc-report').textContent()).toMatch(/[1-9]\d* unreferenced/);
    await page.getByTestId('gc-collect').click();
    await page.getByRole('button', { name: 'Yes' }).click();
    await expect.poll(() => page.getByTestId('gc-report').textContent()).toMatch(/; 0 unreferenced/);
  });
});
