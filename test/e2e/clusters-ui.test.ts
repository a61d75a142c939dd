/**
 * The Clusters area in the browser against the Kubernetes API STAND-IN
 * (test/support/kube-stand-in.ts; no kube-apiserver runs here): its
 * controllers, scheduler, eviction with disruption budgets, server-side
 * apply, logs and metrics answer the console as a cluster would. The
 * cluster is imported through a TCP relay (a cable that can be pulled), so
 * that the console can be seen offline and back. The catalog app deployed
 * from the console is made through the API with a real OCI image import.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Locator } from 'playwright-core';
import type { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { catalogInputs } from '../catalog/station';
import { api, eventually } from '../cluster/wire';
import { appInBrowser, shot } from '../support/browser';
import { clusterConsoleInBrowser } from '../support/cluster-console-page';
import { connectClient, type TestClient } from '../support/host';
import { startKubeStandIn, usageOf, type KubeObject, type KubeStandIn } from '../support/kube-stand-in';
import { startStandInCluster, type Cable, type StandInCluster } from '../support/stand-in-cluster';
import { tempDir } from '../support/tmp';

async function importedArtifact(client: TestClient, file: string): Promise<string> {
  const job = await client.artifacts.import({ path: file });
  for (;;) {
    const j = await client.jobs.get({ id: job.id });
    if (j.state === 'succeeded') return (j.result as { artifacts: { id: string }[] }).artifacts[0]!.id;
    if (['failed', 'cancelled', 'interrupted'].includes(j.state)) throw new Error(`import of ${file}: ${j.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Clusters in the browser: the edge cluster console', () => {
  const { s, pageErrors, dialogOf, fieldErrors, row, still, picture, view, select } = clusterConsoleInBrowser();
  let cluster: StandInCluster;
  let kube: KubeStandIn;
  let cable: Cable;
  let client: TestClient;
  let clusterId = '';

  beforeAll(async () => {
    ({ kube, cable, client } = cluster = await startStandInCluster(s.host, {
      kube: { podStartMs: 100, podTerminationMs: 300, metricsServer: true },
      nodes: {
        'edge-1': { labels: { zone: 'a' } },
        'edge-2': { labels: { zone: 'a' } },
        'edge-3': { labels: { zone: 'b' } },
        'edge-arm': { labels: { zone: 'b', 'kubernetes.io/arch': 'arm64' } },
      },
      cable: true,
    }));
    const deployment = await api(kube, 'POST', '/apis/apps/v1/namespaces/default/deployments', {
      body: {
        metadata: { name: 'api' },
        spec: {
          replicas: 4,
          selector: { matchLabels: { app: 'api' } },
          template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'registry.local/api:1' }] } },
        },
      },
    });
    expect(deployment.status).toBe(201);
    const cron = await api(kube, 'POST', '/apis/batch/v1/namespaces/default/cronjobs', {
      body: {
        metadata: { name: 'report' },
        spec: {
          schedule: '*/5 * * * *',
          jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'report', image: 'report:1' }] } } } },
        },
      },
    });
    expect(cron.status).toBe(201);
    await eventually(() => expect(kube.objects('pods', 'default').filter((p) => p.status?.phase === 'Running')).toHaveLength(4), 10_000);

    // A published container app for "deploy from catalog", its image imported for real.
    const image = await importedArtifact(client, catalogInputs().amd);
    const app = await client.apps.createContainer({
      name: 'vision-api',
      workload: 'Deployment',
      containers: [{ name: 'api', imageArtifactId: image }],
    } as never);
    await client.apps.publish({ id: app.id });

    await s.page.getByTestId('nav-clusters').click();
    await s.page.getByTestId('cluster-list').waitFor();
  }, 120_000);

  afterAll(async () => {
    await cluster?.close();
  });

  /** The text field of a control, whether its test id sits on the input or on a wrapper. */
  const input = (testId: string, scope: Locator | null = null) =>
    (scope ?? s.page).locator(`input[data-testid="${testId}"], [data-testid="${testId}"] input`).first();

  it('imports the stand-in cluster through the dialog, with the API’s messages next to their fields', async () => {
    await s.page.getByTestId('cluster-list').getByText('No cluster yet', { exact: false }).waitFor();
    await s.page.getByTestId('cluster-import').click();
    const dialog = dialogOf('kubeconfig-dialog');
    await dialog.waitFor();
    await still();
    await s.page.getByTestId('kubeconfig-ok').click();
    await fieldErrors(dialog, 'kubeconfig-name').getByText('Give the cluster a name.').waitFor();

    // The API's rule for the name, then its reading of the kubeconfig, each next to its field.
    await input('kubeconfig-name').fill('Line A');
    await s.page.getByTestId('kubeconfig-text').fill('just: some yaml');
    await s.page.getByTestId('kubeconfig-ok').click();
    await expect.poll(() => fieldErrors(dialog, 'kubeconfig-name').textContent()).toContain('A cluster name has 1–63 characters');
    await input('kubeconfig-name').fill('line-a');
    await s.page.getByTestId('kubeconfig-ok').click();
    await expect.poll(() => dialog.locator('.ant-form-item-explain-error').allTextContents()).toEqual([expect.stringMatching(/kubeconfig/i)]);
    await picture('clusters-import-errors-en');

    // Opened from a file, as a technician brings it on a USB stick.
    const file = path.join(tempDir(), 'k3s.yaml');
    fs.writeFileSync(file, kube.kubeconfig(cable.url()));
    await s.page.getByTestId('kubeconfig-file').setInputFiles(file);
    await expect.poll(() => s.page.getByTestId('kubeconfig-text').inputValue()).toContain('apiVersion: v1');
    await s.page.getByTestId('kubeconfig-ok').click();
    await s.page.getByTestId('cluster-console').waitFor();
    clusterId = (await s.page.getByTestId('cluster-console').getAttribute('data-cluster'))!;
    expect(clusterId).toMatch(/^cls_[0-9a-f]{16}$/);
    expect(await s.page.getByTestId('console-title').textContent()).toBe('line-a');
  });

  it('lists the cluster with its connection, Kubernetes version and credential expiry', async () => {
    await s.page.getByTestId('console-back').click();
    const r = s.page.locator('[data-testid="cluster-row"][data-name="line-a"]');
    await expect.poll(() => r.getByTestId('cluster-state').getAttribute('data-state'), { timeout: 15_000 }).toBe('online');
    expect(await r.textContent()).toContain('v1.30.2+k3s1');
    expect(await r.textContent()).toContain('Imported');
    expect(await r.getByTestId('credential-expiry').getAttribute('data-state')).toBe('ok');
    expect(await r.getByTestId('credential-expiry').textContent()).toMatch(/expires in \d+ days/);
    await picture('clusters-list-en');
    await r.getByTestId('cluster-open').click();
    await s.page.getByTestId('cluster-console').waitFor();
  });

  it('shows the nodes and pods live, with usage from the metrics server', async () => {
    const nodes = s.page.getByTestId('nodes-table');
    await expect.poll(() => nodes.getAttribute('data-count')).toBe('4');
    await expect.poll(() => s.page.getByTestId('console-connection').getAttribute('data-state')).toBe('online');
    expect(await row('nodes-table', 'edge-1').getByTestId('node-status').getAttribute('data-status')).toBe('ready');
    // metrics-server figures: a used % under the CPU column.
    await expect.poll(() => nodes.locator('.ant-table-thead').textContent(), { timeout: 20_000 }).toContain('CPU %');
    expect(await row('nodes-table', 'edge-1').textContent()).toMatch(/\d+%/);
    // A node that registers appears without a reload.
    kube.addNode('edge-late', { labels: { zone: 'c' } });
    await expect.poll(() => nodes.getAttribute('data-count')).toBe('5');
    await picture('clusters-nodes-en');

    // Enter opens a node's details: its conditions and its pods.
    await select('nodes-table', 'edge-1');
    await s.page.locator('body').press('Enter');
    const drawer = dialogOf('node-drawer');
    await drawer.waitFor();
    await still();
    expect(await drawer.getByTestId('node-conditions').textContent()).toContain('Ready');
    expect(Number(await drawer.getByTestId('node-pods').getAttribute('data-count'))).toBe(
      kube.objects('pods', 'default').filter((p) => p.spec?.nodeName === 'edge-1').length,
    );
    await picture('clusters-node-drawer-en');
    await s.page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });

    await view(3, 'pods');
    const pods = s.page.getByTestId('pods-table');
    await expect.poll(() => pods.getAttribute('data-count')).toBe('4');
    const name = kube.objects('pods', 'default')[0]!.metadata.name;
    expect(await row('pods-table', name).getByTestId('pod-status').getAttribute('data-status')).toBe('Running');
    // Each pod's CPU and memory in use, as metrics-server measured them (millicores under a core).
    const cpu = (pod: string) => Number(usageOf(`pod/default/${pod}/api`, 'container').cpu.slice(0, -1)) / 1e6;
    await expect.poll(() => pods.locator('.ant-table-thead').textContent(), { timeout: 20_000 }).toContain('CPU used');
    expect(await pods.locator('.ant-table-thead').textContent()).toContain('Mem. used');
    expect(await row('pods-table', name).textContent()).toContain(`${cpu(name)}m`);
    expect(await row('pods-table', name).textContent()).toMatch(/\d+\.\d MiB/);
    // Sorted by CPU in use, the busiest first.
    await pods.locator('.ant-table-thead th').filter({ hasText: 'CPU used' }).click();
    await pods.locator('.ant-table-thead th').filter({ hasText: 'CPU used' }).click();
    const busiest = kube
      .objects('pods', 'default')
      .map((p) => p.metadata.name)
      .sort((a, b) => cpu(b) - cpu(a));
    await expect.poll(() => s.page.locator('[data-testid="pods-table-row"]').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-name')))).toEqual(busiest);
    await picture('clusters-pods-usage-en');
    await pods
      .locator('.ant-table-thead th')
      .filter({ hasText: /^Name$/ })
      .click();

    await select('pods-table', name);
    await s.page.locator('body').press('Enter');
    const details = dialogOf('pod-drawer');
    await details.waitFor();
    await still();
    for (const condition of ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'])
      expect(await details.getByTestId('pod-conditions').textContent()).toContain(condition);
    expect(await details.getByTestId('pod-cpu-usage').textContent()).toBe(`${cpu(name)}m`);
    await picture('clusters-pod-drawer-en');
    await s.page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached' });
  });

  it("edits the labels of a drawer's node only, even with other nodes checked in the table", async () => {
    await view(1, 'nodes');
    for (const n of ['edge-2', 'edge-3']) await row('nodes-table', n).locator('input[type="checkbox"]').check();
    await select('nodes-table', 'edge-1');
    await s.page.locator('body').press('Enter');
    const drawer = dialogOf('node-drawer');
    await drawer.waitFor();
    await still();
    await drawer.getByTestId('node-drawer-labels').click();
    const labels = dialogOf('labels-dialog');
    await labels.waitFor();
    await still();
    expect(await labels.locator('.ant-modal-title').textContent()).toContain('edge-1');
    expect(await labels.textContent()).not.toContain('edge-2');
    await s.page.keyboard.press('Escape');
    await labels.waitFor({ state: 'detached' });
    await s.page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    for (const n of ['edge-2', 'edge-3']) await row('nodes-table', n).locator('input[type="checkbox"]').uncheck();
    // Where the test before left the console.
    await view(3, 'pods');
  });

  it('says why there are no usage figures: metrics-server not answering (503), or not installed; the rest works on', async () => {
    const note = s.page.getByTestId('metrics-unavailable');
    const pods = s.page.getByTestId('pods-table');
    /** Until the console has read metrics again: at once when a view opens (the last read is older than 5 s), or on the 15 s timer. */
    const metricsState = async (state: string) => {
      await expect
        .poll(
          async () => {
            await view(1, 'nodes');
            await view(3, 'pods');
            return (await note.count()) > 0 ? note.getAttribute('data-state') : 'figures';
          },
          { timeout: 45_000, interval: 6_000 },
        )
        .toBe(state);
    };

    kube.setMetricsServer('unavailable');
    await metricsState('unavailable');
    expect(await note.textContent()).toBe('metrics-server not answering');
    expect(await pods.locator('.ant-table-thead').textContent()).not.toContain('CPU used');
    expect(await pods.getAttribute('data-count')).toBe('4');
    await note.hover();
    const tip = s.page.locator('.ant-tooltip:visible');
    await tip.getByText('metrics-server is registered', { exact: false }).waitFor();
    expect(await tip.textContent()).toContain('503 Service Unavailable');
    await s.page.waitForTimeout(300);
    await s.page.screenshot({ path: shot('clusters-pods-metrics-503-en') });
    // The pod's details say the same, and its other actions still work.
    const name = kube.objects('pods', 'default')[0]!.metadata.name;
    await select('pods-table', name);
    await s.page.locator('body').press('Enter');
    const details = dialogOf('pod-drawer');
    await details.waitFor();
    await still();
    expect(await details.getByTestId('pod-cpu-usage').textContent()).toBe('metrics-server not answering');
    expect(await details.getByTestId('pod-drawer-logs').getAttribute('data-blocked')).toBe(null);
    await s.page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached' });
    // The Nodes view shows it too, without its usage columns.
    await view(1, 'nodes');
    expect(await note.getAttribute('data-state')).toBe('unavailable');
    expect(await s.page.getByTestId('nodes-table').locator('.ant-table-thead').textContent()).not.toContain('CPU %');
    expect(await s.page.getByTestId('nodes-table').getAttribute('data-count')).toBe('5');

    kube.setMetricsServer(false);
    await metricsState('absent');
    expect(await note.textContent()).toBe('metrics-server not installed');
    await note.hover();
    await s.page.locator('.ant-tooltip:visible').getByText('The cluster has no metrics-server', { exact: false }).waitFor();
    expect(await pods.getAttribute('data-count')).toBe('4');

    kube.setMetricsServer(true);
    await metricsState('figures');
    await expect.poll(() => pods.locator('.ant-table-thead').textContent()).toContain('CPU used');
  }, 120_000);

  it('shows each container’s usage against its own limit in the pod drawer, red at 100 %, amber at 80 %, and why a crashing container has none', async () => {
    const POD = '/api/v1/namespaces/default/pods';
    const pods = s.page.getByTestId('pods-table');
    /** What the stand-in's metrics-server reports for a container of usage-demo: nanocores as millicores, and KiB. */
    const measured = (container: string) => {
      const u = usageOf(`pod/default/usage-demo/${container}`, 'container');
      return { millicores: Number(u.cpu.slice(0, -1)) / 1e6, kib: Number(u.memory.slice(0, -2)) };
    };
    const [app, cache] = [measured('app'), measured('cache')];
    // Should a check fail part-way, the tests after this one still find no drawer open and no usage-demo pod.
    onTestFinished(async () => {
      for (let i = 0; i < 3 && (await dialogOf('pod-drawer').count()) > 0; i++) {
        await s.page.keyboard.press('Escape');
        await s.page.waitForTimeout(500);
      }
      if (kube.object('pods', 'default', 'usage-demo')) await api(kube, 'DELETE', `${POD}/usage-demo`);
      await eventually(() => expect(kube.object('pods', 'default', 'usage-demo')).toBeUndefined(), 10_000);
    });
    const created = await api(kube, 'POST', POD, {
      body: {
        metadata: { name: 'usage-demo' },
        spec: {
          containers: [
            // All its CPU limit in use.
            { name: 'app', image: 'app:1', resources: { limits: { cpu: `${app.millicores}m` } } },
            // Half its CPU limit and 80 % of its memory limit (in bytes: 1,280 per KiB in use).
            {
              name: 'cache',
              image: 'cache:1',
              resources: { limits: { cpu: `${2 * cache.millicores}m`, memory: String(cache.kib * 1280) } },
            },
            { name: 'worker', image: 'worker:1', resources: { requests: { cpu: '100m', memory: '32Mi' }, limits: { cpu: '200m', memory: '64Mi' } } },
          ],
        },
      },
    });
    expect(created.status).toBe(201);
    await eventually(() => expect(kube.object('pods', 'default', 'usage-demo')?.status?.phase).toBe('Running'), 10_000);
    // The worker crashes and waits to restart: the kubelet has nothing of it to measure, so metrics-server does not list it.
    const pod = (await api(kube, 'GET', `${POD}/usage-demo`)).json as KubeObject;
    const worker = pod.status.containerStatuses.find((c: { name: string }) => c.name === 'worker');
    worker.state = { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' } };
    worker.ready = false;
    expect((await api(kube, 'PUT', `${POD}/usage-demo/status`, { body: pod })).status).toBe(200);

    await view(3, 'pods');
    await expect.poll(() => pods.getAttribute('data-count')).toBe('5');
    await select('pods-table', 'usage-demo');
    await s.page.locator('body').press('Enter');
    const details = dialogOf('pod-drawer');
    await details.waitFor();
    await still();
    const usage = details.getByTestId('pod-container-usage');
    const containerRow = (name: string) => usage.locator(`[data-testid="container-usage-row"][data-name="${name}"]`);
    const figure = (name: string, testId: string) => containerRow(name).getByTestId(testId);
    const tone = (name: string, testId: string) => figure(name, testId).locator('.ant-typography').getAttribute('class');

    // Metrics are read every 15 s: the first read with the pod in it may be up to one period away.
    await expect.poll(() => figure('app', 'container-cpu-usage').textContent(), { timeout: 30_000 }).toBe(`${app.millicores}m (100 % of limit)`);
    expect(await tone('app', 'container-cpu-usage')).toContain('ant-typography-danger');
    expect(await figure('app', 'container-cpu-resources').textContent()).toBe(`— / ${app.millicores}m`);
    expect(await figure('cache', 'container-memory-usage').textContent()).toMatch(/ \(80 % of limit\)$/);
    expect(await tone('cache', 'container-memory-usage')).toContain('ant-typography-warning');
    expect(await figure('cache', 'container-cpu-usage').textContent()).toBe(`${cache.millicores}m (50 % of limit)`);
    expect(await tone('cache', 'container-cpu-usage')).not.toMatch(/ant-typography-(warning|danger)/);

    // The worker's two figures are dashes named by why (a read before the crash may still show its figures for one period).
    const why = 'Not measured: the container is not running (CrashLoopBackOff), and metrics-server measures running containers only.';
    const unmeasured = containerRow('worker').getByRole('cell', { name: why, exact: true });
    await expect.poll(() => unmeasured.count(), { timeout: 30_000 }).toBe(2);
    expect(await unmeasured.locator('[data-testid]').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-testid')))).toEqual([
      'container-cpu-usage',
      'container-memory-usage',
    ]);
    expect(await figure('worker', 'container-cpu-resources').textContent()).toBe('100m / 200m');
    // The pod's CPU in use is its measured containers' together, against the sum of all three limits.
    const total = app.millicores + cache.millicores;
    const limit = app.millicores + 2 * cache.millicores + 200;
    expect(await details.getByTestId('pod-cpu-usage').textContent()).toBe(`${total}m of ${limit}m limit (${Math.round((100 * total) / limit)} %)`);
    await usage.scrollIntoViewIfNeeded();
    await picture('clusters-pod-drawer-containers-en');

    // The dash takes the keyboard's focus, and its tooltip says why.
    await figure('worker', 'container-cpu-usage').locator('[tabindex="0"]').focus();
    await s.page.locator('.ant-tooltip:visible').getByText(why, { exact: true }).waitFor();

    // Escape dismisses the tooltip first, then closes the drawer.
    await s.page.keyboard.press('Escape');
    await expect.poll(() => s.page.locator('.ant-tooltip:visible').count()).toBe(0);
    await s.page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached' });
    expect((await api(kube, 'DELETE', `${POD}/usage-demo`)).status).toBe(200);
    await expect.poll(() => pods.getAttribute('data-count')).toBe('4');
  }, 120_000);

  it('cordons a node with c and shows SchedulingDisabled, then uncordons it', async () => {
    await view(1, 'nodes');
    await select('nodes-table', 'edge-late');
    const status = row('nodes-table', 'edge-late').getByTestId('node-status');
    await s.page.locator('body').press('c');
    await expect.poll(() => status.getAttribute('data-unschedulable')).toBe('true');
    expect(await status.textContent()).toContain('SchedulingDisabled');
    expect(kube.nodes().find((n) => n.metadata.name === 'edge-late')?.spec?.unschedulable).toBe(true);
    await s.page.locator('body').press('c');
    await expect.poll(() => status.getAttribute('data-unschedulable')).toBe('false');
  });

  it('drains a node: it waits on a held disruption budget, then the pods leave and the progress reaches 100%', async () => {
    const pdb = await api(kube, 'POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', {
      body: { metadata: { name: 'api-pdb' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'api' } } } },
    });
    expect(pdb.status).toBe(201);
    kube.holdDisruptionBudget('default', 'api-pdb', true);
    const onNode = (n: string) => kube.objects('pods', 'default').filter((p) => p.spec?.nodeName === n && !p.metadata.deletionTimestamp);
    const node = ['edge-1', 'edge-2', 'edge-3'].sort((a, b) => onNode(b).length - onNode(a).length)[0]!;
    expect(onNode(node).length).toBeGreaterThan(0);

    await select('nodes-table', node);
    await s.page.locator('body').press('d');
    const dialog = dialogOf('drain-dialog');
    await dialog.waitFor();
    await still();
    expect(await dialog.getByTestId('drain-summary').textContent()).toContain(`${onNode(node).length} pod`);
    await s.page.getByTestId('drain-start').click();
    const progress = dialog.getByTestId('drain-progress');
    await progress.waitFor();
    await expect.poll(() => progress.getAttribute('data-state')).toBe('running');
    // The budget refuses every eviction: the drain waits, the pods stay.
    await s.page.waitForTimeout(2500);
    expect(await progress.getAttribute('data-state')).toBe('running');
    expect(Number(await progress.locator('[data-testid^="job-progress-"]').getAttribute('data-percent'))).toBeLessThan(100);
    expect(Number(await dialog.getByTestId('node-pods').getAttribute('data-count'))).toBe(onNode(node).length);
    expect(await row('nodes-table', node).getByTestId('node-status').textContent()).toContain('Draining');
    // Why it waits, from the drain's log.
    await expect.poll(() => dialog.getByTestId('drain-log').textContent(), { timeout: 10_000 }).toContain('refused (429)');
    await picture('clusters-drain-waiting-en');

    kube.holdDisruptionBudget('default', 'api-pdb', false);
    await expect.poll(() => dialog.getByTestId('node-pods').getAttribute('data-count'), { timeout: 30_000 }).toBe('0');
    await expect.poll(() => progress.getAttribute('data-state'), { timeout: 15_000 }).toBe('succeeded');
    expect(await progress.locator('[data-testid^="job-progress-"]').getAttribute('data-percent')).toBe('100');
    await picture('clusters-drain-done-en');
    await dialog.getByTestId('drain-close').click();
    await dialog.waitFor({ state: 'detached' });
    expect(await row('nodes-table', node).getByTestId('node-status').getAttribute('data-unschedulable')).toBe('true');
    await api(kube, 'DELETE', '/apis/policy/v1/namespaces/default/poddisruptionbudgets/api-pdb');
  });

  it('scales a deployment with + and the ready count follows', async () => {
    await view(2, 'workloads');
    await select('workloads-table', 'api');
    await s.page.locator('body').press('+');
    await dialogOf('scale-dialog').waitFor();
    await still();
    await input('scale-replicas').fill('6');
    await s.page.getByTestId('scale-ok').click();
    const ready = row('workloads-table', 'api').getByTestId('workload-ready');
    await expect.poll(() => ready.textContent(), { timeout: 15_000 }).toBe('6/6');
    expect(kube.object('deployments', 'default', 'api')?.spec?.replicas).toBe(6);
    await picture('clusters-workloads-en');
  });

  it('finds a pod with / and follows its logs with l: an appended line appears, and search finds it', async () => {
    await view(3, 'pods');
    const pod = kube.objects('pods', 'default').find((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp)!.metadata.name;
    await s.page.locator('body').press('/');
    await expect.poll(() => s.page.evaluate(() => document.activeElement?.id)).toBe('ef-console-filter');
    await s.page.keyboard.type(pod);
    await expect.poll(() => s.page.getByTestId('pods-table').getAttribute('data-count')).toBe('1');
    await s.page.keyboard.press('Enter');
    await expect.poll(() => s.page.getByTestId('pods-table').getAttribute('data-selected')).toBe(pod);
    await s.page.keyboard.press('l');
    const panel = dialogOf('logs-panel');
    await panel.waitFor();
    await still();
    await expect.poll(() => panel.getByTestId('logs-state').textContent()).toContain('live');
    kube.appendLog('default', pod, 'api', 'hello from the stand-in\nsecond line');
    await expect
      .poll(() => panel.getByTestId('log-line').allTextContents(), { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['hello from the stand-in', 'second line']));
    await input('logs-search', panel).fill('hello from');
    await input('logs-search', panel).press('Enter');
    await expect.poll(() => panel.getByTestId('logs-matches').textContent()).toBe('1 / 1');
    expect(await panel.locator('mark.ef-current').textContent()).toBe('hello from');
    await picture('clusters-logs-en');

    // 100,000 more lines: the panel keeps the last 100,000, says it dropped the rest, and still finds one.
    kube.appendLog('default', pod, 'api', Array.from({ length: 100_000 }, (_, i) => `flood line ${i}`).join('\n'));
    const lines = panel.getByTestId('logs-lines');
    await expect.poll(() => lines.getAttribute('data-count'), { timeout: 30_000 }).toBe('100000');
    await panel.getByTestId('logs-dropped').waitFor();
    expect(await panel.getByTestId('log-line').count()).toBeLessThan(200);
    await input('logs-search', panel).fill('flood line 77777');
    await input('logs-search', panel).press('Enter');
    await expect.poll(() => panel.getByTestId('logs-matches').textContent(), { timeout: 5_000 }).toBe('1 / 1');
    await expect.poll(() => panel.locator('mark.ef-current').textContent()).toBe('flood line 77777');
    await s.page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
  });

  it('edits a deployment’s YAML: a dry run, an apply, and a conflict taken over with force', async () => {
    await view(2, 'workloads');
    await select('workloads-table', 'api');
    await s.page.locator('body').press('y');
    const drawer = dialogOf('yaml-drawer');
    await drawer.waitFor();
    await still();
    const text = drawer.getByTestId('yaml-text');
    await expect.poll(() => text.inputValue()).toContain('kind: Deployment');
    const yaml = await text.inputValue();
    expect(yaml).not.toContain('managedFields');
    await text.fill(yaml.replace(/^metadata:\n/m, 'metadata:\n  labels:\n    tier: edge\n'));
    await drawer.getByTestId('yaml-dry-run').click();
    await expect.poll(() => drawer.getByTestId('yaml-result').getAttribute('data-dry-run')).toBe('true');
    expect(await drawer.getByTestId('yaml-action').textContent()).toBe('configured');
    expect(kube.object('deployments', 'default', 'api')?.metadata.labels?.tier).toBeUndefined();
    await drawer.getByTestId('yaml-apply').click();
    await expect.poll(() => drawer.getByTestId('yaml-result').getAttribute('data-dry-run')).toBe('false');
    expect(kube.object('deployments', 'default', 'api')?.metadata.labels?.tier).toBe('edge');

    // spec.replicas belongs to the manager that scaled it: changing it here is a conflict, shown with the way to take it over.
    await expect.poll(() => text.inputValue()).toContain('tier: edge');
    await text.fill((await text.inputValue()).replace(/^( {2}replicas:) \d+$/m, '$1 2'));
    await drawer.getByTestId('yaml-apply').click();
    const conflict = drawer.getByTestId('yaml-conflict');
    await conflict.waitFor();
    expect(await conflict.textContent()).toContain('spec.replicas');
    await picture('clusters-yaml-conflict-en');
    await conflict.getByTestId('yaml-force').click();
    await expect.poll(() => drawer.getByTestId('yaml-result').getAttribute('data-dry-run')).toBe('false');
    expect(kube.object('deployments', 'default', 'api')?.spec?.replicas).toBe(2);
    await s.page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
  });

  it('restarts and rolls back a deployment after confirmations, and suspends a CronJob with p', async () => {
    await view(2, 'workloads');
    await select('workloads-table', 'api');
    const template = () => kube.object('deployments', 'default', 'api')?.spec?.template?.metadata?.annotations ?? {};
    await s.page.locator('body').press('r');
    await s.page.getByTestId('restart-confirm').waitFor();
    await still();
    await s.page.getByTestId('restart-confirm').click();
    await eventually(() => expect(template()['kubectl.kubernetes.io/restartedAt']).toBeTruthy(), 10_000);

    await select('workloads-table', 'api');
    await s.page.locator('body').press('u');
    const dialog = dialogOf('rollback-dialog');
    await dialog.waitFor();
    await still();
    await dialog.locator('[data-testid^="revision-"]').nth(1).waitFor();
    expect(await s.page.getByTestId('rollback-ok').isDisabled()).toBe(true);
    await dialog.getByTestId('revision-1').click();
    await picture('clusters-rollback-en');
    await s.page.getByTestId('rollback-ok').click();
    await dialog.waitFor({ state: 'detached' });
    await eventually(() => expect(template()['kubectl.kubernetes.io/restartedAt']).toBeUndefined(), 10_000);

    await s.page.getByTestId('workload-kind').getByText('CronJobs', { exact: false }).click();
    await select('workloads-table', 'report');
    await s.page.locator('body').press('p');
    await expect.poll(() => row('workloads-table', 'report').getByTestId('cronjob-suspended').getAttribute('data-suspended')).toBe('true');
    expect(kube.object('cronjobs', 'default', 'report')?.spec?.suspend).toBe(true);
  });

  it('lists the cluster’s events, and its warnings on their own', async () => {
    await view(4, 'events');
    const table = s.page.getByTestId('events-table');
    await expect.poll(async () => Number(await table.getAttribute('data-count'))).toBeGreaterThan(0);
    await s.page.getByTestId('events-filter').getByText('Warnings', { exact: false }).click();
    const warnings = kube.objects('events').filter((e) => e.type === 'Warning').length;
    await expect.poll(async () => Number(await table.getAttribute('data-count'))).toBe(warnings);
  });

  it('deploys a catalog app to the nodes a label match selects, previewed live', async () => {
    await view(5, 'deploy');
    await s.page.getByTestId('deploy-app').click();
    await s.page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: 'vision-api' }).click();
    await expect.poll(() => s.page.getByTestId('deploy-version').textContent()).toContain('v1');
    await input('selector-key').fill('zone');
    await s.page.keyboard.press('Tab');
    await s.page.getByTestId('selector-values').click();
    await s.page.keyboard.type('b');
    await s.page.keyboard.press('Enter');
    const match = s.page.getByTestId('deploy-match');
    await expect.poll(() => match.textContent(), { timeout: 10_000 }).toBe('2 nodes match; 1 can run the app.');
    expect(await s.page.locator('[data-testid="deploy-node"][data-name="edge-arm"]').getAttribute('data-fits')).toBe('false');
    expect(await s.page.locator('[data-testid="deploy-node"][data-name="edge-3"]').getAttribute('data-fits')).toBe('true');
    await s.page.keyboard.press('Escape');
    await picture('clusters-deploy-preview-en');

    // Nothing matches: Deploy is disabled, with the reason.
    await s.page.getByTestId('selector-operator').click();
    await s.page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: 'DoesNotExist' }).click();
    await expect.poll(() => match.textContent(), { timeout: 10_000 }).toBe('0 nodes match; 0 can run the app.');
    expect(await s.page.getByTestId('deploy-start').getAttribute('data-blocked')).toBe('true');

    await s.page.getByTestId('selector-operator').click();
    await s.page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: /^In$/ }).click();
    await s.page.getByTestId('selector-values').click();
    await s.page.keyboard.type('b');
    await s.page.keyboard.press('Enter');
    await s.page.keyboard.press('Escape');
    await expect.poll(() => match.textContent(), { timeout: 10_000 }).toBe('2 nodes match; 1 can run the app.');
    await s.page.getByTestId('deploy-start').click();
    await s.page.getByTestId('deploy-confirm').waitFor();
    await still();
    await s.page.getByTestId('deploy-confirm').click();
    await s.page.getByTestId('deploy-result').waitFor({ timeout: 15_000 });
    const deployed = kube.objects('deployments', 'default').find((d) => d.metadata.name === 'vision-api');
    expect(JSON.stringify(deployed?.spec?.template?.spec)).toContain('zone');
  });

  it('opens a shell in a pod with s, in the Terminal area', async () => {
    await view(3, 'pods');
    await input('console-filter').fill('');
    const pod = kube.objects('pods', 'default').find((p) => p.status?.phase === 'Running' && p.metadata.labels?.app === 'api')!.metadata.name;
    await select('pods-table', pod);
    await s.page.locator('body').press('s');
    await expect.poll(() => s.page.evaluate(() => window.location.hash), { timeout: 15_000 }).toMatch(/^#\/terminal\/trm_[0-9a-f]{16}$/);
    await s.page.getByTestId('terminal-page').waitFor();
    await s.page.evaluate((id) => (window.location.hash = `#/clusters/${id}/nodes`), clusterId);
    await s.page.getByTestId('cluster-console').waitFor();
    // Back in the console, its watches start again: actions wait (with a message saying so) until the cluster answers.
    await expect.poll(() => s.page.getByTestId('console-connection').getAttribute('data-state'), { timeout: 15_000 }).toBe('online');
  });

  it('deletes a pod with Delete after a confirmation, and its controller replaces it', async () => {
    await view(3, 'pods');
    await input('console-filter').fill('');
    const pod = kube.objects('pods', 'default').find((p) => p.status?.phase === 'Running' && p.metadata.labels?.app === 'api')!.metadata.name;
    await select('pods-table', pod);
    await s.page.locator('body').press('Delete');
    await s.page.getByTestId('pod-delete-confirm').waitFor();
    await still();
    await s.page.getByTestId('pod-delete-confirm').click();
    await expect.poll(() => row('pods-table', pod).count(), { timeout: 15_000 }).toBe(0);
    expect(kube.object('pods', 'default', pod)).toBeUndefined();
    await eventually(
      () => expect(kube.objects('pods', 'default').filter((p) => p.metadata.labels?.app === 'api' && p.status?.phase === 'Running')).toHaveLength(2),
      15_000,
    );
    await view(1, 'nodes');
  });

  it('says in Chinese what is wrong with a label, next to it, and shows the server’s refusal of a protected one', async () => {
    await s.page.getByTestId('language-switch').getByText('中文').click();
    await expect.poll(() => s.page.getByTestId('area-title').textContent()).toBe('集群');
    await expect.poll(() => s.page.getByTestId('nodes-table').getAttribute('data-count')).toBe('5');
    await select('nodes-table', 'edge-3');
    await s.page.locator('body').press('e');
    const dialog = dialogOf('labels-dialog');
    await dialog.waitFor();
    await still();
    await s.page.getByTestId('label-add').click();
    await input('label-key').fill('-bad');
    await expect.poll(() => fieldErrors(dialog, 'label-key').textContent()).toContain('标签名称由字母、数字、“-”、“_”和“.”组成');
    await input('label-value').fill('a b');
    await expect.poll(() => fieldErrors(dialog, 'label-value').textContent()).toContain('标签值为空');
    await picture('clusters-labels-errors-zh');

    await input('label-key').fill('node-role.kubernetes.io/worker');
    await input('label-value').fill('');
    await s.page.getByTestId('labels-save').click();
    await expect.poll(() => fieldErrors(dialog, 'label-key').textContent()).toContain('归 kubelet 和 k3s 所有');
    await input('label-key').fill('edgeforge.io/line');
    await input('label-value').fill('a');
    await s.page.getByTestId('labels-save').click();
    await dialog.waitFor({ state: 'detached' });
    await eventually(() => expect(kube.nodes().find((n) => n.metadata.name === 'edge-3')?.metadata.labels?.['edgeforge.io/line']).toBe('a'));
    await view(3, 'pods');
    await picture('clusters-pods-zh');
    await view(1, 'nodes');
    await select('nodes-table', 'edge-3');
    await s.page.getByTestId('theme-switch').getByText('深色').click();
    await picture('clusters-nodes-zh-dark');
    await s.page.getByTestId('theme-switch').getByText('浅色').click();
  });

  it('shows the keys on ?', async () => {
    await s.page.locator('body').press('?');
    const help = dialogOf('console-help');
    await help.waitFor();
    await still();
    expect(await help.textContent()).toContain('排空');
    await picture('clusters-keys-zh');
    await s.page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
  });

  it('goes offline honestly when the cable is pulled: the age of what is shown, and every action disabled with the reason', async () => {
    await cable.cut();
    const marker = s.page.getByTestId('console-connection');
    await expect.poll(() => marker.getAttribute('data-state'), { timeout: 20_000 }).toBe('offline');
    await s.page.getByTestId('console-offline').waitFor();
    // The last known nodes stay, and the age of what is shown ticks.
    expect(await s.page.getByTestId('nodes-table').getAttribute('data-count')).toBe('5');
    const age = async () => Number(await marker.getByTestId('console-sync-age').getAttribute('data-seconds'));
    // It ticks. (It may also step back once: a kind that noticed the cut late brings a newer sync time with it.)
    await expect
      .poll(
        async () => {
          const a = await age();
          await s.page.waitForTimeout(1_200);
          return (await age()) > a;
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    expect(await marker.textContent()).toMatch(/离线 · .*前同步/);
    for (const action of ['node-cordon', 'node-drain', 'node-labels', 'node-taints', 'node-yaml'])
      expect(await s.page.getByTestId(action).getAttribute('data-blocked'), action).toBe('true');
    await s.page.getByTestId('node-drain').hover();
    await s.page.locator('.ant-tooltip:visible').getByText('离线：无法访问集群', { exact: false }).waitFor();
    await s.page.waitForTimeout(300);
    await s.page.screenshot({ path: shot('clusters-offline-zh') });

    await s.page.getByTestId('language-switch').getByText('EN').click();
    await expect.poll(() => marker.textContent()).toMatch(/Offline · last synced .* ago/);
    await s.page.getByTestId('node-cordon').hover();
    await s.page.locator('.ant-tooltip:visible').getByText('Offline: the cluster cannot be reached', { exact: false }).waitFor();
    // The keys are refused the same way.
    await select('nodes-table', 'edge-2');
    await s.page.locator('body').press('c');
    await s.page.locator('.ant-message-notice').getByText('Offline: the cluster cannot be reached', { exact: false }).waitFor();
    await s.page.screenshot({ path: shot('clusters-offline-en') });

    await cable.restore();
    await expect.poll(() => marker.getAttribute('data-state'), { timeout: 40_000 }).toBe('online');
    await expect.poll(() => s.page.getByTestId('node-cordon').getAttribute('data-blocked')).toBe(null);
  });

  it('revokes the kubeconfig after confirmation, says what to do in the console, takes a new one, and forgets the cluster once its name is typed', async () => {
    await s.page.getByTestId('console-back').click();
    const r = s.page.locator('[data-testid="cluster-row"][data-name="line-a"]');
    const more = async (item: string) => {
      await r.getByTestId('cluster-more').click();
      await s.page.locator('.ant-dropdown:visible').getByTestId(item).waitFor();
      await still();
      await s.page.locator('.ant-dropdown:visible').getByTestId(item).click();
    };
    await more('cluster-revoke');
    await s.page.getByTestId('revoke-confirm').waitFor();
    await still();
    await s.page.getByTestId('revoke-confirm').click();
    await expect.poll(() => r.getByTestId('cluster-state').getAttribute('data-state'), { timeout: 15_000 }).toBe('no-credential');
    expect(await r.textContent()).toContain('None (revoked)');

    await r.getByTestId('cluster-open').click();
    const marker = s.page.getByTestId('console-connection');
    await expect.poll(() => marker.getAttribute('data-state'), { timeout: 15_000 }).toBe('no-credential');
    expect(await s.page.getByTestId('console-offline').textContent()).toContain('Replace the kubeconfig to reach it.');
    expect(await s.page.getByTestId('node-cordon').getAttribute('data-blocked')).toBe('true');
    await picture('clusters-no-credential-en');
    await s.page.getByTestId('console-replace-kubeconfig').click();
    await dialogOf('kubeconfig-dialog').waitFor();
    await still();
    await s.page.getByTestId('kubeconfig-text').fill(kube.kubeconfig(cable.url()));
    await s.page.getByTestId('kubeconfig-ok').click();
    await expect.poll(() => marker.getAttribute('data-state'), { timeout: 20_000 }).toBe('online');

    await s.page.getByTestId('console-back').click();
    await more('cluster-forget');
    const dialog = dialogOf('forget-dialog');
    await dialog.waitFor();
    await still();
    await input('forget-name').fill('line');
    expect(await s.page.getByTestId('forget-ok').isDisabled()).toBe(true);
    await input('forget-name').fill('line-a');
    await s.page.getByTestId('forget-ok').click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => s.page.locator('[data-testid="cluster-row"]').count()).toBe(0);
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});

/**
 * The console at the size the brief names: 500 nodes and 5,000 pods, with
 * their usage from metrics-server and 200 pod changes a second streaming
 * in. Long tasks (main-thread work over 50 ms, PerformanceObserver) are
 * counted while the keys move through the list and the filter is typed;
 * the list must keep up.
 */
describe('Clusters in the browser: 500 nodes and 5,000 pods', () => {
  const s = appInBrowser();
  let kube: KubeStandIn;
  let ws: WebSocket;
  let churn: { stop(): void; readonly emitted: number } | null = null;

  beforeAll(async () => {
    kube = await startKubeStandIn({ podStartMs: 100, metricsServer: true });
    kube.seed({ nodes: 500, pods: 5000, namespaces: 10 });
    const api = await connectClient(s.host);
    ws = api.ws;
    const cluster = await api.client.clusters.import({ name: 'big', kubeconfig: kube.kubeconfig() });
    await s.page.evaluate((id) => (window.location.hash = `#/clusters/${id}/pods`), cluster.id);
  }, 120_000);

  afterAll(async () => {
    churn?.stop();
    ws?.close();
    await kube?.close();
  });

  const longTasks = () =>
    s.page.evaluate(() => {
      const w = window as unknown as { __long?: number[] };
      const list = w.__long ?? [];
      w.__long = [];
      return list;
    });

  it('shows 5,000 pods and 500 nodes, and stays responsive to keys and the filter under churn', async () => {
    // Twice in CI the page went blank during the j walk under churn: React's error #185, renders chained past its limit
    // by the table's own scroll to a key (reproduced with the CPU slowed down four times). Any page error fails this.
    const errors: string[] = [];
    s.page.on('pageerror', (e) => errors.push(`${e.message} ${e.stack?.slice(0, 800)}`));
    s.page.on('crash', () => errors.push('the page crashed'));
    const pods = s.page.getByTestId('pods-table');
    await expect.poll(() => pods.getAttribute('data-count'), { timeout: 60_000 }).toBe('5000');
    // With every pod's usage from metrics-server.
    await expect.poll(() => pods.locator('.ant-table-thead').textContent(), { timeout: 30_000 }).toContain('CPU used');
    await expect.poll(() => s.page.locator('[data-testid="pods-table-row"][data-name="seed-pod-0"]').textContent()).toMatch(/\d+m/);
    // Only the rows in view are in the page.
    expect(await s.page.locator('[data-testid="pods-table-row"]').count()).toBeLessThan(100);
    await s.page.evaluate(() => {
      const w = window as unknown as { __long: number[] };
      w.__long = [];
      new PerformanceObserver((l) => l.getEntries().forEach((e) => w.__long.push(Math.round(e.duration)))).observe({ type: 'longtask' });
    });
    churn = kube.churn({ eventsPerSecond: 200, kind: 'pods' });

    // j walks the list: 40 presses, each seen as a new selected row.
    await s.page.locator('[data-testid="pods-table-row"][data-name="seed-pod-0"]').click();
    const t0 = Date.now();
    for (let i = 0; i < 40; i++) await s.page.keyboard.press('j');
    await expect.poll(() => pods.getAttribute('data-selected'), { timeout: 30_000 }).toBe('seed-pod-40');
    const walk = Date.now() - t0;
    // Kept in view: the selected row is drawn inside the table's scrolled area, whole.
    const inView = () =>
      s.page.evaluate(() => {
        const holder = document.querySelector('[data-testid="pods-table"] .ant-table-tbody-virtual-holder')!.getBoundingClientRect();
        const row = document.querySelector('[data-testid="pods-table-row"][data-name="seed-pod-40"]')?.getBoundingClientRect();
        return !!row && row.top >= holder.top - 1 && row.bottom <= holder.bottom + 1;
      });
    await expect.poll(inView).toBe(true);

    // The filter narrows 5,000 rows as it is typed.
    await s.page.keyboard.press('/');
    const t1 = Date.now();
    await s.page.keyboard.type('seed-pod-4999');
    await expect.poll(() => pods.getAttribute('data-count'), { timeout: 30_000 }).toBe('1');
    const filter = Date.now() - t1;
    await s.page.keyboard.press('Escape');

    await s.page.keyboard.press('1');
    await expect.poll(() => s.page.getByTestId('nodes-table').getAttribute('data-count'), { timeout: 10_000 }).toBe('500');
    await s.page.waitForTimeout(3000);
    const long = await longTasks();
    console.warn(
      `scale: 40 x j in ${walk} ms, filter in ${filter} ms, ${churn.emitted} pod changes, long tasks: ${long.length} (max ${Math.max(0, ...long)} ms)`,
    );
    await s.page.screenshot({ path: shot('clusters-scale-nodes-en') });
    expect(errors).toEqual([]);
    // Times are reported, not asserted: the suite runs files side by side on 2 cores. bench/cluster-console.ts measures them.
  }, 120_000);
});
