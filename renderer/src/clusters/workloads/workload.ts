/** Workloads as the Workloads view shows them (Kubernetes API: apps/v1 and batch/v1). */
import { derived } from '../console/derive';
import { metaOf, uidOf, type KubeObject } from '../console/objects';

export const WORKLOAD_KINDS = ['deployments', 'daemonsets', 'statefulsets', 'jobs', 'cronjobs'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

type PodTemplate = { spec?: { containers?: { image?: string }[] } };
interface WorkloadShape {
  spec?: {
    replicas?: number;
    completions?: number;
    suspend?: boolean;
    schedule?: string;
    paused?: boolean;
    template?: PodTemplate;
    jobTemplate?: { spec?: { template?: PodTemplate } };
  };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    desiredNumberScheduled?: number;
    numberReady?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    succeeded?: number;
    failed?: number;
    active?: number | unknown[];
    lastScheduleTime?: string;
    conditions?: { type: string; status: string }[];
  };
}

type JobState = 'complete' | 'failed' | 'running' | 'suspended';

export interface WorkloadRow {
  uid: string;
  kind: WorkloadKind;
  name: string;
  namespace: string;
  object: KubeObject;
  /** Replicas wanted (pods scheduled for a DaemonSet, completions for a Job); null for a CronJob. */
  desired: number | null;
  ready: number | null;
  upToDate: number | null;
  available: number | null;
  /** Everything wanted is ready (a Job: complete; a CronJob: not suspended). */
  healthy: boolean;
  jobState: JobState | null;
  schedule: string | null;
  suspended: boolean;
  active: number | null;
  lastSchedule: string | null;
  images: string[];
  labels: Record<string, string>;
  createdAt: string | undefined;
}

function jobStateOf(w: WorkloadShape): JobState {
  const c = w.status?.conditions ?? [];
  if (c.some((x) => x.type === 'Complete' && x.status === 'True')) return 'complete';
  if (c.some((x) => x.type === 'Failed' && x.status === 'True')) return 'failed';
  return w.spec?.suspend ? 'suspended' : 'running';
}

const workloadRow = (kind: WorkloadKind) =>
  derived((o: KubeObject): WorkloadRow => {
    const m = metaOf(o);
    const w = o as WorkloadShape;
    const s = w.status ?? {};
    const template = kind === 'cronjobs' ? w.spec?.jobTemplate?.spec?.template : w.spec?.template;
    const base = {
      uid: uidOf(o),
      kind,
      name: m.name,
      namespace: m.namespace ?? '',
      object: o,
      jobState: null,
      schedule: null,
      suspended: false,
      active: null,
      lastSchedule: null,
      images: (template?.spec?.containers ?? []).map((c) => c.image ?? ''),
      labels: m.labels ?? {},
      createdAt: m.creationTimestamp,
    };
    switch (kind) {
      case 'deployments':
      case 'statefulsets': {
        const desired = w.spec?.replicas ?? 1;
        const ready = s.readyReplicas ?? 0;
        return { ...base, desired, ready, upToDate: s.updatedReplicas ?? 0, available: s.availableReplicas ?? 0, healthy: ready === desired };
      }
      case 'daemonsets': {
        const desired = s.desiredNumberScheduled ?? 0;
        const ready = s.numberReady ?? 0;
        return { ...base, desired, ready, upToDate: s.updatedNumberScheduled ?? 0, available: s.numberAvailable ?? 0, healthy: ready === desired };
      }
      case 'jobs': {
        const jobState = jobStateOf(w);
        return {
          ...base,
          desired: w.spec?.completions ?? 1,
          ready: s.succeeded ?? 0,
          upToDate: null,
          available: null,
          healthy: jobState !== 'failed',
          jobState,
          active: typeof s.active === 'number' ? s.active : 0,
          suspended: w.spec?.suspend === true,
        };
      }
      case 'cronjobs':
        return {
          ...base,
          desired: null,
          ready: null,
          upToDate: null,
          available: null,
          healthy: true,
          schedule: w.spec?.schedule ?? '',
          suspended: w.spec?.suspend === true,
          active: Array.isArray(s.active) ? s.active.length : 0,
          lastSchedule: s.lastScheduleTime ?? null,
        };
    }
  });

/** One row maker per kind, so that rows are kept across renders. */
export const workloadRows = Object.fromEntries(WORKLOAD_KINDS.map((k) => [k, workloadRow(k)])) as Record<WorkloadKind, (o: KubeObject) => WorkloadRow>;
