/**
 * The Kubernetes API stand-in's controllers, driven through
 * @kubernetes/client-node as a cluster console drives a real cluster:
 * scheduling, Deployments (rollout, restart, rollback, scale), DaemonSets,
 * StatefulSets, Jobs, CronJobs, node cordon/label/taint edits, Events.
 */
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { api, eventually } from './wire';

let s: KubeStandIn;
let kc: KubeConfig;
const core = () => kc.makeApiClient(CoreV1Api);
const apps = () => kc.makeApiClient(AppsV1Api);
const batch = () => kc.makeApiClient(BatchV1Api);
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

beforeAll(async () => {
  s = await startKubeStandIn({ podStartMs: 40, podTerminationMs: 40, jobRunMs: 80 });
  kc = new KubeConfig();
  kc.loadFromString(s.kubeconfig());
  s.addNode('edge-1', { labels: { site: 'north', gpu: 'yes' }, address: '10.77.0.31' });
  s.addNode('edge-2', { labels: { site: 'north' }, address: '10.77.0.32' });
  s.addNode('edge-3', { labels: { site: 'south' }, address: '10.77.0.33' });
  await core().createNamespace({ body: { metadata: { name: 'shop' } } });
});
afterAll(async () => {
  await s?.close();
});

const deployment = (name: string, replicas: number, image = 'nginx:1.25', extra: Record<string, unknown> = {}): V1Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'shop' },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }], ...extra } },
  },
});

const podsOf = async (selector: string, ns = 'shop') => (await core().listNamespacedPod({ namespace: ns, labelSelector: selector })).items;
const running = (pods: V1Pod[]) => pods.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
const revisions = async (app: string) =>
  (await apps().listNamespacedReplicaSet({ namespace: 'shop', labelSelector: `app=${app}` })).items
    .map((rs) => `${rs.metadata?.annotations?.['deployment.kubernetes.io/revision']}:${rs.spec?.replicas}`)
    .sort();

describe('pods: scheduling and the kubelet', () => {
  it('binds a bare pod to a node, then runs it with Ready conditions, container statuses and events', async () => {
    await core().createNamespacedPod({
      namespace: 'shop',
      body: { metadata: { name: 'solo' }, spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] } },
    });
    const pod = await eventually(async () => {
      const p = await core().readNamespacedPod({ name: 'solo', namespace: 'shop' });
      expect(p.status?.phase).toBe('Running');
      return p;
    });
    expect(pod.spec?.nodeName).toMatch(/^edge-\d$/);
    expect(pod.status?.podIP).toMatch(/^10\.42\.\d+\.\d+$/);
    expect(pod.status?.hostIP).toMatch(/^10\.77\.0\.3\d$/);
    expect(pod.status?.conditions?.map((c) => `${c.type}=${c.status}`).sort()).toEqual([
      'ContainersReady=True',
      'Initialized=True',
      'PodReadyToStartContainers=True',
      'PodScheduled=True',
      'Ready=True',
    ]);
    expect(pod.status?.containerStatuses?.[0]).toMatchObject({
      name: 'app',
      ready: true,
      restartCount: 0,
      state: { running: { startedAt: expect.any(Date) } },
      containerID: expect.stringMatching(/^containerd:\/\/[0-9a-f]{64}$/),
    });
    expect(pod.spec?.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' });
    const events = await eventually(async () => {
      const list = await core().listNamespacedEvent({ namespace: 'shop', fieldSelector: 'involvedObject.name=solo' });
      expect(list.items.map((e) => e.reason)).toEqual(['Scheduled', 'Pulled', 'Created', 'Started']);
      return list.items;
    });
    expect(events[0]!).toMatchObject({
      type: 'Normal',
      message: `Successfully assigned shop/solo to ${pod.spec?.nodeName}`,
      source: { component: 'default-scheduler' },
      count: 1,
      involvedObject: { kind: 'Pod', name: 'solo', namespace: 'shop', uid: pod.metadata?.uid },
    });
    expect(events[3]).toMatchObject({ message: 'Started container app', source: { component: 'kubelet', host: pod.spec?.nodeName } });
    expect(events[0]!.firstTimestamp).toBeInstanceOf(Date);
  });

  it('honours nodeSelector, and keeps an unschedulable pod Pending with a FailedScheduling event worded as kube-scheduler does', async () => {
    await core().createNamespacedPod({
      namespace: 'shop',
      body: { metadata: { name: 'gpu-job' }, spec: { nodeSelector: { gpu: 'yes' }, containers: [{ name: 'app', image: 'cuda:12' }] } },
    });
    await core().createNamespacedPod({
      namespace: 'shop',
      body: { metadata: { name: 'nowhere' }, spec: { nodeSelector: { site: 'mars' }, containers: [{ name: 'app', image: 'x:1' }] } },
    });
    await eventually(async () => expect((await core().readNamespacedPod({ name: 'gpu-job', namespace: 'shop' })).spec?.nodeName).toBe('edge-1'));
    const msg =
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
    const pending = await eventually(async () => {
      const p = await core().readNamespacedPod({ name: 'nowhere', namespace: 'shop' });
      expect(p.status?.conditions?.[0]).toMatchObject({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg });
      return p;
    });
    expect(pending.status?.phase).toBe('Pending');
    const ev = await core().listNamespacedEvent({ namespace: 'shop', fieldSelector: 'involvedObject.name=nowhere,reason=FailedScheduling' });
    expect(ev.items).toHaveLength(1);
    expect(ev.items[0]).toMatchObject({ type: 'Warning', message: msg, source: { component: 'default-scheduler' } });
    // A node that matches arrives: the pending pod is scheduled on it.
    s.addNode('mars-1', { labels: { site: 'mars' } });
    await eventually(async () => expect((await core().readNamespacedPod({ name: 'nowhere', namespace: 'shop' })).status?.phase).toBe('Running'));
    await core().deleteNode({ name: 'mars-1' });
  });

  it('deletes a running pod gracefully: deletionTimestamp and Killing first, then gone', async () => {
    const deleted = await api(s, 'DELETE', '/api/v1/namespaces/shop/pods/solo');
    expect(deleted.status).toBe(200);
    expect(deleted.json).toMatchObject({ kind: 'Pod', metadata: { name: 'solo', deletionTimestamp: expect.any(String), deletionGracePeriodSeconds: 30 } });
    const killing = await core().listNamespacedEvent({ namespace: 'shop', fieldSelector: 'involvedObject.name=solo,reason=Killing' });
    expect(killing.items[0]?.message).toBe('Stopping container app');
    await eventually(async () => expect((await api(s, 'GET', '/api/v1/namespaces/shop/pods/solo')).status).toBe(404));
  });

  it('refuses a pod in a namespace that does not exist with 404 naming the namespace', async () => {
    const r = await api(s, 'POST', '/api/v1/namespaces/nope/pods', { body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'a' }] } } });
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ reason: 'NotFound', message: 'namespaces "nope" not found', details: { name: 'nope', kind: 'namespaces' } });
  });
});

describe('nodes: cordon, labels and taints through patches', () => {
  it('cordons with spec.unschedulable (adding the unschedulable taint), keeps new pods off, and uncordons', async () => {
    const cordoned = await core().patchNode({ name: 'edge-3', body: { spec: { unschedulable: true } } }, strategic);
    expect(cordoned.spec?.unschedulable).toBe(true);
    await eventually(async () =>
      expect((await core().readNode({ name: 'edge-3' })).spec?.taints).toEqual([
        { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: expect.any(Date) },
      ]),
    );
    await core().createNamespacedPod({
      namespace: 'shop',
      body: { metadata: { name: 'south-only' }, spec: { nodeSelector: { site: 'south' }, containers: [{ name: 'app', image: 'x:1' }] } },
    });
    await eventually(async () =>
      expect((await core().readNamespacedPod({ name: 'south-only', namespace: 'shop' })).status?.conditions?.[0]?.message).toBe(
        "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
      ),
    );
    expect((await core().listNode({ fieldSelector: 'spec.unschedulable=true' })).items.map((n) => n.metadata?.name)).toEqual(['edge-3']);
    await core().patchNode({ name: 'edge-3', body: { spec: { unschedulable: null } } }, merge);
    await eventually(async () => expect((await core().readNamespacedPod({ name: 'south-only', namespace: 'shop' })).spec?.nodeName).toBe('edge-3'));
    expect((await core().readNode({ name: 'edge-3' })).spec?.taints).toBeUndefined();
    await core().deleteNamespacedPod({ name: 'south-only', namespace: 'shop', gracePeriodSeconds: 0 });
  });

  it('edits labels and taints with patches; a NoSchedule taint keeps pods that do not tolerate it off', async () => {
    const labelled = await core().patchNode({ name: 'edge-2', body: { metadata: { labels: { tier: 'edge', site: null } } } }, merge);
    expect(labelled.metadata?.labels).toMatchObject({ tier: 'edge', 'kubernetes.io/hostname': 'edge-2' });
    expect(labelled.metadata?.labels?.site).toBeUndefined();
    const tainted = await core().patchNode(
      { name: 'edge-2', body: { spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } } },
      strategic,
    );
    expect(tainted.spec?.taints).toEqual([{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
    for (const [name, tolerations] of [
      ['untolerant', []],
      ['tolerant', [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }]],
    ] as const) {
      await core().createNamespacedPod({
        namespace: 'shop',
        body: { metadata: { name }, spec: { nodeSelector: { tier: 'edge' }, tolerations: [...tolerations], containers: [{ name: 'app', image: 'x:1' }] } },
      });
    }
    await eventually(async () => expect((await core().readNamespacedPod({ name: 'tolerant', namespace: 'shop' })).spec?.nodeName).toBe('edge-2'));
    const untolerant = await eventually(async () => {
      const p = await core().readNamespacedPod({ name: 'untolerant', namespace: 'shop' });
      expect(p.status?.conditions?.[0]?.reason).toBe('Unschedulable');
      return p;
    });
    expect(untolerant.status?.conditions?.[0]?.message).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
    await core().patchNode({ name: 'edge-2', body: { metadata: { labels: { site: 'north', tier: null } }, spec: { taints: null } } }, merge);
    for (const name of ['untolerant', 'tolerant']) await core().deleteNamespacedPod({ name, namespace: 'shop', gracePeriodSeconds: 0 });
  });
});

describe('deployments', () => {
  it('rolls out a ReplicaSet named by its pod-template-hash with revision 1, pods owned by it, and a status', async () => {
    await apps().createNamespacedDeployment({ namespace: 'shop', body: deployment('web', 3) });
    const d = await eventually(async () => {
      const x = await apps().readNamespacedDeployment({ name: 'web', namespace: 'shop' });
      expect(x.status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3, observedGeneration: 1 });
      return x;
    });
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.status?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'Available=True/MinimumReplicasAvailable',
      'Progressing=True/NewReplicaSetAvailable',
    ]);
    const [rs] = (await apps().listNamespacedReplicaSet({ namespace: 'shop', labelSelector: 'app=web' })).items;
    const hash = rs!.metadata?.labels?.['pod-template-hash'];
    expect(rs!.metadata?.name).toBe(`web-${hash}`);
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    expect(rs!.metadata?.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata?.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(rs!.status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3 });
    const pods = await podsOf('app=web');
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata?.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(p.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: `web-${hash}`, uid: rs!.metadata?.uid, controller: true });
    }
    expect(new Set(pods.map((p) => p.spec?.nodeName)).size).toBe(3); // spread over the three nodes
    const events = await core().listNamespacedEvent({ namespace: 'shop', fieldSelector: 'involvedObject.kind=Deployment,involvedObject.name=web' });
    expect(events.items.map((e) => `${e.reason}: ${e.message}`)).toEqual([`ScalingReplicaSet: Scaled up replica set web-${hash} to 3 from 0`]);
  });

  it('scales through the scale subresource (autoscaling/v1 Scale), GET, PATCH and PUT', async () => {
    const scale = await apps().readNamespacedDeploymentScale({ name: 'web', namespace: 'shop' });
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 }, status: { replicas: 3, selector: 'app=web' } });
    const patched = await apps().patchNamespacedDeploymentScale({ name: 'web', namespace: 'shop', body: { spec: { replicas: 4 } } }, merge);
    expect(patched.spec?.replicas).toBe(4);
    await eventually(async () => expect(running(await podsOf('app=web'))).toHaveLength(4));
    const current = await apps().readNamespacedDeploymentScale({ name: 'web', namespace: 'shop' });
    const put = await apps().replaceNamespacedDeploymentScale({ name: 'web', namespace: 'shop', body: { ...current, spec: { replicas: 2 } } });
    expect(put.spec?.replicas).toBe(2);
    await eventually(async () => expect((await podsOf('app=web')).filter((p) => !p.metadata?.deletionTimestamp)).toHaveLength(2));
    const stale = await api(s, 'PUT', '/apis/apps/v1/namespaces/shop/deployments/web/scale', {
      body: { ...current, spec: { replicas: 5 } },
    });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ reason: 'Conflict', details: { name: 'web', group: 'apps', kind: 'deployments' } });
    expect((await apps().readNamespacedDeployment({ name: 'web', namespace: 'shop' })).metadata?.generation).toBe(3);
  });

  it('restarts (kubectl rollout restart): a new ReplicaSet at revision 2, the old one scaled to 0', async () => {
    const at = '2024-06-25T10:00:00Z';
    await apps().patchNamespacedDeployment(
      { name: 'web', namespace: 'shop', body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } } },
      strategic,
    );
    await eventually(async () => expect(await revisions('web')).toEqual(['1:0', '2:2']));
    await eventually(async () => {
      const pods = running(await podsOf('app=web'));
      expect(pods).toHaveLength(2);
      expect(pods.every((p) => p.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'] === at)).toBe(true);
    });
    const d = await apps().readNamespacedDeployment({ name: 'web', namespace: 'shop' });
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
  });

  it('changes the image (revision 3), then rolls back as kubectl does: the old template copied back reuses its ReplicaSet as revision 4', async () => {
    await apps().patchNamespacedDeployment(
      { name: 'web', namespace: 'shop', body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } } } },
      strategic,
    );
    await eventually(async () => expect(await revisions('web')).toEqual(['1:0', '2:0', '3:2']));
    // kubectl rollout undo --to-revision=1: read the ReplicaSet of revision 1, JSON-patch its template (without pod-template-hash) into the deployment.
    const rs1 = (await apps().listNamespacedReplicaSet({ namespace: 'shop', labelSelector: 'app=web' })).items.find(
      (rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '1',
    )!;
    const template = structuredClone(rs1.spec!.template!);
    delete template.metadata!.labels!['pod-template-hash'];
    const d = await apps().readNamespacedDeployment({ name: 'web', namespace: 'shop' });
    await apps().patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'shop',
        body: [
          { op: 'replace', path: '/spec/template', value: template },
          { op: 'replace', path: '/metadata/annotations', value: d.metadata?.annotations },
        ],
      },
      jsonPatch,
    );
    await eventually(async () => expect(await revisions('web')).toEqual(['2:0', '3:0', '4:2']));
    const reused = await apps().readNamespacedReplicaSet({ name: rs1.metadata!.name!, namespace: 'shop' });
    expect(reused.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('4');
    await eventually(async () => expect(running(await podsOf('app=web')).map((p) => p.spec?.containers[0]?.image)).toEqual(['nginx:1.25', 'nginx:1.25']));
  });

  it('deletes the ReplicaSets and pods of a deleted deployment (garbage collection)', async () => {
    const r = await api(s, 'DELETE', '/apis/apps/v1/namespaces/shop/deployments/web');
    expect(r.json).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'web', group: 'apps', kind: 'deployments' } });
    await eventually(async () => {
      expect((await apps().listNamespacedReplicaSet({ namespace: 'shop', labelSelector: 'app=web' })).items).toHaveLength(0);
      expect(await podsOf('app=web')).toHaveLength(0);
    });
  });
});

describe('daemonsets, statefulsets, jobs, cronjobs', () => {
  it('runs one DaemonSet pod on each node its nodeSelector matches, and one more on a node that joins', async () => {
    await apps().createNamespacedDaemonSet({
      namespace: 'shop',
      body: {
        metadata: { name: 'agent' },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: { metadata: { labels: { app: 'agent' } }, spec: { nodeSelector: { site: 'north' }, containers: [{ name: 'agent', image: 'agent:2' }] } },
        },
      },
    });
    await eventually(async () => {
      const ds = await apps().readNamespacedDaemonSet({ name: 'agent', namespace: 'shop' });
      expect(ds.status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, numberAvailable: 2, updatedNumberScheduled: 2 });
    });
    expect((await podsOf('app=agent')).map((p) => p.spec?.nodeName).sort()).toEqual(['edge-1', 'edge-2']);
    s.addNode('edge-4', { labels: { site: 'north' } });
    await eventually(async () =>
      expect(
        running(await podsOf('app=agent'))
          .map((p) => p.spec?.nodeName)
          .sort(),
      ).toEqual(['edge-1', 'edge-2', 'edge-4']),
    );
    const revs = await apps().listNamespacedControllerRevision({ namespace: 'shop' });
    expect(revs.items.map((r) => `${r.metadata?.name?.startsWith('agent-')}:${r.revision}`)).toEqual(['true:1']);
    await core().deleteNode({ name: 'edge-4' });
    await eventually(async () => expect((await apps().readNamespacedDaemonSet({ name: 'agent', namespace: 'shop' })).status?.desiredNumberScheduled).toBe(2));
  });

  it('creates StatefulSet pods by ordinal, one after the other, and scales down from the highest', async () => {
    await apps().createNamespacedStatefulSet({
      namespace: 'shop',
      body: {
        metadata: { name: 'db' },
        spec: {
          replicas: 3,
          serviceName: 'db',
          selector: { matchLabels: { app: 'db' } },
          template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'pg', image: 'postgres:16' }] } },
        },
      },
    });
    await eventually(async () => expect((await apps().readNamespacedStatefulSet({ name: 'db', namespace: 'shop' })).status?.readyReplicas).toBe(3));
    const pods = await podsOf('app=db');
    expect(pods.map((p) => p.metadata?.name)).toEqual(['db-0', 'db-1', 'db-2']);
    const created = pods.map((p) => new Date(p.metadata!.creationTimestamp!).getTime());
    expect(created[0]! <= created[1]! && created[1]! <= created[2]!).toBe(true);
    expect(pods[1]!.metadata?.labels).toMatchObject({ 'statefulset.kubernetes.io/pod-name': 'db-1', 'apps.kubernetes.io/pod-index': '1' });
    const sts = await apps().readNamespacedStatefulSet({ name: 'db', namespace: 'shop' });
    expect(sts.status?.currentRevision).toBe(sts.status?.updateRevision);
    await apps().patchNamespacedStatefulSetScale({ name: 'db', namespace: 'shop', body: { spec: { replicas: 1 } } }, merge);
    await eventually(async () => expect((await podsOf('app=db')).map((p) => p.metadata?.name)).toEqual(['db-0']), 8000);
  });

  it('runs a Job to completion: its pods Succeeded, status succeeded and a Complete condition', async () => {
    await batch().createNamespacedJob({
      namespace: 'shop',
      body: {
        metadata: { name: 'migrate' },
        spec: { completions: 2, parallelism: 2, template: { spec: { containers: [{ name: 'm', image: 'migrate:1' }] } } },
      },
    });
    const job = await eventually(async () => {
      const j = await batch().readNamespacedJob({ name: 'migrate', namespace: 'shop' });
      expect(j.status?.succeeded).toBe(2);
      return j;
    });
    expect(job.status?.conditions?.find((c) => c.type === 'Complete')?.status).toBe('True');
    expect(job.status?.completionTime).toBeInstanceOf(Date);
    expect(job.spec?.selector?.matchLabels?.['batch.kubernetes.io/controller-uid']).toBe(job.metadata?.uid);
    const pods = await podsOf('job-name=migrate');
    expect(pods.map((p) => p.status?.phase)).toEqual(['Succeeded', 'Succeeded']);
    expect(pods[0]!.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });

  it('runs a CronJob only while it is not suspended (spec.suspend), and records its schedule time', async () => {
    await batch().createNamespacedCronJob({
      namespace: 'shop',
      body: {
        metadata: { name: 'nightly' },
        spec: { schedule: '0 3 * * *', suspend: true, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'n', image: 'backup:1' }] } } } } },
      },
    });
    expect(s.runCronJob('shop', 'nightly')).toBeNull();
    expect((await batch().readNamespacedCronJob({ name: 'nightly', namespace: 'shop' })).status?.lastScheduleTime).toBeUndefined();
    await batch().patchNamespacedCronJob({ name: 'nightly', namespace: 'shop', body: { spec: { suspend: false } } }, merge);
    const job = s.runCronJob('shop', 'nightly')!;
    expect(job.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'nightly' });
    const cj = await batch().readNamespacedCronJob({ name: 'nightly', namespace: 'shop' });
    expect(cj.status?.lastScheduleTime).toBeInstanceOf(Date);
    await eventually(async () => expect((await batch().readNamespacedJob({ name: job.metadata.name, namespace: 'shop' })).status?.succeeded).toBe(1));
  });
});
