/**
 * The station grid in Chromium during a real run: two lab boxes flashed over
 * SSH through the headless host, from the New run dialog to every card
 * green, with the steps, the upload and the cluster join seen live on the
 * cards. k3s and the Kubernetes API are the stand-ins of flash.test.ts.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, shot } from '../support/browser';
import { startHostProcess, type RunningHost } from '../support/host';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { flashStation } from './flash-station';
import { GUEST_FORWARD_ADDR, Lab, ROOT_PASSWORD, type Box } from './lab';

const REG_PORT = 6443;

describe('station grid in the browser during a real run', { timeout: 1_200_000 }, () => {
  let lab: Lab;
  let kube: KubeStandIn;
  let host: RunningHost;
  let browser: Browser;
  let page: Page;
  let boxes: Box[];
  let batchId: string;

  beforeAll(async () => {
    kube = await startKubeStandIn({ readyAfterMs: 1000 });
    const station = await flashStation({ quantity: 5, registration: `${GUEST_FORWARD_ADDR}:${REG_PORT}`, serialPrefix: 'UI-' });
    batchId = station.batchId;
    lab = await Lab.create(inject('labImage'));
    const regPort = Number(new URL(kube.registrationUrl).port);
    boxes = await Promise.all(
      ['grid1', 'grid2'].map((name) =>
        lab.start({ name, accelerator: true, memoryMiB: 2048, diskGiB: 20, guestForwards: [{ guestPort: REG_PORT, hostPort: regPort }] }),
      ),
    );
    await Promise.all(boxes.map((b) => b.waitReady(240_000)));
    host = await startHostProcess(station.home);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' })).newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(host.openUrl);
    await page.getByTestId('nav').waitFor();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await host?.stop();
    await lab?.dispose();
    await kube?.close();
  });

  it('starts a run from the New run dialog and shows every box go through its steps to Ready', async () => {
    await page.getByTestId('nav-station').click();
    await page.getByTestId('run-new').click();
    await page.getByTestId('run-batch').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: batchId }).first().click();
    await page.getByTestId('label-mode').getByText('Scan or type each box’s address').click();
    await page.getByTestId('label-input').click();
    for (const b of boxes) {
      // A scanner types the box label's serial (checked against its DMI serial at the probe), then the box's address.
      await page.keyboard.type(b.serial, { delay: 5 });
      await page.keyboard.press('Enter');
      await page.keyboard.type(`127.0.0.1:${b.sshPort}`, { delay: 5 });
      await page.keyboard.press('Enter');
    }
    await expect.poll(() => page.getByTestId('draft-target').count()).toBe(2);
    await page.getByTestId('cred-password').fill(ROOT_PASSWORD);
    await page.getByTestId('run-join').getByText('New cluster').click();
    await page.getByTestId('run-cluster-name').fill('grid-cluster');
    await page.getByTestId('run-api-endpoint').fill(kube.url);
    await page.screenshot({ path: shot('station-lab-new-run-en') });
    await page.getByTestId('run-start').click();
    await page.getByTestId('run-header').waitFor();

    const cards = page.getByTestId('box-card');
    await expect.poll(() => cards.count()).toBe(2);
    // Seen live: a card on a step past connect while the run goes on.
    await expect
      .poll(async () => page.locator('[data-testid="box-card"] [data-testid="box-step-install"][data-state="running"]').count(), { timeout: 600_000 })
      .toBeGreaterThan(0);
    await page.screenshot({ path: shot('station-lab-grid-running-en'), fullPage: true });
    await expect
      .poll(async () => (await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).join(','), { timeout: 900_000 })
      .toBe('succeeded,succeeded');
    for (const step of ['connect', 'probe', 'upload', 'verify', 'install', 'activate', 'join', 'ready'])
      expect(await page.locator(`[data-testid="box-step-${step}"][data-state="done"]`).count(), step).toBe(2);
    expect(await page.getByTestId('stat-succeeded').textContent()).toContain('2');
    expect(
      kube
        .nodes()
        .map((n) => n.metadata.name)
        .sort(),
    ).toEqual(['ui-000001', 'ui-000002']);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: shot('station-lab-grid-done-en'), fullPage: true });
    // The run's summary: both boxes activated, no failures.
    await page.getByTestId('run-summary').click();
    await page.getByTestId('summary-activated').waitFor();
    expect(await page.getByTestId('summary-activated').textContent()).toContain('UI-000001');
    await page.screenshot({ path: shot('station-lab-summary-en') });
  });
});
