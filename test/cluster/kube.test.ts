/**
 * main/cluster/kube.ts against the Kubernetes API stand-in: the server's
 * version and its failures, the node list, and waiting for a node to turn
 * Ready through list + watch.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../main/api/errors';
import { ClusterErrors, listNodes, serverVersion, waitNodeReady, type NodeState, type NodeSummary } from '../../main/cluster/kube';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { nodeBody, register, until } from './wire';

let s: KubeStandIn;
let other: KubeStandIn;

beforeAll(async () => {
  [s, other] = await Promise.all([startKubeStandIn({ readyAfterMs: 60_000 }), startKubeStandIn()]);
});
afterAll(async () => {
  await Promise.all([s?.close(), other?.close()]);
});

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  const a = e as AppError;
  expect(a.text.zh).toBeTruthy();
  expect(a.text.zh).not.toBe(a.text.en);
  return a;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** The stand-in's kubeconfig with the user's credentials taken from another cluster. */
function withForeignClientCert(yaml: string): string {
  const b64 = (x: string) => Buffer.from(x).toString('base64');
  return yaml.replace(b64(s.clientCertPem), b64(other.clientCertPem)).replace(b64(s.clientKeyPem), b64(other.clientKeyPem));
}

const watchRequests = (name: string) =>
  s.requests.filter((r) => r.path === '/api/v1/nodes' && r.query.watch === 'true' && r.query.fieldSelector === `metadata.name=${name}`);
const listRequests = (name: string) =>
  s.requests.filter((r) => r.path === '/api/v1/nodes' && !r.query.watch && r.query.fieldSelector === `metadata.name=${name}`);

describe('serverVersion', () => {
  it('returns the gitVersion of the server the kubeconfig names', async () => {
    expect(await serverVersion(s.kubeconfig())).toBe('v1.30.2+k3s1');
  });

  it('names the server and the refused connection when nothing listens (CLUSTER_UNREACHABLE)', async () => {
    const server = `https://127.0.0.1:${await closedPort()}`;
    const e = await rejection(serverVersion(s.kubeconfig(server)));
    expect(e.code).toBe(ClusterErrors.CLUSTER_UNREACHABLE);
    expect(e.text.en).toContain(server);
    expect(e.text.en).toContain('ECONNREFUSED');
    expect(e.text.zh).toContain(server);
  });

  it('gives up after timeoutMs on a server that accepts but never answers (CLUSTER_UNREACHABLE)', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((c) => sockets.push(c));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const server = `https://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    try {
      const t0 = Date.now();
      const e = await rejection(serverVersion(s.kubeconfig(server), { timeoutMs: 400 }));
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(e.code).toBe(ClusterErrors.CLUSTER_UNREACHABLE);
      // The time is measured, so it may read 0.5 s on a loaded machine; the rest of the message is exact.
      expect(e.text.en).toMatch(/did not answer within \d+(\.\d)? s when asked to read the server version\. /);
      expect(Number(/within (\S+) s/.exec(e.text.en)![1])).toBeGreaterThanOrEqual(0.4);
    } finally {
      sockets.forEach((c) => c.destroy());
      silent.close();
    }
  });

  it('reports a client certificate another cluster issued as CLUSTER_AUTH_FAILED (401)', async () => {
    const e = await rejection(serverVersion(withForeignClientCert(s.kubeconfig())));
    expect(e.code).toBe(ClusterErrors.CLUSTER_AUTH_FAILED);
    expect(e.text.en).toContain('401 Unauthorized');
    expect(e.text.en).toContain(s.url);
  });

  it("reports a server certificate the kubeconfig's CA did not sign as CLUSTER_AUTH_FAILED", async () => {
    const e = await rejection(serverVersion(other.kubeconfig(s.url)));
    expect(e.code).toBe(ClusterErrors.CLUSTER_AUTH_FAILED);
    expect(e.text.en).toMatch(/TLS certificate the kubeconfig does not trust \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/);
  });

  it('reports an address the server certificate does not name as CLUSTER_AUTH_FAILED, pointing at --tls-san', async () => {
    const elsewhere = await startKubeStandIn({ host: '127.0.0.2' });
    try {
      const e = await rejection(serverVersion(elsewhere.kubeconfig()));
      expect(e.code).toBe(ClusterErrors.CLUSTER_AUTH_FAILED);
      expect(e.text.en).toContain('does not name 127.0.0.2');
      expect(e.text.en).toContain('--tls-san');
    } finally {
      await elsewhere.close();
    }
  });

  it('says so when the port answers in plain HTTP, not TLS', async () => {
    const plain = new URL(s.registrationUrl);
    const e = await rejection(serverVersion(s.kubeconfig(`https://127.0.0.1:${plain.port}`)));
    expect(e.code).toBe(ClusterErrors.CLUSTER_UNREACHABLE);
    expect(e.text.en).toContain('not with TLS');
  });

  it('rejects with the abort reason when the signal aborts', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((c) => sockets.push(c));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const ctl = new AbortController();
      const p = serverVersion(s.kubeconfig(`https://127.0.0.1:${(silent.address() as net.AddressInfo).port}`), { signal: ctl.signal });
      setTimeout(() => ctl.abort('cancel'), 100);
      await expect(p).rejects.toBe('cancel');
    } finally {
      sockets.forEach((c) => c.destroy());
      silent.close();
    }
  });
});

describe('listNodes', () => {
  it('sums up every node by name, with roles, kubelet version, addresses and Ready', async () => {
    await register(
      s,
      'POST',
      '/api/v1/nodes',
      nodeBody('list-b', { 'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/etcd': 'true' }, '10.0.0.2'),
    );
    await register(s, 'POST', '/api/v1/nodes', nodeBody('list-a', {}, '10.0.0.1'));
    s.setNodeReady('list-a', true);
    const nodes = (await listNodes(s.kubeconfig())).filter((n) => n.name.startsWith('list-'));
    expect(nodes.map((n) => n.name)).toEqual(['list-a', 'list-b']);
    expect(nodes[0]).toMatchObject({ ready: true, kubeletVersion: 'v1.30.2+k3s1', addresses: [{ type: 'InternalIP', address: '10.0.0.1' }], roles: [] });
    expect(nodes[0]!.readyCondition).toMatchObject({ status: 'True', reason: 'KubeletReady', since: expect.stringMatching(/^\d{4}-/) });
    expect(nodes[1]).toMatchObject({ ready: false, roles: ['control-plane', 'etcd'], readyCondition: { status: 'False', reason: 'KubeletNotReady' } });
    expect((await listNodes(s.kubeconfig(), { labelSelector: 'node-role.kubernetes.io/etcd' })).map((n) => n.name)).toEqual(['list-b']);
  });
});

describe('waitNodeReady', () => {
  it('resolves once a node registered through the plain-HTTP listener turns Ready, with one list and no polling', async () => {
    const fast = await startKubeStandIn({ readyAfterMs: 400 });
    try {
      const states: NodeState[] = [];
      const waiting = waitNodeReady(fast.kubeconfig(), 'box1', { timeoutMs: 10_000, onState: (st) => states.push(st) });
      await until(() => states.length > 0, 5000, 'the first state');
      const r = await register(fast, 'POST', '/api/v1/nodes', nodeBody('box1', { 'edgeforge.io/batch': 'b1' }, '10.77.0.21'));
      expect(r.status).toBe(201);
      const node = await waiting;
      expect(states).toEqual(['absent', 'not-ready', 'ready']);
      expect(node).toMatchObject({
        name: 'box1',
        ready: true,
        kubeletVersion: 'v1.30.2+k3s1',
        addresses: [{ type: 'InternalIP', address: '10.77.0.21' }],
        labels: { 'edgeforge.io/batch': 'b1', 'kubernetes.io/hostname': 'box1' },
      });
      const api = fast.requests.filter((q) => q.auth !== 'registration');
      expect(api.filter((q) => !q.query.watch).map((q) => `${q.method} ${q.path}?${q.query.fieldSelector}`)).toEqual(['GET /api/v1/nodes?metadata.name=box1']);
      expect(api.filter((q) => q.query.watch)).toHaveLength(1);
      expect(api[1]!.query.resourceVersion).toMatch(/^\d+$/); // the watch starts at the list's resourceVersion
    } finally {
      await fast.close();
    }
  });

  it('resumes a dropped watch from the last resourceVersion it saw', async () => {
    await register(s, 'POST', '/api/v1/nodes', nodeBody('box-drop'));
    const waiting = waitNodeReady(s.kubeconfig(), 'box-drop', { timeoutMs: 10_000 });
    await until(() => watchRequests('box-drop')[0]?.status === 200, 5000, 'the watch');
    s.setNodeReady('box-drop', false, { message: 'still starting' });
    const lastRv = s.nodes().find((n) => n.metadata.name === 'box-drop')!.metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, 100)); // let the event arrive
    s.dropWatches('end');
    await until(() => watchRequests('box-drop').length === 2, 5000, 'the second watch');
    expect(watchRequests('box-drop')[1]!.query.resourceVersion).toBe(lastRv);
    s.dropWatches('reset');
    await until(() => watchRequests('box-drop').length === 3, 5000, 'the third watch');
    s.setNodeReady('box-drop', true);
    expect((await waiting).ready).toBe(true);
    expect(listRequests('box-drop')).toHaveLength(1);
  });

  it('lists again when the resumed watch gets 410 Gone', async () => {
    await register(s, 'POST', '/api/v1/nodes', nodeBody('box-gone'));
    const waiting = waitNodeReady(s.kubeconfig(), 'box-gone', { timeoutMs: 10_000 });
    await until(() => watchRequests('box-gone').length === 1, 5000, 'the watch');
    await new Promise((r) => setTimeout(r, 100));
    // All in one tick, before the client can resume: the watch drops, the node changes, the history goes.
    s.dropWatches('end');
    s.setNodeReady('box-gone', false, { message: 'changed while nobody watched' });
    s.compact();
    await until(() => listRequests('box-gone').length === 2 && watchRequests('box-gone').length === 3, 5000, 'the relist and its watch');
    s.setNodeReady('box-gone', true);
    expect((await waiting).name).toBe('box-gone');
  });

  it('lists again on an HTTP 410 as well', async () => {
    const strict = await startKubeStandIn({ readyAfterMs: 60_000, expiredWatch: 'http-410' });
    try {
      await register(strict, 'POST', '/api/v1/nodes', nodeBody('box-410'));
      const waiting = waitNodeReady(strict.kubeconfig(), 'box-410', { timeoutMs: 10_000 });
      const lists = () => strict.requests.filter((q) => q.path === '/api/v1/nodes' && !q.query.watch && q.auth !== 'registration').length;
      await until(() => strict.requests.some((q) => q.query.watch), 5000, 'the watch');
      await new Promise((r) => setTimeout(r, 100));
      strict.dropWatches('end');
      strict.setNodeReady('box-410', false, { message: 'changed' });
      strict.compact();
      await until(() => lists() === 2, 5000, 'the relist');
      strict.setNodeReady('box-410', true);
      expect((await waiting).ready).toBe(true);
      expect(strict.requests.some((q) => q.status === 410)).toBe(true);
    } finally {
      await strict.close();
    }
  });

  it('times out with CLUSTER_NODE_NOT_READY naming the node, its last condition and the time waited', async () => {
    await register(s, 'POST', '/api/v1/nodes', nodeBody('box-slow'));
    s.setNodeReady('box-slow', false, { reason: 'KubeletNotReady', message: 'PLEG is not healthy' });
    // Long enough for the first list to land on a loaded machine (else the node "never registered").
    const t0 = Date.now();
    const e = await rejection(waitNodeReady(s.kubeconfig(), 'box-slow', { timeoutMs: 3000 }));
    const elapsed = Date.now() - t0;
    expect(e.code).toBe(ClusterErrors.CLUSTER_NODE_NOT_READY);
    expect(e.text.en).toMatch(
      /^Node "box-slow" was not Ready after \d+(\.\d)? s: its Ready condition is False \(KubeletNotReady: PLEG is not healthy\)\. On the box, `journalctl -u k3s -u k3s-agent` tells why\.$/,
    );
    // The time waited: at least the timeout, at most what this test saw.
    const waited = Number(/after (\S+) s/.exec(e.text.en)![1]);
    expect(waited).toBeGreaterThanOrEqual(3);
    expect(waited).toBeLessThanOrEqual(elapsed / 1000 + 0.5); // + rounding (whole seconds from 10 s on)
    expect(e.text.zh).toMatch(/节点“box-slow”等待 \d+(\.\d)? 秒后仍未就绪/);
    expect(e.text.zh).toContain('PLEG is not healthy');
  });

  it('says the node never registered when it never appears', async () => {
    const e = await rejection(waitNodeReady(s.kubeconfig(), 'box-ghost', { timeoutMs: 600 }));
    expect(e.code).toBe(ClusterErrors.CLUSTER_NODE_NOT_READY);
    expect(e.text.en).toContain('"box-ghost"');
    expect(e.text.en).toContain('it never registered with the cluster');
  });

  it('fails at once, not at the timeout, when the credentials do not fit', async () => {
    const t0 = Date.now();
    const e = await rejection(waitNodeReady(withForeignClientCert(s.kubeconfig()), 'box-drop', { timeoutMs: 20_000 }));
    expect(e.code).toBe(ClusterErrors.CLUSTER_AUTH_FAILED);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('keeps trying an unreachable server until the timeout, then says it never answered', async () => {
    const server = `https://127.0.0.1:${await closedPort()}`;
    const e = await rejection(waitNodeReady(s.kubeconfig(server), 'box1', { timeoutMs: 5000 }));
    expect(e.code).toBe(ClusterErrors.CLUSTER_UNREACHABLE);
    expect(e.text.en).toContain('Gave up waiting for node "box1"');
    expect(e.text.en).toContain('ECONNREFUSED');
  });

  it('rejects with the abort reason and stops watching when the signal aborts', async () => {
    await register(s, 'POST', '/api/v1/nodes', nodeBody('box-abort'));
    const ctl = new AbortController();
    const seen: (NodeSummary | undefined)[] = [];
    const waiting = waitNodeReady(s.kubeconfig(), 'box-abort', { signal: ctl.signal, onState: (_st, n) => seen.push(n) });
    await until(() => watchRequests('box-abort').length === 1, 5000, 'the watch');
    ctl.abort('cancel');
    await expect(waiting).rejects.toBe('cancel');
    expect(seen[0]?.name).toBe('box-abort');
    // No resumed watch after the abort.
    await new Promise((r) => setTimeout(r, 300));
    expect(watchRequests('box-abort')).toHaveLength(1);
  });
});
