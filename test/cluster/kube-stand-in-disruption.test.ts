/**
 * The stand-in's eviction subresource and PodDisruptionBudgets, as `kubectl
 * drain` uses them: CoreV1Api.createNamespacedPodEviction, and the raw 429
 * Status kube-apiserver sends when a budget forbids it.
 */
import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, PolicyV1Api, setHeaderOptions, type ApiException, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { api, eventually } from './wire';

let s: KubeStandIn;
let kc: KubeConfig;
const core = () => kc.makeApiClient(CoreV1Api);
const policy = () => kc.makeApiClient(PolicyV1Api);
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const live = async () =>
  (await core().listNamespacedPod({ namespace: 'default', labelSelector: 'app=api' })).items.filter((p) => !p.metadata?.deletionTimestamp);
const ready = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const evict = (name: string) =>
  core().createNamespacedPodEviction({
    name,
    namespace: 'default',
    body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } },
  });

beforeAll(async () => {
  s = await startKubeStandIn({ podStartMs: 150, podTerminationMs: 400 });
  kc = new KubeConfig();
  kc.loadFromString(s.kubeconfig());
  for (const n of ['n1', 'n2', 'n3']) s.addNode(n);
  await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace: 'default',
    body: {
      metadata: { name: 'api' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'api' } },
        template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'api:1' }] } },
      },
    },
  });
  await eventually(async () => expect((await live()).filter(ready)).toHaveLength(3));
});
afterAll(async () => {
  await s?.close();
});

describe('PodDisruptionBudget status', () => {
  it('counts expected, healthy and desired pods, and the disruptions allowed (maxUnavailable 1)', async () => {
    await policy().createNamespacedPodDisruptionBudget({
      namespace: 'default',
      body: { metadata: { name: 'api-pdb' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'api' } } } },
    });
    const pdb = await eventually(async () => {
      const p = await policy().readNamespacedPodDisruptionBudget({ name: 'api-pdb', namespace: 'default' });
      expect(p.status).toMatchObject({ expectedPods: 3, currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 1, observedGeneration: 1 });
      return p;
    });
    expect(pdb.status?.conditions?.[0]).toMatchObject({ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' });
  });
});

describe('eviction', () => {
  it('evicts a pod the budget allows: 201 Success, the pod terminating with DisruptionTarget, a replacement created', async () => {
    const [victim] = await live();
    const raw = await api(s, 'POST', `/api/v1/namespaces/default/pods/${victim!.metadata!.name}/eviction`, {
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: victim!.metadata!.name, namespace: 'default' } },
    });
    expect(raw.status).toBe(201);
    expect(raw.json).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    const evicted = await core().readNamespacedPod({ name: victim!.metadata!.name!, namespace: 'default' });
    expect(evicted.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect(evicted.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'EvictionByEvictionAPI' });
    const budget = await policy().readNamespacedPodDisruptionBudget({ name: 'api-pdb', namespace: 'default' });
    expect(budget.status?.disruptionsAllowed).toBe(0);
    await eventually(async () => expect((await live()).filter(ready)).toHaveLength(3));
  });

  it('refuses an eviction that would violate the budget with the 429 Status kube-apiserver sends', async () => {
    await policy().patchNamespacedPodDisruptionBudget(
      { name: 'api-pdb', namespace: 'default', body: { spec: { maxUnavailable: null, minAvailable: 3 } } },
      merge,
    );
    await eventually(async () =>
      expect((await policy().readNamespacedPodDisruptionBudget({ name: 'api-pdb', namespace: 'default' })).status).toMatchObject({
        desiredHealthy: 3,
        disruptionsAllowed: 0,
        observedGeneration: 2,
      }),
    );
    const [victim] = await live();
    const raw = await api(s, 'POST', `/api/v1/namespaces/default/pods/${victim!.metadata!.name}/eviction`, {
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: victim!.metadata!.name, namespace: 'default' } },
    });
    expect(raw.status).toBe(429);
    expect(raw.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      reason: 'TooManyRequests',
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget api-pdb needs 3 healthy pods and has 3 currently' }] },
      code: 429,
    });
    const viaClient = await evict(victim!.metadata!.name!).catch((e: unknown) => e);
    expect((viaClient as ApiException<unknown>).code).toBe(429);
    expect((await core().readNamespacedPod({ name: victim!.metadata!.name!, namespace: 'default' })).metadata?.deletionTimestamp).toBeUndefined();
  });

  it('lets a test hold a budget closed and open it again (holdDisruptionBudget)', async () => {
    await policy().patchNamespacedPodDisruptionBudget({ name: 'api-pdb', namespace: 'default', body: { spec: { minAvailable: '50%' } } }, merge);
    await eventually(async () =>
      expect((await policy().readNamespacedPodDisruptionBudget({ name: 'api-pdb', namespace: 'default' })).status?.disruptionsAllowed).toBe(1),
    );
    s.holdDisruptionBudget('default', 'api-pdb', true);
    await eventually(async () =>
      expect((await policy().readNamespacedPodDisruptionBudget({ name: 'api-pdb', namespace: 'default' })).status?.disruptionsAllowed).toBe(0),
    );
    const [victim] = await live();
    expect(((await evict(victim!.metadata!.name!).catch((e: unknown) => e)) as ApiException<unknown>).code).toBe(429);
    s.holdDisruptionBudget('default', 'api-pdb', false);
    await eventually(async () =>
      expect((await policy().readNamespacedPodDisruptionBudget({ name: 'api-pdb', namespace: 'default' })).status?.disruptionsAllowed).toBe(1),
    );
    await evict(victim!.metadata!.name!);
  });

  it('drains a cordoned node as kubectl drain does: evictions, replacements elsewhere, none left on it', async () => {
    await eventually(async () => expect((await live()).filter(ready)).toHaveLength(3));
    await core().patchNode({ name: 'n1', body: { spec: { unschedulable: true } } }, merge);
    const onN1 = async () => (await core().listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=n1' })).items.filter((p) => !p.metadata?.deletionTimestamp);
    for (const p of await onN1()) {
      await eventually(() => evict(p.metadata!.name!), 8000); // kubectl retries a 429 every 5 s; here, quicker
    }
    await eventually(async () => {
      expect(await onN1()).toHaveLength(0);
      const pods = (await live()).filter(ready);
      expect(pods).toHaveLength(3);
      expect(pods.every((p) => p.spec?.nodeName !== 'n1')).toBe(true);
    }, 8000);
  });

  it('answers an eviction of a missing pod with 404 and a mismatched name with 400', async () => {
    const missing = await api(s, 'POST', '/api/v1/namespaces/default/pods/ghost/eviction', {
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'ghost' } },
    });
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe('pods "ghost" not found');
    const [p] = await live();
    const mismatch = await api(s, 'POST', `/api/v1/namespaces/default/pods/${p!.metadata!.name}/eviction`, {
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } },
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.message).toBe('name in URL does not match name in Eviction object');
  });
});
