/**
 * Pod sessions in the browser: a cluster imported through the API from the
 * Kubernetes API STAND-IN (test/support/kube-stand-in.ts; no kube-apiserver
 * runs here), whose exec runs real processes under a real pty; the headless
 * host's native I/O process execs into them over the channel protocol. The
 * screen is read as test/e2e/terminal-ui.test.ts reads it.
 */
import type { Locator } from 'playwright-core';
import type { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually } from '../cluster/wire';
import { appInBrowser, shot } from '../support/browser';
import type { TestClient } from '../support/host';
import { connectClient } from '../support/host';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { chooseInDialog, newSessionDialog, openNewSession } from '../support/terminal-dialog';

describe('Terminal: a shell in a pod, in the browser', () => {
  const pageErrors: string[] = [];
  const s = appInBrowser((page) => page.on('pageerror', (e) => pageErrors.push(e.message)));
  let kube: KubeStandIn;
  let client: TestClient;
  let ws: WebSocket;
  let clusterId = '';

  beforeAll(async () => {
    kube = await startKubeStandIn({ podStartMs: 30 });
    kube.addNode('n1');
    const created = await api(kube, 'POST', '/api/v1/namespaces/default/pods', {
      body: {
        metadata: { name: 'web' },
        spec: {
          containers: [
            { name: 'app', image: 'app:1' },
            { name: 'sidecar', image: 'proxy:1' },
          ],
        },
      },
    });
    expect(created.status).toBe(201);
    await eventually(() => expect(kube.object('pods', 'default', 'web')?.status?.phase).toBe('Running'));
    ({ client, ws } = await connectClient(s.host));
    clusterId = (await client.clusters.import({ name: 'line-3', kubeconfig: kube.kubeconfig() })).id;
    await s.page.getByTestId('nav-terminal').click();
    await s.page.getByTestId('terminal-page').waitFor();
  }, 60_000);

  afterAll(async () => {
    ws?.close();
    await kube?.close();
  });

  const activeView = () => s.page.locator('[data-testid^="terminal-view-"][data-active="true"]');
  const lines = async (view: Locator = activeView()) => {
    const from = (await view.locator('.xterm-accessibility-tree').count()) ? '.xterm-accessibility-tree > div' : '.xterm-rows > div';
    return (await view.locator(from).allTextContents()).map((l) => l.replace(/\u00a0/g, ' ').trimEnd());
  };
  const waitFor = (re: RegExp) => expect.poll(async () => (await lines()).join('\n'), { timeout: 15_000 }).toMatch(re);
  const type = async (text: string) => {
    await activeView().locator('.xterm-helper-textarea').focus();
    await s.page.keyboard.type(text);
    await s.page.keyboard.press('Enter');
  };
  const readable = async () => {
    if ((await activeView().getByTestId('terminal-renderer').getAttribute('data-renderer')) === 'dom') return;
    await activeView().getByTestId('terminal-screen-reader').click();
    await activeView().locator('.xterm-accessibility-tree').waitFor({ state: 'attached' });
  };
  const tabIds = async () =>
    (await s.page
      .locator('[data-testid^="terminal-tab-trm_"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.replace('terminal-tab-', '')))) as string[];
  const activeId = async () => (await activeView().getAttribute('data-testid'))!.replace('terminal-view-', '');
  const dialog = () => newSessionDialog(s.page);
  const fieldError = (testId: string) =>
    dialog()
      .locator('.ant-form-item')
      .filter({ has: s.page.getByTestId(testId) })
      .locator('.ant-form-item-explain-error');
  const settled = async () => {
    await s.page.mouse.move(0, 0);
    for (const sel of ['.ant-message-notice', '.ant-modal-confirm', '.ant-tooltip:visible'])
      await expect.poll(() => s.page.locator(sel).count(), { timeout: 10_000 }).toBe(0);
    await s.page.waitForTimeout(300);
  };

  it('opens a shell in a pod from the dialog, after checking the fields (in English and Chinese) and naming a missing pod', async () => {
    await openNewSession(s.page);
    // The kind chosen is Pod, and seen chosen (the landing CI once saw no pod fields after this click).
    await chooseInDialog(s.page, 'Pod');
    // The one cluster is chosen; the namespace and the command have their defaults.
    await expect.poll(() => dialog().getByTestId('terminal-pod-cluster').textContent()).toContain('line-3');
    expect(await dialog().getByTestId('terminal-pod-namespace').inputValue()).toBe('default');
    expect(await dialog().getByTestId('terminal-pod-command').inputValue()).toBe('/bin/sh');

    // Checked here before the station is asked, in the UI's language.
    await dialog().getByTestId('terminal-pod-container').fill('App');
    await dialog().getByTestId('terminal-pod-container').press('Enter');
    await expect.poll(() => fieldError('terminal-pod-name').textContent()).toBe('Give the pod’s name.');
    await expect.poll(() => fieldError('terminal-pod-container').textContent()).toMatch(/^A container name has 1–63 lowercase letters/);
    await s.page.screenshot({ path: shot('terminal-new-pod-validation-en') });
    await s.page.getByTestId('language-switch').getByText('中文').dispatchEvent('click');
    await expect.poll(() => fieldError('terminal-pod-name').textContent()).toBe('请填写 pod 的名称。');
    await s.page.screenshot({ path: shot('terminal-new-pod-validation-zh') });
    await s.page.getByTestId('language-switch').getByText('EN').dispatchEvent('click');
    await expect.poll(() => fieldError('terminal-pod-name').textContent()).toBe('Give the pod’s name.');

    // The station's refusal lands under its field.
    await dialog().getByTestId('terminal-pod-container').fill('');
    await dialog().getByTestId('terminal-pod-name').fill('nope');
    await dialog().getByTestId('terminal-pod-name').press('Enter');
    await expect
      .poll(() => fieldError('terminal-pod-name').textContent(), { timeout: 15_000 })
      .toMatch(/^There is no pod nope in namespace default of cluster line-3\./);

    const before = await tabIds();
    await dialog().getByTestId('terminal-pod-name').fill('web');
    await dialog().getByTestId('terminal-pod-container').fill('app');
    // Edited, the field's refusal goes (and does not turn into a general one).
    await expect.poll(() => fieldError('terminal-pod-name').count()).toBe(0);
    expect(await dialog().getByTestId('terminal-new-error').count()).toBe(0);
    await s.page.screenshot({ path: shot('terminal-new-pod-en') });
    await dialog().getByTestId('terminal-pod-name').press('Enter');
    await dialog().waitFor({ state: 'detached', timeout: 30_000 });
    await expect.poll(async () => (await tabIds()).length).toBe(before.length + 1);
    const id = (await tabIds()).find((x) => !before.includes(x))!;
    await expect.poll(activeId).toBe(id);
    expect(await s.page.getByTestId(`terminal-tab-${id}`).textContent()).toContain('web/app');
    expect(await activeView().getByTestId('terminal-status-target').textContent()).toBe('line-3/default/web/app');
    await readable();
    await type('echo pod-$((6*7)) in $HOSTNAME');
    await waitFor(/^pod-42 in web\r?$/m);
    await settled();
    await s.page.screenshot({ path: shot('terminal-pod-en') });
  }, 90_000);

  it('shows a session opened elsewhere as a tab, shows it at #/terminal/<session>, and drops it when it is closed elsewhere', async () => {
    const shownBefore = await activeId();
    const opened = await client.terminal.open({
      kind: 'pod',
      clusterId,
      namespace: 'default',
      pod: 'web',
      container: 'sidecar',
      command: ['/bin/sh'],
      cols: 100,
      rows: 30,
    });
    // No reload, no refetch: terminal.events brings it; the shown tab stays.
    const tab = s.page.getByTestId(`terminal-tab-${opened.id}`);
    await tab.waitFor({ timeout: 10_000 });
    expect(await tab.textContent()).toContain('web/sidecar');
    expect(await activeId()).toBe(shownBefore);

    // As the cluster console's Shell does: open, then go to the session's address, from another area and within this one.
    await s.page.getByTestId('nav-jobs').click();
    await s.page.evaluate((hash) => (window.location.hash = hash), `#/terminal/${opened.id}`);
    await s.page.getByTestId('terminal-page').waitFor();
    await expect.poll(activeId).toBe(opened.id);
    await s.page.evaluate((hash) => (window.location.hash = hash), `#/terminal/${shownBefore}`);
    await expect.poll(activeId).toBe(shownBefore);
    await s.page.evaluate((hash) => (window.location.hash = hash), `#/terminal/${opened.id}`);
    await expect.poll(activeId).toBe(opened.id);
    await readable();
    await type('echo side-$((2+3))');
    await waitFor(/^side-5\r?$/m);
    await settled();
    await s.page.screenshot({ path: shot('terminal-pod-from-api-en') });

    await client.terminal.close({ id: opened.id });
    await tab.waitFor({ state: 'detached', timeout: 10_000 });
    await expect.poll(activeId).toBe(shownBefore);
  }, 60_000);

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
