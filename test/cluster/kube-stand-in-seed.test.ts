/**
 * The stand-in's seeding and churn, which benchmarks use: many objects at
 * once, and a sustained rate of MODIFIED events on a watch.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { api, watch } from './wire';

let s: KubeStandIn;
let kc: KubeConfig;

beforeAll(async () => {
  s = await startKubeStandIn({ historyLimit: 20_000 });
  kc = new KubeConfig();
  kc.loadFromString(s.kubeconfig());
});
afterAll(async () => {
  await s?.close();
});

describe('seed and churn', () => {
  it('seeds 500 nodes and 5000 running pods in 5 namespaces in well under the test timeout', async () => {
    const t0 = Date.now();
    const out = s.seed({ nodes: 500, pods: 5000, namespaces: 5 });
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(out).toMatchObject({ pods: 5000, namespaces: ['seed-ns-0', 'seed-ns-1', 'seed-ns-2', 'seed-ns-3', 'seed-ns-4'] });
    expect(out.nodes).toHaveLength(500);
    const core = kc.makeApiClient(CoreV1Api);
    expect((await core.listNode()).items).toHaveLength(500);
    const pods = await core.listPodForAllNamespaces();
    expect(pods.items).toHaveLength(5000);
    expect(pods.items.every((p) => p.status?.phase === 'Running' && p.spec?.nodeName?.startsWith('seed-node-'))).toBe(true);
    expect((await core.listNamespacedPod({ namespace: 'seed-ns-3' })).items).toHaveLength(1000);
    expect((await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=seed-node-7' })).items).toHaveLength(10);
  });

  it('churns MODIFIED pod events at about the rate asked for', async () => {
    const list = await api(s, 'GET', '/api/v1/pods?labelSelector=app%3Dseed-app-0');
    const w = await watch(s, `/api/v1/pods?watch=1&resourceVersion=${list.json.metadata.resourceVersion}`);
    const churn = s.churn({ eventsPerSecond: 400 });
    const t0 = Date.now();
    let n = 0;
    const next = async (timeoutMs: number) => {
      const e = await w.next(timeoutMs);
      expect(e.type).toBe('MODIFIED');
      // Every event, in order: the churn numbers its edits.
      expect(e.object.metadata.annotations['stand-in.edgeforge.io/churn']).toBe(String(++n));
    };
    while (Date.now() - t0 < 2000) await next(5000);
    const elapsed = Date.now() - t0;
    churn.stop();
    // Every event made reaches the watch (this process may lag behind on a loaded machine).
    const deadline = Date.now() + 15_000;
    while (n < churn.emitted) await next(Math.max(0, deadline - Date.now()));
    w.close();
    expect(n).toBe(churn.emitted);
    // The churn makes up for its own lateness, so the rate over the time it ran is the rate asked for.
    const rate = churn.emitted / (elapsed / 1000);
    expect(rate).toBeGreaterThan(250);
    expect(rate).toBeLessThan(600);
  });

  it('churns node events when asked', async () => {
    const before = (await api(s, 'GET', '/api/v1/nodes/seed-node-0')).json.metadata.resourceVersion;
    const churn = s.churn({ eventsPerSecond: 1000, kind: 'nodes' });
    await new Promise((r) => setTimeout(r, 700));
    churn.stop();
    const after = (await api(s, 'GET', '/api/v1/nodes/seed-node-0')).json;
    expect(after.metadata.resourceVersion).not.toBe(before);
    expect(Number(after.metadata.annotations['stand-in.edgeforge.io/churn'])).toBeGreaterThan(0);
  });
});
