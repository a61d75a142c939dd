/**
 * The clusters the console knows: joined by the station's flash runs, or
 * imported from a kubeconfig a technician brings. Kubeconfigs are checked
 * when they come in (self-contained, parsable, a server and a credential)
 * and kept sealed (ClusterStore); reachability is asked of the API server
 * itself, never assumed. Open watch streams follow the kubeconfig: a
 * replaced one carries them on, a revoked one (or the cluster forgotten)
 * ends them with the reason.
 */
import type { Cluster, ClusterStatus } from '../api/contract';
import { AppError } from '../api/errors';
import { ConsoleErrors } from './console-client';
import { ClusterErrors, serverVersion } from './kube';
import { kubeconfigInfo } from './kubeconfig';
import { ClusterStoreErrors, type ClusterStore } from './store';
import { ClusterWatch, type WatchEvent, type WatchKind } from './watch';

/** How long a status check waits for the API server: an offline cluster is told quickly. */
const STATUS_TIMEOUT_MS = 5_000;

/** A moment in an error message: the same for every reader, whatever the station's time zone (2025-06-01 08:30:05 UTC). */
const utc = (iso: string) => `${iso.slice(0, 19).replace('T', ' ')} UTC`;

export class ClusterService {
  private readonly live: ClusterWatch;
  /** What else holds a cluster's credential open (log streams, pod shells): told when it is revoked or the cluster forgotten. */
  private readonly endListeners = new Set<(clusterId: string, reason: AppError) => void>();

  constructor(private readonly store: ClusterStore) {
    this.live = new ClusterWatch((id) => this.kubeconfig(id), {
      load: (id, kind) => store.loadCache(id, kind),
      save: (id, kind, cached) => store.saveCache(id, kind, cached),
    });
  }

  /**
   * The cluster's objects of these kinds, live, until the signal aborts
   * (list + watch, batched). A replaced kubeconfig carries the stream on;
   * a revoked one or the cluster forgotten ends it with
   * CLUSTER_CREDENTIAL_REVOKED or CLUSTER_FORGOTTEN.
   */
  async *watch(id: string, kinds: readonly WatchKind[], signal?: AbortSignal): AsyncGenerator<WatchEvent> {
    this.kubeconfig(id);
    const queue: WatchEvent[] = [];
    let ended = null as AppError | null;
    let wake: (() => void) | null = null;
    const off = this.live.subscribe(
      id,
      kinds,
      (e) => {
        queue.push(e);
        wake?.();
      },
      (e) => {
        ended = e;
        wake?.();
      },
    );
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      while (!signal?.aborted) {
        while (queue.length > 0) yield queue.shift()!;
        if (ended) throw ended;
        if (signal?.aborted) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } finally {
      off();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    await this.live.close();
  }

  list(): Cluster[] {
    return this.store.list();
  }

  import(input: { name: string; kubeconfig: string; token?: string }): Cluster {
    const info = kubeconfigInfo(input.kubeconfig);
    return this.store.importCluster(input.name, info.server, input.kubeconfig, input.token?.trim() || null);
  }

  /** Open watch streams go on with the new kubeconfig, from what they show. */
  replaceKubeconfig(id: string, yaml: string): Cluster {
    const info = kubeconfigInfo(yaml);
    this.store.setKubeconfig(id, info.server, yaml);
    void this.live.renew(id);
    return this.store.get(id);
  }

  /** Open watch streams end with CLUSTER_CREDENTIAL_REVOKED; what they kept goes with the credential (ClusterStore). */
  revokeKubeconfig(id: string): Cluster {
    const c = this.store.revokeKubeconfig(id);
    // In the same turn as the revocation: no watch keeps its objects again after the store dropped them.
    const at = utc(c.kubeconfigAt ?? new Date().toISOString());
    this.ended(
      id,
      new AppError(ConsoleErrors.CLUSTER_CREDENTIAL_REVOKED, {
        en: `The kubeconfig of cluster ${c.name} was revoked at ${at}: the station no longer reaches the cluster, and what the console showed of it was dropped. Import a kubeconfig (Clusters › Replace kubeconfig) to watch it again.`,
        zh: `集群 ${c.name} 的 kubeconfig 已于 ${at} 撤销：工作站无法再访问该集群，控制台显示的内容已一并清除。如需重新查看，请导入 kubeconfig（集群 › 更换 kubeconfig）。`,
      }),
    );
    return c;
  }

  /** Open watch streams end with CLUSTER_FORGOTTEN. */
  remove(id: string): Cluster {
    const c = this.store.remove(id);
    const at = utc(new Date().toISOString());
    this.ended(
      id,
      new AppError(ConsoleErrors.CLUSTER_FORGOTTEN, {
        en: `This station forgot cluster ${c.name} at ${at}: its kubeconfig, join token and kept objects are gone (the cluster itself keeps running). Import its kubeconfig again to watch it.`,
        zh: `本工作站已于 ${at} 移除集群 ${c.name}：其 kubeconfig、加入令牌和保存的对象均已删除（集群本身仍在运行）。如需查看，请重新导入其 kubeconfig。`,
      }),
    );
    return c;
  }

  /**
   * Calls `fn` when a cluster's credential is revoked or the cluster
   * forgotten: what still uses it (a log stream, a pod shell) ends with the
   * reason. Returns the unsubscribe.
   */
  onCredentialEnded(fn: (clusterId: string, reason: AppError) => void): () => void {
    this.endListeners.add(fn);
    return () => this.endListeners.delete(fn);
  }

  private ended(id: string, reason: AppError): void {
    void this.live.end(id, reason);
    for (const l of [...this.endListeners]) l(id, reason);
  }

  /** The stored kubeconfig, or a refusal that says how to get one. */
  kubeconfig(id: string): string {
    const yaml = this.store.kubeconfig(id);
    if (!yaml) {
      const c = this.store.get(id);
      throw new AppError(ClusterStoreErrors.CLUSTER_NO_KUBECONFIG, {
        en: `The station holds no kubeconfig for cluster ${c.name}: it was revoked, or the first server has not joined yet. Import one (Clusters › Replace kubeconfig).`,
        zh: `工作站没有集群 ${c.name} 的 kubeconfig：已被撤销，或首个服务器尚未加入。请导入一个（集群 › 更换 kubeconfig）。`,
      });
    }
    return yaml;
  }

  async status(id: string, signal?: AbortSignal): Promise<ClusterStatus> {
    const checkedAt = () => new Date().toISOString();
    const yaml = this.store.kubeconfig(id);
    if (!yaml)
      return {
        id,
        state: 'no-credential',
        version: null,
        problem: { en: 'No kubeconfig: import one to reach this cluster.', zh: '没有 kubeconfig：请导入一个以访问此集群。' },
        checkedAt: checkedAt(),
      };
    try {
      const version = await serverVersion(yaml, { timeoutMs: STATUS_TIMEOUT_MS, ...(signal ? { signal } : {}) });
      return { id, state: 'online', version, problem: null, checkedAt: checkedAt() };
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      return { id, state: e.code === ClusterErrors.CLUSTER_AUTH_FAILED ? 'unauthorized' : 'offline', version: null, problem: e.text, checkedAt: checkedAt() };
    }
  }
}
