/**
 * An open cluster console following its kubeconfig, in the browser, against
 * the Kubernetes API STAND-IN (test/support/kube-stand-in.ts; no
 * kube-apiserver runs here). The kubeconfig is replaced, revoked and the
 * cluster forgotten through the API, as another window or the CLI would do
 * it, while the console is open: a replaced one carries the console on
 * (what changes afterwards appears), a revoked one or a forgotten cluster
 * ends it with the station's reason and the way back to the list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterConsoleInBrowser } from '../support/cluster-console-page';
import type { TestClient } from '../support/host';
import type { KubeStandIn } from '../support/kube-stand-in';
import { startStandInCluster, type Cable, type StandInCluster } from '../support/stand-in-cluster';

/** The stand-in's kubeconfig with its bearer token instead of the client certificate: another credential for the same cluster. */
const tokenKubeconfig = (k: KubeStandIn) =>
  k
    .kubeconfig()
    .replace(/^ {4}client-certificate-data: .*\n/m, '')
    .replace(/^ {4}client-key-data: .*$/m, `    token: ${k.token}`);

describe('Clusters in the browser: an open console follows its kubeconfig', () => {
  const { s, pageErrors, picture } = clusterConsoleInBrowser();
  let cluster: StandInCluster;
  let kube: KubeStandIn;
  let cable: Cable;
  let client: TestClient;
  let clusterId = '';
  let forgottenId = '';

  beforeAll(async () => {
    // The first kubeconfig reaches the cluster through a cable that is pulled once the kubeconfig is replaced.
    ({ kube, cable, client } = cluster = await startStandInCluster(s.host, { nodes: { 'edge-1': {}, 'edge-2': {} }, cable: true }));
    clusterId = (await client.clusters.import({ name: 'line-c', kubeconfig: kube.kubeconfig(cable.url()) })).id;
    // Known before the window first lists the clusters.
    forgottenId = (await client.clusters.import({ name: 'line-f', kubeconfig: kube.kubeconfig() })).id;
  });

  afterAll(async () => {
    await cluster?.close();
  });

  const marker = () => s.page.getByTestId('console-connection');
  const nodeCount = () => s.page.getByTestId('nodes-table').getAttribute('data-count');
  const open = async (id: string) => {
    await s.page.evaluate((c) => (window.location.hash = `#/clusters/${c}/nodes`), id);
    await s.page.getByTestId('cluster-console').waitFor();
    await expect.poll(() => marker().getAttribute('data-state'), { timeout: 15_000 }).toBe('online');
  };

  it('keeps the console live across a replaced kubeconfig: a node added afterwards appears without reopening it, and the header shows the new server', async () => {
    await open(clusterId);
    await expect.poll(nodeCount).toBe('2');
    const server = () => s.page.getByTestId('console-server').textContent();
    expect(await server()).toBe(cable.url());

    await client.clusters.replaceKubeconfig({ id: clusterId, kubeconfig: tokenKubeconfig(kube) });
    const requestsBefore = kube.requests.length;
    // Only the new credential, on the direct address, can tell the console anything now.
    await cable.cut();
    kube.addNode('edge-after-replace');
    await expect.poll(nodeCount, { timeout: 20_000 }).toBe('3');
    await s.page.locator('[data-testid="nodes-table-row"][data-name="edge-after-replace"]').waitFor();
    await expect.poll(() => marker().getAttribute('data-state'), { timeout: 15_000 }).toBe('online');
    expect(kube.requests.slice(requestsBefore).some((r) => r.path === '/api/v1/nodes' && r.query.watch === 'true' && r.auth === 'token')).toBe(true);
    expect(await s.page.getByTestId('console-ended').count()).toBe(0);
    // The replacement was made elsewhere (the API, as another window): the header follows it without a reload.
    await expect.poll(server, { timeout: 15_000 }).toBe(kube.url);
    await picture('clusters-credential-replaced-en');
  });

  it('says when the kubeconfig was revoked, shows nothing of the cluster any more, and takes a new kubeconfig or goes back from the keyboard', async () => {
    const revoked = await client.clusters.revokeKubeconfig({ id: clusterId });
    const ended = s.page.getByTestId('console-ended');
    await ended.waitFor();
    expect(await ended.getAttribute('data-reason')).toBe('revoked');
    const at = `${revoked.kubeconfigAt!.slice(0, 19).replace('T', ' ')} UTC`;
    expect(await ended.textContent()).toContain(`The kubeconfig of cluster line-c was revoked at ${at}`);
    // What the credential let the station see is gone: no table, no last known state.
    expect(await s.page.getByTestId('nodes-table').count()).toBe(0);
    expect(await s.page.getByTestId('console-offline').count()).toBe(0);
    expect(await marker().getAttribute('data-state')).toBe('no-credential');
    // The way back has the focus: the keyboard reaches it at once.
    await expect.poll(() => s.page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('console-ended-back');
    await picture('clusters-credential-revoked-en');

    await s.page.getByTestId('language-switch').getByText('中文').click();
    await expect.poll(() => ended.textContent()).toContain(`集群 line-c 的 kubeconfig 已于 ${at} 撤销`);
    await picture('clusters-credential-revoked-zh');
    await s.page.getByTestId('language-switch').getByText('EN').click();

    // Tab to "Replace kubeconfig", Enter: a new kubeconfig brings the console back, live.
    await s.page.getByTestId('console-ended-back').focus();
    await s.page.keyboard.press('Tab');
    await expect.poll(() => s.page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('console-ended-replace');
    await s.page.keyboard.press('Enter');
    await s.page.getByTestId('kubeconfig-dialog').waitFor();
    await s.page.getByTestId('kubeconfig-text').fill(kube.kubeconfig());
    await s.page.getByTestId('kubeconfig-ok').click();
    await s.page.getByTestId('kubeconfig-dialog').waitFor({ state: 'detached' });
    await expect.poll(() => marker().getAttribute('data-state'), { timeout: 20_000 }).toBe('online');
    await expect.poll(nodeCount).toBe('3');

    // Revoked again: Enter on the focused button goes back to the list.
    await client.clusters.revokeKubeconfig({ id: clusterId });
    await ended.waitFor();
    await expect.poll(() => s.page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('console-ended-back');
    await s.page.keyboard.press('Enter');
    await s.page.getByTestId('cluster-list').waitFor();
    expect(await s.page.evaluate(() => window.location.hash)).toBe('#/clusters');
  });

  it('says the station forgot the cluster when that happens while its console is open', async () => {
    await open(forgottenId);
    await expect.poll(nodeCount).toBe('3');
    await client.clusters.remove({ id: forgottenId });
    const ended = s.page.getByTestId('console-ended');
    await ended.waitFor();
    expect(await ended.getAttribute('data-reason')).toBe('forgotten');
    expect(await ended.textContent()).toMatch(/This station forgot cluster line-f at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    // Nothing to replace: only the way back.
    expect(await s.page.getByTestId('console-ended-replace').count()).toBe(0);
    await picture('clusters-credential-forgotten-en');
    await s.page.getByTestId('console-ended-back').click();
    await s.page.getByTestId('cluster-list').waitFor();
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
