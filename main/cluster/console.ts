/**
 * The cluster console's actions (issue 8): what a technician changes on a
 * cluster's nodes, workloads and pods, each through the Kubernetes API of
 * the cluster's stored kubeconfig. What the console shows comes from
 * ClusterService.watch; these change it, and the watch tells the result.
 *
 * Each action lives with its domain: nodes.ts (cordon, labels, taints),
 * drain.ts (the drain job), workloads.ts (scale, restart, revisions,
 * rollback, CronJob suspend), logs.ts, apply.ts (YAML), deploy.ts (catalog
 * apps), metrics.ts; console-client.ts carries the requests and their
 * errors.
 */
import { stringify } from 'yaml';
import type { ApplyResult, CatalogDeployInput, DrainInput, Job, LogsEvent, LogsInput, Metrics, ObjectRef, Taint } from '../api/contract';
import { AppError } from '../api/errors';
import type { ArtifactService } from '../artifacts';
import type { AppService } from '../catalog';
import type { JobService } from '../jobs';
import { applyManifests } from './apply';
import { ConsoleErrors, KubeClient } from './console-client';
import { deploy, deployPlan, type DeployPlan } from './deploy';
import { DRAIN_KIND, drainJob } from './drain';
import { logText, streamLogs } from './logs';
import { metrics } from './metrics';
import { cordon, setNodeLabels, setNodeTaints } from './nodes';
import type { ClusterService } from './service';
import { restart, revisions, rollback, scale, suspendCronJob, type Revision, type WorkloadRef } from './workloads';

export interface ConsoleDeps {
  clusters: ClusterService;
  jobs: JobService;
  apps: AppService;
  artifacts: ArtifactService;
}

/** Where each console kind is served: its group version and whether it is namespaced. */
const KIND_PATHS: Record<ObjectRef['kind'], { base: string; namespaced: boolean }> = {
  nodes: { base: '/api/v1', namespaced: false },
  namespaces: { base: '/api/v1', namespaced: false },
  pods: { base: '/api/v1', namespaced: true },
  services: { base: '/api/v1', namespaced: true },
  configmaps: { base: '/api/v1', namespaced: true },
  deployments: { base: '/apis/apps/v1', namespaced: true },
  daemonsets: { base: '/apis/apps/v1', namespaced: true },
  statefulsets: { base: '/apis/apps/v1', namespaced: true },
  jobs: { base: '/apis/batch/v1', namespaced: true },
  cronjobs: { base: '/apis/batch/v1', namespaced: true },
};

export class ConsoleService {
  constructor(private readonly d: ConsoleDeps) {
    d.jobs.register(
      drainJob(
        (id) => this.client(id),
        (id) => d.clusters.list().find((c) => c.id === id)?.name ?? id,
      ),
    );
  }

  /** The cluster's API through its stored kubeconfig (a refusal that says how to get one when there is none). */
  private client(clusterId: string): KubeClient {
    return new KubeClient(this.d.clusters.kubeconfig(clusterId));
  }

  cordon(clusterId: string, node: string, unschedulable: boolean, signal?: AbortSignal) {
    return cordon(this.client(clusterId), node, unschedulable, signal);
  }

  /** Starts the drain job (kind clusters.drain); what it would refuse is refused here, before the node is cordoned. */
  drain(input: DrainInput): Promise<Job> {
    return this.d.jobs.start(DRAIN_KIND, input);
  }

  setNodeLabels(input: { clusterId: string; nodes: string[]; set: Record<string, string>; remove: string[] }, signal?: AbortSignal) {
    return setNodeLabels(this.client(input.clusterId), input, signal);
  }

  setNodeTaints(clusterId: string, node: string, taints: Taint[], signal?: AbortSignal) {
    return setNodeTaints(this.client(clusterId), node, taints, signal);
  }

  scale(input: { clusterId: string; kind: 'deployments' | 'statefulsets'; namespace: string; name: string; replicas: number }, signal?: AbortSignal) {
    return scale(this.client(input.clusterId), input, signal);
  }

  restart(input: WorkloadRef & { clusterId: string }, signal?: AbortSignal) {
    return restart(this.client(input.clusterId), input, signal);
  }

  revisions(input: WorkloadRef & { clusterId: string }, signal?: AbortSignal): Promise<Revision[]> {
    return revisions(this.client(input.clusterId), input, signal);
  }

  rollback(input: WorkloadRef & { clusterId: string; revision: number }, signal?: AbortSignal) {
    return rollback(this.client(input.clusterId), input, input.revision, signal);
  }

  suspendCronJob(input: { clusterId: string; namespace: string; name: string; suspend: boolean }, signal?: AbortSignal) {
    return suspendCronJob(this.client(input.clusterId), input, signal);
  }

  /** Deletes a pod (gracefully); deleted is false when it was already gone. */
  async deletePod(input: { clusterId: string; namespace: string; name: string }, signal?: AbortSignal): Promise<{ deleted: boolean }> {
    const client = this.client(input.clusterId);
    const what = { en: `delete pod ${input.namespace}/${input.name} (delete pods)`, zh: `删除 Pod ${input.namespace}/${input.name}（delete pods）` };
    try {
      await client.call(what, (o) => client.core.deleteNamespacedPod({ name: input.name, namespace: input.namespace }, o), { signal });
      return { deleted: true };
    } catch (e) {
      if (e instanceof AppError && e.code === ConsoleErrors.CLUSTER_OBJECT_NOT_FOUND) return { deleted: false };
      throw e;
    }
  }

  /** A pod's log, live when following; it ends with the reason when the cluster's credential is revoked or the cluster forgotten. */
  async *logs(input: LogsInput, signal?: AbortSignal): AsyncGenerator<LogsEvent> {
    const client = this.client(input.clusterId);
    const cut = new AbortController();
    let reason = null as AppError | null;
    const off = this.d.clusters.onCredentialEnded((id, why) => {
      if (id !== input.clusterId) return;
      reason = why;
      cut.abort();
    });
    try {
      yield* streamLogs(client, input, signal ? AbortSignal.any([signal, cut.signal]) : cut.signal);
    } catch (e) {
      if (!reason) throw e;
    } finally {
      off();
    }
    if (reason) throw reason;
  }

  logText(input: Omit<LogsInput, 'follow'>, signal?: AbortSignal) {
    return logText(this.client(input.clusterId), input, signal);
  }

  /**
   * The object as YAML to read or edit: managed fields and status left out
   * (what apply would not take), resourceVersion kept so that applying an
   * edit made on a stale copy is refused (409) instead of undoing a change.
   * A raw GET: client-node's typed models would drop fields they do not know
   * and rewrite timestamps, and the user must see what the server has.
   */
  async yaml(ref: ObjectRef, signal?: AbortSignal): Promise<{ yaml: string; resourceVersion: string | null }> {
    const { base, namespaced } = KIND_PATHS[ref.kind];
    const namespace = namespaced ? (ref.namespace ?? 'default') : null;
    const path = `${base}/${namespace ? `namespaces/${encodeURIComponent(namespace)}/` : ''}${ref.kind}/${encodeURIComponent(ref.name)}`;
    const id = `${ref.kind}/${ref.name}${namespace ? ` in ${namespace}` : ''}`;
    const what = { en: `read ${id} (get ${ref.kind})`, zh: `读取 ${id}（get ${ref.kind}）` };
    const obj = (await this.client(ref.clusterId).json<Record<string, unknown>>(what, { method: 'GET', path }, { signal }))!;
    const meta = obj.metadata as Record<string, unknown>;
    delete meta.managedFields;
    delete obj.status;
    return { yaml: stringify(obj), resourceVersion: typeof meta.resourceVersion === 'string' ? meta.resourceVersion : null };
  }

  apply(input: { clusterId: string; yaml: string; dryRun: boolean; force: boolean }, signal?: AbortSignal): Promise<ApplyResult> {
    return applyManifests(this.client(input.clusterId), input.yaml, { dryRun: input.dryRun, force: input.force, signal });
  }

  deployPreview(input: CatalogDeployInput, signal?: AbortSignal): Promise<DeployPlan> {
    return deployPlan(this.client(input.clusterId), this.d, input, signal);
  }

  deploy(input: CatalogDeployInput, signal?: AbortSignal): Promise<ApplyResult> {
    return deploy(this.client(input.clusterId), this.d, input, signal);
  }

  metrics(clusterId: string, signal?: AbortSignal): Promise<Metrics> {
    return metrics(this.client(clusterId), signal);
  }
}
