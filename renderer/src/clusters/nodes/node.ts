/** A Node as the Nodes view shows it (Kubernetes API: core/v1 Node). */
import { derived } from '../console/derive';
import { metaOf, uidOf, type KubeObject } from '../console/objects';
import { parseQuantity } from '../console/quantity';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastHeartbeatTime?: string;
}

interface NodeShape {
  spec?: { unschedulable?: boolean; taints?: Taint[] };
  status?: {
    conditions?: NodeCondition[];
    addresses?: { type: string; address: string }[];
    capacity?: Record<string, string>;
    allocatable?: Record<string, string>;
    nodeInfo?: { kubeletVersion?: string; osImage?: string; containerRuntimeVersion?: string; kernelVersion?: string; architecture?: string };
  };
}

export interface NodeRow {
  uid: string;
  name: string;
  object: KubeObject;
  /** The Ready condition: true, false, or null when the kubelet has not said (Unknown). */
  ready: boolean | null;
  unschedulable: boolean;
  roles: string[];
  version: string;
  ip: string;
  labels: Record<string, string>;
  taints: Taint[];
  conditions: NodeCondition[];
  cpuCapacity: number | null;
  cpuAllocatable: number | null;
  memoryCapacity: number | null;
  memoryAllocatable: number | null;
  podsAllocatable: number | null;
  arch: string;
  os: string;
  createdAt: string | undefined;
}

const ROLE_PREFIX = 'node-role.kubernetes.io/';

export const nodeRow = derived((o: KubeObject): NodeRow => {
  const m = metaOf(o);
  const n = o as NodeShape;
  const labels = m.labels ?? {};
  const conditions = n.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const addresses = n.status?.addresses ?? [];
  const cap = n.status?.capacity ?? {};
  const alloc = n.status?.allocatable ?? {};
  return {
    uid: uidOf(o),
    name: m.name,
    object: o,
    ready: ready?.status === 'True' ? true : ready?.status === 'False' ? false : null,
    unschedulable: n.spec?.unschedulable === true,
    roles: Object.keys(labels)
      .filter((k) => k.startsWith(ROLE_PREFIX))
      .map((k) => k.slice(ROLE_PREFIX.length))
      .sort(),
    version: n.status?.nodeInfo?.kubeletVersion ?? '',
    ip: (addresses.find((a) => a.type === 'InternalIP') ?? addresses.find((a) => a.type === 'ExternalIP'))?.address ?? '',
    labels,
    taints: n.spec?.taints ?? [],
    conditions,
    cpuCapacity: parseQuantity(cap.cpu),
    cpuAllocatable: parseQuantity(alloc.cpu),
    memoryCapacity: parseQuantity(cap.memory),
    memoryAllocatable: parseQuantity(alloc.memory),
    podsAllocatable: parseQuantity(alloc.pods),
    arch: labels['kubernetes.io/arch'] ?? n.status?.nodeInfo?.architecture ?? '',
    os: n.status?.nodeInfo?.osImage ?? '',
    createdAt: m.creationTimestamp,
  };
});
