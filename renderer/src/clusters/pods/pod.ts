/** A Pod as the Pods view shows it (Kubernetes API: core/v1 Pod). */
import { derived } from '../console/derive';
import { metaOf, uidOf, type KubeObject } from '../console/objects';
import { parseQuantity } from '../console/quantity';

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { reason?: string; exitCode?: number; signal?: number; message?: string; finishedAt?: string };
}

export interface ContainerStatus {
  name: string;
  image?: string;
  ready?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

interface ContainerSpec {
  name: string;
  image?: string;
  resources?: { limits?: Record<string, string> };
}

interface PodShape {
  spec?: {
    nodeName?: string;
    containers?: ContainerSpec[];
    initContainers?: { name: string; image?: string }[];
    volumes?: { emptyDir?: unknown }[];
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    podIP?: string;
    conditions?: PodCondition[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export type PodHealth = 'ok' | 'pending' | 'failed' | 'done';

export interface PodRow {
  uid: string;
  name: string;
  namespace: string;
  object: KubeObject;
  /** What kubectl prints as STATUS: the phase, or the reason that matters (CrashLoopBackOff, Init:0/1, Terminating…). */
  status: string;
  health: PodHealth;
  ready: number;
  total: number;
  restarts: number;
  node: string;
  ip: string;
  containers: string[];
  /** The controller that owns it (kind and name), for drains and the details. */
  owner: { kind: string; name: string } | null;
  hasEmptyDir: boolean;
  /** The pod's limits, its containers' summed: null when a container has none (the pod may then use what the node has). */
  limits: { cpuMillicores: number | null; memoryBytes: number | null };
  labels: Record<string, string>;
  createdAt: string | undefined;
}

function terminatedText(t: NonNullable<ContainerState['terminated']>): string {
  if (t.reason) return t.reason;
  return t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode ?? '?'}`;
}

/** kubectl's printPod, in short (kubernetes/pkg/printers/internalversion/printers.go). */
function statusOf(p: PodShape, deleting: boolean): string {
  const st = p.status ?? {};
  let reason = st.reason ?? st.phase ?? 'Unknown';
  let initializing = false;
  const inits = st.initContainerStatuses ?? [];
  inits.forEach((c, i) => {
    if (initializing) return;
    const t = c.state?.terminated;
    if (t && t.exitCode === 0) return;
    initializing = true;
    if (t) reason = `Init:${terminatedText(t)}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${p.spec?.initContainers?.length ?? inits.length}`;
  });
  if (!initializing) {
    let running = false;
    for (const c of [...(st.containerStatuses ?? [])].reverse()) {
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated) reason = terminatedText(c.state.terminated);
      else if (c.state?.running && c.ready) running = true;
    }
    if (reason === 'Completed' && running) reason = 'Running';
  }
  if (deleting) reason = st.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

/** The sum of every container's limit of `resource`, in the quantity's base unit; null when one has no limit. */
function limitOf(containers: ContainerSpec[], resource: 'cpu' | 'memory'): number | null {
  let sum = 0;
  for (const c of containers) {
    const v = parseQuantity(c.resources?.limits?.[resource]);
    if (v === null) return null;
    sum += v;
  }
  return containers.length > 0 ? sum : null;
}

function healthOf(status: string, phase: string | undefined): PodHealth {
  if (status === 'Running') return 'ok';
  if (status === 'Completed' || phase === 'Succeeded') return 'done';
  if (['Pending', 'ContainerCreating', 'PodInitializing', 'Terminating'].includes(status) || /^Init:\d+\/\d+$/.test(status)) return 'pending';
  return 'failed';
}

export const podRow = derived((o: KubeObject): PodRow => {
  const m = metaOf(o);
  const p = o as PodShape;
  const statuses = p.status?.containerStatuses ?? [];
  const specs = p.spec?.containers ?? [];
  const containers = specs.map((c) => c.name);
  const cpuLimit = limitOf(specs, 'cpu');
  const status = statusOf(p, Boolean(m.deletionTimestamp));
  const owner = m.ownerReferences?.find((r) => r.controller) ?? m.ownerReferences?.[0] ?? null;
  return {
    uid: uidOf(o),
    name: m.name,
    namespace: m.namespace ?? '',
    object: o,
    status,
    health: healthOf(status, p.status?.phase),
    ready: statuses.filter((c) => c.ready).length,
    total: containers.length || statuses.length,
    restarts: statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    node: p.spec?.nodeName ?? '',
    ip: p.status?.podIP ?? '',
    containers,
    owner: owner ? { kind: owner.kind, name: owner.name } : null,
    hasEmptyDir: (p.spec?.volumes ?? []).some((v) => v.emptyDir !== undefined),
    limits: { cpuMillicores: cpuLimit === null ? null : cpuLimit * 1000, memoryBytes: limitOf(specs, 'memory') },
    labels: m.labels ?? {},
    createdAt: m.creationTimestamp,
  };
});

export const podConditions = (o: KubeObject): PodCondition[] => (o as PodShape).status?.conditions ?? [];
export const containerStatuses = (o: KubeObject): { init: ContainerStatus[]; main: ContainerStatus[] } => ({
  init: (o as PodShape).status?.initContainerStatuses ?? [],
  main: (o as PodShape).status?.containerStatuses ?? [],
});
export const podImages = (o: KubeObject): Record<string, string> =>
  Object.fromEntries([...((o as PodShape).spec?.initContainers ?? []), ...((o as PodShape).spec?.containers ?? [])].map((c) => [c.name, c.image ?? '']));
