/**
 * The stand-in's server-side apply: PATCH application/apply-patch+yaml
 * through KubernetesObjectApi.patch (PatchStrategy.ServerSideApply) and raw,
 * managedFields, the 409 conflict kube-apiserver sends, force, dry runs.
 */
import { AppsV1Api, KubernetesObjectApi, KubeConfig, PatchStrategy, setHeaderOptions, type ApiException, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { api } from './wire';

let s: KubeStandIn;
let kc: KubeConfig;
const objects = () => KubernetesObjectApi.makeApiClient(kc);

beforeAll(async () => {
  s = await startKubeStandIn({ podStartMs: 30 });
  kc = new KubeConfig();
  kc.loadFromString(s.kubeconfig());
  s.addNode('n1');
});
afterAll(async () => {
  await s?.close();
});

const manifest = (replicas: number, image = 'nginx:1.25'): KubernetesObject & { spec: unknown } => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'shop', namespace: 'default', labels: { app: 'shop' } },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'shop' } },
    template: { metadata: { labels: { app: 'shop' } }, spec: { containers: [{ name: 'web', image }] } },
  },
});

const yamlDoc = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  namespace: default
spec:
  replicas: 5
`;

describe('server-side apply', () => {
  it('creates an absent object (201) and records the applier in managedFields as an Apply entry in FieldsV1', async () => {
    const raw = await api(s, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/shop?fieldManager=console', {
      body: manifest(2),
      contentType: 'application/apply-patch+yaml',
    });
    expect(raw.status).toBe(201);
    const mf = raw.json.metadata.managedFields;
    expect(mf).toEqual([
      {
        manager: 'console',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': { 'f:matchLabels': { 'f:app': {} } },
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
            },
          },
        },
      },
    ]);
  });

  it('applies again through KubernetesObjectApi.patch with PatchStrategy.ServerSideApply, changing only what changed', async () => {
    const out = await objects().patch(manifest(3, 'nginx:1.27'), undefined, undefined, 'console', undefined, PatchStrategy.ServerSideApply);
    expect((out.spec as { replicas: number }).replicas).toBe(3);
    expect(out.metadata?.generation).toBe(2);
  });

  it('stores nothing for an apply that changes nothing: same resourceVersion, same managedFields time', async () => {
    const cm: KubernetesObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' } };
    Object.assign(cm, { data: { mode: 'fast' } });
    const first = await objects().patch(cm, undefined, undefined, 'console', undefined, PatchStrategy.ServerSideApply);
    await new Promise((r) => setTimeout(r, 1100));
    const again = await objects().patch(cm, undefined, undefined, 'console', undefined, PatchStrategy.ServerSideApply);
    expect(again.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    expect(again.metadata?.managedFields?.[0]?.time).toEqual(first.metadata?.managedFields?.[0]?.time);
  });

  it('refuses to change a field another manager owns with the 409 Conflict kube-apiserver sends, naming manager and field', async () => {
    const r = await api(s, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/shop?fieldManager=autoscaler', {
      body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shop', namespace: 'default' }, spec: { replicas: 5 } },
      contentType: 'application/apply-patch+yaml',
    });
    expect(r.status).toBe(409);
    expect(r.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "console": .spec.replicas',
      reason: 'Conflict',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "console"', field: '.spec.replicas' }] },
      code: 409,
    });
    const viaClient = await objects()
      .patch(
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shop', namespace: 'default' }, spec: { replicas: 5 } } as KubernetesObject,
        undefined,
        undefined,
        'autoscaler',
        false,
        PatchStrategy.ServerSideApply,
      )
      .catch((e: unknown) => e);
    expect((viaClient as ApiException<unknown>).code).toBe(409);
  });

  it('counts several conflicts, an Update manager named with its apiVersion', async () => {
    await kc.makeApiClient(AppsV1Api).patchNamespacedDeployment(
      {
        name: 'shop',
        namespace: 'default',
        fieldManager: 'kubectl-edit',
        body: { metadata: { labels: { app: 'shop', tier: 'web' } }, spec: { minReadySeconds: 5 } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const r = await api(s, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/shop?fieldManager=other', {
      body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shop', labels: { tier: 'api' } }, spec: { replicas: 9, minReadySeconds: 1 } },
      contentType: 'application/apply-patch+yaml',
    });
    expect(r.status).toBe(409);
    expect(r.json.message).toBe(
      'Apply failed with 3 conflicts: conflicts with "console":\n- .spec.replicas\nconflicts with "kubectl-edit" using apps/v1:\n- .metadata.labels.tier\n- .spec.minReadySeconds',
    );
    expect(r.json.details.causes.map((c: { field: string }) => c.field).sort()).toEqual(['.metadata.labels.tier', '.spec.minReadySeconds', '.spec.replicas']);
  });

  it('takes the field with force=true: the value changes and the other manager loses it', async () => {
    const r = await api(s, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/shop?fieldManager=autoscaler&force=true', {
      body: yamlDoc,
      contentType: 'application/apply-patch+yaml',
      raw: true,
    });
    expect(r.status).toBe(200);
    expect(r.json.spec.replicas).toBe(5);
    const byManager = Object.fromEntries(r.json.metadata.managedFields.map((e: { manager: string; fieldsV1: unknown }) => [e.manager, e.fieldsV1]));
    expect(byManager.autoscaler).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(byManager.console['f:spec']['f:replicas']).toBeUndefined();
    expect(byManager.console['f:spec']['f:template']).toBeDefined();
  });

  it('removes a field its applier stops applying', async () => {
    const withEnv = manifest(3, 'nginx:1.27');
    (withEnv.spec as { template: { spec: { containers: { env?: unknown }[] } } }).template.spec.containers[0]!.env = [{ name: 'MODE', value: 'fast' }];
    const a = await objects().patch(withEnv, undefined, undefined, 'console', true, PatchStrategy.ServerSideApply);
    expect((a.spec as { template: { spec: { containers: { env: unknown }[] } } }).template.spec.containers[0]!.env).toEqual([{ name: 'MODE', value: 'fast' }]);
    const b = await objects().patch(manifest(3, 'nginx:1.27'), undefined, undefined, 'console', true, PatchStrategy.ServerSideApply);
    expect((b.spec as { template: { spec: { containers: { env?: unknown }[] } } }).template.spec.containers[0]!.env).toBeUndefined();
  });

  it('validates a dry run (dryRun=All) without storing it', async () => {
    const before = await api(s, 'GET', '/apis/apps/v1/namespaces/default/deployments/shop');
    const r = await api(s, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/shop?fieldManager=autoscaler&force=true&dryRun=All', {
      body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shop' }, spec: { replicas: 7 } },
      contentType: 'application/apply-patch+yaml',
    });
    expect(r.status).toBe(200);
    expect(r.json.spec.replicas).toBe(7);
    const after = await api(s, 'GET', '/apis/apps/v1/namespaces/default/deployments/shop');
    expect(after.json.spec.replicas).toBe(before.json.spec.replicas);
    expect(after.json.metadata.resourceVersion).toBe(before.json.metadata.resourceVersion);
    const created = await api(s, 'PATCH', '/api/v1/namespaces/default/configmaps/dry?fieldManager=console&dryRun=All', {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' }, data: { a: '1' } },
      contentType: 'application/apply-patch+yaml',
    });
    expect(created.status).toBe(201);
    expect((await api(s, 'GET', '/api/v1/namespaces/default/configmaps/dry')).status).toBe(404);
  });

  it('requires a fieldManager (422), and refuses a kind that does not match the URL (400)', async () => {
    const none = await api(s, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/shop', {
      body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shop' } },
      contentType: 'application/apply-patch+yaml',
    });
    expect(none.status).toBe(422);
    expect(none.json.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const wrong = await api(s, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/shop?fieldManager=x', {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shop' } },
      contentType: 'application/apply-patch+yaml',
    });
    expect(wrong.status).toBe(400);
  });
});
