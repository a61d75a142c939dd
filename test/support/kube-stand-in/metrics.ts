/**
 * metrics.k8s.io/v1beta1, as metrics-server serves it
 * (https://github.com/kubernetes-sigs/metrics-server, resource metrics API:
 * https://kubernetes.io/docs/tasks/debug/debug-cluster/resource-metrics-pipeline/):
 * NodeMetrics and PodMetrics, get and list, CPU in nanocores ("…n") and
 * memory in kibibytes ("…Ki"). The figures are deterministic, derived from
 * the object's name, so tests can assert them; only Running pods have
 * metrics, as metrics-server reports only what the kubelet measured. For
 * the same reason a PodMetrics lists only the pod's running containers
 * (init containers included while they run): the kubelet measures only
 * containers in CONTAINER_RUNNING (pkg/kubelet/stats/cri_stats_provider.go,
 * removeTerminatedContainers), so one waiting (CrashLoopBackOff) or
 * terminated is left out, and a pod with none running is not listed
 * (metrics-server's decodeBatch drops a pod without containers).
 * Registered but not answering (`metricsServer: 'unavailable'`), the group
 * stays listed in /apis and every path under it gets kube-aggregator's 503.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { KubeObject } from './types';

export const METRICS_GROUP_VERSION = 'metrics.k8s.io/v1beta1';

const seed = (s: string) => createHash('sha256').update(s).digest().readUInt32BE(0);

/** The usage the stand-in reports for a node or a container. */
export function usageOf(key: string, kind: 'node' | 'container'): { cpu: string; memory: string } {
  const n = seed(key);
  if (kind === 'node') return { cpu: `${(100 + (n % 1900)) * 1_000_000}n`, memory: `${512 * 1024 + (n % (3 * 1024 * 1024))}Ki` };
  return { cpu: `${(1 + (n % 250)) * 1_000_000}n`, memory: `${8 * 1024 + (n % (256 * 1024))}Ki` };
}

const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export function nodeMetrics(node: KubeObject) {
  return {
    metadata: { name: node.metadata.name, creationTimestamp: stamp(), ...(node.metadata.labels ? { labels: node.metadata.labels } : {}) },
    timestamp: stamp(),
    window: '20.05s',
    usage: usageOf(`node/${node.metadata.name}`, 'node'),
  };
}

interface ContainerStatus {
  name: string;
  state?: { running?: unknown };
}

/** The pod's containers the kubelet measures: those whose status says running. */
export function measuredContainers(pod: KubeObject): string[] {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])] as ContainerStatus[];
  return statuses.filter((s) => s.state?.running).map((s) => s.name);
}

export function podMetrics(pod: KubeObject) {
  return {
    metadata: {
      name: pod.metadata.name,
      namespace: pod.metadata.namespace,
      creationTimestamp: stamp(),
      ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}),
    },
    timestamp: stamp(),
    window: '18.401s',
    containers: measuredContainers(pod).map((name) => ({
      name,
      usage: usageOf(`pod/${pod.metadata.namespace}/${pod.metadata.name}/${name}`, 'container'),
    })),
  };
}

export const metricsDiscovery = () => ({
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: METRICS_GROUP_VERSION,
  resources: [
    { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
    { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
  ],
});

/**
 * kube-aggregator's answer while the APIService is not Available
 * (kube-aggregator/pkg/apiserver/handler_proxy.go: proxyError, that is
 * http.Error): a plain-text 503, not a Status.
 */
export function sendMetricsUnavailable(res: ServerResponse): void {
  res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end('service unavailable\n');
}
