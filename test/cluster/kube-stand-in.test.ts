/**
 * The Kubernetes API stand-in (test/support/kube-stand-in.ts) speaks the
 * wire format: checked with raw https requests and with
 * @kubernetes/client-node itself.
 */
import {
  ApiException,
  ApisApi,
  CoreApi,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  VersionApi,
  Watch,
  type V1Node,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { api, nodeBody, register, until, watch } from './wire';

let s: KubeStandIn;
let other: KubeStandIn;
let kc: KubeConfig;

beforeAll(async () => {
  [s, other] = await Promise.all([startKubeStandIn({ readyAfterMs: 300, bookmarkIntervalMs: 100 }), startKubeStandIn()]);
  kc = new KubeConfig();
  kc.loadFromString(s.kubeconfig());
});
afterAll(async () => {
  await Promise.all([s?.close(), other?.close()]);
});

const core = () => kc.makeApiClient(CoreV1Api);
const rv = (o: { metadata: { resourceVersion: string } }) => Number(o.metadata.resourceVersion);

describe('authentication', () => {
  it('refuses a request without credentials with a 401 Unauthorized Status', async () => {
    const r = await api(s, 'GET', '/api/v1/nodes', { auth: 'none' });
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  });

  it("refuses a client certificate another cluster's CA issued, and a wrong bearer token", async () => {
    const foreign = await api(s, 'GET', '/version', { auth: { cert: other.clientCertPem, key: other.clientKeyPem } });
    expect(foreign.status).toBe(401);
    const wrongToken = await api(other, 'GET', '/version', { auth: 'none' });
    expect(wrongToken.status).toBe(401);
  });

  it('accepts its client certificate and its bearer token', async () => {
    expect((await api(s, 'GET', '/version', { auth: 'cert' })).status).toBe(200);
    expect((await api(s, 'GET', '/version', { auth: 'token' })).status).toBe(200);
    expect(s.requests.filter((r) => r.path === '/version').map((r) => r.auth)).toEqual(expect.arrayContaining(['cert', 'token', 'none']));
  });
});

describe('discovery', () => {
  it('serves /version, /api, /api/v1 and /apis as client-node reads them', async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version).toMatchObject({ gitVersion: 'v1.30.2+k3s1', major: '1', minor: '30', platform: 'linux/amd64' });
    expect((await kc.makeApiClient(CoreApi).getAPIVersions()).versions).toEqual(['v1']);
    const resources = await core().getAPIResources();
    expect(resources.resources.map((r) => r.name)).toEqual([
      'namespaces',
      'namespaces/status',
      'nodes',
      'nodes/status',
      'pods',
      'pods/eviction',
      'pods/exec',
      'pods/log',
      'pods/status',
      'events',
      'services',
      'services/status',
      'configmaps',
      'secrets',
    ]);
    const byName = new Map(resources.resources.map((r) => [r.name, r]));
    expect(byName.get('nodes')).toMatchObject({
      kind: 'Node',
      namespaced: false,
      shortNames: ['no'],
      verbs: expect.arrayContaining(['list', 'watch', 'patch']),
    });
    expect(byName.get('pods')).toMatchObject({ kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'] });
    expect(byName.get('pods/eviction')).toMatchObject({ kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] });
    expect(byName.get('pods/exec')).toMatchObject({ kind: 'PodExecOptions', verbs: ['create', 'get'] });
    expect(byName.get('pods/log')).toMatchObject({ kind: 'Pod', verbs: ['get'] });
    expect((await kc.makeApiClient(ApisApi).getAPIVersions()).groups.map((g) => g.preferredVersion?.groupVersion)).toEqual([
      'apps/v1',
      'batch/v1',
      'policy/v1',
    ]);
    const apps = await api(s, 'GET', '/apis/apps/v1');
    expect(apps.json.resources.find((r: { name: string }) => r.name === 'deployments/scale')).toEqual({
      name: 'deployments/scale',
      singularName: '',
      namespaced: true,
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
      verbs: ['get', 'patch', 'update'],
    });
    expect(apps.json.resources.find((r: { name: string }) => r.name === 'deployments')).toMatchObject({ kind: 'Deployment', shortNames: ['deploy'] });
    const policy = await api(s, 'GET', '/apis/policy/v1');
    expect(policy.json.resources.map((r: { name: string }) => r.name)).toEqual(['poddisruptionbudgets', 'poddisruptionbudgets/status']);
  });

  it('starts with the namespaces and the kubernetes service of a fresh k3s', async () => {
    expect((await core().listNamespace()).items.map((n) => `${n.metadata?.name}:${n.status?.phase}`)).toEqual([
      'default:Active',
      'kube-node-lease:Active',
      'kube-public:Active',
      'kube-system:Active',
    ]);
    expect((await core().readNamespacedService({ name: 'kubernetes', namespace: 'default' })).spec?.clusterIP).toBe('10.43.0.1');
  });

  it('answers an unknown path with a 404 NotFound Status', async () => {
    const r = await api(s, 'GET', '/api/v1/widgets');
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
  });
});

describe('nodes: create, get, list', () => {
  it('creates a node with 201, then refuses the same name with a 409 AlreadyExists Status', async () => {
    const created = await core().createNode({ body: nodeBody('alpha', { role: 'edge', zone: 'a' }) });
    expect(created.metadata).toMatchObject({ name: 'alpha', uid: expect.any(String), resourceVersion: expect.stringMatching(/^\d+$/) });
    const again = await api(s, 'POST', '/api/v1/nodes', { body: nodeBody('alpha') });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409, details: { name: 'alpha', kind: 'nodes' } });
    const viaClient = await core()
      .createNode({ body: nodeBody('alpha') })
      .catch((e: unknown) => e);
    expect(viaClient).toBeInstanceOf(ApiException);
    expect((viaClient as ApiException<unknown>).code).toBe(409);
  });

  it('refuses a node without a name with a 422 Invalid Status', async () => {
    const r = await api(s, 'POST', '/api/v1/nodes', { body: { kind: 'Node', metadata: {} } });
    expect(r.status).toBe(422);
    expect(r.json).toMatchObject({ reason: 'Invalid', code: 422 });
  });

  it('reads a node, and a missing one as a 404 NotFound Status naming it', async () => {
    const alpha = await api(s, 'GET', '/api/v1/nodes/alpha');
    expect(alpha.status).toBe(200);
    expect(alpha.json).toMatchObject({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'alpha' } });
    const missing = await api(s, 'GET', '/api/v1/nodes/nope');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'nodes "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'nodes' },
      code: 404,
    });
  });

  it('lists nodes as a NodeList with a resourceVersion, filtered by label and field selectors', async () => {
    await core().createNode({ body: nodeBody('beta', { role: 'edge', zone: 'b', gpu: 'yes' }) });
    await core().createNode({ body: nodeBody('gamma', { role: 'core', zone: 'c' }) });
    const all = await api(s, 'GET', '/api/v1/nodes');
    expect(all.json).toMatchObject({ kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });
    expect(rv(all.json)).toBeGreaterThanOrEqual(Math.max(...all.json.items.map(rv)));
    expect(all.json.items[0].kind).toBeUndefined(); // items of a typed list carry no kind
    const names = async (q: string) => (await api(s, 'GET', `/api/v1/nodes?${q}`)).json.items.map((n: V1Node) => n.metadata!.name);
    expect(await names('labelSelector=role%3Dedge')).toEqual(['alpha', 'beta']);
    expect(await names(`labelSelector=${encodeURIComponent('role=edge,!gpu')}`)).toEqual(['alpha']);
    expect(await names(`labelSelector=${encodeURIComponent('zone in (b,c)')}`)).toEqual(['beta', 'gamma']);
    expect(await names(`labelSelector=${encodeURIComponent('zone notin (b,c),role')}`)).toEqual(['alpha']);
    expect(await names(`labelSelector=${encodeURIComponent('role!=edge')}`)).toEqual(['gamma']);
    expect(await names('fieldSelector=metadata.name%3Dbeta')).toEqual(['beta']);
    expect((await core().listNode({ labelSelector: 'gpu=yes' })).items.map((n) => n.metadata?.name)).toEqual(['beta']);
  });

  it('refuses a selector it cannot parse, and an unsupported field, with a 400 BadRequest Status', async () => {
    const bad = await api(s, 'GET', `/api/v1/nodes?labelSelector=${encodeURIComponent('a in b')}`);
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ reason: 'BadRequest', code: 400 });
    const field = await api(s, 'GET', `/api/v1/nodes?fieldSelector=${encodeURIComponent('spec.podCIDR=10.42.0.0/24')}`);
    expect(field.status).toBe(400);
    expect(field.json.message).toBe('field label not supported: spec.podCIDR');
  });

  it('selects nodes by spec.unschedulable, the field selector nodes support', async () => {
    const r = await api(s, 'GET', `/api/v1/nodes?fieldSelector=${encodeURIComponent('spec.unschedulable=false')}`);
    expect(r.status).toBe(200);
    expect(r.json.items.map((n: V1Node) => n.metadata!.name)).toEqual(['alpha', 'beta', 'gamma']);
  });
});

describe('nodes: patch and status', () => {
  it('merge-patches labels through client-node, keeping status, and bumps the resourceVersion', async () => {
    const before = await core().readNode({ name: 'gamma' });
    const after = await core().patchNode(
      { name: 'gamma', body: { metadata: { labels: { zone: null, team: 'line-3' } }, status: { capacity: { cpu: '64' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(after.metadata?.labels).toEqual({ 'kubernetes.io/hostname': 'gamma', role: 'core', team: 'line-3' });
    expect(after.status?.capacity).toBeUndefined(); // status changes only through /status
    expect(Number(after.metadata?.resourceVersion)).toBeGreaterThan(Number(before.metadata?.resourceVersion));
  });

  it('patches /status with a strategic merge by condition type, keeping labels', async () => {
    const cond = (status: string) => ({ type: 'Ready', status, reason: 'Test', message: 'from the test' });
    await api(s, 'PATCH', '/api/v1/nodes/gamma/status', { body: { status: { conditions: [cond('False')] } }, contentType: 'application/merge-patch+json' });
    const r = await api(s, 'PATCH', '/api/v1/nodes/gamma/status', {
      body: { metadata: { labels: { ignored: 'yes' } }, status: { conditions: [{ type: 'MemoryPressure', status: 'False' }, cond('True')] } },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(r.status).toBe(200);
    expect(r.json.metadata.labels.ignored).toBeUndefined();
    expect(r.json.status.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`)).toEqual(['Ready=True', 'MemoryPressure=False']);
  });

  it('refuses a patch naming a stale resourceVersion with a 409 Conflict, and an unknown patch type with 415', async () => {
    const stale = await api(s, 'PATCH', '/api/v1/nodes/gamma', {
      body: { metadata: { resourceVersion: '1', labels: { x: 'y' } } },
      contentType: 'application/merge-patch+json',
    });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ reason: 'Conflict', code: 409 });
    const unknownType = await api(s, 'PATCH', '/api/v1/nodes/gamma', { body: { metadata: {} }, contentType: 'application/xml' });
    expect(unknownType.status).toBe(415);
    expect(unknownType.json).toMatchObject({ reason: 'UnsupportedMediaType', code: 415 });
  });

  it('applies a JSON patch (RFC 6902), and answers a failed test op with 422', async () => {
    const r = await api(s, 'PATCH', '/api/v1/nodes/gamma', {
      body: [
        { op: 'test', path: '/metadata/name', value: 'gamma' },
        { op: 'add', path: '/metadata/labels/x', value: 'y' },
        { op: 'remove', path: '/metadata/labels/team' },
      ],
      contentType: 'application/json-patch+json',
    });
    expect(r.status).toBe(200);
    expect(r.json.metadata.labels).toEqual({ 'kubernetes.io/hostname': 'gamma', role: 'core', x: 'y' });
    const failed = await api(s, 'PATCH', '/api/v1/nodes/gamma', {
      body: [{ op: 'test', path: '/metadata/labels/x', value: 'z' }],
      contentType: 'application/json-patch+json',
    });
    expect(failed.status).toBe(422);
    await api(s, 'PATCH', '/api/v1/nodes/gamma', { body: { metadata: { labels: { x: null, team: 'line-3' } } }, contentType: 'application/merge-patch+json' });
  });

  it('does not bump the resourceVersion for a patch that changes nothing', async () => {
    const before = await api(s, 'GET', '/api/v1/nodes/gamma');
    const same = await api(s, 'PATCH', '/api/v1/nodes/gamma', {
      body: { metadata: { labels: { team: 'line-3' } } },
      contentType: 'application/merge-patch+json',
    });
    expect(same.json.metadata.resourceVersion).toBe(before.json.metadata.resourceVersion);
  });
});

describe('watch', () => {
  it('streams ADDED, MODIFIED and DELETED as JSON lines after the resourceVersion of a list', async () => {
    const list = await api(s, 'GET', '/api/v1/nodes');
    const w = await watch(s, `/api/v1/nodes?watch=1&resourceVersion=${list.json.metadata.resourceVersion}`);
    expect(w.status).toBe(200);
    expect(w.headers['transfer-encoding']).toBe('chunked');
    expect(w.headers['content-type']).toBe('application/json');
    await api(s, 'POST', '/api/v1/nodes', { body: nodeBody('delta') });
    await api(s, 'PATCH', '/api/v1/nodes/delta', { body: { metadata: { labels: { zone: 'd' } } }, contentType: 'application/merge-patch+json' });
    await api(s, 'DELETE', '/api/v1/nodes/delta');
    const events = [await w.next(), await w.next(), await w.next()];
    w.close();
    expect(events.map((e) => `${e.type} ${e.object.kind} ${e.object.metadata.name}`)).toEqual([
      'ADDED Node delta',
      'MODIFIED Node delta',
      'DELETED Node delta',
    ]);
    const rvs = events.map((e) => rv(e.object));
    expect(rvs[0]).toBeGreaterThan(rv(list.json));
    expect(rvs[1]).toBeGreaterThan(rvs[0]!);
    expect(rvs[2]).toBeGreaterThan(rvs[1]!);
  });

  it('starts a watch without a resourceVersion with ADDED events for the nodes that exist', async () => {
    const w = await watch(s, '/api/v1/nodes?watch=true&fieldSelector=metadata.name%3Dbeta');
    const first = await w.next();
    w.close();
    expect(first).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'beta' } } });
  });

  it('sends a node entering a label selection as ADDED and one leaving it as DELETED', async () => {
    const list = await api(s, 'GET', '/api/v1/nodes?labelSelector=team%3Dline-3');
    const w = await watch(s, `/api/v1/nodes?watch=1&labelSelector=team%3Dline-3&resourceVersion=${list.json.metadata.resourceVersion}`);
    const setTeam = (name: string, team: string | null) =>
      api(s, 'PATCH', `/api/v1/nodes/${name}`, { body: { metadata: { labels: { team } } }, contentType: 'application/merge-patch+json' });
    await setTeam('alpha', 'line-3');
    await setTeam('gamma', null);
    const [a, b] = [await w.next(), await w.next()];
    w.close();
    expect(`${a.type} ${a.object.metadata.name}`).toBe('ADDED alpha');
    expect(`${b.type} ${b.object.metadata.name}`).toBe('DELETED gamma');
    expect(b.object.metadata.labels.team).toBe('line-3'); // its content before it left
  });

  it('answers a watch from a compacted resourceVersion with a 410 Expired Status, as an ERROR event', async () => {
    const old = (await api(s, 'GET', '/api/v1/nodes')).json.metadata.resourceVersion;
    await api(s, 'PATCH', '/api/v1/nodes/beta', { body: { metadata: { labels: { touched: 'once' } } }, contentType: 'application/merge-patch+json' });
    s.compact();
    const w = await watch(s, `/api/v1/nodes?watch=1&resourceVersion=${old}`);
    expect(w.status).toBe(200);
    const e = await w.next();
    await w.ended;
    expect(e.type).toBe('ERROR');
    expect(e.object).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
    expect(e.object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it("answers it with an HTTP 410 Gone Status when told to (expiredWatch: 'http-410')", async () => {
    const strict = await startKubeStandIn({ expiredWatch: 'http-410' });
    try {
      await api(strict, 'POST', '/api/v1/nodes', { body: nodeBody('one') });
      strict.compact();
      const r = await api(strict, 'GET', '/api/v1/nodes?watch=1&resourceVersion=1');
      expect(r.status).toBe(410);
      expect(r.json).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
    } finally {
      await strict.close();
    }
  });

  it('sends BOOKMARK events carrying the current resourceVersion when asked', async () => {
    const w = await watch(s, '/api/v1/nodes?watch=1&allowWatchBookmarks=true&resourceVersion=0&fieldSelector=metadata.name%3Dnone');
    const e = await w.next(2000);
    w.close();
    expect(e.type).toBe('BOOKMARK');
    expect(e.object).toEqual({ kind: 'Node', apiVersion: 'v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });
  });

  it("feeds client-node's Watch, which sees a clean end on dropWatches('end') and an error on 'reset'", async () => {
    const seen: string[] = [];
    const ended = (how: 'end' | 'reset') =>
      new Promise<unknown>((resolve) => {
        void new Watch(kc).watch(
          '/api/v1/nodes',
          { fieldSelector: 'metadata.name=alpha' },
          (type, obj: V1Node) => seen.push(`${type} ${obj.metadata?.name}`),
          (err: unknown) => resolve(err),
        );
        void until(() => seen.length > 0, 5000, 'the first event').then(() => s.dropWatches(how));
      });
    expect(await ended('end')).toBeNull();
    expect(seen).toEqual(['ADDED alpha']);
    seen.length = 0;
    expect(await ended('reset')).toBeInstanceOf(Error);
  });
});

describe('the registration listener', () => {
  it('registers a POSTed node that turns Ready after readyAfterMs, each step a watch event', async () => {
    const w = await watch(
      s,
      `/api/v1/nodes?watch=1&fieldSelector=metadata.name%3Dbox1&resourceVersion=${(await api(s, 'GET', '/api/v1/nodes')).json.metadata.resourceVersion}`,
    );
    const t0 = Date.now();
    const r = await register(s, 'POST', '/api/v1/nodes', nodeBody('box1', { 'edgeforge.io/batch': 'b1' }, '10.77.0.21'));
    expect(r.status).toBe(201);
    const events = [await w.next(), await w.next(), await w.next()];
    w.close();
    const ready = (e: { object: V1Node }) => e.object.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'none';
    expect(events.map((e) => `${e.type} ${ready(e)}`)).toEqual(['ADDED none', 'MODIFIED False', 'MODIFIED True']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    const node = events[2].object as V1Node;
    expect(node.status?.nodeInfo?.kubeletVersion).toBe('v1.30.2+k3s1');
    expect(node.status?.addresses).toEqual([{ type: 'InternalIP', address: '10.77.0.21' }]);
    expect(node.metadata?.labels?.['edgeforge.io/batch']).toBe('b1');
    expect((await register(s, 'POST', '/api/v1/nodes', nodeBody('box1'))).status).toBe(409);
  });

  it('serves a k3s-style kubeconfig for https://127.0.0.1:6443 and nothing but its two routes', async () => {
    const k = await register(s, 'GET', '/standin/kubeconfig');
    expect(k.status).toBe(200);
    expect(k.text).toContain('server: https://127.0.0.1:6443');
    expect(k.text).toMatch(/current-context: default\n/);
    expect((await register(s, 'GET', '/api/v1/nodes')).status).toBe(404);
  });

  it('requires the join token when it has one, in plain or K10 form', async () => {
    const guarded = await startKubeStandIn({ joinToken: 'secret-join' });
    try {
      expect((await register(guarded, 'POST', '/api/v1/nodes', nodeBody('n1'))).status).toBe(401);
      expect((await register(guarded, 'POST', '/api/v1/nodes', nodeBody('n1'), 'wrong')).status).toBe(401);
      expect((await register(guarded, 'POST', '/api/v1/nodes', nodeBody('n1'), 'secret-join')).status).toBe(201);
      expect((await register(guarded, 'POST', '/api/v1/nodes', nodeBody('n2'), `K10${'ab'.repeat(32)}::server:secret-join`)).status).toBe(201);
    } finally {
      await guarded.close();
    }
  });

  it('lets a test set a node NotReady with its own reason, keeping the transition time when nothing flips', async () => {
    s.addNode('box-flip'); // Ready
    s.setNodeReady('box-flip', false, { reason: 'KubeletNotReady', message: 'PLEG is not healthy' });
    const c1 = s.nodes().find((n) => n.metadata.name === 'box-flip')!.status as {
      conditions: { type: string; status: string; message: string; lastTransitionTime: string }[];
    };
    const ready1 = c1.conditions.find((c) => c.type === 'Ready')!;
    expect(ready1).toMatchObject({ status: 'False', message: 'PLEG is not healthy' });
    await new Promise((r) => setTimeout(r, 1100));
    s.setNodeReady('box-flip', false, { message: 'still not' });
    const ready2 = (s.nodes().find((n) => n.metadata.name === 'box-flip')!.status as typeof c1).conditions.find((c) => c.type === 'Ready')!;
    expect(ready2.lastTransitionTime).toBe(ready1.lastTransitionTime);
  });
});
