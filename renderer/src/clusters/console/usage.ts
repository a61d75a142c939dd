/**
 * Usage figures from metrics-server (clusters.metrics) as the tables show
 * them: a pod's figures found by namespace and name, a share of what is
 * allowed, and the colour that share earns.
 */
import type { Metrics } from '../../../../main/api/contract';

export type PodUsage = Metrics['pods'][number];

/** A pod's figures by namespace and name; metrics-server names pods, it does not know their uids. */
export function podUsageIndex(pods: PodUsage[]): Map<string, PodUsage> {
  return new Map(pods.map((p) => [`${p.namespace}/${p.name}`, p]));
}

export const podUsageOf = (index: Map<string, PodUsage> | null, pod: { namespace: string; name: string }): PodUsage | null =>
  index?.get(`${pod.namespace}/${pod.name}`) ?? null;

/** `used` as a whole percentage of `of`; null when there is nothing to divide by. */
export const percentOf = (used: number, of: number | null): number | null => (of ? Math.round((100 * used) / of) : null);

/** The text colour of a share in use: amber from 75 %, red from 90 %. */
export function usageTone(percent: number | null): 'warning' | 'danger' | undefined {
  if (percent === null) return undefined;
  return percent >= 90 ? 'danger' : percent >= 75 ? 'warning' : undefined;
}
