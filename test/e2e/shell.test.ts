import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { appInBrowser, shot } from '../support/browser';
import { tempDir } from '../support/tmp';

const MiB = 1024 * 1024;

describe('EdgeForge in the browser (headless host + Chromium)', () => {
  const pageErrors: string[] = [];
  const offOrigin: string[] = [];
  const s = appInBrowser((page, host) => {
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith(`http://127.0.0.1:${host.port}/`) && !r.url().startsWith(`ws://127.0.0.1:${host.port}/`) && !r.url().startsWith('data:'))
        offOrigin.push(r.url());
    });
  });
  let files: string;

  beforeAll(() => {
    files = tempDir();
    fs.writeFileSync(path.join(files, 'quick.bin'), Buffer.alloc(24 * MiB, 1));
    fs.writeFileSync(path.join(files, 'slow.bin'), Buffer.alloc(64 * MiB, 2));
  });

  it('opens the app from the printed URL, with every area in the navigation', async () => {
    await s.page.goto(s.host.openUrl);
    await s.page.getByTestId('nav').waitFor();
    expect(new URL(s.page.url()).search).toBe(''); // the token left the address bar
    await expect.poll(() => s.page.getByTestId('area-title').textContent()).toBe('Jobs');
    for (const area of ['Catalog', 'Batches & Bundles', 'Station', 'Activation', 'Clusters', 'Terminal', 'Jobs', 'Settings']) {
      expect(await s.page.getByTestId('nav').getByText(area, { exact: true }).count()).toBe(1);
    }
  });

  it('opens every area with its own page, none of them a placeholder', async () => {
    for (const area of ['catalog', 'bundles', 'station', 'activation', 'clusters', 'terminal', 'jobs', 'settings']) {
      await s.page.getByTestId(`nav-${area}`).click();
      await expect.poll(() => s.page.evaluate(() => window.location.hash)).toContain(area);
      expect(await s.page.locator('[data-testid^="not-available-"]').count(), area).toBe(0);
    }
    // Clusters, the last area built: its list, empty on a new station.
    await s.page.getByTestId('nav-clusters').click();
    await s.page.getByTestId('cluster-list').waitFor();
    expect(await s.page.getByTestId('cluster-list').textContent()).toContain('No cluster yet');
    // Keyboard: Alt+7 goes to Jobs.
    await s.page.keyboard.press('Alt+7');
    await expect.poll(() => s.page.getByTestId('area-title').textContent()).toBe('Jobs');
  });

  it('checks the diagnostic form before and after it reaches the station', async () => {
    await s.page.getByTestId('diagnostic-start').click();
    await s.page.getByText('Enter the full path of a file.').waitFor();
    await s.page.getByTestId('diagnostic-path').fill('relative/file.bin');
    await s.page.getByTestId('diagnostic-start').click();
    await s.page.getByText('"relative/file.bin" is not an absolute path', { exact: false }).waitFor();
  });

  it('runs the diagnostic job and shows its progress reach 100%', async () => {
    await s.page.getByTestId('diagnostic-path').fill(path.join(files, 'quick.bin'));
    await s.page.getByTestId('diagnostic-rate').fill('8');
    await s.page.getByTestId('diagnostic-start').click();
    const row = s.page.locator('[data-testid^="job-row-"]').first();
    await row.locator('[data-state="running"], [data-testid="job-state"]').first().waitFor();
    // It is seen part-way (about 3 s at 8 MiB/s), with a rate and an ETA, before it finishes: read together, in one look.
    await expect
      .poll(
        async () => {
          const percent = Number(await row.locator('[data-testid^="job-progress-"]').getAttribute('data-percent'));
          return percent > 0 && percent < 100 && /MiB\/s · ETA \d/.test((await row.textContent()) ?? '');
        },
        { timeout: 10_000 },
      )
      .toBe(true);
    await s.page.screenshot({ path: shot('jobs-running-en') });
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 20_000 }).toBe('succeeded');
    expect(await row.locator('[data-testid^="job-progress-"]').getAttribute('data-percent')).toBe('100');
    expect(await row.getByTestId('job-state').textContent()).toBe('Succeeded');
  });

  it('cancels a running job, then offers to retry it', async () => {
    await s.page.getByTestId('diagnostic-path').fill(path.join(files, 'slow.bin'));
    await s.page.getByTestId('diagnostic-rate').fill('4');
    await s.page.getByTestId('diagnostic-start').click();
    const row = s.page.locator('[data-testid^="job-row-"][data-state="running"]').first();
    await row.waitFor();
    const id = (await row.getAttribute('data-testid'))!.replace('job-row-', '');
    await row.getByTestId('job-cancel').click();
    const same = s.page.getByTestId(`job-row-${id}`);
    await expect.poll(() => same.getAttribute('data-state'), { timeout: 10_000 }).toBe('cancelled');
    await same.getByTestId('job-retry').waitFor();
    const percent = Number(await same.locator('[data-testid^="job-progress-"]').getAttribute('data-percent'));
    expect(percent).toBeLessThan(100);
  });

  it('removes a finished job only after confirmation', async () => {
    const before = await s.page.locator('[data-testid^="job-row-"]').count();
    const row = s.page.locator('[data-testid^="job-row-"][data-state="cancelled"]').first();
    await row.getByTestId('job-remove').click();
    await s.page.getByRole('button', { name: 'Yes' }).click();
    await expect.poll(() => s.page.locator('[data-testid^="job-row-"]').count()).toBe(before - 1);
  });

  it('switches to Simplified Chinese and remembers it across a reload', async () => {
    await s.page.screenshot({ path: shot('shell-en') });
    await s.page.getByTestId('language-switch').getByText('中文').click();
    await expect.poll(() => s.page.getByTestId('area-title').textContent()).toBe('作业');
    await s.page.reload();
    await s.page.getByTestId('nav').waitFor();
    await expect.poll(() => s.page.getByTestId('area-title').textContent()).toBe('作业');
    expect(await s.page.getByTestId('nav').textContent()).toContain('批次与安装包');
    await s.page.locator('[data-testid^="job-row-"]').first().waitFor();
    await s.page.locator('.ant-spin-spinning').waitFor({ state: 'detached' });
    await s.page.screenshot({ path: shot('shell-zh') });
  });

  it('shows the station, its native I/O process and a dark theme in Settings', async () => {
    await s.page.getByTestId('nav-settings').click();
    await s.page.getByTestId('native-health').waitFor();
    await expect.poll(() => s.page.getByTestId('native-health').textContent()).toContain('node-pty');
    expect(await s.page.getByTestId('system-info').textContent()).toContain('无界面主机');
    await s.page.getByTestId('theme-switch').getByText('深色').click();
    await s.page.waitForTimeout(300);
    await s.page.screenshot({ path: shot('settings-zh-dark') });
    await s.page.getByTestId('language-switch').getByText('EN').click();
    await expect.poll(() => s.page.getByTestId('area-title').textContent()).toBe('Settings');
    await s.page.screenshot({ path: shot('settings-en-dark') });
  });

  it('fetched nothing from any other origin and raised no page errors', () => {
    expect(offOrigin).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('says so when the host goes away, instead of showing stale data as live', async () => {
    expect(await s.host.stop('SIGTERM')).toBe(0);
    await s.page.getByTestId('connection-lost').waitFor({ timeout: 10_000 });
    expect(await s.page.getByTestId('connection-lost').textContent()).toContain('The connection to EdgeForge was lost.');
    await s.page.screenshot({ path: shot('connection-lost-en') });
  });
});
