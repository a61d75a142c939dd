/**
 * metrics.k8s.io as the console reads it (main/cluster/metrics.ts), against
 * the Kubernetes API stand-in: figures when metrics-server answers,
 * available: false when the cluster has none (404), and
 * CLUSTER_METRICS_UNAVAILABLE when it is registered but not answering (the
 * 503 kube-aggregator gives while the APIService is not Available); each
 * pod's figures per container, as PodMetrics lists them (running containers
 * only), and the pod's as their sum.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../main/cluster/console-client';
import { metrics, MetricsErrors } from '../../main/cluster/metrics';
import { startKubeStandIn, usageOf, type KubeObject, type KubeStandIn } from '../support/kube-stand-in';
import { refusal } from '../support/refusal';
import { api, eventually } from './wire';

let kube: KubeStandIn;
let client: KubeClient;

beforeAll(async () => {
  kube = await startKubeStandIn({ metricsServer: 'unavailable' });
  kube.addNode('edge-1');
  client = new KubeClient(kube.kubeconfig());
});
afterAll(async () => {
  await kube?.close();
});

describe('metrics-server registered but not answering', () => {
  it('is listed in discovery while its paths answer 503, as kube-aggregator does', async () => {
    const groups = (await api(kube, 'GET', '/apis')).json as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name)).toContain('metrics.k8s.io');
    for (const path of ['/apis/metrics.k8s.io/v1beta1', '/apis/metrics.k8s.io/v1beta1/pods']) {
      const res = await api(kube, 'GET', path);
      expect(res.status, path).toBe(503);
      expect(res.text).toBe('service unavailable\n');
    }
  });

  it('is a refusal that says so and where to look, in both languages', async () => {
    const e = await refusal(metrics(client));
    expect(e.code).toBe(MetricsErrors.CLUSTER_METRICS_UNAVAILABLE);
    expect(e.text.en).toContain('metrics-server is registered');
    expect(e.text.en).toContain('503 Service Unavailable');
    expect(e.text.en).toContain('kubectl get apiservice v1beta1.metrics.k8s.io');
    expect(e.text.zh).toContain('没有响应');
  });

  it('gives figures again once it answers, and available: false once it is gone', async () => {
    kube.setMetricsServer(true);
    const m = await metrics(client);
    expect(m.available).toBe(true);
    expect(m.nodes.map((n) => n.name)).toEqual(['edge-1']);
    kube.setMetricsServer(false);
    expect(await metrics(client)).toMatchObject({ available: false, nodes: [], pods: [] });
  });
});

describe('usage by container', () => {
  const POD = '/api/v1/namespaces/default/pods';
  /** The stand-in's figure for a container of pod `two`: nanocores as millicores, KiB as bytes. */
  const figure = (container: string) => {
    const u = usageOf(`pod/default/two/${container}`, 'container');
    return { name: container, cpuMillicores: Number(u.cpu.slice(0, -1)) / 1e6, memoryBytes: Number(u.memory.slice(0, -2)) * 1024 };
  };

  beforeAll(async () => {
    kube.setMetricsServer(true);
    const created = await api(kube, 'POST', POD, {
      body: {
        metadata: { name: 'two' },
        spec: {
          containers: [
            { name: 'app', image: 'app:1' },
            { name: 'sidecar', image: 'proxy:1' },
          ],
        },
      },
    });
    expect(created.status).toBe(201);
    await eventually(() => expect(kube.object('pods', 'default', 'two')?.status?.phase).toBe('Running'), 10_000);
  });
  afterAll(() => kube.setMetricsServer(false));

  it('gives each container’s figures as metrics-server measured them, and the pod’s as their sum', async () => {
    const pod = (await metrics(client)).pods.find((p) => p.name === 'two')!;
    const [app, sidecar] = [figure('app'), figure('sidecar')];
    expect(pod.containers).toEqual([app, sidecar]);
    expect(pod.cpuMillicores).toBe(app.cpuMillicores + sidecar.cpuMillicores);
    expect(pod.memoryBytes).toBe(app.memoryBytes + sidecar.memoryBytes);
  });

  it('leaves out a container metrics-server did not measure (not running), the pod’s figures being the others’', async () => {
    // The sidecar crashes and waits to restart: the kubelet has nothing of it to measure.
    const pod = (await api(kube, 'GET', `${POD}/two`)).json as KubeObject;
    const sidecar = pod.status.containerStatuses.find((c: { name: string }) => c.name === 'sidecar');
    sidecar.state = { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' } };
    sidecar.ready = false;
    expect((await api(kube, 'PUT', `${POD}/two/status`, { body: pod })).status).toBe(200);
    // On the wire, as metrics-server lists it: the running container only.
    const wire = (await api(kube, 'GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/two')).json as { containers: { name: string }[] };
    expect(wire.containers.map((c) => c.name)).toEqual(['app']);

    const two = (await metrics(client)).pods.find((p) => p.name === 'two')!;
    expect(two.containers).toEqual([figure('app')]);
    expect(two).toMatchObject({ cpuMillicores: figure('app').cpuMillicores, memoryBytes: figure('app').memoryBytes });
  });
});
