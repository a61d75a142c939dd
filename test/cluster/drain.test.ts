/**
 * The drain job (clusters.drain) against the Kubernetes API stand-in: cordon,
 * evictions through the Eviction API with a PodDisruptionBudget holding
 * them back (429, retried), replacements scheduled elsewhere, DaemonSet
 * pods left in place, cancel mid-drain, and the pods a drain refuses.
 */
import path from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, PolicyV1Api, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../main/api/contract';
import { ArtifactService, artifactsSchema } from '../../main/artifacts';
import { AppService, catalogSchema } from '../../main/catalog';
import { ClusterService, ClusterStore, clusterSchema, ConsoleErrors, ConsoleService, DRAIN_KIND, type DrainResult } from '../../main/cluster';
import { JobService, jobsSchema } from '../../main/jobs';
import { Store } from '../../main/store';
import { jobEnded } from '../support/jobs';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { refusal } from '../support/refusal';
import { tempDir } from '../support/tmp';
import { unlockedVault } from '../support/vault';
import { eventually } from './wire';

let kube: KubeStandIn;
let kc: KubeConfig;
let jobs: JobService;
let ops: ConsoleService;
let clusters: ClusterService;
let clusterId: string;
const core = () => kc.makeApiClient(CoreV1Api);
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const podsOn = (node: string, namespace = 'default') =>
  kube.objects('pods', namespace).filter((p) => p.spec?.nodeName === node && !p.metadata.deletionTimestamp);
const running = (label: string) =>
  kube.objects('pods', 'default').filter((p) => p.metadata.labels?.app === label && p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
const logOf = (id: string) => jobs.logs(id).map((l) => l.message);
const setSchedulable = (node: string, on: boolean) => core().patchNode({ name: node, body: { spec: { unschedulable: on ? null : true } } }, merge);

/** Puts `replicas` pods of a new deployment on `node`: the other nodes are cordoned while they are scheduled. */
async function deploymentOn(node: string, name: string, replicas: number, others: string[]): Promise<void> {
  for (const n of others) await setSchedulable(n, false);
  await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace: 'default',
    body: {
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: `${name}:1` }] } },
      },
    },
  });
  await eventually(() => expect(running(name).filter((p) => p.spec.nodeName === node)).toHaveLength(replicas));
  for (const n of others) await setSchedulable(n, true);
}

const drain = (node: string, over: Partial<{ force: boolean; ignoreDaemonSets: boolean; deleteEmptyDirData: boolean; timeoutSeconds: number }> = {}) =>
  ops.drain({ clusterId, node, ignoreDaemonSets: true, deleteEmptyDirData: false, force: false, timeoutSeconds: 120, ...over });

beforeAll(async () => {
  kube = await startKubeStandIn({ podStartMs: 50, podTerminationMs: 150 });
  kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig());
  for (const n of ['n1', 'n2', 'n3', 'n4']) kube.addNode(n);
  const dir = tempDir();
  const store = Store.open(path.join(dir, 'db.sqlite'), [jobsSchema, artifactsSchema, catalogSchema, clusterSchema]);
  jobs = new JobService(store.db);
  const artifacts = new ArtifactService(store.db, path.join(dir, 'blobs'), jobs);
  clusters = new ClusterService(new ClusterStore(store.db, unlockedVault(path.join(dir, 'keys'))));
  ops = new ConsoleService({ clusters, jobs, apps: new AppService(store.db, artifacts), artifacts });
  clusterId = clusters.import({ name: 'plant-2', kubeconfig: kube.kubeconfig() }).id;
  await kc.makeApiClient(AppsV1Api).createNamespacedDaemonSet({
    namespace: 'default',
    body: {
      metadata: { name: 'agent' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'agent:1' }] } },
      },
    },
  });
  await eventually(() => expect(running('agent')).toHaveLength(4));
});
afterAll(async () => {
  await jobs?.shutdown();
  await kube?.close();
});

describe('drain', () => {
  it('waits on a disruption budget (429, retried, progress below 100 %), then evicts once it allows: pods elsewhere, DaemonSet pods kept', async () => {
    await deploymentOn('n1', 'api', 2, ['n2', 'n3', 'n4']);
    await kc.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({
      namespace: 'default',
      body: { metadata: { name: 'api-pdb' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'api' } } } },
    });
    kube.holdDisruptionBudget('default', 'api-pdb', true);
    const started = await drain('n1');
    expect(started).toMatchObject({ kind: DRAIN_KIND, unit: 'items', title: { en: 'Drain node n1 (plant-2)' } });

    await eventually(() => expect(logOf(started.id).filter((m) => m.includes('refused (429)'))).not.toHaveLength(0), 10_000);
    const waiting = jobs.get(started.id);
    expect(waiting.state).toBe('running');
    expect(waiting.bytesTotal).toBe(2);
    expect(waiting.bytesDone).toBeLessThan(2);
    expect(kube.object('nodes', undefined, 'n1')!.spec.unschedulable).toBe(true);
    expect(logOf(started.id).find((m) => m.includes('refused (429)'))).toMatch(
      /^Eviction of default\/api-\S+ refused \(429\): Cannot evict pod as it would violate the pod's disruption budget \(The disruption budget api-pdb needs \d healthy pods and has \d currently\)\. Retrying in \d+(\.\d)? s\.$/,
    );
    expect(podsOn('n1').filter((p) => p.metadata.labels?.app === 'api')).toHaveLength(2);

    kube.holdDisruptionBudget('default', 'api-pdb', false);
    const done = await jobEnded(jobs, started.id);
    expect(done.state).toBe('succeeded');
    expect(done).toMatchObject({ bytesDone: 2, bytesTotal: 2 });
    const result = done.result as DrainResult;
    expect(result.node).toBe('n1');
    const evictedLines = logOf(started.id).flatMap((m) => /^Evicted default\/(\S+); waiting for it to terminate$/.exec(m)?.[1] ?? []);
    expect(result.evicted.map((p) => p.name).sort()).toEqual(evictedLines.sort());
    expect(evictedLines).toHaveLength(2);
    expect(result.skipped).toEqual([
      { namespace: 'default', name: podsOn('n1').find((p) => p.metadata.labels?.app === 'agent')!.metadata.name, reason: 'daemonset' },
    ]);
    expect(podsOn('n1').map((p) => p.metadata.labels?.app)).toEqual(['agent']);
    await eventually(() => {
      const api = running('api');
      expect(api).toHaveLength(2);
      for (const p of api) expect(p.spec.nodeName).not.toBe('n1');
    });
    expect(logOf(started.id)).toContain('Node n1 drained: 2 evicted, 1 left in place. It stays cordoned until you uncordon it.');
    await ops.cordon(clusterId, 'n1', false);
  }, 90_000);

  it('stops promptly when cancelled mid-drain, leaving the node cordoned and saying so', async () => {
    await deploymentOn('n2', 'web', 1, ['n1', 'n3', 'n4']);
    await kc.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({
      namespace: 'default',
      body: { metadata: { name: 'web-pdb' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } },
    });
    await eventually(async () =>
      expect(
        (await kc.makeApiClient(PolicyV1Api).readNamespacedPodDisruptionBudget({ name: 'web-pdb', namespace: 'default' })).status?.disruptionsAllowed,
      ).toBe(0),
    );
    const started = await drain('n2');
    // Cancelled during the third wait (1 s, 2 s, then 4 s): stopping promptly is then well short of the wait.
    const longWait = await eventually(() => {
      const line = jobs.logs(started.id).find((l) => l.message.includes('refused (429)') && l.message.endsWith('Retrying in 4 s.'));
      expect(line).toBeDefined();
      return line!;
    }, 20_000);
    const t0 = Date.now();
    jobs.cancel(started.id);
    const ended: Job = await jobEnded(jobs, started.id);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(ended.state).toBe('cancelled');
    expect(logOf(started.id).some((m) => m.startsWith('Drain stopped. Node n2 stays cordoned'))).toBe(true);
    expect(kube.object('nodes', undefined, 'n2')!.spec.unschedulable).toBe(true);
    expect(podsOn('n2').some((p) => p.metadata.labels?.app === 'web')).toBe(true);
    // No eviction after the cancel, also once the retry would have been due.
    const evictions = () => kube.requests.filter((r) => r.path.endsWith('/eviction')).length;
    const after = evictions();
    await new Promise((r) => setTimeout(r, Math.max(1000, Date.parse(longWait.at) + 4000 + 1000 - Date.now())));
    expect(evictions()).toBe(after);
    await ops.cordon(clusterId, 'n2', false);
  }, 60_000);

  it('refuses, before cordoning, a pod no controller manages and one with emptyDir data, naming them; with force it evicts them', async () => {
    await core().createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'loner' }, spec: { nodeName: 'n3', containers: [{ name: 'c', image: 'loner:1' }] } },
    });
    await eventually(() => expect(kube.object('pods', 'default', 'loner')!.status.phase).toBe('Running'));
    const e = await refusal(drain('n3'));
    expect(e.code).toBe(ConsoleErrors.CLUSTER_DRAIN_REFUSED);
    expect(e.field).toEqual(['force']);
    expect(e.text.en).toContain('default/loner are managed by no controller');
    expect(e.text.zh).toContain('default/loner');
    expect(kube.object('nodes', undefined, 'n3')!.spec.unschedulable).toBeUndefined();
    expect(jobs.list().filter((j) => (j.params as { node?: string }).node === 'n3')).toEqual([]);

    await core().createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'scratch' },
        spec: { nodeName: 'n3', containers: [{ name: 'c', image: 'scratch:1' }], volumes: [{ name: 'tmp', emptyDir: {} }] },
      },
    });
    await eventually(() => expect(kube.object('pods', 'default', 'scratch')!.status.phase).toBe('Running'));
    const both = await refusal(drain('n3'));
    expect(both.fields?.map((f) => f.path)).toEqual([['force'], ['deleteEmptyDirData']]);
    expect(both.text.en).toContain('default/scratch keep data in emptyDir volumes');

    const onN3 = podsOn('n3')
      .filter((p) => p.metadata.labels?.app !== 'agent')
      .map((p) => p.metadata.name);
    expect(onN3).toEqual(expect.arrayContaining(['loner', 'scratch']));
    const forced = await jobEnded(jobs, (await drain('n3', { force: true, deleteEmptyDirData: true })).id);
    expect(forced.state).toBe('succeeded');
    expect((forced.result as DrainResult).evicted.map((p) => p.name).sort()).toEqual(onN3.sort());
    expect(logOf(forced.id).some((m) => m.includes('default/loner is managed by no controller'))).toBe(true);
    await eventually(() => expect(kube.object('pods', 'default', 'loner')).toBeUndefined());
    await ops.cordon(clusterId, 'n3', false);
  }, 30_000);

  it('gives up after its timeout while a budget still refuses, naming the pod, the node left cordoned', async () => {
    await deploymentOn('n4', 'batch', 1, ['n1', 'n2', 'n3']);
    await kc.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({
      namespace: 'default',
      body: { metadata: { name: 'batch-pdb' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'batch' } } } },
    });
    kube.holdDisruptionBudget('default', 'batch-pdb', true);
    const pod = running('batch')[0]!;
    const ended = await jobEnded(jobs, (await drain('n4', { timeoutSeconds: 10 })).id);
    expect(ended.state).toBe('failed');
    expect(ended.error?.code).toBe(ConsoleErrors.CLUSTER_DRAIN_TIMEOUT);
    expect(Date.parse(ended.finishedAt!) - Date.parse(ended.startedAt!)).toBeGreaterThanOrEqual(9_500);
    expect(ended.error?.message.en).toContain(`these pods were not evicted: default/${pod.metadata.name}`);
    expect(kube.object('nodes', undefined, 'n4')!.spec.unschedulable).toBe(true);
    kube.holdDisruptionBudget('default', 'batch-pdb', false);
    await ops.cordon(clusterId, 'n4', false);
  }, 60_000);

  it('refuses a node that does not exist', async () => {
    expect((await refusal(drain('n9'))).code).toBe(ConsoleErrors.CLUSTER_OBJECT_NOT_FOUND);
  });
});
