/**
 * The cluster console's actions through the real headless host
 * (`edgeforge serve`, the API over WebSocket) against the Kubernetes API
 * stand-in: cordon, the drain job and its result, a followed log closed when
 * the caller aborts, errors reaching the caller with their codes, and an
 * open watch stream following the cluster's kubeconfig (replaced: it goes
 * on; revoked or forgotten: it ends with the reason).
 */
import path from 'node:path';
import { ORPCError } from '@orpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterWatchEvent } from '../../main/api/contract';
import type { ApiErrorData } from '../../main/api/errors';
import { connectClient, startHostProcess, type RunningHost, type TestClient } from '../support/host';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { tcpRelay } from '../support/relay';
import { apiRefusal as apiError } from '../support/refusal';
import { tempDir } from '../support/tmp';
import { eventually } from './wire';

let kube: KubeStandIn;
let host: RunningHost;
let client: TestClient;
let close: () => void;
let clusterId: string;

beforeAll(async () => {
  kube = await startKubeStandIn({ podStartMs: 30, podTerminationMs: 60 });
  kube.addNode('edge-1');
  kube.addNode('edge-2');
  host = await startHostProcess(path.join(tempDir(), 'home'));
  const c = await connectClient(host);
  client = c.client;
  close = () => c.ws.close();
  clusterId = (await client.clusters.import({ name: 'line-h', kubeconfig: kube.kubeconfig() })).id;
});
afterAll(async () => {
  close?.();
  await host?.stop();
  await kube?.close();
});

describe('the cluster console over the host API', () => {
  it('cordons a node, then drains it as a job whose result lists the evicted pods', async () => {
    const node = await client.clusters.cordon({ clusterId, node: 'edge-2', unschedulable: true });
    expect((node.spec as { unschedulable?: boolean }).unschedulable).toBe(true);
    await client.clusters.cordon({ clusterId, node: 'edge-2', unschedulable: false });
    await client.clusters.apply({
      clusterId,
      yaml: [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: { name: web }',
        'spec:',
        '  replicas: 2',
        '  selector: { matchLabels: { app: web } }',
        '  template:',
        '    metadata: { labels: { app: web } }',
        '    spec: { containers: [{ name: web, image: "web:1" }] }',
      ].join('\n'),
    });
    await eventually(() => expect(kube.objects('pods', 'default').filter((p) => p.status?.phase === 'Running')).toHaveLength(2));
    const onEdge1 = kube.objects('pods', 'default').filter((p) => p.spec.nodeName === 'edge-1').length;

    const job = await client.clusters.drain({ clusterId, node: 'edge-1' });
    expect(job).toMatchObject({ kind: 'clusters.drain', unit: 'items', params: { ignoreDaemonSets: true, force: false, timeoutSeconds: 300 } });
    const done = await eventually(async () => {
      const j = await client.jobs.get({ id: job.id });
      expect(j.state).toBe('succeeded');
      return j;
    }, 20_000);
    expect(done).toMatchObject({ bytesDone: onEdge1, bytesTotal: onEdge1, result: { node: 'edge-1', skipped: [] } });
    expect((done.result as { evicted: unknown[] }).evicted).toHaveLength(onEdge1);
    await eventually(() => expect(kube.objects('pods', 'default').filter((p) => p.spec.nodeName === 'edge-1')).toEqual([]));
    expect(kube.object('nodes', undefined, 'edge-1')!.spec.unschedulable).toBe(true);
  });

  it('streams a followed log, and closes the stream at the server when the caller aborts', async () => {
    const pod = kube.objects('pods', 'default').find((p) => p.status?.phase === 'Running')!;
    const name = pod.metadata.name;
    const controller = new AbortController();
    const events = await client.clusters.logs({ clusterId, namespace: 'default', pod: name }, { signal: controller.signal });
    const lines: string[] = [];
    kube.appendLog('default', name, 'web', 'hello from the host test');
    for await (const e of events) {
      if (e.type === 'lines') lines.push(...e.lines);
      if (lines.includes('hello from the host test')) break;
    }
    expect(lines[0]).toBe('stand-in container web started (image web:1)');
    controller.abort();
    await eventually(() => expect(kube.logFollowers('default', name, 'web')).toBe(0));
  });

  it('gives refusals their codes and fields across the API', async () => {
    const protectedLabel = await apiError(client.clusters.setNodeLabels({ clusterId, nodes: ['edge-1'], set: { 'kubernetes.io/os': 'windows' } }));
    expect(protectedLabel).toMatchObject({ code: 'CLUSTER_LABEL_PROTECTED', field: ['set', 'kubernetes.io/os'] });
    const yaml = await apiError(client.clusters.apply({ clusterId, yaml: 'kind: [' }));
    expect(yaml.code).toBe('CLUSTER_YAML_INVALID');
    expect(yaml.message.en).toMatch(/line 1, column \d+/);
    const gone = await startKubeStandIn();
    const offline = (await client.clusters.import({ name: 'line-gone', kubeconfig: gone.kubeconfig() })).id;
    await gone.close();
    const t0 = Date.now();
    expect((await apiError(client.clusters.metrics({ clusterId: offline }))).code).toBe('CLUSTER_UNREACHABLE');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('gives an error raised while a stream runs its code too (a watch whose kubeconfig was revoked)', async () => {
    const other = (await client.clusters.import({ name: 'line-revoked', kubeconfig: kube.kubeconfig() })).id;
    await client.clusters.revokeKubeconfig({ id: other });
    const stream = await client.clusters.watch({ id: other, kinds: ['nodes'] });
    const e = await apiError(
      (async () => {
        for await (const _event of stream) {
          // The refusal comes at the first read.
        }
      })(),
    );
    expect(e.code).toBe('CLUSTER_NO_KUBECONFIG');
    expect(e.message.zh).not.toBe(e.message.en);
  });

  /** Reads a watch stream in the background: the node names it shows, and how it ended. */
  function reader(stream: AsyncIterable<ClusterWatchEvent>) {
    const r = { nodes: new Set<string>(), snapshots: 0, error: null as ApiErrorData | null, done: false };
    void (async () => {
      try {
        for await (const e of stream) {
          if (e.kind !== 'nodes') continue;
          const name = (o: Record<string, unknown>) => (o.metadata as { name: string }).name;
          if (e.type === 'snapshot') {
            r.snapshots++;
            r.nodes = new Set(e.items.map(name));
          } else if (e.type === 'changes') {
            for (const o of e.upserts) r.nodes.add(name(o));
            for (const d of e.deletes) r.nodes.delete(d.name);
          }
        }
      } catch (e) {
        r.error = e instanceof ORPCError ? (e.data as ApiErrorData) : { code: 'NOT_AN_API_ERROR', message: { en: String(e), zh: String(e) } };
      } finally {
        r.done = true;
      }
    })();
    return r;
  }

  it('carries an open watch stream over to a replaced kubeconfig, then ends it with CLUSTER_CREDENTIAL_REVOKED when the kubeconfig is revoked', async () => {
    const cable = await tcpRelay(new URL(kube.url));
    try {
      const id = (await client.clusters.import({ name: 'line-renewed', kubeconfig: kube.kubeconfig(cable.url()) })).id;
      const r = reader(await client.clusters.watch({ id, kinds: ['nodes', 'pods'] }));
      await eventually(() => expect(r.nodes.has('edge-1')).toBe(true));

      // The new kubeconfig reaches the server directly; the old one's cable is pulled.
      await client.clusters.replaceKubeconfig({ id, kubeconfig: kube.kubeconfig() });
      await cable.cut();
      kube.addNode('edge-after-replace');
      await eventually(() => expect(r.nodes.has('edge-after-replace')).toBe(true), 15_000);
      expect(r.snapshots).toBe(1);
      expect(r.done).toBe(false);

      const revoked = await client.clusters.revokeKubeconfig({ id });
      await eventually(() => expect(r.done).toBe(true));
      expect(r.error?.code).toBe('CLUSTER_CREDENTIAL_REVOKED');
      expect(r.error?.message.en).toContain(
        `The kubeconfig of cluster line-renewed was revoked at ${revoked.kubeconfigAt!.slice(0, 19).replace('T', ' ')} UTC`,
      );
      expect(r.error?.message.zh).toContain('已于');
    } finally {
      await cable.close();
    }
  });

  it('ends an open watch stream with CLUSTER_FORGOTTEN when the station forgets the cluster', async () => {
    const id = (await client.clusters.import({ name: 'line-forgotten', kubeconfig: kube.kubeconfig() })).id;
    const r = reader(await client.clusters.watch({ id, kinds: ['nodes'] }));
    await eventually(() => expect(r.nodes.size).toBeGreaterThan(0));
    await client.clusters.remove({ id });
    await eventually(() => expect(r.done).toBe(true));
    expect(r.error?.code).toBe('CLUSTER_FORGOTTEN');
    expect(r.error?.message.en).toMatch(/^This station forgot cluster line-forgotten at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(r.error?.message.zh).toContain('移除集群 line-forgotten');
  });
});
