import { beforeAll, describe, expect, it } from 'vitest';
import { appInBrowser, shot } from '../support/browser';

describe('Catalog › Hardware models in the browser', () => {
  const s = appInBrowser();

  beforeAll(async () => {
    await s.page.getByTestId('nav-catalog').click();
    await s.page.getByRole('tab', { name: 'Hardware models' }).click();
    await s.page.getByTestId('model-new').waitFor();
  });

  const editor = () => s.page.getByTestId('model-editor');

  it('shows each broken rule under its own field, then saves the draft once fixed', async () => {
    await s.page.getByTestId('model-new').click();
    await editor().waitFor();
    await s.page.getByTestId('model-name').fill('edge_box x1');
    await s.page.getByTestId('model-memory').fill('1024');
    await s.page.getByTestId('nic-add').click();
    await s.page.getByTestId('nic-name-1').fill('eth0');
    await s.page.getByTestId('model-save').click();
    await editor().getByText('A model name has 1–63 characters').waitFor();
    await editor().getByText('At least 2048 MiB of RAM').waitFor();
    await editor().getByText('NIC name "eth0" is used twice.').waitFor();
    await s.page.screenshot({ path: shot('model-editor-errors-en') });
    await s.page.getByTestId('model-name').fill('edge-box-x1');
    await s.page.getByTestId('model-memory').fill('8192');
    await s.page.getByTestId('nic-name-1').fill('eth1');
    await s.page.getByTestId('model-save').click();
    await editor().waitFor({ state: 'detached' });
    await expect.poll(() => s.page.getByTestId('model-row-edge-box-x1').getAttribute('data-state')).toBe('draft');
  });

  it('publishes after confirmation, makes a new revision, and shows the diff', async () => {
    const row = s.page.getByTestId('model-row-edge-box-x1');
    await row.getByTestId('model-publish').click();
    await s.page.getByRole('button', { name: 'Yes' }).click();
    await expect.poll(() => row.getAttribute('data-state')).toBe('published');
    await row.getByTestId('model-new-revision').click();
    await editor().waitFor();
    await s.page.getByTestId('model-cores').fill('8');
    await s.page.getByTestId('model-save').click();
    await editor().waitFor({ state: 'detached' });
    await row.getByTestId('model-diff-open').click();
    const diff = s.page.getByTestId('model-diff');
    await diff.getByText('minCpuCores').waitFor();
    expect(await diff.textContent()).toMatch(/minCpuCores.*4.*8/);
    await s.page.waitForTimeout(500); // let the drawer or dialog finish opening
    await s.page.screenshot({ path: shot('model-diff-en') });
    await s.page.keyboard.press('Escape');
  });

  it('speaks Chinese in the editor too', async () => {
    await s.page.getByTestId('language-switch').getByText('中文').click();
    await s.page.getByTestId('model-row-edge-box-x1').getByTestId('model-edit').click();
    await editor().waitFor();
    await s.page.getByTestId('model-memory').fill('100');
    await s.page.getByTestId('model-save').click();
    await editor().getByText('内存至少 2048 MiB').waitFor();
    await s.page.screenshot({ path: shot('model-editor-errors-zh') });
  });
});
