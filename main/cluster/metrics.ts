/**
 * Node, pod and container usage from metrics-server (metrics.k8s.io/v1beta1,
 * the resource metrics API:
 * https://kubernetes.io/docs/tasks/debug/debug-cluster/resource-metrics-pipeline/).
 * A cluster without it (the group is not served: 404) simply has no
 * figures; that is not an error. One whose metrics-server is registered but
 * does not answer (kube-aggregator's 503 "service unavailable" while the
 * APIService is not Available) is: CLUSTER_METRICS_UNAVAILABLE says so, and
 * where to look.
 *
 * Raw requests, not client-node's Metrics: that one takes no signal or
 * deadline and reports an unreachable server as an HTTP 500, which would
 * read as "no metrics-server" instead of "offline".
 */
import { ApiException } from '@kubernetes/client-node';
import type { Metrics } from '../api/contract';
import { AppError } from '../api/errors';
import type { KubeClient } from './console-client';

export const MetricsErrors = {
  CLUSTER_METRICS_UNAVAILABLE: 'CLUSTER_METRICS_UNAVAILABLE',
} as const;

/** Decimal suffixes as powers of ten, binary ones as powers of two. */
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/** n × 10^e, dividing for a negative e so that whole numbers stay exact (150000000n is 150m, not 150.00000000000003m). */
const shift = (n: number, e: number) => (e >= 0 ? n * 10 ** e : n / 10 ** -e);

/**
 * A resource.Quantity in units of 10^scale of its base unit (cores, bytes):
 * a decimal number, then a binary (Ki…Ei) or decimal (n, u, m, k…E) suffix
 * or an exponent (12e3). CPU in millicores is parseQuantity(q, -3).
 * https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 */
export function parseQuantity(q: string, scale = 0): number {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(q.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  const suffix = m[3] ?? '';
  if (suffix in BINARY) return shift(n * 2 ** BINARY[suffix]!, -scale);
  return shift(n, (m[2] ? Number(m[2].slice(1)) : DECIMAL[suffix]!) - scale);
}

interface Usage {
  cpu?: string;
  memory?: string;
}
interface NodeMetricsList {
  items: { metadata: { name: string }; usage: Usage }[];
}
/** PodMetrics lists the containers the kubelet measured: running ones (and running init containers), not those waiting or finished. */
interface PodMetricsList {
  items: { metadata: { name: string; namespace: string }; containers: { name: string; usage: Usage }[] }[];
}

/** A figure metrics-server could not give (or gave malformed) counts as 0. */
const finite = (n: number) => (Number.isFinite(n) ? n : 0);
const millicores = (u: Usage) => finite(parseQuantity(u.cpu ?? '0', -3));
const bytes = (u: Usage) => finite(Math.round(parseQuantity(u.memory ?? '0')));

/** The request failed with this HTTP status (client-node's ApiException, as the console client keeps it as the cause). */
const answered = (e: unknown, status: number): boolean => (e instanceof AppError ? answered(e.cause, status) : e instanceof ApiException && e.code === status);

/**
 * The usage metrics-server last measured; available: false when the cluster
 * has none. Throws CLUSTER_METRICS_UNAVAILABLE when it has one that does not
 * answer (kube-aggregator's handler_proxy.go answers 503 while the
 * APIService's Available condition is False).
 */
export async function metrics(client: KubeClient, signal?: AbortSignal): Promise<Metrics> {
  const at = new Date().toISOString();
  const get = <T>(kind: 'nodes' | 'pods') =>
    client.json<T>(
      { en: `read ${kind} metrics (get ${kind}.metrics.k8s.io)`, zh: `读取${kind === 'nodes' ? '节点' : ' Pod '}用量（get ${kind}.metrics.k8s.io）` },
      { method: 'GET', path: `/apis/metrics.k8s.io/v1beta1/${kind}` },
      { signal, absent: [404] },
    );
  let nodes: NodeMetricsList | null;
  let pods: PodMetricsList | null;
  try {
    [nodes, pods] = await Promise.all([get<NodeMetricsList>('nodes'), get<PodMetricsList>('pods')]);
  } catch (e) {
    if (!answered(e, 503)) throw e;
    const server = client.server;
    throw new AppError(
      MetricsErrors.CLUSTER_METRICS_UNAVAILABLE,
      {
        en: `metrics-server is registered on the API server at ${server} but is not answering (503 Service Unavailable for metrics.k8s.io): it may still be starting, or its pod is not running or not reachable from the API server. Check it with "kubectl -n kube-system get pods -l k8s-app=metrics-server" and "kubectl get apiservice v1beta1.metrics.k8s.io".`,
        zh: `metrics-server 已在 ${server} 的 API 服务器上注册，但没有响应（metrics.k8s.io 返回 503 Service Unavailable）：它可能仍在启动，或其 Pod 未运行、API 服务器无法访问它。请用“kubectl -n kube-system get pods -l k8s-app=metrics-server”和“kubectl get apiservice v1beta1.metrics.k8s.io”检查。`,
      },
      { cause: e },
    );
  }
  if (!nodes || !pods) return { available: false, nodes: [], pods: [], at };
  return {
    available: true,
    nodes: nodes.items.map((n) => ({ name: n.metadata.name, cpuMillicores: millicores(n.usage), memoryBytes: bytes(n.usage) })),
    pods: pods.items.map((p) => {
      const containers = p.containers.map((c) => ({ name: c.name, cpuMillicores: millicores(c.usage), memoryBytes: bytes(c.usage) }));
      return {
        namespace: p.metadata.namespace,
        name: p.metadata.name,
        cpuMillicores: containers.reduce((s, c) => s + c.cpuMillicores, 0),
        memoryBytes: containers.reduce((s, c) => s + c.memoryBytes, 0),
        containers,
      };
    }),
    at,
  };
}
