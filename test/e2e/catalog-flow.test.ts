/**
 * The catalog as a new user goes through it, in the browser: import images
 * and a runtime, define a model, apps and a combo, publish them, and see a
 * combo that cannot run on its model refused.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { catalogInputs, type CatalogInputs } from '../catalog/station';
import { appInBrowser, shot } from '../support/browser';

describe('Catalog flow in the browser: image → model → app → combo → publish → mismatch refused', () => {
  const s = appInBrowser();
  let inputs: CatalogInputs;

  beforeAll(async () => {
    inputs = catalogInputs();
    await s.page.getByTestId('nav-catalog').click();
    await s.page.getByTestId('import-form').waitFor();
  }, 120_000);

  const tab = (name: string) => s.page.getByRole('tab', { name }).click();
  /** Picks an option of an antd Select by the text of its label. */
  const choose = async (testId: string, text: string) => {
    await s.page.getByTestId(testId).click();
    await s.page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: text }).first().click();
  };
  const confirm = () => s.page.locator('.ant-popover:visible').getByRole('button', { name: 'Yes' }).click();

  it('imports two images (amd64, arm64) and a k3s runtime folder', async () => {
    for (const p of [inputs.amd, path.join(path.dirname(inputs.amd), 'app-arm64.docker.tar'), inputs.k3sX86]) {
      await s.page.getByTestId('import-path').fill(p);
      await s.page.getByTestId('import-start').click();
      await expect.poll(() => s.page.getByTestId('import-job').getAttribute('data-state'), { timeout: 30_000 }).toBe('succeeded');
    }
    await expect.poll(() => s.page.locator('[data-testid^="artifact-row-"]').count()).toBe(3);
  });

  it('defines and publishes an x86_64 model', async () => {
    await tab('Hardware models');
    await s.page.getByTestId('model-new').click();
    await s.page.getByTestId('model-name').fill('line-box');
    await s.page.getByTestId('model-save').click();
    await s.page.getByTestId('model-editor').waitFor({ state: 'detached' });
    const row = s.page.getByTestId('model-row-line-box');
    await row.getByTestId('model-publish').click();
    await confirm();
    await expect.poll(() => row.getAttribute('data-state')).toBe('published');
  });

  it('refuses a bad container app under its fields, then saves it with the image defaults and publishes it', async () => {
    await tab('Applications');
    await s.page.getByTestId('app-new').hover();
    await s.page.getByTestId('app-new-container').click();
    const editor = s.page.getByTestId('app-editor');
    await editor.waitFor();
    await s.page.getByTestId('app-name').fill('Vision');
    await choose('containers-0-image', 'fixture-app:amd64');
    // The image's exposed port (8080/tcp) is offered as the container's port.
    await expect.poll(() => s.page.getByTestId('containers-0-port-0').inputValue()).toBe('8080');
    await s.page.getByTestId('containers-0-gpu-mem').fill('300');
    await s.page.getByTestId('app-save').click();
    await editor.getByText('A service name has 4–63 characters').waitFor();
    await editor.getByText('GPU memory is given in units of 256 MiB').waitFor();
    await editor.getByText('A GPU share needs a compute percentage').waitFor();
    await s.page.waitForTimeout(300);
    await s.page.screenshot({ path: shot('app-editor-errors-en') });
    await s.page.getByTestId('app-name').fill('vision-api');
    await s.page.getByTestId('containers-0-gpu-mem').fill('');
    await s.page.getByTestId('containers-0-hostport-0').fill('8080');
    await s.page.getByTestId('app-save').click();
    await editor.waitFor({ state: 'detached' });
    const row = s.page.getByTestId('app-row-vision-api');
    await expect.poll(() => row.getAttribute('data-state')).toBe('draft');
    await row.getByTestId('app-publish').click();
    await confirm();
    await expect.poll(() => row.getAttribute('data-state')).toBe('published');

    await row.getByTestId('app-yaml-open').click();
    const yaml = s.page.getByTestId('app-yaml-text');
    await expect.poll(() => yaml.textContent()).toContain('kind: Deployment');
    expect(await yaml.textContent()).toContain('imagePullPolicy: Never');
    expect(await yaml.textContent()).toContain('hostPort: 8080');
    await s.page.waitForTimeout(500);
    await s.page.screenshot({ path: shot('app-yaml-en') });
    await s.page.keyboard.press('Escape');
  });

  it('makes a patch version that may change images only, and shows the diff', async () => {
    const row = s.page.getByTestId('app-row-vision-api');
    await row.getByTestId('app-new-version').hover();
    await s.page.getByText('Patch: change images only').click();
    const editor = s.page.getByTestId('app-editor');
    await editor.waitFor();
    await s.page.getByTestId('containers-0-port-0').fill('9090');
    await s.page.getByTestId('app-save').click();
    await s.page.getByText('A patch version may change images only').first().waitFor();
    await s.page.getByTestId('containers-0-port-0').fill('8080');
    await choose('containers-0-image', 'fixture-app:arm64');
    await s.page.getByTestId('app-save').click();
    await editor.waitFor({ state: 'detached' });
    await row.getByTestId('app-diff-open').click();
    const diff = s.page.getByTestId('app-diff');
    await diff.getByText('containers[0].imageArtifactId').waitFor();
    await s.page.keyboard.press('Escape');
  });

  it('checks a combo live against its model, saves and publishes it', async () => {
    await tab('Appliance combos');
    await s.page.getByTestId('combo-new').click();
    const editor = s.page.getByTestId('combo-editor');
    await editor.waitFor();
    await s.page.getByTestId('combo-name').fill('line-a');
    await choose('combo-model', 'line-box');
    await choose('combo-runtime', 'k3s');
    await s.page.getByTestId('combo-app-add').click();
    await choose('combo-app-0', 'vision-api');
    // The newest published version (v1) is pinned, not the v2 draft.
    await expect.poll(() => s.page.getByTestId('combo-app-version-0').textContent()).toContain('v1');
    await s.page.getByTestId('combo-fits').waitFor();
    expect(await s.page.getByTestId('combo-fits').textContent()).toContain('line-box r1');
    await s.page.screenshot({ path: shot('combo-fits-en') });
    await s.page.getByTestId('combo-save').click();
    await editor.waitFor({ state: 'detached' });
    const row = s.page.getByTestId('combo-row-line-a');
    await row.getByTestId('combo-publish').click();
    await confirm();
    await expect.poll(() => row.getAttribute('data-state')).toBe('published');
  });

  it('names the mismatch when an app version has an image of the wrong arch, and refuses to save', async () => {
    const apps = s.page.getByTestId('app-row-vision-api');
    await tab('Applications');
    await apps.getByTestId('app-publish').click();
    await confirm();
    await expect.poll(() => apps.getAttribute('data-state')).toBe('published');
    await tab('Appliance combos');
    await s.page.getByTestId('combo-row-line-a').getByTestId('combo-copy').click();
    const editor = s.page.getByTestId('combo-editor');
    await editor.waitFor();
    await expect.poll(() => s.page.getByTestId('combo-name').inputValue()).toBe('line-a-copy');
    await choose('combo-app-version-0', 'v2');
    const problems = s.page.getByTestId('combo-problems');
    await problems.waitFor();
    expect(await problems.textContent()).toMatch(/Image "edgeforge\/fixture-app:arm64" of app "vision-api".*linux\/arm64, but the model is x86_64/);
    await s.page.waitForTimeout(300);
    await s.page.screenshot({ path: shot('combo-mismatch-en') });
    await s.page.getByTestId('combo-save').click();
    await s.page
      .locator('.ant-message')
      .getByText(/Image "edgeforge\/fixture-app:arm64"/)
      .waitFor();
    await expect.poll(() => editor.isVisible()).toBe(true);
    await s.page.keyboard.press('Escape');
    await editor.waitFor({ state: 'detached' });
    expect(await s.page.locator('[data-testid^="combo-row-"]').count()).toBe(1);
  });

  it('says the same in Chinese', async () => {
    await s.page.getByTestId('language-switch').getByText('中文').click();
    await s.page.getByTestId('combo-row-line-a').getByTestId('combo-copy').click();
    await choose('combo-app-version-0', 'v2');
    await expect.poll(() => s.page.getByTestId('combo-problems').textContent()).toMatch(/镜像“edgeforge\/fixture-app:arm64”.*但型号为 x86_64/);
    await s.page.waitForTimeout(300);
    await s.page.screenshot({ path: shot('combo-mismatch-zh') });
    await s.page.keyboard.press('Escape');
  });
});
