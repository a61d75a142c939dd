/**
 * Activation in the browser: request codes in, reply codes and QR codes
 * out, the seat ledger, the signed report, label sheets, delegation, and
 * Settings › Station key. The catalog and the batch are set up through the
 * API; requests are made with the product's own encoder, as a box's
 * install.sh makes them (docs/activation.md §2).
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import jsQR from 'jsqr';
import type { Browser, Download, Locator, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeReply, encodeRequest, type ActivationRequest } from '../../main/licensing';
import { catalogInputs } from '../catalog/station';
import { appInBrowser, launchChromium, shot } from '../support/browser';
import { connectClient, startHostProcess, type RunningHost, type TestClient } from '../support/host';
import { startHostWithoutPassphrase } from '../support/locked-host';
import { tempDir } from '../support/tmp';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The code with one character of group `group` (1-based) replaced by another code character. */
function mistype(code: string, group: number): string {
  const i = (group - 1) * 6 + 1;
  const wrong = ALPHABET[(ALPHABET.indexOf(code[i]!) + 7) % 32]!;
  return code.slice(0, i) + wrong + code.slice(i + 1);
}

/** Reads the QR code inside `locator` from a screenshot of it, as a phone or a scanner would. */
async function readQr(page: Page, locator: Locator): Promise<string | null> {
  const box = (await locator.boundingBox())!;
  const png = PNG.sync.read(await page.screenshot({ clip: { x: box.x - 12, y: box.y - 12, width: box.width + 24, height: box.height + 24 } }));
  return jsQR(Uint8ClampedArray.from(png.data), png.width, png.height)?.data ?? null;
}

/** Waits until toasts, closing dialogs and tooltips are gone, for a clean screenshot. */
async function settled(page: Page): Promise<void> {
  await page.mouse.move(0, 0);
  for (const sel of ['.ant-message-notice', '.ant-modal-confirm', '.ant-tooltip:visible'])
    await expect.poll(() => page.locator(sel).count(), { timeout: 10_000 }).toBe(0);
  await page.waitForTimeout(300);
}

async function downloaded(d: Download): Promise<{ name: string; bytes: Buffer }> {
  return { name: d.suggestedFilename(), bytes: fs.readFileSync((await d.path())!) };
}

/** A published combo "line-a" (a model and a k3s runtime; no apps), made through the API. */
async function publishedCombo(client: TestClient): Promise<string> {
  const inputs = catalogInputs();
  const job = await client.artifacts.import({ path: inputs.k3sX86 });
  let runtime = '';
  for (;;) {
    const j = await client.jobs.get({ id: job.id });
    if (j.state === 'succeeded') {
      runtime = (j.result as { artifacts: { id: string }[] }).artifacts[0]!.id;
      break;
    }
    if (['failed', 'cancelled', 'interrupted'].includes(j.state)) throw new Error(`runtime import: ${j.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
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
  const combo = await client.combos.create({ name: 'line-a', modelId: m.id, modelRevision: 1, runtimeArtifactId: runtime } as never);
  await client.combos.publish({ id: combo.id });
  return combo.id;
}

describe('Activation in the browser', () => {
  const s = appInBrowser();
  let batchId: string;
  const box1: Omit<ActivationRequest, 'nonce'> = { batch: '', fingerprint: ['1a2b3c4d', '5e6f7081', '9a0b1c2d', '3e4f5a6b'], machineId: 'c0ffee01' };
  const request = (box: Omit<ActivationRequest, 'nonce'>, nonce: string) => encodeRequest({ ...box, batch: batchId, nonce });

  beforeAll(async () => {
    const { client, ws } = await connectClient(s.host);
    const combo = await publishedCombo(client);
    const batch = await client.batches.create({ comboId: combo, quantity: 40, serialPrefix: 'LA-', serialDigits: 4 });
    batchId = batch.id;
    ws.close();
    await s.page.getByTestId('nav-activation').click();
    await s.page.getByTestId('request-input').waitFor();
  }, 120_000);

  it('names the mistyped group of a request code, then shows what the corrected code asks for', async () => {
    const code = request(box1, '0a1b2c3d');
    const input = s.page.getByTestId('request-input');
    await expect.poll(() => input.evaluate((el) => el === document.activeElement)).toBe(true);
    await input.fill(mistype(code, 3));
    await expect.poll(() => s.page.getByTestId('request-problem').textContent()).toMatch(/^Group 3 \([0-9A-Z]{5}\) of the request code is mistyped/);
    await input.fill(code.toLowerCase());
    const info = s.page.getByTestId('request-info');
    await info.waitFor();
    expect(await info.textContent()).toContain(batchId);
    expect(await s.page.getByTestId('request-batch-known').textContent()).toBe('line-a');
    expect(await info.textContent()).toContain('Hardware components4');
    expect(await s.page.getByTestId('request-problem').count()).toBe(0);
  });

  it('activates on Enter and shows the reply code in large groups with a QR code that reads back as the code', async () => {
    await s.page.getByTestId('request-input').press('Enter');
    const result = s.page.getByTestId('activation-result');
    await result.waitFor();
    expect(await s.page.getByTestId('result-serial').textContent()).toBe('LA-0001');
    expect(await s.page.getByTestId('result-seat').textContent()).toBe('Seat 1');
    expect(await s.page.getByTestId('result-reactivation').count()).toBe(0);
    const code = (await s.page.getByTestId('reply-code').getAttribute('data-code'))!;
    expect(code).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{2,5})+$/);
    expect(decodeReply(code).seat).toBe(1);
    await s.page.getByTestId('reply-qr').locator('svg').waitFor();
    expect(await readQr(s.page, s.page.getByTestId('reply-qr'))).toBe(code);
    // The reply file carries the certificate and the same code.
    const [d] = await Promise.all([s.page.waitForEvent('download'), s.page.getByTestId('reply-download').click()]);
    const file = await downloaded(d);
    expect(file.name).toBe('activation-LA-0001.txt');
    expect(file.bytes.toString()).toContain('-----BEGIN EDGEFORGE ACTIVATION-----');
    expect(file.bytes.toString()).toContain(`code=${code}`);
    await settled(s.page);
    await s.page.screenshot({ path: shot('activation-reply-en'), fullPage: true });
  });

  it('gives a box that asks again (new nonce, same hardware) its own seat back, typed like a scanner', async () => {
    await s.page.getByTestId('activate-next').click();
    const input = s.page.getByTestId('request-input');
    expect(await input.inputValue()).toBe('');
    await expect.poll(() => input.evaluate((el) => el === document.activeElement)).toBe(true);
    // A scanner types the code and ends with Enter; one NIC was replaced (3 of 4 components match).
    await s.page.keyboard.type(request({ ...box1, fingerprint: ['1a2b3c4d', '5e6f7081', '9a0b1c2d', 'ffff0000'] }, '11223344'), { delay: 2 });
    await s.page.keyboard.press('Enter');
    await expect.poll(() => s.page.getByTestId('result-reactivation').count()).toBe(1);
    expect(await s.page.getByTestId('result-reactivation').textContent()).toBe('Reactivation — same seat');
    expect(await s.page.getByTestId('result-serial').textContent()).toBe('LA-0001');
    // Esc clears everything for the next box.
    await s.page.getByTestId('request-input').press('Escape');
    expect(await s.page.getByTestId('request-input').inputValue()).toBe('');
    expect(await s.page.getByTestId('activation-result').count()).toBe(0);
  });

  it('asks before activating a cloned disk, and activates nothing when refused', async () => {
    const clone = request({ batch: '', fingerprint: ['aaaa0001', 'aaaa0002', 'aaaa0003'], machineId: box1.machineId }, '55667788');
    await s.page.getByTestId('request-input').fill(clone);
    await s.page.getByTestId('activate').click();
    const dialog = s.page.locator('.ant-modal-confirm');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('looks cloned from box LA-0001 (seat 1)');
    expect(await s.page.getByTestId('clone-confirm').textContent()).toBe('Activate as a new box (spends a seat)');
    // Nothing is said twice while the question is open.
    expect(await s.page.getByTestId('activate-problem').count()).toBe(0);
    await s.page.waitForTimeout(500);
    await s.page.screenshot({ path: shot('activation-clone-en') });
    await s.page.getByTestId('clone-refuse').click();
    await dialog.waitFor({ state: 'detached' });
    expect(await s.page.getByTestId('activate-problem').textContent()).toContain('looks cloned from box LA-0001');
    expect(await s.page.getByTestId('activation-result').count()).toBe(0);
  });

  it('shows the batch with one seat spent, its seats, its log newest first, and a ledger that verifies', async () => {
    await s.page.getByTestId('tab-batches').click();
    await s.page.getByTestId(`ledger-batch-${batchId}`).click();
    const detail = s.page.getByTestId('ledger-batch-detail');
    await detail.waitFor();
    expect(await detail.getAttribute('data-batch')).toBe(batchId);
    expect(await s.page.getByTestId('count-spent').locator('.ant-statistic-content-value').textContent()).toBe('1');
    expect(await s.page.getByTestId('count-free').locator('.ant-statistic-content-value').textContent()).toBe('39');
    expect(await s.page.getByTestId('seat-row-1').getAttribute('data-state')).toBe('spent');
    expect(await s.page.getByTestId('seat-row-1').textContent()).toContain('LA-0001');
    await s.page.getByTestId('seat-filter').getByText('Spent', { exact: true }).click();
    await expect.poll(() => s.page.getByTestId('seat-table').locator('tbody tr[data-state]').count()).toBe(1);

    await s.page.getByTestId('ledger-log-tab').click();
    const log = s.page.getByTestId('event-log');
    await log.locator('tr[data-kind="reactivated"]').waitFor();
    const kinds = await log.locator('tr[data-kind]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind')));
    expect(kinds).toEqual(['clone-refused', 'reactivated', 'reserved', 'spent', 'reserved', 'registered']);
    expect(await log.locator('tr[data-kind="clone-refused"]').textContent()).toContain('Clone refused');
    await s.page.getByTestId('ledger-verify').click();
    const verdict = s.page.getByTestId('ledger-verdict');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-ok')).toBe('true');
    expect(await verdict.textContent()).toMatch(/Ledger intact: \d+ events chained, 40 seats agree with them/);
    await settled(s.page);
    await s.page.screenshot({ path: shot('activation-ledger-en'), fullPage: true });
  });

  it('downloads the signed report, which openssl verifies with the station key as the tooltip says', async () => {
    const files: Download[] = [];
    const onDownload = (d: Download) => files.push(d);
    s.page.on('download', onDownload);
    await s.page.getByTestId('ledger-report').click();
    await expect.poll(() => files.length).toBe(3);
    s.page.off('download', onDownload);
    const dir = tempDir();
    const names = [];
    for (const d of files) {
      const f = await downloaded(d);
      fs.writeFileSync(path.join(dir, f.name), f.bytes);
      names.push(f.name);
    }
    const stem = `report-${batchId}`;
    expect(names.sort()).toEqual([`${stem}.csv`, `${stem}.csv.sig`, `${stem}.station.pem`]);
    const csv = fs.readFileSync(path.join(dir, `${stem}.csv`), 'utf8');
    expect(csv.split('\n')[1]).toMatch(new RegExp(`^LA-0001,${batchId},1,`));
    // The command the tooltip shows, run as a person would.
    await s.page.getByTestId('ledger-report').hover();
    const tip = s.page.locator('.ant-tooltip:visible');
    await tip.waitFor();
    const command = (await tip.locator('pre').textContent())!;
    expect(command).toContain(`openssl dgst -sha256 -verify ${stem}.station.pem -signature ${stem}.csv.sig`);
    const out = execFileSync('sh', ['-c', command], { cwd: dir }).toString();
    expect(out.trim()).toBe('Verified OK');
    // A changed report does not verify.
    fs.writeFileSync(path.join(dir, `${stem}.csv`), csv.replace('LA-0001', 'LA-0002'));
    expect(() => execFileSync('sh', ['-c', command], { cwd: dir, stdio: 'pipe' })).toThrow();
    await s.page.mouse.move(0, 0);
  });

  it('prints one label per activated box on A4 sheets, without the app around them', async () => {
    await s.page.getByTestId('ledger-labels').click();
    const view = s.page.getByTestId('labels-view');
    await expect.poll(() => view.getAttribute('data-ready')).toBe('true');
    expect(await s.page.getByTestId('label').count()).toBe(1);
    const label = s.page.getByTestId('label').first();
    expect(await label.getAttribute('data-serial')).toBe('LA-0001');
    expect(await label.textContent()).toContain(batchId);
    expect(await label.textContent()).toContain('Seat 1');
    expect(await readQr(s.page, label.getByTestId('label-qr'))).toMatch(new RegExp(`^EF1;serial=LA-0001;batch=${batchId};seat=1;fp=[0-9a-f]{12}$`));
    await settled(s.page);
    await s.page.screenshot({ path: shot('labels-screen-en') });

    await s.page.emulateMedia({ media: 'print' });
    try {
      expect(await s.page.getByTestId('nav').isVisible()).toBe(false);
      expect(await s.page.getByTestId('area-title').isVisible()).toBe(false);
      expect(await s.page.getByTestId('labels-print').isVisible()).toBe(false);
      expect(await label.isVisible()).toBe(true);
      expect(await label.getByTestId('label-qr').locator('svg').isVisible()).toBe(true);
      // A label is 70 × 37 mm at 96 px per inch.
      const size = (await label.boundingBox())!;
      expect(Math.round(size.width)).toBe(Math.round((70 / 25.4) * 96));
      expect(Math.round(size.height)).toBe(Math.round((37 / 25.4) * 96));
      await s.page.screenshot({ path: shot('labels-print-en'), fullPage: true });
    } finally {
      await s.page.emulateMedia({ media: 'screen' });
    }
    await s.page.keyboard.press('Escape');
    await view.waitFor({ state: 'detached' });
    await s.page.getByTestId('ledger-batch-detail').waitFor();
  });

  it('delegates a range of seats to another station’s key, checking the fields first', async () => {
    await s.page.getByTestId('ledger-delegate').click();
    const modal = s.page.getByTestId('delegate-modal');
    await s.page.getByTestId('delegate-first').waitFor();
    await s.page.getByTestId('delegate-first').fill('30');
    await s.page.getByTestId('delegate-last').fill('21');
    await s.page.getByTestId('delegate-to').fill('not a key');
    await s.page.getByTestId('delegate-ok').click();
    await modal.getByText('The last seat must not be before the first.').waitFor();
    await modal.getByText('Paste a PEM').waitFor();
    // The station refuses a range holding a spent seat, under the seat fields.
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await s.page.getByTestId('delegate-first').fill('1');
    await s.page.getByTestId('delegate-last').fill('10');
    await s.page.getByTestId('delegate-to').fill(other);
    await s.page.getByTestId('delegate-ok').click();
    await modal.getByText('Seat 1 in 1-10 is spent').waitFor();
    await s.page.screenshot({ path: shot('activation-delegate-errors-en') });
    await s.page.getByTestId('delegate-first').fill('21');
    await s.page.getByTestId('delegate-last').fill('30');
    const [d] = await Promise.all([s.page.waitForEvent('download'), s.page.getByTestId('delegate-ok').click()]);
    const file = await downloaded(d);
    expect(file.name).toBe(`delegation-${batchId}-21-30.txt`);
    expect(file.bytes.toString()).toContain('-----BEGIN EDGEFORGE DELEGATION-----');
    expect(file.bytes.toString()).toContain('seats=21-30');
    await modal.waitFor({ state: 'detached' });
    await expect.poll(() => s.page.getByTestId('count-delegated').locator('.ant-statistic-content-value').textContent()).toBe('10');
    await s.page.getByTestId('tab-delegations').click();
    const row = s.page.locator('[data-testid^="delegation-row-"]');
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.first().getAttribute('data-direction')).toBe('sent');
    expect(await row.first().textContent()).toContain('21–30 (10)');
    expect(await s.page.getByTestId('delegations-public-key').getByTestId('station-public-hex').textContent()).toMatch(/^0[23][0-9a-f]{64}$/);
  });

  it('shows the batch’s seats in its Batches & Bundles detail, with a way to its ledger', async () => {
    await s.page.getByTestId('nav-bundles').click();
    await s.page.getByTestId(`batch-row-${batchId}`).getByTestId('batch-open').click();
    const seats = s.page.getByTestId('drawer-seats');
    await seats.getByTestId('seat-counts').waitFor();
    expect(await seats.getByTestId('seat-counts').textContent()).toBe('1 spent · 29 free · 10 delegated');
    await seats.getByTestId('drawer-seats-open').click();
    await expect.poll(() => s.page.getByTestId('area-title').textContent()).toBe('Activation');
    expect(await s.page.getByTestId('ledger-batch-detail').getAttribute('data-batch')).toBe(batchId);
    expect(await s.page.getByTestId('batch-drawer').count()).toBe(0);
  });

  it('activates in Chinese too (screenshot)', async () => {
    await s.page.getByTestId('language-switch').getByText('中文').click();
    await expect.poll(() => s.page.getByTestId('area-title').textContent()).toBe('激活');
    await s.page.getByTestId('tab-activate').click();
    const input = s.page.getByTestId('request-input');
    await input.fill(request({ batch: '', fingerprint: ['bbbb0001', 'bbbb0002'], machineId: null }, '99aabbcc'));
    await s.page.getByTestId('request-info').waitFor();
    await input.press('Enter');
    await s.page.getByTestId('activation-result').waitFor();
    expect(await s.page.getByTestId('result-serial').textContent()).toBe('LA-0002');
    expect(await s.page.getByTestId('result-seat').textContent()).toBe('席位 2');
    await s.page.getByTestId('reply-qr').locator('svg').waitFor();
    await settled(s.page);
    await s.page.screenshot({ path: shot('activation-reply-zh'), fullPage: true });
    await input.fill(mistype(request(box1, '01020304'), 2));
    await expect.poll(() => s.page.getByTestId('request-problem').textContent()).toMatch(/^请求码第 2 组/);
    await s.page.getByTestId('language-switch').getByText('EN').click();
    await expect.poll(() => s.page.getByTestId('area-title').textContent()).toBe('Activation');
  });
  it('lets a field station import a delegation, activate a box with it, and return the unused seats', async () => {
    const field = await startHostProcess(path.join(tempDir(), 'field'));
    const fieldPage = await (await s.browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' })).newPage();
    fieldPage.setDefaultTimeout(15_000);
    try {
      await fieldPage.goto(field.openUrl);
      await fieldPage.getByTestId('nav-activation').click();
      await fieldPage.getByTestId('tab-delegations').click();
      const fieldKey = (await fieldPage.getByTestId('delegations-public-key').getByTestId('station-public-hex').textContent())!;

      // On the factory station: seats 31–35 to the field station's key (the 66 hex form).
      await s.page.getByTestId('tab-batches').click();
      await s.page.getByTestId('ledger-delegate').click();
      await s.page.getByTestId('delegate-first').fill('31');
      await s.page.getByTestId('delegate-last').fill('35');
      await s.page.getByTestId('delegate-to').fill(fieldKey);
      const [sent] = await Promise.all([s.page.waitForEvent('download'), s.page.getByTestId('delegate-ok').click()]);
      const grantFile = path.join(tempDir(), sent.suggestedFilename());
      fs.writeFileSync(grantFile, (await downloaded(sent)).bytes);

      // On the field station: import it, then activate a box of the batch.
      await fieldPage.getByTestId('delegation-import').click();
      await fieldPage.getByTestId('delegation-import-file').setInputFiles(grantFile);
      await expect.poll(() => fieldPage.getByTestId('delegation-import-text').inputValue()).toContain('BEGIN EDGEFORGE DELEGATION');
      await fieldPage.getByTestId('delegation-import-ok').click();
      const received = fieldPage.locator('[data-testid^="delegation-row-"][data-direction="received"]');
      await received.waitFor();
      expect(await received.textContent()).toContain('31–35 (5)');
      await fieldPage.getByTestId('tab-activate').click();
      await fieldPage.getByTestId('request-input').fill(request({ batch: '', fingerprint: ['cccc0001', 'cccc0002'], machineId: null }, 'c0c0c0c0'));
      expect(await fieldPage.getByTestId('request-batch-known').textContent()).toBe('line-a');
      await fieldPage.getByTestId('request-input').press('Enter');
      await fieldPage.getByTestId('activation-result').waitFor();
      expect(await fieldPage.getByTestId('result-serial').textContent()).toBe('LA-0031');
      const code = (await fieldPage.getByTestId('reply-code').getAttribute('data-code'))!;
      expect(decodeReply(code).delegation).toMatchObject({ first: 31, last: 35 });
      expect(await readQr(fieldPage, fieldPage.getByTestId('reply-qr'))).toBe(code);

      // The job is done: the field station gives back what it did not use.
      await fieldPage.getByTestId('tab-delegations').click();
      await fieldPage.getByTestId('delegation-return').click();
      const confirm = fieldPage.locator('.ant-modal-confirm');
      await confirm.waitFor();
      expect(await confirm.textContent()).toContain('this station will no longer be able to issue them');
      const [back] = await Promise.all([fieldPage.waitForEvent('download'), fieldPage.getByTestId('delegation-return-confirm').click()]);
      const returnFile = path.join(tempDir(), back.suggestedFilename());
      fs.writeFileSync(returnFile, (await downloaded(back)).bytes);
      await expect.poll(async () => (await received.textContent()) ?? '').not.toContain('not returned');

      // Back on the factory station: the return frees 4 seats and records the one spent.
      await s.page.getByTestId('tab-delegations').click();
      await s.page.getByTestId('delegation-import-return').click();
      await s.page.getByTestId('delegation-import-file').setInputFiles(returnFile);
      await expect.poll(() => s.page.getByTestId('delegation-import-text').inputValue()).toContain('BEGIN EDGEFORGE DELEGATION RETURN');
      await s.page.getByTestId('delegation-import-ok').click();
      await s.page.getByText('4 seat(s) free again, 1 spent by the delegate recorded.').waitFor();
      await s.page.getByTestId('tab-batches').click();
      await expect.poll(() => s.page.getByTestId('count-spent').locator('.ant-statistic-content-value').textContent()).toBe('3');
      await s.page.getByTestId('seat-filter').getByText('Spent', { exact: true }).click();
      await s.page.getByTestId('seat-row-31').waitFor();
      expect(await s.page.getByTestId('seat-row-31').getAttribute('data-state')).toBe('spent');
      await s.page.getByTestId('ledger-log-tab').click();
      await s.page.getByTestId('event-log').locator('tr[data-kind="spent-by-delegate"]').waitFor();
      await s.page.getByTestId('ledger-verify').click();
      await expect.poll(() => s.page.getByTestId('ledger-verdict').getAttribute('data-ok')).toBe('true');
      await settled(s.page);
      await s.page.screenshot({ path: shot('activation-after-return-en'), fullPage: true });
    } finally {
      await fieldPage.context().close();
      await field.stop();
    }
  });
});

describe('Settings › Station key on a station started without a passphrase', () => {
  let host: RunningHost;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    host = await startHostWithoutPassphrase(path.join(tempDir(), 'home'));
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' })).newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(host.openUrl);
    await page.getByTestId('nav').waitFor();
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail')
      await page?.screenshot({ path: shot(`failed-${ctx.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`) }).catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    await host?.stop();
  });

  it('refuses a new batch while the station has no passphrase, saying where to set one', async () => {
    const { client, ws } = await connectClient(host);
    await publishedCombo(client);
    ws.close();
    await page.getByTestId('nav-bundles').click();
    await page.getByTestId('batch-new').click();
    // Chosen, and seen chosen: on loaded cores a click can land while the list is still being drawn (seen once in CI).
    for (let tries = 0; !(await page.getByTestId('batch-combo').textContent())?.includes('line-a'); tries++) {
      expect(tries).toBeLessThan(3);
      await page.getByTestId('batch-combo').click();
      await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: 'line-a' }).first().click();
      await page.waitForTimeout(200);
    }
    await page.getByTestId('batch-prefix').fill('LB-');
    await page.getByTestId('batch-create').click();
    const problem = page.getByTestId('batch-error');
    await problem.waitFor();
    expect(await problem.getAttribute('data-code')).toBe('VAULT_LOCKED');
    expect(await problem.textContent()).toContain('The station has no passphrase yet: choose one in Settings › Station key');
    await page.waitForTimeout(300);
    await page.screenshot({ path: shot('batch-locked-en') });
    await page.keyboard.press('Escape');
  });

  it('says on the Activation page that the station is locked, with the way to Settings', async () => {
    await page.getByTestId('nav-activation').click();
    const banner = page.getByTestId('station-locked-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('The station key is locked.');
    await page.getByTestId('tab-delegations').click();
    // Without a key yet, even the public key cannot be shown: the API's message says why.
    await page.getByTestId('delegations-public-key').getByText('The station has no passphrase yet').waitFor();
    await banner.getByTestId('open-station-key').click();
    await expect.poll(() => page.getByTestId('area-title').textContent()).toBe('Settings');
    await page.getByTestId('station-choose-form').waitFor();
  });

  it('chooses the first passphrase, checking it before and after it reaches the station, and shows the new key', async () => {
    const form = page.getByTestId('station-choose-form');
    expect(await form.textContent()).toContain('Choose a passphrase');
    expect(await page.getByTestId('station-vault-state').textContent()).toBe('Locked');
    await page.getByTestId('station-unlock').click();
    await form.getByText('Type the passphrase.').waitFor();
    await page.getByTestId('station-passphrase').fill('short');
    await page.getByTestId('station-passphrase-confirm').fill('short');
    await page.getByTestId('station-passphrase-confirm').press('Enter');
    await form.getByText('The passphrase must be at least 8 characters long.').waitFor();
    await page.getByTestId('station-passphrase').fill('line A passphrase');
    await page.getByTestId('station-passphrase-confirm').fill('line A passphrase!');
    await page.getByTestId('station-unlock').click();
    await form.getByText('The two passphrases differ.').waitFor();
    await page.screenshot({ path: shot('station-key-choose-en') });
    await page.getByTestId('station-passphrase-confirm').fill('line A passphrase');
    await page.getByTestId('station-unlock').click();
    await expect.poll(() => page.getByTestId('station-fingerprint').textContent()).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(await page.getByTestId('station-vault-state').textContent()).toBe('Unlocked');
    expect(await page.getByTestId('station-vault-method').textContent()).toBe('Passphrase');
    expect(await page.getByTestId('station-public-hex').textContent()).toMatch(/^0[23][0-9a-f]{64}$/);
    const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId('station-export-public').click()]);
    expect((await downloaded(d)).bytes.toString()).toContain('-----BEGIN PUBLIC KEY-----');
    await settled(page);
    await page.screenshot({ path: shot('station-key-en'), fullPage: true });
  });

  it('locks, refuses a wrong passphrase under its field, and unlocks with the right one', async () => {
    await page.getByTestId('station-lock').click();
    const form = page.getByTestId('station-unlock-form');
    await form.waitFor();
    expect(await form.textContent()).toContain('Unlock');
    await page.getByTestId('station-passphrase').fill('not the passphrase');
    await page.getByTestId('station-passphrase').press('Enter');
    await form.locator('.ant-form-item-explain-error').getByText('That passphrase is not this station’s passphrase.').waitFor();
    await page.getByTestId('station-passphrase').fill('line A passphrase');
    await page.getByTestId('station-passphrase').press('Enter');
    await page.getByTestId('station-fingerprint').waitFor();
  });

  it('backs the key up as an encrypted PEM that openssl opens with its passphrase', async () => {
    await page.getByTestId('station-backup').click();
    const modal = page.getByTestId('station-backup-modal');
    await page.getByTestId('station-backup-passphrase').waitFor();
    expect(await modal.textContent()).toContain('Anyone holding this file and its passphrase can sign as this station.');
    await page.getByTestId('station-backup-passphrase').fill('backup passphrase');
    await page.getByTestId('station-backup-confirm').fill('backup passphrase');
    const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId('station-backup-ok').click()]);
    const file = await downloaded(d);
    expect(file.bytes.toString()).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'backup.pem'), file.bytes);
    const pub = execFileSync('openssl', ['pkey', '-in', path.join(dir, 'backup.pem'), '-passin', 'pass:backup passphrase', '-pubout']).toString();
    expect(pub).toContain('-----BEGIN PUBLIC KEY-----');
    await modal.waitFor({ state: 'detached' });
  });

  it('restores another key from its backup after a confirmation, retiring the current one', async () => {
    const before = (await page.getByTestId('station-fingerprint').textContent())!;
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const backup = createPrivateKey(other.export({ type: 'pkcs8', format: 'pem' }))
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'other station backup' })
      .toString();
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'other.pem'), backup);
    await page.getByTestId('station-restore').click();
    await page.getByTestId('station-restore-passphrase').waitFor();
    await page.getByTestId('station-restore-file').setInputFiles(path.join(dir, 'other.pem'));
    await expect.poll(() => page.getByTestId('station-restore-pem').inputValue()).toContain('ENCRYPTED PRIVATE KEY');
    await page.getByTestId('station-restore-passphrase').fill('wrong passphrase');
    await page.getByTestId('station-restore-ok').click();
    const confirm = page.locator('.ant-modal-confirm');
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain(`The current key ${before} will be retired`);
    await page.getByTestId('station-restore-confirm').click();
    await page.getByTestId('station-restore-modal').getByText('The backup’s passphrase is wrong.').waitFor();
    await page.getByTestId('station-restore-passphrase').fill('other station backup');
    await page.getByTestId('station-restore-ok').click();
    await page.getByTestId('station-restore-confirm').click();
    await page.getByTestId('station-restore-modal').waitFor({ state: 'detached' });
    await expect.poll(() => page.getByTestId('station-fingerprint').textContent()).not.toBe(before);
    const retired = page.getByTestId('station-retired');
    await retired.waitFor();
    expect(await retired.textContent()).toContain(before);
    await settled(page);
    await page.screenshot({ path: shot('station-key-retired-en'), fullPage: true });
  });
});
