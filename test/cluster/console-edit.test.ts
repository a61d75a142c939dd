/**
 * Editing a cluster from the console through the real API (the headless
 * host, `edgeforge serve`, over WebSocket) against the Kubernetes API
 * STAND-IN (test/support/kube-stand-in.ts; no kube-apiserver runs here):
 *   - a node's taints: each effect added, one edited, one removed; keys and
 *     values checked by the label rule of the reference, in both languages;
 *   - labels on several nodes at once, and the labels the kubelet and k3s
 *     own refused;
 *   - a StatefulSet rolled back to a revision, compared with what
 *     `kubectl rollout undo --to-revision` does (kubectl
 *     pkg/polymorphichelpers/rollback.go, StatefulSetRollbacker: the
 *     ControllerRevision's data, a strategic merge patch replacing
 *     spec.template, is sent as it is; the StatefulSet controller then gives
 *     that revision the next number instead of making a new one).
 * Every result is read back from the API server (a GET on the wire and the
 * stand-in's store), not taken from the API's answer.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleErrors } from '../../main/cluster';
import { startHostProcess, type RunningHost, type TestClient } from '../support/host';
import type { KubeStandIn } from '../support/kube-stand-in';
import { apiRefusal as apiError } from '../support/refusal';
import { dbStatefulSet, EDGE_NODES_IN_TWO_ZONES, startStandInCluster, type StandInCluster } from '../support/stand-in-cluster';
import { tempDir } from '../support/tmp';
import { api, eventually } from './wire';

// Objects read back from the API are free-form JSON; the assertions give them shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

let host: RunningHost;
let cluster: StandInCluster;
let kube: KubeStandIn;
let client: TestClient;
let clusterId: string;

/** A node as the API server has it now: a GET on the wire. */
async function node(name: string): Promise<Obj> {
  const r = await api(kube, 'GET', `/api/v1/nodes/${name}`);
  expect(r.status).toBe(200);
  return r.json as Obj;
}
const taintText = (t: Obj) => `${t.key}=${t.value ?? ''}:${t.effect}`;
const taintsOf = async (name: string) => ((await node(name)).spec.taints ?? []).map(taintText);

beforeAll(async () => {
  host = await startHostProcess(path.join(tempDir(), 'home'));
  ({ kube, client } = cluster = await startStandInCluster(host, { kube: { podStartMs: 30, podTerminationMs: 60 }, nodes: EDGE_NODES_IN_TWO_ZONES }));
  clusterId = (await client.clusters.import({ name: 'line-e', kubeconfig: kube.kubeconfig() })).id;
});
afterAll(async () => {
  await cluster?.close();
  await host?.stop();
});

describe('taints', () => {
  it('adds a taint of each effect, then edits one and removes another: the node holds exactly that list', async () => {
    const out = await client.clusters.setNodeTaints({
      clusterId,
      node: 'edge-1',
      taints: [
        { key: 'dedicated', value: 'vision', effect: 'NoSchedule' },
        { key: 'example.com/gpu', value: '', effect: 'PreferNoSchedule' },
        { key: 'maintenance', value: 'planned', effect: 'NoExecute' },
      ],
    });
    expect(((out.spec as Obj).taints as Obj[]).map(taintText)).toEqual([
      'dedicated=vision:NoSchedule',
      'example.com/gpu=:PreferNoSchedule',
      'maintenance=planned:NoExecute',
    ]);
    const first = (await node('edge-1')).spec.taints as Obj[];
    expect(first.map(taintText)).toEqual(['dedicated=vision:NoSchedule', 'example.com/gpu=:PreferNoSchedule', 'maintenance=planned:NoExecute']);
    // An empty value is no value at all, as kubectl taint writes it; a NoExecute taint carries when it was added.
    expect(first[1]).toEqual({ key: 'example.com/gpu', effect: 'PreferNoSchedule' });
    expect(Date.parse(first[2]!.timeAdded)).toBeGreaterThan(Date.now() - 60_000);
    expect(first[0]!.timeAdded).toBeUndefined();

    await client.clusters.setNodeTaints({
      clusterId,
      node: 'edge-1',
      taints: [
        { key: 'dedicated', value: 'audio', effect: 'PreferNoSchedule' },
        { key: 'maintenance', value: 'planned', effect: 'NoExecute' },
      ],
    });
    const second = (await node('edge-1')).spec.taints as Obj[];
    expect(second.map(taintText)).toEqual(['dedicated=audio:PreferNoSchedule', 'maintenance=planned:NoExecute']);
    // The NoExecute taint that stayed keeps its time: the pods tolerating it for a while are not given more time.
    expect(second[1]!.timeAdded).toBe(first[2]!.timeAdded);
    expect(kube.object('nodes', undefined, 'edge-1')!.spec.taints).toEqual(second);

    await client.clusters.setNodeTaints({ clusterId, node: 'edge-1', taints: [] });
    expect(await taintsOf('edge-1')).toEqual([]);
  });

  it('refuses keys and values the label rule refuses, naming the taint and its field in English and Chinese, and changes nothing', async () => {
    await client.clusters.setNodeTaints({ clusterId, node: 'edge-2', taints: [{ key: 'keep', value: 'me', effect: 'NoSchedule' }] });
    const before = (await node('edge-2')).metadata.resourceVersion;
    const bad: [Obj, 'key' | 'value'][] = [
      [{ key: '-dedicated', value: '', effect: 'NoSchedule' }, 'key'],
      [{ key: 'dedicated-', value: '', effect: 'NoSchedule' }, 'key'],
      [{ key: 'Example.com/gpu', value: '', effect: 'NoSchedule' }, 'key'],
      [{ key: 'a/b/c', value: '', effect: 'NoSchedule' }, 'key'],
      [{ key: 'x'.repeat(64), value: '', effect: 'NoSchedule' }, 'key'],
      [{ key: '', value: '', effect: 'NoSchedule' }, 'key'],
      [{ key: 'dedicated', value: 'two words', effect: 'NoSchedule' }, 'value'],
      [{ key: 'dedicated', value: '_vision', effect: 'NoSchedule' }, 'value'],
      [{ key: 'dedicated', value: 'v'.repeat(64), effect: 'NoSchedule' }, 'value'],
    ];
    for (const [taint, field] of bad) {
      const e = await apiError(
        client.clusters.setNodeTaints({ clusterId, node: 'edge-2', taints: [{ key: 'fine', value: '', effect: 'NoSchedule' }, taint as never] }),
      );
      expect(e.code, JSON.stringify(taint)).toBe('INPUT_INVALID');
      const issue = e.fields!.find((f) => f.path.join('.') === `taints.1.${field}`);
      expect(issue, JSON.stringify(taint)).toBeDefined();
      expect(issue!.message.en).toBe(field === 'key' ? 'A taint key follows the label name rule.' : 'A taint value follows the label value rule.');
      expect(issue!.message.zh).toBe(field === 'key' ? '污点键名遵循标签名规则。' : '污点值遵循标签值规则。');
    }
    const effect = await apiError(
      client.clusters.setNodeTaints({ clusterId, node: 'edge-2', taints: [{ key: 'dedicated', value: '', effect: 'NoRun' as never }] }),
    );
    expect(effect.code).toBe('INPUT_INVALID');
    expect(effect.fields!.map((f) => f.path.join('.'))).toEqual(['taints.0.effect']);
    expect((await node('edge-2')).metadata.resourceVersion).toBe(before);
    expect(await taintsOf('edge-2')).toEqual(['keep=me:NoSchedule']);

    // At the edges of the rule: 63 characters, a DNS prefix, upper case in the name, dots and underscores inside.
    const edge = [
      { key: 'example.com/Gpu_Model.x', value: 'v'.repeat(63), effect: 'NoSchedule' as const },
      { key: 'k'.repeat(63), value: 'A-1_b.2', effect: 'NoExecute' as const },
    ];
    await client.clusters.setNodeTaints({ clusterId, node: 'edge-2', taints: edge });
    expect(await taintsOf('edge-2')).toEqual(edge.map(taintText));
  });

  it('refuses a taint whose key is the node controllers’, and two taints with the same key and effect, as kube-apiserver would', async () => {
    const before = (await node('edge-2')).metadata.resourceVersion;
    const owned = await apiError(
      client.clusters.setNodeTaints({ clusterId, node: 'edge-2', taints: [{ key: 'node.kubernetes.io/unschedulable', value: '', effect: 'NoSchedule' }] }),
    );
    expect(owned).toMatchObject({ code: ConsoleErrors.CLUSTER_TAINT_PROTECTED, field: ['taints', 0, 'key'] });
    expect(owned.message.zh).toContain('node.kubernetes.io/unschedulable');

    // Kubernetes validation (validateNodeTaints): "taints must be unique by key and effect pair".
    const twice = await apiError(
      client.clusters.setNodeTaints({
        clusterId,
        node: 'edge-2',
        taints: [
          { key: 'dedicated', value: 'a', effect: 'NoSchedule' },
          { key: 'dedicated', value: 'b', effect: 'NoSchedule' },
        ],
      }),
    );
    expect(twice.field).toEqual(['taints', 1, 'key']);
    expect(twice.message.en).toContain('dedicated');
    expect(twice.message.en).toContain('NoSchedule');
    expect(twice.message.zh).toContain('dedicated');
    expect((await node('edge-2')).metadata.resourceVersion).toBe(before);
    // The same key with another effect is a different taint.
    await client.clusters.setNodeTaints({
      clusterId,
      node: 'edge-2',
      taints: [
        { key: 'dedicated', value: 'a', effect: 'NoSchedule' },
        { key: 'dedicated', value: 'a', effect: 'NoExecute' },
      ],
    });
    expect(await taintsOf('edge-2')).toEqual(['dedicated=a:NoSchedule', 'dedicated=a:NoExecute']);

    // The stand-in refuses the duplicate itself, worded as kube-apiserver words it.
    const raw = await api(kube, 'PATCH', '/api/v1/nodes/edge-2', {
      contentType: 'application/merge-patch+json',
      body: {
        spec: {
          taints: [
            { key: 'x', effect: 'NoSchedule' },
            { key: 'x', value: 'y', effect: 'NoSchedule' },
          ],
        },
      },
    });
    expect(raw.status).toBe(422);
    expect(raw.json.message).toContain('spec.taints[1]: Duplicate value');
    expect(raw.json.message).toContain('taints must be unique by key and effect pair');
    await client.clusters.setNodeTaints({ clusterId, node: 'edge-2', taints: [] });
  });
});

describe('labels on several nodes at once', () => {
  const labelsOf = async (name: string) => (await node(name)).metadata.labels as Record<string, string>;

  it('adds a label to three nodes, then removes it from two of them; each node read back', async () => {
    const three = ['edge-1', 'edge-2', 'edge-3'];
    const out = await client.clusters.setNodeLabels({ clusterId, nodes: three, set: { 'edgeforge.io/line': 'l7', shift: '' } });
    expect(out.map((n) => (n.metadata as Obj).name)).toEqual(three);
    for (const n of three) expect(await labelsOf(n)).toMatchObject({ 'edgeforge.io/line': 'l7', shift: '', 'kubernetes.io/hostname': n });
    expect((await labelsOf('edge-4'))['edgeforge.io/line']).toBeUndefined();

    await client.clusters.setNodeLabels({ clusterId, nodes: ['edge-1', 'edge-3'], remove: ['edgeforge.io/line'] });
    expect((await labelsOf('edge-1'))['edgeforge.io/line']).toBeUndefined();
    expect((await labelsOf('edge-3'))['edgeforge.io/line']).toBeUndefined();
    expect((await labelsOf('edge-2'))['edgeforge.io/line']).toBe('l7');
    // Everything else each node had is still there.
    for (const n of three) expect(await labelsOf(n)).toMatchObject({ shift: '', zone: n === 'edge-3' ? 'b' : 'a', 'kubernetes.io/os': 'linux' });

    // Set on some, changed to one value on all.
    await client.clusters.setNodeLabels({ clusterId, nodes: ['edge-1', 'edge-2', 'edge-3', 'edge-4'], set: { zone: 'hall-2' }, remove: ['shift'] });
    for (const n of ['edge-1', 'edge-2', 'edge-3', 'edge-4']) {
      expect((await labelsOf(n)).zone).toBe('hall-2');
      expect((await labelsOf(n)).shift).toBeUndefined();
    }
  });

  it('refuses the labels the kubelet and k3s own, set or removed, on every node at once, with the reason in both languages', async () => {
    const nodes = ['edge-1', 'edge-2', 'edge-3'];
    const versions = async () => Promise.all(nodes.map(async (n) => (await node(n)).metadata.resourceVersion as string));
    const before = await versions();
    const cases: [Obj, (string | number)[]][] = [
      [{ set: { 'kubernetes.io/hostname': 'box-1' } }, ['set', 'kubernetes.io/hostname']],
      [{ set: { 'edgeforge.io/ok': 'yes', 'kubernetes.io/arch': 'arm64' } }, ['set', 'kubernetes.io/arch']],
      [{ set: { 'node-role.kubernetes.io/worker': 'true' } }, ['set', 'node-role.kubernetes.io/worker']],
      [{ set: { 'node.kubernetes.io/instance-type': 'k3s' } }, ['set', 'node.kubernetes.io/instance-type']],
      [{ remove: ['zone', 'kubernetes.io/os'] }, ['remove', 1]],
      [{ remove: ['beta.kubernetes.io/arch'] }, ['remove', 0]],
    ];
    for (const [change, field] of cases) {
      const e = await apiError(client.clusters.setNodeLabels({ clusterId, nodes, ...change }));
      expect(e.code, JSON.stringify(change)).toBe(ConsoleErrors.CLUSTER_LABEL_PROTECTED);
      expect(e.field).toEqual(field);
      const key = field[0] === 'set' ? String(field[1]) : (change.remove as string[])[field[1] as number]!;
      expect(e.message.en).toContain(`Label "${key}" belongs to the kubelet and k3s`);
      expect(e.message.zh).toContain(`标签“${key}”归 kubelet 和 k3s 所有`);
    }
    expect(await versions()).toEqual(before);
    expect((await labelsOf('edge-1'))['edgeforge.io/ok']).toBeUndefined();

    // The label rule itself is the API's first check, in both languages.
    const rule = await apiError(client.clusters.setNodeLabels({ clusterId, nodes, set: { 'bad key': 'x', good: '-x' } }));
    expect(rule.code).toBe('INPUT_INVALID');
    expect(rule.fields!.map((f) => [f.path.join('.'), f.message.en.slice(0, 20)])).toEqual([
      ['set.bad key', 'Label name "bad key"'],
      ['set.good', 'Label value "-x": em'],
    ]);
    expect(rule.fields![0]!.message.zh).toContain('标签名“bad key”');
    expect(await versions()).toEqual(before);

    // A prefix that is no DNS subdomain ("example..com"): refused by the API's own check, on no node at all.
    const prefix = await apiError(client.clusters.setNodeLabels({ clusterId, nodes, set: { 'example..com/line': 'a' } }));
    expect(prefix.code).toBe('INPUT_INVALID');
    expect(prefix.message.en).toContain('example..com');
    expect(await versions()).toEqual(before);
    // The stand-in refuses it as kube-apiserver does.
    const raw = await api(kube, 'PATCH', '/api/v1/nodes/edge-1', {
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { 'example..com/line': 'a' } } },
    });
    expect(raw.status).toBe(422);
    expect(raw.json.message).toMatch(
      /^Node "edge-1" is invalid: metadata\.labels: Invalid value: "example\.\.com\/line": prefix part a lowercase RFC 1123 subdomain/,
    );
  });
});

describe('a StatefulSet rolled back to a revision', () => {
  const NS = 'default';
  const path_ = `/apis/apps/v1/namespaces/${NS}/statefulsets/db`;
  const ref = () => ({ clusterId, kind: 'statefulsets' as const, namespace: NS, name: 'db' });
  const sts = async () => (await api(kube, 'GET', path_)).json as Obj;
  /** The StatefulSet's ControllerRevisions as the server lists them, by name. */
  const controllerRevisions = async () => {
    const uid = (await sts()).metadata.uid;
    const list = (await api(kube, 'GET', `/apis/apps/v1/namespaces/${NS}/controllerrevisions`)).json.items as Obj[];
    return list.filter((cr) => cr.metadata.ownerReferences?.some((o: Obj) => o.uid === uid && o.controller));
  };
  /** A change as `kubectl set image` + `kubectl annotate --overwrite kubernetes.io/change-cause=…` make it. */
  const changeTemplate = async (image: string, cause: string, env: Obj[]) => {
    const r = await api(kube, 'PATCH', path_, {
      contentType: 'application/strategic-merge-patch+json',
      body: {
        metadata: { annotations: { 'kubernetes.io/change-cause': cause } },
        spec: { template: { spec: { containers: [{ name: 'db', image, env }] } } },
      },
    });
    expect(r.status).toBe(200);
  };
  const podsSettledOn = async (revisionName: string, image: string) =>
    eventually(async () => {
      const s = await sts();
      expect(s.status).toMatchObject({ updateRevision: revisionName, currentRevision: revisionName, readyReplicas: 2, updatedReplicas: 2 });
      const pods = kube.objects('pods', NS).filter((p) => p.metadata.name.startsWith('db-') && !p.metadata.deletionTimestamp);
      expect(pods.map((p) => [p.metadata.name, p.metadata.labels?.['controller-revision-hash'], p.spec.containers[0].image])).toEqual([
        ['db-0', revisionName, image],
        ['db-1', revisionName, image],
      ]);
    }, 20_000);
  let firstTemplate: Obj;

  beforeAll(async () => {
    const r = await api(kube, 'POST', `/apis/apps/v1/namespaces/${NS}/statefulsets`, {
      body: dbStatefulSet('db:1', { annotations: { 'edgeforge.io/tuning': 'small' }, ports: [{ containerPort: 5432 }] }),
    });
    expect(r.status).toBe(201);
    const [only] = await eventually(async () => {
      const crs = await controllerRevisions();
      expect(crs).toHaveLength(1);
      return crs;
    });
    await podsSettledOn(only!.metadata.name, 'db:1');
    firstTemplate = (await sts()).spec.template;
  });

  it('lists the revisions of a StatefulSet changed twice: numbers, images, change-causes and the current one', async () => {
    await changeTemplate('db:2', 'db 2', [{ name: 'MODE', value: 'two' }]);
    await eventually(async () => expect(await controllerRevisions()).toHaveLength(2));
    await changeTemplate('db:3', 'db 3', [{ name: 'MODE', value: 'three' }]);
    const crs = await eventually(async () => {
      const list = await controllerRevisions();
      expect(list).toHaveLength(3);
      return list;
    });
    await podsSettledOn(crs.find((cr) => cr.revision === 3)!.metadata.name, 'db:3');
    const revisions = await client.clusters.revisions(ref());
    expect(revisions.map((r) => [r.revision, r.current, r.images, r.changeCause])).toEqual([
      [1, false, ['db:1'], 'db 1'],
      [2, false, ['db:2'], 'db 2'],
      [3, true, ['db:3'], 'db 3'],
    ]);
    for (const r of revisions) expect(r.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('rolls back to revision 1 as kubectl rollout undo --to-revision=1 does: its template back, that revision renumbered 4, the pods replaced', async () => {
    const before = await sts();
    const crs = await controllerRevisions();
    const one = crs.find((cr) => cr.revision === 1)!;
    // What kubectl sends: the revision's data, a strategic merge patch whose $patch: replace swaps the whole template.
    expect(one.data.spec.template.$patch).toBe('replace');
    const { $patch: _directive, ...expected } = one.data.spec.template;
    expect(expected).toEqual(firstTemplate);

    const out = (await client.clusters.rollback({ ...ref(), revision: 1 })) as Obj;
    expect(out.spec.template).toEqual(expected);
    const after = await sts();
    expect(after.spec.template).toEqual(expected);
    expect(after.spec.template.spec.containers[0].env).toEqual([{ name: 'MODE', value: 'one' }]);
    expect(after.spec.template.metadata.annotations).toEqual({ 'edgeforge.io/tuning': 'small' });
    // Only the template changes: kubectl's rollbacker leaves the rest, change-cause included.
    expect(after.spec.replicas).toBe(before.spec.replicas);
    expect(after.metadata.annotations).toEqual(before.metadata.annotations);
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);

    // The controller reuses revision 1's ControllerRevision under the next number; nothing new is made.
    await eventually(async () => {
      const now = await controllerRevisions();
      expect(Object.fromEntries(now.map((cr) => [cr.metadata.name, cr.revision]))).toEqual(
        Object.fromEntries(crs.map((cr) => [cr.metadata.name, cr.revision === 1 ? 4 : cr.revision])),
      );
    });
    await podsSettledOn(one.metadata.name, 'db:1');
    const revisions = await client.clusters.revisions(ref());
    expect(revisions.map((r) => [r.revision, r.current, r.images, r.changeCause])).toEqual([
      [2, false, ['db:2'], 'db 2'],
      [3, false, ['db:3'], 'db 3'],
      [4, true, ['db:1'], 'db 1'],
    ]);
  });

  it('leaves the StatefulSet as it is when rolled back to its current revision, and refuses revision 1, now gone, listing those there are', async () => {
    const before = await sts();
    await client.clusters.rollback({ ...ref(), revision: 4 });
    const after = await sts();
    expect(after.spec.template).toEqual(before.spec.template);
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect((await controllerRevisions()).map((cr) => cr.revision).sort()).toEqual([2, 3, 4]);

    const gone = await apiError(client.clusters.rollback({ ...ref(), revision: 1 }));
    expect(gone).toMatchObject({ code: ConsoleErrors.CLUSTER_REVISION_NOT_FOUND, field: ['revision'] });
    expect(gone.message.en).toContain('has no revision 1; its revisions are 2, 3, 4');
    expect(gone.message.zh).toContain('没有修订版本 1');
    expect((await sts()).metadata.resourceVersion).toBe(after.metadata.resourceVersion);
  });
});
