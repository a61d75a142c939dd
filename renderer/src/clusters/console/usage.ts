/**
 * Usage figures from metrics-server (clusters.metrics) as the tables show
 * them: a pod's figures found by namespace and name, each container's
 * beside its own requests and limits, a share of what is allowed, and the
 * colour that share earns.
 */
import type { Metrics } from '../../../../main/api/contract';
import { parseQuantity } from './quantity';

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

/** A container of a pod as far as its usage goes: its resources (core/v1 Container) and its state (ContainerStatus). */
export interface PodContainer {
  name: string;
  init: boolean;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  state?: { running?: unknown; waiting?: unknown; terminated?: unknown };
}

/** One resource of a container: in use (null when not measured), its request and limit, and the share of the limit in use. */
export interface ContainerFigure {
  used: number | null;
  request: number | null;
  limit: number | null;
  percent: number | null;
}

/**
 * Why a container has no figure: its pod has none ('pod': no metrics-server,
 * not read yet, or the pod is not running), it is an init container that
 * has finished, it is not running (waiting, terminated), or metrics-server
 * has not measured it yet (it lists a container from its second reading
 * after the container started). PodMetrics lists running containers only.
 */
export type Unmeasured = 'pod' | 'init-done' | 'not-running' | 'not-yet';

export interface ContainerUsage {
  name: string;
  init: boolean;
  /** CPU in millicores. */
  cpu: ContainerFigure;
  /** Memory in bytes. */
  memory: ContainerFigure;
  unmeasured: Unmeasured | null;
}

const millicores = (q: unknown): number | null => {
  const cores = parseQuantity(q);
  return cores === null ? null : cores * 1000;
};

function figure(used: number | null, request: number | null, limit: number | null): ContainerFigure {
  return { used, request, limit, percent: used === null ? null : percentOf(used, limit) };
}

function unmeasured(c: PodContainer): Unmeasured {
  if (c.init && c.state?.terminated) return 'init-done';
  return c.state?.waiting || c.state?.terminated ? 'not-running' : 'not-yet';
}

/** Each container's figures (matched by name: names are unique across a pod's containers and init containers), each against its own limit. */
export function containerUsage(containers: PodContainer[], pod: PodUsage | null): ContainerUsage[] {
  const measured = new Map((pod?.containers ?? []).map((c) => [c.name, c]));
  return containers.map((c) => {
    const u = measured.get(c.name) ?? null;
    const { requests = {}, limits = {} } = c.resources ?? {};
    return {
      name: c.name,
      init: c.init,
      cpu: figure(u?.cpuMillicores ?? null, millicores(requests.cpu), millicores(limits.cpu)),
      memory: figure(u?.memoryBytes ?? null, parseQuantity(requests.memory), parseQuantity(limits.memory)),
      unmeasured: u ? null : pod ? unmeasured(c) : 'pod',
    };
  });
}
