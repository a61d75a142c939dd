/**
 * Batches & Bundles in the browser. The catalog is set up through the API
 * (its own flow is test/e2e/catalog-flow.test.ts); the batch and the build
 * are driven through the UI.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { catalogInputs } from '../catalog/station';
import { appInBrowser, shot } from '../support/browser';
import { connectClient } from '../support/host';
import { tempDir } from '../support/tmp';

describe('Batches & Bundles in the browser', () => {
  const s = appInBrowser();
  let out: string;

  beforeAll(async () => {
    const inputs = catalogInputs();
    const { client, ws } = await connectClient(s.host);
    const imported = async (p: string) => {
      const job = await client.artifacts.import({ path: p });
      for (;;) {
        const j = await client.jobs.get({ id: job.id });
        if (j.state === 'succeeded') return (j.result as { artifacts: { id: string }[] }).artifacts[0]!.id;
        if (['failed', 'cancelled', 'interrupted'].includes(j.state)) throw new Error(`import of ${p}: ${j.state}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const image = await imported(inputs.amd);
    const runtime = await imported(inputs.k3sX86);
    const m = await client.models.create({
      name: 'line-box',
      os: { family: 'debian', version: '12', baseIsoArtifactId: null },
      arch: 'x86_64',
      minCpuCores: 2,
      minMemoryMiB: 2048,
      minDiskGiB: 16,
      installDisk: '/dev/vda',
      nics: [{ name: 'eth0', role: 'wan', addressing: 'dhcp', address: null, gateway: null }],
    } as never);
    await client.models.publish({ id: m.id });
    const app = await client.apps.createContainer({
      name: 'vision-api',
      workload: 'Deployment',
      containers: [{ name: 'api', imageArtifactId: image }],
    } as never);
    await client.apps.publish({ id: app.id });
    const combo = await client.combos.create({
      name: 'line-a',
      modelId: m.id,
      modelRevision: 1,
      runtimeArtifactId: runtime,
      apps: [{ appId: app.id, version: 1 }],
    } as never);
    await client.combos.publish({ id: combo.id });
    ws.close();
    out = tempDir();
    await s.page.getByTestId('nav-bundles').click();
    await s.page.getByTestId('batch-new').waitFor();
  }, 120_000);

  const choose = async (testId: string, text: string) => {
    await s.page.getByTestId(testId).click();
    await s.page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: text }).first().click();
  };

  it('says what is wrong with a batch next to its field, then creates it and opens its detail', async () => {
    await s.page.getByTestId('batch-new').click();
    await choose('batch-combo', 'line-a');
    await s.page.getByTestId('batch-quantity').fill('2000');
    await s.page.getByTestId('batch-prefix').fill('la-');
    await s.page.getByTestId('batch-digits').fill('3');
    await s.page.getByTestId('batch-create').click();
    const modal = s.page.getByTestId('batch-modal');
    await modal.getByText('capital letters, digits and "-"').waitFor();
    await modal.getByText('3 digits cannot number 2000 seats; use at least 4.').waitFor();
    await s.page.screenshot({ path: shot('batch-errors-en') });
    await s.page.getByTestId('batch-prefix').fill('LA-');
    await s.page.getByTestId('batch-digits').fill('5');
    await expect.poll(() => s.page.getByTestId('batch-preview').textContent()).toBe('Serial numbers LA-00001 … LA-02000');
    await s.page.getByTestId('batch-create').click();
    const drawer = s.page.getByTestId('batch-drawer');
    await drawer.waitFor();
    expect(await s.page.getByTestId('batch-serials').textContent()).toBe('LA-00001 … LA-02000');
  });

  it('builds the tar bundle with progress, lists it with size and sha256, and the file is what it says', async () => {
    await s.page.getByTestId('build-open').click();
    await s.page.getByTestId('build-out').fill(out);
    await s.page.getByTestId('build-start').click();
    await expect.poll(() => s.page.getByTestId('build-job').getAttribute('data-state'), { timeout: 60_000 }).toBe('succeeded');
    const sha = s.page.getByTestId('output-sha256').first();
    await sha.waitFor();
    const file = (await s.page.getByTestId('output-file').first().textContent())!;
    expect(file.startsWith(out)).toBe(true);
    const real = execFileSync('sha256sum', [file]).toString().split(' ')[0]!;
    expect(await sha.textContent()).toBe(`${real.slice(0, 16)}…`);
    expect(fs.existsSync(file)).toBe(true);
    await s.page.waitForTimeout(300);
    await s.page.screenshot({ path: shot('batch-built-en') });
  });

  it('refuses an ISO bundle for a model without a base ISO, in the dialog', async () => {
    await s.page.getByTestId('build-open').click();
    await s.page.getByTestId('build-iso').check();
    await s.page.getByTestId('build-start').click();
    await expect.poll(() => s.page.getByTestId('build-error').textContent()).toContain('has no base installer ISO, so no ISO bundle can be made');
    await s.page.keyboard.press('Escape');
  });
});
