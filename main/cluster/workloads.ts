/**
 * Workload actions of the cluster console, as kubectl does them:
 *   - scale through the scale subresource (autoscaling/v1 Scale);
 *   - rollout restart: the pod template's kubectl.kubernetes.io/restartedAt
 *     annotation, so that the controller rolls every pod;
 *   - rollout history: a Deployment's ReplicaSets (annotation
 *     deployment.kubernetes.io/revision), a DaemonSet's or StatefulSet's
 *     ControllerRevisions;
 *   - rollout undo --to-revision: a Deployment gets that ReplicaSet's pod
 *     template back (JSON Patch, without the pod-template-hash label); a
 *     DaemonSet or StatefulSet gets the revision's data, which is a strategic
 *     merge patch of its template;
 *   - a CronJob's spec.suspend.
 * https://kubernetes.io/docs/reference/kubectl/generated/kubectl_rollout/
 */
import {
  PatchStrategy,
  type ConfigurationOptions,
  type V1ControllerRevision,
  type V1ObjectMeta,
  type V1PodTemplateSpec,
  type V1ReplicaSet,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import type { z } from 'zod';
import type { RevisionSchema } from '../api/contract';
import { AppError } from '../api/errors';
import { ConsoleErrors, plain, type KubeClient } from './console-client';

export type WorkloadKind = 'deployments' | 'daemonsets' | 'statefulsets';
export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}
export type Revision = z.infer<typeof RevisionSchema>;

const REVISION = 'deployment.kubernetes.io/revision';
const CHANGE_CAUSE = 'kubernetes.io/change-cause';

const label = (r: WorkloadRef) => `${r.kind}/${r.name} in ${r.namespace}`;
const labelZh = (r: WorkloadRef) => `${r.namespace} 中的 ${r.kind}/${r.name}`;

/** Patches the workload: one call for each kind's typed API. */
function patchWorkload(client: KubeClient, r: WorkloadRef, body: object) {
  const p = { name: r.name, namespace: r.namespace, body };
  return (o: ConfigurationOptions) =>
    r.kind === 'deployments'
      ? client.apps.patchNamespacedDeployment(p, o)
      : r.kind === 'daemonsets'
        ? client.apps.patchNamespacedDaemonSet(p, o)
        : client.apps.patchNamespacedStatefulSet(p, o);
}

function readWorkload(client: KubeClient, r: WorkloadRef, signal?: AbortSignal) {
  const p = { name: r.name, namespace: r.namespace };
  return client.call(
    { en: `read ${label(r)} (get ${r.kind})`, zh: `读取 ${labelZh(r)}（get ${r.kind}）` },
    (o) =>
      r.kind === 'deployments'
        ? client.apps.readNamespacedDeployment(p, o)
        : r.kind === 'daemonsets'
          ? client.apps.readNamespacedDaemonSet(p, o)
          : client.apps.readNamespacedStatefulSet(p, o),
    { signal },
  );
}

/** Sets a Deployment's or StatefulSet's replicas; answers with the Scale the server now has. */
export async function scale(
  client: KubeClient,
  r: { kind: 'deployments' | 'statefulsets'; namespace: string; name: string; replicas: number },
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const p = { name: r.name, namespace: r.namespace, body: { spec: { replicas: r.replicas } } };
  const what = { en: `scale ${label(r)} to ${r.replicas} (patch ${r.kind}/scale)`, zh: `将 ${labelZh(r)} 扩缩到 ${r.replicas}（patch ${r.kind}/scale）` };
  const out = await client.call(
    what,
    (o) => (r.kind === 'deployments' ? client.apps.patchNamespacedDeploymentScale(p, o) : client.apps.patchNamespacedStatefulSetScale(p, o)),
    { signal, patch: PatchStrategy.MergePatch, field: ['replicas'] },
  );
  return plain(out);
}

/** kubectl rollout restart: a new restartedAt annotation on the pod template, so every pod is replaced. */
export async function restart(client: KubeClient, r: WorkloadRef, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const body = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } } } };
  const what = { en: `restart ${label(r)} (patch ${r.kind})`, zh: `重启 ${labelZh(r)}（patch ${r.kind}）` };
  return plain(await client.call(what, patchWorkload(client, r, body), { signal, patch: PatchStrategy.MergePatch }));
}

const iso = (d: Date | undefined) => (d ? d.toISOString() : null);
const imagesOf = (t: V1PodTemplateSpec | undefined) => [...(t?.spec?.containers ?? []), ...(t?.spec?.initContainers ?? [])].map((c) => c.image ?? '');
const ownedBy = (uid: string | undefined) => (m: V1ObjectMeta | undefined) => !!uid && (m?.ownerReferences ?? []).some((o) => o.uid === uid && o.controller);

interface History {
  annotations: Record<string, string> | undefined;
  revisions: Revision[];
  replicaSets: V1ReplicaSet[];
  controllerRevisions: V1ControllerRevision[];
}

async function history(client: KubeClient, r: WorkloadRef, signal?: AbortSignal): Promise<History> {
  const workload = await readWorkload(client, r, signal);
  const mine = ownedBy(workload.metadata?.uid);
  if (r.kind === 'deployments') {
    const what = { en: `list the ReplicaSets of ${label(r)} (list replicasets)`, zh: `列出 ${labelZh(r)} 的 ReplicaSet（list replicasets）` };
    const list = await client.call(what, (o) => client.apps.listNamespacedReplicaSet({ namespace: r.namespace }, o), { signal });
    const replicaSets = list.items.filter((rs) => mine(rs.metadata) && rs.metadata?.annotations?.[REVISION]);
    const current = workload.metadata?.annotations?.[REVISION];
    const revisions = replicaSets.map((rs) => ({
      revision: Number(rs.metadata!.annotations![REVISION]),
      createdAt: iso(rs.metadata?.creationTimestamp),
      images: imagesOf(rs.spec?.template),
      changeCause: rs.metadata?.annotations?.[CHANGE_CAUSE] ?? null,
      current: rs.metadata!.annotations![REVISION] === current,
    }));
    return { annotations: workload.metadata?.annotations, revisions: revisions.sort((a, b) => a.revision - b.revision), replicaSets, controllerRevisions: [] };
  }
  const what = { en: `list the revisions of ${label(r)} (list controllerrevisions)`, zh: `列出 ${labelZh(r)} 的修订版本（list controllerrevisions）` };
  const list = await client.call(what, (o) => client.apps.listNamespacedControllerRevision({ namespace: r.namespace }, o), { signal });
  const controllerRevisions = list.items.filter((cr) => mine(cr.metadata));
  // A StatefulSet names its revision; a DaemonSet's controller gives the current template the highest number.
  const updateRevision = r.kind === 'statefulsets' ? (workload as V1StatefulSet).status?.updateRevision : undefined;
  const highest = Math.max(0, ...controllerRevisions.map((cr) => cr.revision));
  const revisions = controllerRevisions.map((cr) => {
    const template = (cr.data as { spec?: { template?: V1PodTemplateSpec } } | undefined)?.spec?.template;
    return {
      revision: cr.revision,
      createdAt: iso(cr.metadata?.creationTimestamp),
      images: imagesOf(template),
      changeCause: cr.metadata?.annotations?.[CHANGE_CAUSE] ?? null,
      current: updateRevision ? cr.metadata?.name === updateRevision : cr.revision === highest,
    };
  });
  return { annotations: workload.metadata?.annotations, revisions: revisions.sort((a, b) => a.revision - b.revision), replicaSets: [], controllerRevisions };
}

/** The workload's revisions, oldest first, with their images and change-cause. */
export async function revisions(client: KubeClient, r: WorkloadRef, signal?: AbortSignal): Promise<Revision[]> {
  return (await history(client, r, signal)).revisions;
}

/** kubectl rollout undo --to-revision: the revision's pod template back on the workload. */
export async function rollback(client: KubeClient, r: WorkloadRef, revision: number, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const h = await history(client, r, signal);
  if (!h.revisions.some((x) => x.revision === revision)) {
    const known = h.revisions.map((x) => x.revision).join(', ') || '—';
    throw new AppError(
      ConsoleErrors.CLUSTER_REVISION_NOT_FOUND,
      {
        en: `${label(r)} has no revision ${revision}; its revisions are ${known}. Older ones were pruned (revisionHistoryLimit).`,
        zh: `${labelZh(r)} 没有修订版本 ${revision}；现有修订版本为 ${known}。更早的版本已被清理（revisionHistoryLimit）。`,
      },
      { field: ['revision'] },
    );
  }
  const what = { en: `roll ${label(r)} back to revision ${revision} (patch ${r.kind})`, zh: `将 ${labelZh(r)} 回滚到修订版本 ${revision}（patch ${r.kind}）` };
  if (r.kind === 'deployments') {
    const rs = h.replicaSets.find((x) => Number(x.metadata?.annotations?.[REVISION]) === revision)!;
    const template = structuredClone(rs.spec!.template!);
    if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
    // The revision's change-cause comes back with it, as kubectl copies it (RFC 6901: "/" is written "~1").
    const cause = rs.metadata?.annotations?.[CHANGE_CAUSE];
    const ops: object[] = [{ op: 'replace', path: '/spec/template', value: template }];
    if (cause && h.annotations) ops.push({ op: 'add', path: '/metadata/annotations/kubernetes.io~1change-cause', value: cause });
    else if (cause) ops.push({ op: 'add', path: '/metadata/annotations', value: { [CHANGE_CAUSE]: cause } });
    return plain(await client.call(what, patchWorkload(client, r, ops), { signal, patch: PatchStrategy.JsonPatch }));
  }
  const cr = h.controllerRevisions.find((x) => x.revision === revision)!;
  return plain(await client.call(what, patchWorkload(client, r, cr.data as object), { signal, patch: PatchStrategy.StrategicMergePatch }));
}

/** Suspends or resumes a CronJob (spec.suspend): no new Jobs while suspended. */
export async function suspendCronJob(
  client: KubeClient,
  r: { namespace: string; name: string; suspend: boolean },
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const what = r.suspend
    ? { en: `suspend cronjobs/${r.name} in ${r.namespace} (patch cronjobs)`, zh: `暂停 ${r.namespace} 中的 cronjobs/${r.name}（patch cronjobs）` }
    : { en: `resume cronjobs/${r.name} in ${r.namespace} (patch cronjobs)`, zh: `恢复 ${r.namespace} 中的 cronjobs/${r.name}（patch cronjobs）` };
  const out = await client.call(
    what,
    (o) => client.batch.patchNamespacedCronJob({ name: r.name, namespace: r.namespace, body: { spec: { suspend: r.suspend } } }, o),
    { signal, patch: PatchStrategy.MergePatch },
  );
  return plain(out);
}
