/**
 * The cluster console's actions through the real headless host
 * (`edgeforge serve`, the API over WebSocket) against the Kubernetes API
 * stand-in: cordon, the drain job and its result, a followed log closed when
 * the caller aborts, and errors reaching the caller with their codes.
 */
import path from 'node:path';
import { ORPCError } from '@orpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiErrorData } from '../../main/api/errors';
import { connectClient, startHostProcess, type RunningHost, type TestClient } from '../support/host';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { tempDir } from '../support/tmp';
import { eventually } from './wire';

let kube: KubeStandIn;
let host: RunningHost;
let client: TestClient;
let close: () => void;
let clusterId: string;

async function apiError(p: Promise<unknown>): Promise<ApiErrorData> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ORPCError);
    return (e as ORPCError<string, ApiErrorData>).data!;
  }
  throw new Error('expected the call to fail');
}

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
});
