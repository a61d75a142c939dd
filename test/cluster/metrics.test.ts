/**
 * metrics.k8s.io as the console reads it (main/cluster/metrics.ts), against
 * the Kubernetes API stand-in: figures when metrics-server answers,
 * available: false when the cluster has none (404), and
 * CLUSTER_METRICS_UNAVAILABLE when it is registered but not answering (the
 * 503 kube-aggregator gives while the APIService is not Available).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../main/cluster/console-client';
import { metrics, MetricsErrors } from '../../main/cluster/metrics';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { refusal } from '../support/refusal';
import { api } from './wire';

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
