/**
 * The clusters the console knows: joined by the station's flash runs, or
 * imported from a kubeconfig a technician brings. Kubeconfigs are checked
 * when they come in (self-contained, parsable, a server and a credential)
 * and kept sealed (ClusterStore); reachability is asked of the API server
 * itself, never assumed.
 */
import type { Cluster, ClusterStatus } from '../api/contract';
import { AppError } from '../api/errors';
import { ClusterErrors, serverVersion } from './kube';
import { kubeconfigInfo } from './kubeconfig';
import { ClusterStoreErrors, type ClusterStore } from './store';

/** How long a status check waits for the API server: an offline cluster is told quickly. */
const STATUS_TIMEOUT_MS = 5_000;

export class ClusterService {
  constructor(private readonly store: ClusterStore) {}

  list(): Cluster[] {
    return this.store.list();
  }

  import(input: { name: string; kubeconfig: string; token?: string }): Cluster {
    const info = kubeconfigInfo(input.kubeconfig);
    return this.store.importCluster(input.name, info.server, input.kubeconfig, input.token?.trim() || null);
  }

  replaceKubeconfig(id: string, yaml: string): Cluster {
    const info = kubeconfigInfo(yaml);
    this.store.setKubeconfig(id, info.server, yaml);
    return this.store.get(id);
  }

  revokeKubeconfig(id: string): Cluster {
    return this.store.revokeKubeconfig(id);
  }

  remove(id: string): Cluster {
    return this.store.remove(id);
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
