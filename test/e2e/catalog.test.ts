import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureOciFixtures } from '../lab/cache';
import { appInBrowser, shot } from '../support/browser';

describe('Catalog › Artifacts in the browser', () => {
  const s = appInBrowser();
  let fixtures: string;

  beforeAll(async () => {
    fixtures = ensureOciFixtures().dir;
    await s.page.getByTestId('nav-catalog').click();
    await s.page.getByTestId('import-form').waitFor();
  });

  it('imports a docker-archive and lists it with its platform, then shows its details', async () => {
    await s.page.getByTestId('import-path').fill(path.join(fixtures, 'app-amd64.docker.tar'));
    await s.page.getByTestId('import-start').click();
    await expect.poll(() => s.page.getByTestId('import-job').getAttribute('data-state'), { timeout: 20_000 }).toBe('succeeded');
    const row = s.page.locator('[data-testid^="artifact-row-"]').first();
    await row.waitFor();
    expect(await row.textContent()).toContain('edgeforge/fixture-app:amd64');
    expect(await row.textContent()).toContain('linux/amd64');
    await row.getByTestId('artifact-details-open').click();
    const details = s.page.getByTestId('artifact-details');
    await details.waitFor();
    expect(await details.textContent()).toContain('/app/run.sh');
    expect(await details.textContent()).toContain('8080/tcp');
    await s.page.waitForTimeout(500); // let the drawer or dialog finish opening
    await s.page.screenshot({ path: shot('catalog-artifact-details-en') });
    await s.page.keyboard.press('Escape');
  });

  it('refuses a broken image with its own message, and asks for a platform on a multi-arch index', async () => {
    await s.page.getByTestId('import-path').fill(path.join(fixtures, 'broken', 'layer-digest-mismatch.oci'));
    await s.page.getByTestId('import-start').click();
    await expect.poll(() => s.page.getByTestId('import-error').textContent(), { timeout: 20_000 }).toContain('BLOB_DIGEST_MISMATCH');
    await s.page.getByTestId('import-path').fill(path.join(fixtures, 'multiarch.oci'));
    await s.page.getByTestId('import-start').click();
    await expect.poll(() => s.page.getByTestId('import-error').textContent(), { timeout: 20_000 }).toContain('Choose which to import');
    await s.page.getByTestId('import-platforms').click();
    await s.page.keyboard.type('linux/arm64');
    await s.page.keyboard.press('Enter');
    await s.page.keyboard.press('Escape');
    await s.page.getByTestId('import-start').click();
    await expect.poll(() => s.page.getByTestId('import-job').getAttribute('data-state'), { timeout: 20_000 }).toBe('succeeded');
    await expect.poll(() => s.page.locator('[data-testid^="artifact-row-"]').count()).toBe(2);
    await s.page.screenshot({ path: shot('catalog-artifacts-en') });
  });

  it('imports a file dropped on the page: uploaded to the station, imported, then the upload removed', async () => {
    const before = await s.page.locator('[data-testid^="artifact-row-"]').count();
    await s.page.getByTestId('import-drop').locator('input[type=file]').setInputFiles(path.join(fixtures, 'app-arm64.docker.tar'));
    await expect.poll(() => s.page.locator('[data-testid^="artifact-row-"]').count(), { timeout: 20_000 }).toBe(before + 1);
    expect(await s.page.getByTestId('artifacts-table').textContent()).toContain('edgeforge/fixture-app:arm64');
    await expect.poll(() => fs.readdirSync(path.join(s.host.home, 'uploads')).length).toBe(0);
  });

  it('says a relative path is wrong, next to the field', async () => {
    await s.page.getByTestId('import-path').fill('images/app.tar');
    await s.page.getByTestId('import-start').click();
    await s.page.getByText('"images/app.tar" is not an absolute path', { exact: false }).waitFor();
  });

  it('removes an artifact after confirmation, and frees its blobs with garbage collection', async () => {
    const rows = s.page.locator('[data-testid^="artifact-row-"]');
    await rows.first().getByTestId('artifact-remove').click();
    await s.page.getByRole('button', { name: 'Yes' }).click();
    await expect.poll(() => rows.count()).toBe(2);
    await s.page.getByTestId('gc-check').click();
    await expect.poll(() => s.page.getByTestId('gc-report').textContent()).toMatch(/[1-9]\d* unreferenced/);
    await s.page.getByTestId('gc-collect').click();
    await s.page.getByRole('button', { name: 'Yes' }).click();
    await expect.poll(() => s.page.getByTestId('gc-report').textContent()).toMatch(/; 0 unreferenced/);
  });
});
