/**
 * The cluster console's actions (ConsoleService) against the Kubernetes API
 * stand-in, since no real API server runs here: node cordon, labels and
 * taints; scale, restart, revisions, rollback, CronJob suspend, pod delete;
 * logs (followed, previous, tail, as a file); YAML and server-side apply;
 * catalog deploys onto nodes by label; metrics; an offline cluster.
 */
import path from 'node:path';
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { ContainerAppSpecSchema, type LogsEvent } from '../../main/api/contract';
import { ArtifactService, artifactsSchema } from '../../main/artifacts';
import { AppService, catalogSchema } from '../../main/catalog';
import { ClusterService, ClusterStore, clusterSchema, ConsoleErrors, ConsoleService, parseQuantity } from '../../main/cluster';
import { JobService, jobsSchema } from '../../main/jobs';
import { Store } from '../../main/store';
import { ensureOciFixtures } from '../lab/cache';
import { importedId } from '../support/jobs';
import { startKubeStandIn, usageOf, type KubeStandIn } from '../support/kube-stand-in';
import { refusal } from '../support/refusal';
import { tempDir } from '../support/tmp';
import { unlockedVault } from '../support/vault';
import { eventually } from './wire';

// Objects read back from the API are free-form JSON; the assertions give them shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

let kube: KubeStandIn;
let kc: KubeConfig;
const core = () => kc.makeApiClient(CoreV1Api);
const appsApi = () => kc.makeApiClient(AppsV1Api);
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** A station with the console's services over a fresh store, and the stand-in imported as a cluster. */
function station(kubeconfig = kube.kubeconfig()) {
  const dir = tempDir();
  const store = Store.open(path.join(dir, 'db.sqlite'), [jobsSchema, artifactsSchema, catalogSchema, clusterSchema]);
  const jobs = new JobService(store.db);
  const artifacts = new ArtifactService(store.db, path.join(dir, 'blobs'), jobs);
  const apps = new AppService(store.db, artifacts);
  const clusters = new ClusterService(new ClusterStore(store.db, unlockedVault(path.join(dir, 'keys'))));
  const ops = new ConsoleService({ clusters, jobs, apps, artifacts });
  const cluster = clusters.import({ name: 'line-a', kubeconfig });
  return { jobs, artifacts, apps, clusters, ops, id: cluster.id };
}

let s: ReturnType<typeof station>;

async function deployment(name: string, image: string, replicas = 1): Promise<V1Deployment> {
  return appsApi().createNamespacedDeployment({
    namespace: 'default',
    body: {
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } },
      },
    },
  });
}

const runningPods = async (label: string) =>
  (await core().listNamespacedPod({ namespace: 'default', labelSelector: label })).items.filter(
    (p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running',
  );

beforeAll(async () => {
  kube = await startKubeStandIn({ podStartMs: 30, podTerminationMs: 60 });
  kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig());
  kube.addNode('edge-1', { labels: { site: 'north', tier: 'gpu' } });
  kube.addNode('edge-2', { labels: { site: 'south' } });
  kube.addNode('edge-3', { labels: { site: 'north' } });
  s = station();
});
afterAll(async () => {
  await s?.clusters.close();
  await kube?.close();
});

describe('nodes', () => {
  it('cordons and uncordons a node: spec.unschedulable as the server has it, in the answer and on the node', async () => {
    const cordoned = (await s.ops.cordon(s.id, 'edge-3', true)) as Obj;
    expect(cordoned.spec.unschedulable).toBe(true);
    expect(kube.object('nodes', undefined, 'edge-3')!.spec.unschedulable).toBe(true);
    await eventually(() =>
      expect(kube.object('nodes', undefined, 'edge-3')!.spec.taints).toContainEqual(expect.objectContaining({ key: 'node.kubernetes.io/unschedulable' })),
    );
    const back = (await s.ops.cordon(s.id, 'edge-3', false)) as Obj;
    expect(back.spec.unschedulable).toBeUndefined();
    expect(kube.object('nodes', undefined, 'edge-3')!.spec.unschedulable).toBeUndefined();
  });

  it('sets and removes labels on two nodes at once, and refuses a label the kubelet owns without touching any node', async () => {
    const out = await s.ops.setNodeLabels({
      clusterId: s.id,
      nodes: ['edge-1', 'edge-2'],
      set: { 'edgeforge.io/line': 'a', zone: 'hall-2' },
      remove: ['site'],
    });
    expect(out.map((n) => (n as Obj).metadata.name)).toEqual(['edge-1', 'edge-2']);
    for (const n of ['edge-1', 'edge-2']) {
      const labels = kube.object('nodes', undefined, n)!.metadata.labels!;
      expect(labels).toMatchObject({ 'edgeforge.io/line': 'a', zone: 'hall-2', 'kubernetes.io/hostname': n });
      expect(labels.site).toBeUndefined();
    }
    const before = kube.object('nodes', undefined, 'edge-1')!.metadata.resourceVersion;
    const arch = await refusal(s.ops.setNodeLabels({ clusterId: s.id, nodes: ['edge-1'], set: { 'kubernetes.io/arch': 'arm64' }, remove: [] }));
    expect(arch.code).toBe(ConsoleErrors.CLUSTER_LABEL_PROTECTED);
    expect(arch.field).toEqual(['set', 'kubernetes.io/arch']);
    expect(arch.text.en).toContain('kubernetes.io/arch');
    expect(arch.text.zh).toContain('kubernetes.io/arch');
    const role = await refusal(s.ops.setNodeLabels({ clusterId: s.id, nodes: ['edge-1'], set: {}, remove: ['node-role.kubernetes.io/master'] }));
    expect(role).toMatchObject({ code: ConsoleErrors.CLUSTER_LABEL_PROTECTED, field: ['remove', 0] });
    expect(kube.object('nodes', undefined, 'edge-1')!.metadata.resourceVersion).toBe(before);
    // Put the site labels back for the deploy tests.
    await s.ops.setNodeLabels({ clusterId: s.id, nodes: ['edge-1'], set: { site: 'north' }, remove: ['zone', 'edgeforge.io/line'] });
    await s.ops.setNodeLabels({ clusterId: s.id, nodes: ['edge-2'], set: { site: 'south' }, remove: ['zone', 'edgeforge.io/line'] });
  });

  it('says which nodes took the labels when one of them is gone', async () => {
    const e = await refusal(s.ops.setNodeLabels({ clusterId: s.id, nodes: ['edge-2', 'ghost-9'], set: { batch: 'b7' }, remove: [] }));
    expect(e.code).toBe(ConsoleErrors.CLUSTER_NODES_PARTLY_CHANGED);
    expect(e.text.en).toMatch(/on 1 of 2 nodes \(edge-2\); not on ghost-9/);
    expect(kube.object('nodes', undefined, 'edge-2')!.metadata.labels!.batch).toBe('b7');
  });

  it('replaces the taints of a node, keeping the one cordon set, and refuses a taint the node controller owns', async () => {
    await s.ops.cordon(s.id, 'edge-2', true);
    await eventually(() => expect(kube.object('nodes', undefined, 'edge-2')!.spec.taints).toHaveLength(1));
    await s.ops.setNodeTaints(s.id, 'edge-2', [
      { key: 'dedicated', value: 'vision', effect: 'NoSchedule' },
      { key: 'maintenance', value: '', effect: 'NoExecute' },
    ]);
    const out = (await s.ops.setNodeTaints(s.id, 'edge-2', [{ key: 'dedicated', value: 'audio', effect: 'PreferNoSchedule' }])) as Obj;
    const taints = kube.object('nodes', undefined, 'edge-2')!.spec.taints;
    expect(taints.map((t: Obj) => `${t.key}=${t.value ?? ''}:${t.effect}`)).toEqual([
      'node.kubernetes.io/unschedulable=:NoSchedule',
      'dedicated=audio:PreferNoSchedule',
    ]);
    expect(out.spec.taints).toHaveLength(2);
    const owned = await refusal(s.ops.setNodeTaints(s.id, 'edge-2', [{ key: 'node.kubernetes.io/not-ready', value: '', effect: 'NoExecute' }]));
    expect(owned).toMatchObject({ code: ConsoleErrors.CLUSTER_TAINT_PROTECTED, field: ['taints', 0, 'key'] });
    await s.ops.setNodeTaints(s.id, 'edge-2', []);
    await s.ops.cordon(s.id, 'edge-2', false);
    await eventually(() => expect(kube.object('nodes', undefined, 'edge-2')!.spec.taints ?? []).toEqual([]));
  });

  it('tells a node that does not exist (404) from one the server refuses', async () => {
    const e = await refusal(s.ops.cordon(s.id, 'ghost-1', true));
    expect(e.code).toBe(ConsoleErrors.CLUSTER_OBJECT_NOT_FOUND);
    expect(e.text.en).toContain('nodes "ghost-1" not found');
  });
});

describe('workloads', () => {
  beforeAll(async () => {
    await deployment('shop', 'shop:1');
    await eventually(async () => expect(await runningPods('app=shop')).toHaveLength(1));
  });

  it('scales a deployment through the scale subresource', async () => {
    const out = (await s.ops.scale({ clusterId: s.id, kind: 'deployments', namespace: 'default', name: 'shop', replicas: 3 })) as Obj;
    expect(out).toMatchObject({ kind: 'Scale', spec: { replicas: 3 } });
    expect(kube.requests.some((r) => r.method === 'PATCH' && r.path === '/apis/apps/v1/namespaces/default/deployments/shop/scale')).toBe(true);
    await eventually(async () => expect(await runningPods('app=shop')).toHaveLength(3));
    await s.ops.scale({ clusterId: s.id, kind: 'deployments', namespace: 'default', name: 'shop', replicas: 1 });
    await eventually(async () => expect(await runningPods('app=shop')).toHaveLength(1));
  });

  it('restarts a deployment: restartedAt on its template makes a new revision that is current', async () => {
    const ref = { clusterId: s.id, kind: 'deployments' as const, namespace: 'default', name: 'shop' };
    expect((await s.ops.revisions(ref)).map((r) => [r.revision, r.current, r.images])).toEqual([[1, true, ['shop:1']]]);
    const out = (await s.ops.restart(ref)) as Obj;
    expect(Date.parse(out.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'])).toBeGreaterThan(Date.now() - 60_000);
    await eventually(async () =>
      expect((await s.ops.revisions(ref)).map((r) => [r.revision, r.current])).toEqual([
        [1, false],
        [2, true],
      ]),
    );
  });

  it("rolls a deployment back to an earlier revision: its image comes back, with that revision's change-cause", async () => {
    const ref = { clusterId: s.id, kind: 'deployments' as const, namespace: 'default', name: 'shop' };
    await appsApi().patchNamespacedDeployment(
      {
        name: 'shop',
        namespace: 'default',
        body: {
          metadata: { annotations: { 'kubernetes.io/change-cause': 'shop 2' } },
          spec: { template: { spec: { containers: [{ name: 'main', image: 'shop:2' }] } } },
        },
      },
      merge,
    );
    const three = await eventually(async () => {
      const r = await s.ops.revisions(ref);
      expect(r.at(-1)).toMatchObject({ revision: 3, current: true, images: ['shop:2'] });
      return r;
    });
    expect(three.at(-1)!.createdAt).toMatch(/^\d{4}-/);
    await s.ops.rollback({ ...ref, revision: 1 });
    await eventually(async () => {
      const d = await appsApi().readNamespacedDeployment({ name: 'shop', namespace: 'default' });
      expect(d.spec?.template.spec?.containers[0]?.image).toBe('shop:1');
      expect((await runningPods('app=shop')).map((p) => p.spec?.containers[0]?.image)).toEqual(['shop:1']);
    });
    const after = await s.ops.revisions(ref);
    expect(after.find((r) => r.current)).toMatchObject({ images: ['shop:1'], revision: 4 });
    const missing = await refusal(s.ops.rollback({ ...ref, revision: 99 }));
    expect(missing).toMatchObject({ code: ConsoleErrors.CLUSTER_REVISION_NOT_FOUND, field: ['revision'] });
  });

  it("lists a DaemonSet's revisions from its ControllerRevisions and rolls it back", async () => {
    await appsApi().createNamespacedDaemonSet({
      namespace: 'default',
      body: {
        metadata: { name: 'agent' },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'agent:1' }] } },
        },
      },
    });
    const ref = { clusterId: s.id, kind: 'daemonsets' as const, namespace: 'default', name: 'agent' };
    await eventually(async () => expect((await s.ops.revisions(ref)).map((r) => r.images)).toEqual([['agent:1']]));
    await appsApi().patchNamespacedDaemonSet(
      { name: 'agent', namespace: 'default', body: { spec: { template: { spec: { containers: [{ name: 'a', image: 'agent:2' }] } } } } },
      merge,
    );
    await eventually(async () =>
      expect((await s.ops.revisions(ref)).map((r) => [r.revision, r.current, r.images[0]])).toEqual([
        [1, false, 'agent:1'],
        [2, true, 'agent:2'],
      ]),
    );
    const out = (await s.ops.rollback({ ...ref, revision: 1 })) as Obj;
    expect(out.spec.template.spec.containers[0].image).toBe('agent:1');
    await appsApi().deleteNamespacedDaemonSet({ name: 'agent', namespace: 'default' });
  });

  it('suspends a CronJob: running it then makes nothing; resuming it lets it run', async () => {
    await kc.makeApiClient(BatchV1Api).createNamespacedCronJob({
      namespace: 'default',
      body: {
        metadata: { name: 'backup' },
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'b', image: 'backup:1' }] } } } },
        },
      },
    });
    const out = (await s.ops.suspendCronJob({ clusterId: s.id, namespace: 'default', name: 'backup', suspend: true })) as Obj;
    expect(out.spec.suspend).toBe(true);
    expect(kube.runCronJob('default', 'backup')).toBeNull();
    await s.ops.suspendCronJob({ clusterId: s.id, namespace: 'default', name: 'backup', suspend: false });
    expect(kube.runCronJob('default', 'backup')).not.toBeNull();
  });

  it('deletes a pod, and says deleted: false for one already gone', async () => {
    const [pod] = await runningPods('app=shop');
    expect(await s.ops.deletePod({ clusterId: s.id, namespace: 'default', name: pod!.metadata!.name! })).toEqual({ deleted: true });
    expect(kube.object('pods', 'default', pod!.metadata!.name!)?.metadata.deletionTimestamp).toBeDefined();
    expect(await s.ops.deletePod({ clusterId: s.id, namespace: 'default', name: 'no-such-pod' })).toEqual({ deleted: false });
  });
});

describe('logs', () => {
  beforeAll(async () => {
    await core().createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'talker' }, spec: { nodeName: 'edge-1', containers: [{ name: 'app', image: 'talker:1' }] } },
    });
    await core().createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'pair' },
        spec: {
          nodeName: 'edge-1',
          containers: [
            { name: 'web', image: 'web:1' },
            { name: 'proxy', image: 'proxy:1' },
          ],
        },
      },
    });
    await eventually(() => {
      expect(kube.object('pods', 'default', 'talker')!.status.phase).toBe('Running');
      expect(kube.object('pods', 'default', 'pair')!.status.phase).toBe('Running');
    });
  });

  it('follows a log: what is there, then lines appended live in batches; aborting closes the stream at the server', async () => {
    kube.appendLog('default', 'talker', 'app', 'one\ntwo');
    const ctl = new AbortController();
    const it = s.ops.logs({ clusterId: s.id, namespace: 'default', pod: 'talker', previous: false, follow: true, timestamps: false }, ctl.signal);
    const got: string[] = [];
    const next = async () => {
      const r = await it.next();
      expect(r.done).toBe(false);
      const e = r.value as LogsEvent;
      expect(e.type).toBe('lines');
      if (e.type === 'lines') got.push(...e.lines);
    };
    while (got.length < 3) await next();
    expect(got).toEqual(['stand-in container app started (image talker:1)', 'one', 'two']);
    expect(kube.logFollowers('default', 'talker', 'app')).toBe(1);
    // 1500 lines at once arrive in batches of at most 1000.
    kube.appendLog('default', 'talker', 'app', Array.from({ length: 1500 }, (_, i) => `live ${i}`).join('\n'));
    const first = (await it.next()).value as LogsEvent & { type: 'lines' };
    expect(first.lines.length).toBeLessThanOrEqual(1000);
    got.push(...first.lines);
    while (got.length < 1503) await next();
    expect(got.at(-1)).toBe('live 1499');
    kube.appendLog('default', 'talker', 'app', 'x'.repeat(20_000));
    await next();
    expect(got.at(-1)).toBe(`${'x'.repeat(16 * 1024)} … [${20_000 - 16 * 1024} more characters cut]`);
    const pending = it.next();
    ctl.abort();
    expect((await pending).done).toBe(true);
    await eventually(() => expect(kube.logFollowers('default', 'talker', 'app')).toBe(0));
  });

  it('ends a followed log with no problem when the container restarts', async () => {
    const it = s.ops.logs({ clusterId: s.id, namespace: 'default', pod: 'talker', previous: false, follow: true, timestamps: false, tailLines: 1 });
    expect(await it.next()).toMatchObject({ value: { type: 'lines', lines: [`${'x'.repeat(16 * 1024)} … [${20_000 - 16 * 1024} more characters cut]`] } });
    kube.restartContainer('default', 'talker', 'app');
    expect(await it.next()).toEqual({ done: false, value: { type: 'end', problem: null } });
    expect((await it.next()).done).toBe(true);
  });

  it('ends a followed log with CLUSTER_CREDENTIAL_REVOKED when the kubeconfig is revoked, and closes it at the server', async () => {
    const t = station();
    const it = t.ops.logs({ clusterId: t.id, namespace: 'default', pod: 'pair', container: 'proxy', previous: false, follow: true, timestamps: false });
    expect(await it.next()).toMatchObject({ value: { type: 'lines' } });
    await eventually(() => expect(kube.logFollowers('default', 'pair', 'proxy')).toBe(1));
    const pending = it.next();
    t.clusters.revokeKubeconfig(t.id);
    const e = await refusal(pending);
    expect(e.code).toBe('CLUSTER_CREDENTIAL_REVOKED');
    expect(e.text.en).toMatch(/^The kubeconfig of cluster line-a was revoked at /);
    await eventually(() => expect(kube.logFollowers('default', 'pair', 'proxy')).toBe(0));
    await t.clusters.close();
  });

  it("reads the previous container's log, the last lines only, and refuses a container the pod does not have", async () => {
    const prev = s.ops.logs({ clusterId: s.id, namespace: 'default', pod: 'talker', previous: true, follow: false, timestamps: false, tailLines: 2 });
    const events: LogsEvent[] = [];
    for await (const e of prev) events.push(e);
    expect(events).toEqual([
      { type: 'lines', lines: ['live 1499', `${'x'.repeat(16 * 1024)} … [${20_000 - 16 * 1024} more characters cut]`] },
      { type: 'end', problem: null },
    ]);
    const e = await refusal(
      s.ops.logs({ clusterId: s.id, namespace: 'default', pod: 'pair', container: 'nope', previous: false, follow: true, timestamps: false }).next(),
    );
    expect(e).toMatchObject({ code: ConsoleErrors.CLUSTER_LOGS_UNAVAILABLE, field: ['container'] });
    expect(e.text.en).toContain('container nope is not valid for pod pair');
  });

  it('gives the whole log as a file named after pod and container, the previous one marked so', async () => {
    kube.appendLog('default', 'pair', 'proxy', 'GET / 200');
    const proxy = await s.ops.logText({ clusterId: s.id, namespace: 'default', pod: 'pair', container: 'proxy', previous: false, timestamps: false });
    expect(proxy).toEqual({ fileName: 'pair_proxy.log', text: 'stand-in container proxy started (image proxy:1)\nGET / 200\n' });
    const prev = await s.ops.logText({ clusterId: s.id, namespace: 'default', pod: 'talker', previous: true, timestamps: false });
    expect(prev.fileName).toBe('talker_app_previous.log');
    expect(prev.text.split('\n')[1]).toBe('one');
    const which = await refusal(s.ops.logText({ clusterId: s.id, namespace: 'default', pod: 'pair', previous: false, timestamps: false }));
    expect(which.text.en).toContain('a container name must be specified for pod pair, choose one of: [web proxy]');
  });
});

describe('YAML and server-side apply', () => {
  const cm = (data: Record<string, string>, name = 'settings') =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${Object.entries(data)
      .map(([k, v]) => `  ${k}: "${v}"`)
      .join('\n')}\n`;
  const apply = (yaml: string, o: { dryRun?: boolean; force?: boolean } = {}) =>
    s.ops.apply({ clusterId: s.id, yaml, dryRun: o.dryRun ?? false, force: o.force ?? false });

  it('applies documents: created, then unchanged, then configured; a dry run is checked by the server and changes nothing', async () => {
    const two = `${cm({ mode: 'fast' })}---\n${cm({ a: '1' }, 'other')}`;
    expect(await apply(two)).toEqual({
      dryRun: false,
      objects: [
        { kind: 'ConfigMap', namespace: 'default', name: 'settings', action: 'created' },
        { kind: 'ConfigMap', namespace: 'default', name: 'other', action: 'created' },
      ],
    });
    expect((await apply(two)).objects.map((o) => o.action)).toEqual(['unchanged', 'unchanged']);
    const rv = kube.object('configmaps', 'default', 'settings')!.metadata.resourceVersion;
    expect((await apply(cm({ mode: 'slow' }), { dryRun: true })).objects).toEqual([
      { kind: 'ConfigMap', namespace: 'default', name: 'settings', action: 'configured' },
    ]);
    expect(kube.requests.at(-1)!.query.dryRun).toBe('All');
    expect(kube.object('configmaps', 'default', 'settings')!.data as Obj).toEqual({ mode: 'fast' });
    expect(kube.object('configmaps', 'default', 'settings')!.metadata.resourceVersion).toBe(rv);
    expect((await apply(cm({ mode: 'slow' }))).objects[0]!.action).toBe('configured');
    expect(kube.object('configmaps', 'default', 'settings')!.data as Obj).toEqual({ mode: 'slow' });
    expect(kube.object('configmaps', 'default', 'settings')!.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'edgeforge', operation: 'Apply' }),
    );
  });

  it('refuses a field another manager owns with CLUSTER_APPLY_CONFLICT naming field and manager; force takes it over', async () => {
    await core().patchNamespacedConfigMap({ name: 'settings', namespace: 'default', fieldManager: 'tuner', body: { data: { mode: 'turbo' } } }, merge);
    const e = await refusal(apply(cm({ mode: 'slow' })));
    expect(e.code).toBe(ConsoleErrors.CLUSTER_APPLY_CONFLICT);
    expect(e.field).toEqual(['yaml']);
    expect(e.text.en).toContain('.data.mode (tuner)');
    expect(e.text.en).toContain('"force"');
    expect(e.text.zh).toContain('.data.mode (tuner)');
    expect((kube.object('configmaps', 'default', 'settings')!.data as Obj).mode).toBe('turbo');
    expect((await apply(cm({ mode: 'slow' }), { force: true })).objects[0]!.action).toBe('configured');
    expect((kube.object('configmaps', 'default', 'settings')!.data as Obj).mode).toBe('slow');
  });

  it('gives an object as YAML without managed fields or status; edited and applied, it changes on the server', async () => {
    const { yaml, resourceVersion } = await s.ops.yaml({ clusterId: s.id, kind: 'deployments', namespace: 'default', name: 'shop' });
    const obj = parse(yaml) as Obj;
    expect(obj).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shop', namespace: 'default', resourceVersion } });
    expect(obj.metadata.managedFields).toBeUndefined();
    expect(obj.status).toBeUndefined();
    expect(yaml).not.toContain('managedFields');
    obj.spec.template.spec.containers[0].image = 'shop:3';
    obj.spec.replicas = 2;
    // Image and replicas were last set by other writers (rollback, scale): taking them over is the user's "force".
    expect((await apply(stringify(obj), { force: true })).objects).toEqual([{ kind: 'Deployment', namespace: 'default', name: 'shop', action: 'configured' }]);
    expect(kube.object('deployments', 'default', 'shop')!.spec).toMatchObject({ replicas: 2, template: { spec: { containers: [{ image: 'shop:3' }] } } });
    // The same edit made on the copy read before is now stale: refused, not applied over the newer object.
    const stale = await refusal(apply(stringify({ ...obj, spec: { ...obj.spec, replicas: 5 } }), { force: true }));
    expect(stale.code).toBe(ConsoleErrors.CLUSTER_OBJECT_CHANGED);
    const node = parse((await s.ops.yaml({ clusterId: s.id, kind: 'nodes', name: 'edge-1' })).yaml) as Obj;
    expect(node.metadata.labels['kubernetes.io/hostname']).toBe('edge-1');
  });

  it('tells where YAML does not parse, an unknown kind, a document that is not an object, and names what was applied before', async () => {
    const bad = await refusal(apply('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: [1,\n'));
    expect(bad.code).toBe(ConsoleErrors.CLUSTER_YAML_INVALID);
    expect(bad.field).toEqual(['yaml']);
    expect(bad.text.en).toMatch(/at line 5, column \d+/);
    const unknown = await refusal(apply('apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n'));
    expect(unknown.code).toBe(ConsoleErrors.CLUSTER_KIND_UNKNOWN);
    expect(unknown.text.en).toContain('kind Widget in example.com/v1');
    const notObject = await refusal(apply('- a\n- b\n'));
    expect(notObject.text.en).toContain('Document 1 (line 1) is not a Kubernetes object');
    const second = await refusal(apply(`${cm({ k: 'v' }, 'third')}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s1\n  namespace: nowhere\n`));
    expect(second.code).toBe(ConsoleErrors.CLUSTER_OBJECT_NOT_FOUND);
    expect(second.text.en).toContain('document 2, line 8');
    expect(second.text.en).toContain('its namespace does not exist');
    expect(second.text.en).toContain('The documents before it were applied: ConfigMap default/third (created).');
  });

  it('finds a kind outside its table through discovery, and applies a cluster-scoped object without a namespace', async () => {
    const out = await apply(
      'apiVersion: apps/v1\nkind: ControllerRevision\nmetadata:\n  name: by-discovery\nrevision: 1\ndata: {}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: plant-7\n',
    );
    expect(out.objects).toEqual([
      { kind: 'ControllerRevision', namespace: 'default', name: 'by-discovery', action: 'created' },
      { kind: 'Namespace', namespace: null, name: 'plant-7', action: 'created' },
    ]);
    expect(kube.requests.some((r) => r.method === 'GET' && r.path === '/apis/apps/v1')).toBe(true);
  });
});

describe('metrics', () => {
  it('reports nodes and pods from metrics-server, and available: false without one', async () => {
    expect(await s.ops.metrics(s.id)).toMatchObject({ available: false, nodes: [], pods: [] });
    kube.setMetricsServer(true);
    try {
      const m = await s.ops.metrics(s.id);
      expect(m.available).toBe(true);
      const u = usageOf('node/edge-1', 'node');
      expect(m.nodes.find((n) => n.name === 'edge-1')).toEqual({
        name: 'edge-1',
        cpuMillicores: Number(u.cpu.slice(0, -1)) / 1e6,
        memoryBytes: Number(u.memory.slice(0, -2)) * 1024,
      });
      const pod = m.pods.find((p) => p.name === 'talker')!;
      expect(pod.cpuMillicores).toBeCloseTo(Number(usageOf('pod/default/talker/app', 'container').cpu.slice(0, -1)) / 1e6, 6);
    } finally {
      kube.setMetricsServer(false);
    }
  });

  it('reads Kubernetes quantities of every form', () => {
    expect([parseQuantity('250m'), parseQuantity('2'), parseQuantity('1.5'), parseQuantity('123456789n'), parseQuantity('500u')]).toEqual([
      0.25, 2, 1.5, 0.123456789, 0.0005,
    ]);
    expect([
      parseQuantity('64Ki'),
      parseQuantity('128Mi'),
      parseQuantity('2Gi'),
      parseQuantity('1k'),
      parseQuantity('3M'),
      parseQuantity('1G'),
      parseQuantity('1000'),
    ]).toEqual([65536, 134217728, 2147483648, 1000, 3e6, 1e9, 1000]);
    expect(parseQuantity('12e3')).toBe(12000);
    expect(parseQuantity('1E')).toBe(1e18);
    expect(parseQuantity('lots')).toBeNaN();
  });
});

describe('deploying a catalog app by node labels', () => {
  let amd: string;
  let arm: string;
  let vision: string;
  beforeAll(async () => {
    const oci = ensureOciFixtures().dir;
    const imp = async (p: string) => importedId(s.jobs, (await s.artifacts.startImport({ path: p })).id, p);
    amd = await imp(path.join(oci, 'app-amd64.docker.tar'));
    arm = await imp(path.join(oci, 'app-arm64.oci'));
    const a = s.apps.create(
      'container',
      ContainerAppSpecSchema.parse({
        name: 'vision-gateway',
        workload: 'Deployment',
        replicas: 2,
        containers: [{ name: 'main', imageArtifactId: amd, ports: [{ containerPort: 8080 }] }],
      }),
    );
    s.apps.publish(a.id);
    s.apps.newVersion(a.id, 'patch');
    vision = a.id;
    kube.addNode('edge-arm', { labels: { site: 'north', 'kubernetes.io/arch': 'arm64' } });
  }, 300_000);

  const input = (selector: object[], over: object = {}) =>
    ({ clusterId: s.id, appId: vision, version: 1, namespace: 'vision', selector, ...over }) as Parameters<ConsoleService['deployPreview']>[0];

  it('previews the nodes In/NotIn/Exists select, an arm64 node refused for an amd64 app, and manifests with the node affinity', async () => {
    const north = await s.ops.deployPreview(input([{ key: 'site', operator: 'In', values: ['north'] }]));
    expect(north.nodes).toEqual([
      { name: 'edge-1', ready: true, arch: 'amd64', fits: true, problem: null },
      { name: 'edge-3', ready: true, arch: 'amd64', fits: true, problem: null },
      {
        name: 'edge-arm',
        ready: true,
        arch: 'arm64',
        fits: false,
        problem: expect.objectContaining({ en: expect.stringContaining('edge-arm is arm64, but the images of "vision-gateway" 1 are amd64') }),
      },
    ]);
    const gpu = await s.ops.deployPreview(input([{ key: 'tier', operator: 'Exists', values: [] }]));
    expect(gpu.nodes.map((n) => n.name)).toEqual(['edge-1']);
    const notNorth = await s.ops.deployPreview(input([{ key: 'site', operator: 'NotIn', values: ['north'] }]));
    expect(notNorth.nodes.map((n) => n.name)).toEqual(['edge-2']);
    const both = await s.ops.deployPreview(
      input([
        { key: 'site', operator: 'In', values: ['north'] },
        { key: 'tier', operator: 'DoesNotExist', values: [] },
      ]),
    );
    expect(both.nodes.map((n) => n.name)).toEqual(['edge-3', 'edge-arm']);

    const docs = parseAllDocuments(north.yaml).map((d) => d.toJS() as Obj);
    expect(docs.map((d) => d.kind)).toEqual(['Namespace', 'Deployment', 'Service']);
    const dep = docs[1]!;
    expect(dep.metadata.namespace).toBe('vision');
    expect(dep.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      {
        matchExpressions: [
          { key: 'site', operator: 'In', values: ['north'] },
          { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
        ],
      },
    ]);
  });

  it('deploys the previewed manifests: the workload runs on the selected amd64 nodes only', async () => {
    const sel = [{ key: 'site', operator: 'In', values: ['north'] }];
    const preview = await s.ops.deployPreview(input(sel));
    const out = await s.ops.deploy(input(sel));
    expect(out.objects).toEqual([
      { kind: 'Namespace', namespace: null, name: 'vision', action: 'created' },
      { kind: 'Deployment', namespace: 'vision', name: 'vision-gateway', action: 'created' },
      { kind: 'Service', namespace: 'vision', name: 'vision-gateway', action: 'created' },
    ]);
    const dep = kube.object('deployments', 'vision', 'vision-gateway')!;
    const previewed = parseAllDocuments(preview.yaml)[1]!.toJS() as Obj;
    expect(dep.spec.template.spec.affinity).toEqual(previewed.spec.template.spec.affinity);
    await eventually(() => {
      const pods = kube.objects('pods', 'vision').filter((p) => p.status?.phase === 'Running');
      expect(pods).toHaveLength(2);
      for (const p of pods) expect(['edge-1', 'edge-3']).toContain(p.spec.nodeName);
    });
    expect((await s.ops.deploy(input(sel))).objects.map((o) => o.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
  });

  it('refuses a deploy no node can take, a draft version, and an unknown app, naming the field', async () => {
    const none = await refusal(s.ops.deploy(input([{ key: 'site', operator: 'In', values: ['mars'] }])));
    expect(none).toMatchObject({ code: ConsoleErrors.CLUSTER_DEPLOY_NO_NODE, field: ['selector'] });
    expect(none.text.en).toContain('No node of the cluster matches site in (mars)');
    const armOnly = await refusal(s.ops.deploy(input([{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }])));
    expect(armOnly.code).toBe(ConsoleErrors.CLUSTER_DEPLOY_NO_NODE);
    expect(armOnly.text.en).toContain('none can run the app');
    const draft = await refusal(s.ops.deployPreview(input([{ key: 'site', operator: 'Exists', values: [] }], { version: 2 })));
    expect(draft).toMatchObject({ code: ConsoleErrors.CLUSTER_DEPLOY_NOT_PUBLISHED, field: ['version'] });
    expect(draft.text.en).toContain('is a draft');
    const ghost = await refusal(s.ops.deployPreview(input([{ key: 'site', operator: 'Exists', values: [] }], { appId: 'app_0000000000000000' })));
    expect(ghost).toMatchObject({ code: 'APP_NOT_FOUND', field: ['appId'] });
    expect(arm).toMatch(/^art_/);
  });
});

describe('an offline cluster', () => {
  it('is told as CLUSTER_UNREACHABLE, saying why, within seconds; a followed log it drops ends with the problem', async () => {
    const gone = await startKubeStandIn({ podStartMs: 20 });
    gone.addNode('edge-1');
    const st = station(gone.kubeconfig());
    const goneKc = new KubeConfig();
    goneKc.loadFromString(gone.kubeconfig());
    await goneKc
      .makeApiClient(CoreV1Api)
      .createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'c:1' }] } } });
    await eventually(() => expect(gone.object('pods', 'default', 'p')!.status.phase).toBe('Running'));
    const followed = st.ops.logs({ clusterId: st.id, namespace: 'default', pod: 'p', previous: false, follow: true, timestamps: false });
    expect((await followed.next()).value).toEqual({ type: 'lines', lines: ['stand-in container c started (image c:1)'] });
    await gone.close();
    const end = (await followed.next()).value as LogsEvent;
    expect(end).toMatchObject({ type: 'end', problem: { en: expect.stringContaining('broke off') } });

    const t0 = Date.now();
    const e = await refusal(st.ops.cordon(st.id, 'edge-1', true));
    expect(e.code).toBe('CLUSTER_UNREACHABLE');
    expect(e.text.en).toContain('ECONNREFUSED');
    const logs = await refusal(st.ops.logs({ clusterId: st.id, namespace: 'default', pod: 'p', previous: false, follow: true, timestamps: false }).next());
    expect(logs.code).toBe('CLUSTER_UNREACHABLE');
    expect((await refusal(st.ops.metrics(st.id))).code).toBe('CLUSTER_UNREACHABLE');
    expect(
      (await refusal(st.ops.apply({ clusterId: st.id, yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n', dryRun: false, force: false }))).code,
    ).toBe('CLUSTER_UNREACHABLE');
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
