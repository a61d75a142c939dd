/**
 * The flashing station in the browser: the new-run dialog (batch, bundle,
 * cluster join, boxes by label scan, SSH range scan and serial port), its
 * validation in English and Chinese, the live grid of boxes with its
 * keyboard verbs, the details drawer, a changed host key re-trusted, and
 * Settings › boxes at once.
 *
 * The catalog, the batches and the tar bundle are set up through the API.
 * The boxes are real SSH endpoints: an OpenSSH sshd on loopback (this
 * machine, probed read-only; its model asks for 64 cores, 1 TiB of RAM and
 * an absent install disk, so the run stops at the probe before anything is
 * written) and closed loopback ports (nothing listens: "Cannot reach").
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogInputs } from '../catalog/station';
import { appInBrowser, shot } from '../support/browser';
import { connectClient, type TestClient } from '../support/host';
import { startSshd, type TestSshd } from '../support/sshd';
import { tempDir } from '../support/tmp';

async function importedRuntime(client: TestClient): Promise<string> {
  const job = await client.artifacts.import({ path: catalogInputs().k3sX86 });
  for (;;) {
    const j = await client.jobs.get({ id: job.id });
    if (j.state === 'succeeded') return (j.result as { artifacts: { id: string }[] }).artifacts[0]!.id;
    if (['failed', 'cancelled', 'interrupted'].includes(j.state)) throw new Error(`runtime import: ${j.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A published combo on a model this machine cannot meet (so a probe of it stops the run). */
async function publishedCombo(client: TestClient, name: string, runtime: string): Promise<string> {
  const m = await client.models.create({
    name: `${name}-box`,
    os: { family: 'debian', version: '12', baseIsoArtifactId: null },
    arch: 'x86_64',
    minCpuCores: 64,
    minMemoryMiB: 1024 * 1024,
    minDiskGiB: 16,
    installDisk: '/dev/nvme9n1',
    nics: [{ name: 'eth0', role: 'wan', addressing: 'dhcp', address: null, gateway: null }],
  } as never);
  await client.models.publish({ id: m.id });
  const combo = await client.combos.create({ name, modelId: m.id, modelRevision: 1, runtimeArtifactId: runtime } as never);
  await client.combos.publish({ id: combo.id });
  return combo.id;
}

async function builtTar(client: TestClient, batchId: string, outDir: string): Promise<void> {
  const job = await client.bundles.build({ batchId, tar: true, outDir });
  for (;;) {
    const j = await client.jobs.get({ id: job.id });
    if (j.state === 'succeeded') return;
    if (['failed', 'cancelled', 'interrupted'].includes(j.state)) throw new Error(`bundle build: ${j.state} ${JSON.stringify(j.error)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until toasts, closing dialogs and tooltips are gone, for a clean screenshot. */
async function settled(page: Page): Promise<void> {
  await page.mouse.move(0, 0);
  for (const sel of ['.ant-message-notice', '.ant-modal-confirm', '.ant-tooltip:visible'])
    await expect.poll(() => page.locator(sel).count(), { timeout: 10_000 }).toBe(0);
  await page.waitForTimeout(300);
}

describe('Station in the browser', () => {
  const s = appInBrowser();
  let client: TestClient;
  let closeWs: () => void;
  let bareBatch: string;
  let readyBatch: string;
  let sshd: TestSshd;
  let keyFile: string;

  const choose = async (testId: string, text: string) => {
    await s.page.getByTestId(testId).click();
    await s.page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: text }).first().click();
  };
  const scan = async (text: string) => {
    // A barcode scanner is a keyboard: it types fast and ends with Enter.
    await s.page.keyboard.type(text, { delay: 5 });
    await s.page.keyboard.press('Enter');
  };
  const draftCount = async () => Number(await s.page.getByTestId('draft-count').getAttribute('data-count'));
  const openNewRun = async () => {
    await s.page.getByTestId('run-new').click();
    const input = s.page.getByTestId('label-input');
    await expect.poll(() => input.evaluate((el) => el === document.activeElement)).toBe(true);
  };
  const closeNewRun = async () => {
    await s.page
      .getByTestId('run-modal')
      .locator('.ant-modal-footer')
      .getByRole('button', { name: /^(Cancel|取消)$/ })
      .click();
    const confirm = s.page.locator('.ant-modal-confirm');
    if (await confirm.count()) await confirm.locator('.ant-btn-dangerous').click();
    await s.page.getByTestId('run-modal').waitFor({ state: 'detached' });
  };

  beforeAll(async () => {
    sshd = await startSshd();
    keyFile = path.join(sshd.dir, 'client_ed25519');
    const c = await connectClient(s.host);
    client = c.client;
    closeWs = () => c.ws.close();
    const runtime = await importedRuntime(client);
    const combo = await publishedCombo(client, 'line-s', runtime);
    bareBatch = (await client.batches.create({ comboId: combo, quantity: 10, serialPrefix: 'LB-', serialDigits: 4 })).id;
    readyBatch = (await client.batches.create({ comboId: combo, quantity: 60, serialPrefix: 'LS-', serialDigits: 4 })).id;
    await builtTar(client, readyBatch, tempDir());
    await s.page.getByTestId('nav-station').click();
    await s.page.getByTestId('run-new').waitFor();
  }, 180_000);

  afterAll(async () => {
    closeWs?.();
    await sshd?.stop();
  });

  it('opens on the runs list with the live feed and the station-wide limit', async () => {
    await expect.poll(() => s.page.getByTestId('station-live').getAttribute('data-live')).toBe('true');
    expect(await s.page.getByTestId('runs-table').textContent()).toContain('No runs yet');
    expect(await s.page.getByTestId('station-concurrency').textContent()).toBe('The station flashes up to 8 boxes at once, across every run.');
  });

  it('warns when the batch has no tar bundle, and defaults to the newest tar bundle of one that has', async () => {
    await openNewRun();
    await choose('run-batch', bareBatch);
    const warning = s.page.getByTestId('run-no-bundle');
    await warning.waitFor();
    expect(await warning.textContent()).toContain('This batch has no tar bundle yet.');
    expect(await s.page.getByTestId('run-to-bundles').textContent()).toBe('Open Batches & Bundles');
    expect(await s.page.getByTestId('run-batch-info').textContent()).toContain('10 of 10 seats free');
    await expect.poll(() => s.page.locator('.ant-select-dropdown:visible').count()).toBe(0);
    await settled(s.page);
    await s.page.screenshot({ path: shot('station-no-bundle-en') });
    await choose('run-batch', readyBatch);
    await expect.poll(() => s.page.getByTestId('run-no-bundle').count()).toBe(0);
    expect(await s.page.getByTestId('run-bundle').textContent()).toMatch(/\.tar/);
  });

  it('adds a row per scanned label at consecutive addresses, refuses a duplicate, and Backspace / Ctrl+Z take and give back the last', async () => {
    await s.page.getByTestId('label-first').fill('10.77.0.101');
    await s.page.getByTestId('label-input').click();
    await scan('LS-0001');
    await scan('LS-0002');
    await scan('LS-0003');
    expect(await draftCount()).toBe(3);
    // The same label again (in lower case) is refused and says which box has it.
    await scan('ls-0002');
    await expect.poll(() => s.page.getByTestId('label-error').textContent()).toBe('ls-0002 is already scanned (box P2). Each box is scanned once.');
    expect(await draftCount()).toBe(3);
    const targets = await s.page.getByTestId('draft-target').allTextContents();
    // Newest first: bench position n is first address + n − 1.
    expect(targets).toEqual(['10.77.0.103', '10.77.0.102', '10.77.0.101']);
    await s.page.getByTestId('label-input').fill('');
    await s.page.keyboard.press('Backspace');
    expect(await draftCount()).toBe(2);
    expect(await s.page.getByTestId('label-note').textContent()).toBe('Removed LS-0003. Ctrl+Z puts it back.');
    await s.page.keyboard.press('Control+z');
    expect(await draftCount()).toBe(3);
    expect(await s.page.getByTestId('draft-rows').locator('[data-serial="LS-0003"]').count()).toBe(1);
    await settled(s.page);
    await s.page.screenshot({ path: shot('station-scan-labels-en') });
  });

  it('says what is wrong with an SSH scan range under its field', async () => {
    await s.page.getByTestId('source-scan').click();
    await s.page.getByTestId('scan-from').fill('10.77.0.9');
    await s.page.getByTestId('scan-to').fill('10.77.0.1');
    await s.page.getByTestId('scan-port').fill('70000');
    await s.page.getByTestId('scan-start').click();
    const form = s.page.getByTestId('ssh-scan');
    await form.getByText('A port is a whole number from 1 to 65535.').waitFor();
    await s.page.getByTestId('scan-port').fill('22');
    await s.page.getByTestId('scan-start').click();
    await form.getByText('The range runs upwards and holds at most 1,024 addresses.').waitFor();
    await s.page.screenshot({ path: shot('station-scan-range-en') });
  });

  it('refuses a cluster name that breaks the rule under its field, and keeps the gathered boxes', async () => {
    await s.page.getByTestId('run-join').getByText('New cluster').click();
    await s.page.getByTestId('run-cluster-name').fill('Line A!');
    await s.page.getByTestId('run-start').click();
    const modal = s.page.getByTestId('run-modal');
    const item = modal.locator('.ant-form-item').filter({ has: s.page.getByTestId('run-cluster-name') });
    await expect.poll(() => item.locator('.ant-form-item-explain-error').textContent()).toContain('1–63 characters');
    expect(await draftCount()).toBe(3);
    await s.page.screenshot({ path: shot('station-cluster-name-en') });
  });

  it('takes a serial port by its path, and says why when the system cannot list its ports', async () => {
    await s.page.getByTestId('source-serial').click();
    // Whether this machine can list ports depends on it (udev, /sys); the manual entry is there either way.
    const listing = await client.flash.serialPorts();
    if (listing.error) {
      const error = s.page.getByTestId('serial-list-error');
      await error.waitFor();
      expect(await error.textContent()).toContain('This station cannot list its serial ports.');
      expect(await error.textContent()).toContain(listing.error.en);
    } else {
      await s.page.getByTestId('serial-table').waitFor();
      for (const p of listing.ports) await s.page.getByTestId('serial-table').getByText(p.path, { exact: true }).waitFor();
    }
    await s.page.getByTestId('serial-manual').fill('ttyUSB0');
    await s.page.getByTestId('serial-manual').press('Enter');
    await s.page.getByTestId('serial-ports').getByText('A serial port is a device path (/dev/ttyUSB0) or COM1…COM999.').waitFor();
    await s.page.getByTestId('serial-manual').fill('/dev/ttyUSB0');
    await s.page.getByTestId('serial-manual').press('Enter');
    expect(await draftCount()).toBe(4);
    expect(await s.page.getByTestId('draft-target').first().textContent()).toBe('/dev/ttyUSB0');
    await settled(s.page);
    await s.page.screenshot({ path: shot('station-serial-en') });
    await closeNewRun();
  });

  it('says the same in Chinese: a duplicate label, a bad cluster name, a backwards range, the serial ports', async () => {
    await s.page.getByTestId('language-switch').getByText('中文').click();
    await expect.poll(() => s.page.getByTestId('run-new').textContent()).toBe('新建任务');
    await openNewRun();
    await s.page.getByTestId('label-first').fill('10.77.0.101');
    await s.page.getByTestId('label-input').click();
    await scan('LS-0001');
    await scan('LS-0001');
    await expect.poll(() => s.page.getByTestId('label-error').textContent()).toBe('LS-0001 已扫描过（设备 P1）。每台设备只扫描一次。');
    await s.page.getByTestId('run-join').getByText('新建集群').click();
    await s.page.getByTestId('run-cluster-name').fill('Line A!');
    await choose('run-batch', readyBatch);
    await s.page.getByTestId('run-start').click();
    const item = s.page
      .getByTestId('run-modal')
      .locator('.ant-form-item')
      .filter({ has: s.page.getByTestId('run-cluster-name') });
    await expect.poll(() => item.locator('.ant-form-item-explain-error').textContent()).toMatch(/[\u4e00-\u9fff]/);
    await s.page.getByTestId('source-scan').click();
    await s.page.getByTestId('scan-from').fill('10.77.0.9');
    await s.page.getByTestId('scan-to').fill('10.77.0.1');
    await s.page.getByTestId('scan-start').click();
    await s.page.getByTestId('ssh-scan').getByText('范围须由小到大，且最多 1,024 个地址。').waitFor();
    await s.page.getByTestId('source-serial').click();
    const listing = await client.flash.serialPorts();
    if (listing.error) await expect.poll(() => s.page.getByTestId('serial-list-error').textContent()).toContain('本工作站无法列出串口。');
    else await expect.poll(() => s.page.getByTestId('serial-ports').textContent()).toContain(`找到 ${listing.ports.length} 个串口`);
    await s.page.getByTestId('source-labels').click();
    await settled(s.page);
    await s.page.screenshot({ path: shot('station-new-run-zh') });
    await closeNewRun();
    await s.page.getByTestId('language-switch').getByText('EN').click();
    await expect.poll(() => s.page.getByTestId('run-new').textContent()).toBe('New run');
  });

  let runId: string;

  it('starts a run on a real sshd with a key file: the card shows the host key on first use and names the failing step and reason', async () => {
    await openNewRun();
    await choose('run-batch', readyBatch);
    await s.page.getByTestId('label-mode').getByText('Scan or type each box’s address').click();
    await s.page.getByTestId('label-input').click();
    await scan('LS-0042');
    await scan(`127.0.0.1:${sshd.port}`);
    expect(await s.page.getByTestId('draft-target').first().textContent()).toBe(`127.0.0.1:${sshd.port}`);
    await s.page.getByTestId('cred-auth').getByText('Private key').click();
    await s.page.getByTestId('cred-key-file').setInputFiles(keyFile);
    await expect.poll(() => s.page.getByTestId('cred-key-loaded').textContent()).toContain('client_ed25519 (OPENSSH key) loaded');
    await s.page.getByTestId('run-start').click();
    await s.page.getByTestId('run-header').waitFor();
    runId = (await s.page.getByTestId('run-header').getAttribute('data-run'))!;
    expect(runId).toMatch(/^run_[0-9a-f]{16}$/);
    const card = s.page.getByTestId('box-card').first();
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 60_000 }).toBe('failed');
    // Never just "failed": the step, then the reason.
    expect(await card.getByTestId('box-error').textContent()).toMatch(/^Probe failed: /);
    expect(await card.getByTestId('box-step-connect').getAttribute('data-state')).toBe('done');
    expect(await card.getByTestId('box-step-probe').getAttribute('data-state')).toBe('failed');
    expect(await card.getByTestId('box-hostkey').getAttribute('title')).toBe(sshd.hostFingerprint());
    expect(await card.getByTestId('box-hostkey').textContent()).toContain('first use');
    await settled(s.page);
    await s.page.screenshot({ path: shot('station-grid-probe-failed-en'), fullPage: true });
  }, 90_000);

  it('opens the details on Enter, with every hardware check and the mismatches marked', async () => {
    const card = s.page.getByTestId('box-card').first();
    await card.focus();
    await s.page.keyboard.press('Enter');
    const drawer = s.page.getByTestId('box-drawer');
    await drawer.waitFor();
    expect(await s.page.getByTestId('drawer-error').textContent()).toMatch(/^Probe failed: /);
    await s.page.getByTestId('drawer-tab-checks').click();
    const checks = s.page.getByTestId('box-checks');
    await checks.waitFor();
    expect(await checks.locator('tr[data-ok="false"]').count()).toBeGreaterThanOrEqual(3);
    expect(await checks.locator('tr[data-ok="true"]').count()).toBeGreaterThanOrEqual(1);
    await settled(s.page);
    await s.page.screenshot({ path: shot('station-box-checks-en') });
    await drawer.getByRole('tab', { name: 'Hardware' }).click();
    await s.page.getByTestId('box-hardware').waitFor();
    expect(await s.page.getByTestId('box-hardware').textContent()).toContain('x86_64');
    await s.page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
  });

  it('downloads the box log with l', async () => {
    await s.page.getByTestId('box-card').first().focus();
    const [d] = await Promise.all([s.page.waitForEvent('download'), s.page.keyboard.press('l')]);
    const file = fs.readFileSync((await (d as Download).path())!, 'utf8');
    expect(d.suggestedFilename()).toMatch(/^flash-.*\.log$/);
    expect(file).toContain('probe');
  });

  it('stops on a changed host key, shows both fingerprints and re-trusts the new one only after a confirmation', async () => {
    const before = sshd.hostFingerprint();
    await sshd.rekey();
    const after = sshd.hostFingerprint();
    expect(after).not.toBe(before);
    const card = s.page.getByTestId('box-card').first();
    await card.focus();
    await s.page.keyboard.press('r');
    await expect.poll(() => card.getByTestId('box-error').getAttribute('data-code'), { timeout: 60_000 }).toBe('SSH_HOSTKEY_CHANGED');
    expect(await card.getAttribute('data-state')).toBe('failed');
    await card.focus();
    await s.page.keyboard.press('Enter');
    await s.page.getByTestId('retrust').waitFor();
    expect(await s.page.getByTestId('retrust-old').textContent()).toBe(before);
    expect(await s.page.getByTestId('retrust-now').textContent()).toBe(after);
    expect(await s.page.getByTestId('retrust-fingerprint').inputValue()).toBe(after);
    await settled(s.page);
    await s.page.screenshot({ path: shot('station-hostkey-changed-en') });
    await s.page.getByTestId('retrust-open').click();
    const confirm = s.page.locator('.ant-modal-confirm');
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain('pretending to be it');
    await s.page.getByTestId('retrust-confirm').click();
    // Trusted, then retried: past the connect step to the probe again.
    await expect
      .poll(() => s.page.getByTestId('box-card').first().getByTestId('box-error').getAttribute('data-code'), { timeout: 60_000 })
      .not.toBe('SSH_HOSTKEY_CHANGED');
    await expect.poll(() => s.page.getByTestId('box-card').first().getAttribute('data-state'), { timeout: 60_000 }).toBe('failed');
    expect(await s.page.getByTestId('box-card').first().getByTestId('box-error').textContent()).toMatch(/^Probe failed: /);
    const known = await client.flash.knownHosts();
    expect(known.find((k) => k.port === sshd.port)?.fingerprint).toBe(after);
    await s.page.keyboard.press('Escape');
  }, 150_000);

  it('adds boxes to the run under way, refusing a label the run already has', async () => {
    await s.page.getByTestId('run-add-boxes').click();
    const input = s.page.getByTestId('label-input');
    await expect.poll(() => input.evaluate((el) => el === document.activeElement)).toBe(true);
    await s.page.getByTestId('label-mode').getByText('Scan or type each box’s address').click();
    await input.click();
    await scan('LS-0042');
    await expect.poll(() => s.page.getByTestId('label-error').textContent()).toBe('LS-0042 is already in this run.');
    await scan('LS-0043');
    await s.page.getByTestId('add-boxes-submit').click();
    // Its address is still missing: the row says so, nothing is sent.
    await expect.poll(() => s.page.getByTestId('draft-row-error').textContent()).toBe('No address yet: scan or type it.');
    await input.click();
    await scan('127.0.0.1:1');
    await s.page.getByTestId('add-boxes-submit').click();
    await s.page.getByTestId('add-boxes-modal').waitFor({ state: 'detached' });
    await expect.poll(() => s.page.getByTestId('box-card').count()).toBe(2);
    expect(await s.page.getByTestId('box-card').nth(1).getByTestId('box-label').textContent()).toBe('LS-0043');
  });

  it('sums the run up: the failure with its step, and the production report of the batch', async () => {
    await s.page.getByTestId('run-summary').click();
    const modal = s.page.getByTestId('summary-modal');
    await s.page.getByTestId('summary-failures').waitFor();
    expect(await s.page.getByTestId('summary-failures').textContent()).toContain('Probe');
    await settled(s.page);
    await s.page.screenshot({ path: shot('station-summary-en') });
    const files: Download[] = [];
    const onDownload = (d: Download) => files.push(d);
    s.page.on('download', onDownload);
    await modal.getByTestId('run-report').click();
    await expect.poll(() => files.length).toBe(3);
    s.page.off('download', onDownload);
    expect(files.map((f) => f.suggestedFilename()).sort()).toEqual([
      `report-${readyBatch}.csv`,
      `report-${readyBatch}.csv.sig`,
      `report-${readyBatch}.station.pem`,
    ]);
    await modal.locator('.ant-modal-footer .ant-btn-primary').click();
    await modal.waitFor({ state: 'detached' });
  });

  it('skips a box with s after a confirmation', async () => {
    const card = s.page.getByTestId('box-card').first();
    await card.focus();
    await s.page.keyboard.press('s');
    await s.page.getByTestId('skip-confirm').click();
    await expect.poll(() => card.getAttribute('data-state')).toBe('skipped');
  });

  it('saves the station-wide limit in Settings and refuses one out of range', async () => {
    await s.page.getByTestId('nav-settings').click();
    const field = s.page.getByTestId('settings-flash-concurrency');
    await field.waitFor();
    expect(await field.inputValue()).toBe('8');
    await field.fill('65');
    await field.press('Enter');
    await expect.poll(() => s.page.getByTestId('settings-flash-concurrency-error').textContent()).toBe('A whole number from 1 to 64.');
    await field.fill('64');
    await field.press('Enter');
    await expect.poll(async () => (await client.settings.get()).flashConcurrency).toBe(64);
    await s.page.reload();
    await s.page.getByTestId('settings-flash-concurrency').waitFor();
    expect(await s.page.getByTestId('settings-flash-concurrency').inputValue()).toBe('64');
  });

  it('keeps a grid of 50 boxes live and moves through it with the arrow keys', async () => {
    const boxes = Array.from({ length: 50 }, (_, i) => ({
      target: { transport: 'ssh' as const, host: `127.0.1.${i + 1}`, port: 1 },
      credentials: { username: 'root', password: 'not-used' },
      labelSerial: `LS-${String(i + 1).padStart(4, '0')}`,
    }));
    // 50 under way at once: the station-wide limit of 64 (the test before sets it through Settings; set here too when run alone).
    await client.settings.update({ flashConcurrency: 64 });
    const run = await client.flash.createRun({ batchId: readyBatch, boxes });
    await s.page.evaluate((id) => (window.location.hash = `#/station/${id}`), run.id);
    const grid = s.page.getByTestId('box-grid');
    await grid.waitFor();
    await expect.poll(() => grid.getByTestId('box-card').count()).toBe(50);
    // Under way: each box retries its connection with backoff before it gives up.
    await expect.poll(() => grid.locator('[data-testid="box-card"][data-state="running"]').count(), { timeout: 30_000 }).toBeGreaterThan(10);
    await s.page.screenshot({ path: shot('station-grid-50-running-en') });
    // Nothing listens on port 1: each box fails at connect, saying where it could not go.
    await expect.poll(() => grid.locator('[data-testid="box-card"][data-state="failed"]').count(), { timeout: 90_000 }).toBe(50);
    expect(await grid.getByTestId('box-card').first().getByTestId('box-error').textContent()).toMatch(/^Connect failed: Cannot reach 127\.0\.1\.1:1/);
    const first = grid.getByTestId('box-card').first();
    await first.focus();
    await s.page.keyboard.press('ArrowRight');
    expect(await grid.locator('[data-selected="true"]').getAttribute('data-label')).toBe(await grid.getByTestId('box-card').nth(1).getAttribute('data-label'));
    const cols = await grid.evaluate((g) => getComputedStyle(g).gridTemplateColumns.split(' ').length);
    await s.page.keyboard.press('ArrowDown');
    expect(await grid.locator('[data-selected="true"]').getAttribute('data-label')).toBe(
      await grid
        .getByTestId('box-card')
        .nth(1 + cols)
        .getAttribute('data-label'),
    );
    await settled(s.page);
    await s.page.screenshot({ path: shot('station-grid-50-en'), fullPage: true });
    await s.page.getByTestId('run-back').click();
    await s.page.getByTestId(`run-row-${run.id}`).waitFor();
    expect(await s.page.getByTestId(`run-row-${run.id}`).getByTestId('run-counts').textContent()).toContain('50 failed');
    expect(await s.page.getByTestId(`run-row-${runId}`).getByTestId('run-counts').textContent()).toContain('1 skipped');
    await s.page.screenshot({ path: shot('station-runs-en') });
  }, 150_000);
});
