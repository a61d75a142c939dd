/**
 * The stand-in's controllers: small, honest imitations of what
 * kube-controller-manager, kube-scheduler and a kubelet do, enough for a
 * cluster console to be tested against. They write through the store like
 * any client, so every step is a watch event. What each does, and where it
 * is simpler than the real one:
 *
 *   - Defaulting on every write (pods, workloads, services, namespaces): the
 *     fields kube-apiserver's defaulting fills that a console shows.
 *     Validation only of a node's labels and taints (the label rule, taint
 *     effects, one taint per key and effect): 422 Invalid as kube-apiserver
 *     words it.
 *   - Deployment (pkg/controller/deployment): one ReplicaSet per pod template
 *     (named <deployment>-<pod-template-hash>), annotation
 *     deployment.kubernetes.io/revision incremented for each new template,
 *     and an existing ReplicaSet whose template matches again (a rollback,
 *     which kubectl does client-side) reused with a new revision. The new
 *     ReplicaSet is scaled to spec.replicas and the old ones to 0 AT ONCE
 *     (no surge/unavailable steps), each a ScalingReplicaSet event. Old
 *     ReplicaSets beyond revisionHistoryLimit are deleted. spec.paused stops
 *     new rollouts. Status: replicas, updatedReplicas, readyReplicas,
 *     availableReplicas, unavailableReplicas, observedGeneration, Available
 *     and Progressing conditions.
 *   - ReplicaSet: creates and deletes pods (ownerReferences, generateName
 *     <rs>-xxxxx) to match spec.replicas; terminating pods do not count.
 *   - DaemonSet: one pod per node whose labels match the template's
 *     nodeSelector and whose NoSchedule/NoExecute taints it tolerates (with
 *     the tolerations the DaemonSet controller adds, so cordoned nodes keep
 *     theirs), bound through the scheduler by node affinity on
 *     metadata.name; NotReady nodes get theirs when they turn Ready. A
 *     template change replaces all pods at once.
 *     ControllerRevisions record the templates (with the DaemonSet's
 *     annotations, change-cause included); a template seen before gets its
 *     revision back under the next number (a rollback).
 *   - StatefulSet: pods <name>-0…<name>-N-1, OrderedReady (the next ordinal
 *     after the previous is Ready) or Parallel; scale-down from the highest
 *     ordinal; a template change replaces pods from the highest ordinal, one
 *     at a time. ControllerRevisions as for DaemonSets (labelled
 *     controller.kubernetes.io/hash), currentRevision/updateRevision.
 *   - Job: pods (parallelism, completions) that run to Succeeded
 *     `jobRunMs` after they start; spec.suspend honoured; Complete
 *     condition. CronJob: spec.suspend honoured by runCronJob() (there is no
 *     time-based schedule: status.lastScheduleTime stays unset until a test
 *     runs one).
 *   - PodDisruptionBudget (pkg/controller/disruption): expectedPods,
 *     currentHealthy, desiredHealthy, disruptionsAllowed, disruptedPods and
 *     the DisruptionAllowed condition, from minAvailable/maxUnavailable (int
 *     or percent) over the pods its selector matches. Pods without a
 *     controller count as one expected pod each (the real controller refuses
 *     percentages for them).
 *   - Scheduler: a pod without spec.nodeName goes to a node that passes
 *     NodeUnschedulable, TaintToleration (NoSchedule/NoExecute; a NotReady
 *     node counts as tainted node.kubernetes.io/not-ready), and NodeAffinity
 *     (nodeSelector and required node affinity, matchExpressions and
 *     matchFields), the one with fewest pods; else it stays Pending with
 *     PodScheduled=False/Unschedulable and a FailedScheduling event worded as
 *     kube-scheduler 1.30 words it. No resource fit, no preemption.
 *   - Kubelet: a bound pod on a Ready node gets ContainerCreating, then
 *     Running `podStartMs` later with containerStatuses (restartCount,
 *     state, lastState, containerID, imageID), pod IP, and the Ready,
 *     ContainersReady, Initialized, PodScheduled and
 *     PodReadyToStartContainers conditions; Pulled/Created/Started events.
 *     Graceful deletion: deletionTimestamp, Killing events, gone
 *     `podTerminationMs` later (not after terminationGracePeriodSeconds).
 *     Pods on a node that goes NotReady are left as they are.
 *   - Node lifecycle: spec.unschedulable adds/removes the
 *     node.kubernetes.io/unschedulable:NoSchedule taint.
 *   - Garbage collector: dependents (ownerReferences) of a deleted object
 *     are deleted (background propagation).
 *   - Events: core/v1 Events with involvedObject, reason, message, source,
 *     count, firstTimestamp/lastTimestamp; a repeat bumps count, as the
 *     event recorder's correlator does.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ContainerLogs } from './logs';
import { apiVersionOf, resourceType, type ResourceType } from './resources';
import { labelsMatch, selectorRequirements, type LabelSelector } from './selectors';
import { notFound, StatusError } from './status';
import type { Store, StoreEvent } from './store';
import { isPlainObject, now, type KubeObject, type OwnerReference } from './types';

export interface ClusterTiming {
  podStartMs: number;
  podTerminationMs: number;
  jobRunMs: number;
  logEveryMs: number;
}

const RT = {
  namespaces: resourceType('namespaces'),
  nodes: resourceType('nodes'),
  pods: resourceType('pods'),
  events: resourceType('events'),
  services: resourceType('services'),
  deployments: resourceType('deployments'),
  replicasets: resourceType('replicasets'),
  daemonsets: resourceType('daemonsets'),
  statefulsets: resourceType('statefulsets'),
  controllerrevisions: resourceType('controllerrevisions'),
  jobs: resourceType('jobs'),
  cronjobs: resourceType('cronjobs'),
  pdbs: resourceType('poddisruptionbudgets'),
};
export { RT };

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
/** k8s.io/apimachinery/pkg/util/rand.String: the suffix of generated names. */
export const randomSuffix = (n = 5) => [...randomBytes(n)].map((b) => ALPHANUMS[b % ALPHANUMS.length]).join('');

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (isPlainObject(v))
    return `{${Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** A template hash in the alphabet of rand.SafeEncodeString, like pod-template-hash. */
export function templateHash(template: unknown): string {
  const n = createHash('sha256').update(stableJson(template)).digest().readUInt32BE(0);
  return [...String(n)].map((c) => ALPHANUMS[c.charCodeAt(0) % ALPHANUMS.length]).join('');
}

const withoutLabel = (tpl: KubeObject['spec'], label: string) => {
  const t = structuredClone(tpl ?? {});
  if (t.metadata?.labels) {
    delete t.metadata.labels[label];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  return t;
};

const ownerRef = (o: KubeObject, rt: ResourceType): OwnerReference => ({
  apiVersion: apiVersionOf(rt),
  kind: rt.kind,
  name: o.metadata.name,
  uid: o.metadata.uid!,
  controller: true,
  blockOwnerDeletion: true,
});

const controllerOf = (o: Readonly<KubeObject>) => o.metadata.ownerReferences?.find((r) => r.controller);
const isTerminating = (p: Readonly<KubeObject>) => !!p.metadata.deletionTimestamp;
const isFinished = (p: Readonly<KubeObject>) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const isActive = (p: Readonly<KubeObject>) => !isTerminating(p) && !isFinished(p);
export const isPodReady = (p: Readonly<KubeObject>) =>
  !isTerminating(p) && (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
export const isNodeReady = (n: Readonly<KubeObject>) =>
  (n.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');

type Taint = { key: string; value?: string; effect: string };
type Toleration = { key?: string; operator?: string; value?: string; effect?: string };

function tolerates(tolerations: Toleration[] = [], t: Taint): boolean {
  return tolerations.some((tol) => {
    if (tol.effect && tol.effect !== t.effect) return false;
    if (tol.operator === 'Exists') return !tol.key || tol.key === t.key;
    return tol.key === t.key && (tol.value ?? '') === (t.value ?? '');
  });
}

/** The tolerations the DaemonSet controller adds to its pods (pkg/controller/daemon/util). */
const DAEMONSET_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

type NodeSelectorRequirement = { key: string; operator: string; values?: string[] };

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  switch (r.operator) {
    case 'In':
      return value !== undefined && (r.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(r.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(r.values?.[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(r.values?.[0]);
  }
  return false;
}

/** NodeAffinity's filter: spec.nodeSelector and requiredDuringSchedulingIgnoredDuringExecution. */
function nodeAffinityMatches(podSpec: KubeObject['spec'], node: Readonly<KubeObject>): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries((podSpec?.nodeSelector ?? {}) as Record<string, string>)) if (labels[k] !== v) return false;
  const terms = podSpec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms as
    { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }[] | undefined;
  if (!terms || terms.length === 0) return true;
  return terms.some(
    (t) =>
      (t.matchExpressions?.length || t.matchFields?.length) &&
      (t.matchExpressions ?? []).every((r) => requirementMatches(r, labels[r.key])) &&
      (t.matchFields ?? []).every((r) => requirementMatches(r, r.key === 'metadata.name' ? node.metadata.name : undefined)),
  );
}

/** The first filter a node fails for a pod, worded as kube-scheduler's FitError reasons; undefined when it fits. */
function filterNode(podSpec: KubeObject['spec'], node: Readonly<KubeObject>): string | undefined {
  const tolerations = podSpec?.tolerations as Toleration[] | undefined;
  if (node.spec?.unschedulable && !tolerates(tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }))
    return 'node(s) were unschedulable';
  const taints: Taint[] = [...(node.spec?.taints ?? [])];
  if (!isNodeReady(node)) taints.push({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' });
  const bad = taints.find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(tolerations, t));
  if (bad) return `node(s) had untolerated taint {${bad.key}: ${bad.value ?? ''}}`;
  if (!nodeAffinityMatches(podSpec, node)) return "node(s) didn't match Pod's node affinity/selector";
  return undefined;
}

/** intstr: an int, or a percent of `total` rounded up. */
function scaledValue(v: unknown, total: number): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(String(v ?? ''));
  return m ? Math.ceil((Number(m[1]) * total) / 100) : Number(v ?? 0);
}

function condition(prev: unknown, type: string, status: string, reason?: string, message?: string, extra: Record<string, unknown> = {}) {
  const old = (Array.isArray(prev) ? prev : []).find((c: { type: string }) => c.type === type) as Record<string, unknown> | undefined;
  const t = now();
  const same = old && old.status === status && old.reason === reason && old.message === message;
  return {
    type,
    status,
    ...extra,
    ...(same ? { lastTransitionTime: old.lastTransitionTime } : { lastTransitionTime: old?.status === status ? (old.lastTransitionTime ?? t) : t }),
    ...(reason !== undefined ? { reason } : {}),
    ...(message !== undefined ? { message } : {}),
  };
}

// -- defaulting (what kube-apiserver's defaulting fills in) ----------------------------------

function defaultContainers(cs: unknown): void {
  if (!Array.isArray(cs)) return;
  for (const c of cs as Record<string, unknown>[]) {
    const image = String(c.image ?? '');
    const tag = /:[^/]+$/.test(image.replace(/@.*$/, '')) ? image.replace(/@.*$/, '').split(':').pop() : image.includes('@') ? 'digest' : 'latest';
    c.imagePullPolicy ??= tag === 'latest' ? 'Always' : 'IfNotPresent';
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.resources ??= {};
    if (Array.isArray(c.ports)) for (const p of c.ports as Record<string, unknown>[]) p.protocol ??= 'TCP';
  }
}

function defaultPodSpec(spec: Record<string, unknown> | undefined): void {
  if (!spec) return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  defaultContainers(spec.containers);
  defaultContainers(spec.initContainers);
}

const tpl = (o: KubeObject) => (o.spec ??= {}).template as { metadata?: Record<string, unknown>; spec?: Record<string, unknown> } | undefined;

// -- validation (what kube-apiserver's validation refuses; pkg/apis/core/validation) -------------
//
// Only a node's labels and taints are checked here: the cluster console edits them, and a stand-in that took
// what kube-apiserver refuses would let a console's mistake through. Messages and causes are worded as
// apimachinery's field.Error and errors.NewInvalid word them (k8s.io/apimachinery/pkg/util/validation).

type FieldError = { type: 'FieldValueInvalid' | 'FieldValueDuplicate' | 'FieldValueNotSupported'; field: string; body: string };

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** IsQualifiedName: an optional DNS-subdomain prefix and "/", then a name of at most 63 characters. */
function qualifiedNameProblems(key: string): string[] {
  const parts = key.split('/');
  if (parts.length > 2)
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  const name = parts.pop()!;
  const out: string[] = [];
  if (parts.length === 1) {
    const prefix = parts[0]!;
    if (prefix.length === 0) out.push('prefix part must be non-empty');
    else {
      if (prefix.length > 253) out.push('prefix part must be no more than 253 characters');
      if (!DNS1123_SUBDOMAIN.test(prefix)) out.push(`prefix part ${SUBDOMAIN_MSG}`);
    }
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else if (name.length > 63) out.push('name part must be no more than 63 characters');
  if (name.length > 0 && !QUALIFIED_NAME.test(name)) out.push(NAME_MSG);
  return out;
}

/** IsValidLabelValue. */
function labelValueProblems(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push('must be no more than 63 characters');
  if (value !== '' && !QUALIFIED_NAME.test(value)) out.push(VALUE_MSG);
  return out;
}

const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];

/** Go's %#v of a core.Taint, as field.Duplicate prints it. */
const goTaint = (t: Taint & { timeAdded?: string }) =>
  `core.Taint{Key:${JSON.stringify(t.key)}, Value:${JSON.stringify(t.value ?? '')}, Effect:${JSON.stringify(t.effect)}, TimeAdded:${t.timeAdded ? '(*v1.Time)(…)' : '(*v1.Time)(nil)'}}`;

/** ValidateNode's label and taint checks (ValidateObjectMeta labels, validateNodeTaints). */
function nodeProblems(o: Readonly<KubeObject>): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries((o.metadata.labels ?? {}) as Record<string, unknown>)) {
    for (const m of qualifiedNameProblems(k))
      errs.push({ type: 'FieldValueInvalid', field: 'metadata.labels', body: `Invalid value: ${JSON.stringify(k)}: ${m}` });
    for (const m of labelValueProblems(String(v)))
      errs.push({ type: 'FieldValueInvalid', field: 'metadata.labels', body: `Invalid value: ${JSON.stringify(v)}: ${m}` });
  }
  const seen = new Set<string>();
  ((o.spec?.taints ?? []) as (Taint & { timeAdded?: string })[]).forEach((t, i) => {
    const at = `spec.taints[${i}]`;
    for (const m of qualifiedNameProblems(String(t.key ?? '')))
      errs.push({ type: 'FieldValueInvalid', field: `${at}.key`, body: `Invalid value: ${JSON.stringify(t.key ?? '')}: ${m}` });
    const value = String(t.value ?? '');
    if (labelValueProblems(value).length)
      errs.push({ type: 'FieldValueInvalid', field: `${at}.value`, body: `Invalid value: ${JSON.stringify(value)}: ${labelValueProblems(value).join(';')}` });
    if (!TAINT_EFFECTS.includes(t.effect))
      errs.push({
        type: 'FieldValueNotSupported',
        field: `${at}.effect`,
        body: `Unsupported value: ${JSON.stringify(t.effect ?? '')}: supported values: ${TAINT_EFFECTS.map((e) => JSON.stringify(e)).join(', ')}`,
      });
    const pair = `${t.effect}\u0000${t.key}`;
    if (seen.has(pair))
      errs.push({ type: 'FieldValueDuplicate', field: at, body: `Duplicate value: ${goTaint(t)}: taints must be unique by key and effect pair` });
    seen.add(pair);
  });
  return errs;
}

/** errors.NewInvalid: 422 with every field error as a cause; the message holds one, or all in brackets. */
function refuseInvalid(kind: string, name: string, errs: FieldError[]): StatusError {
  const texts = [...new Set(errs.map((e) => `${e.field}: ${e.body}`))];
  return new StatusError(422, 'Invalid', `${kind} ${JSON.stringify(name)} is invalid: ${texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`}`, {
    name,
    kind,
    causes: errs.map((e) => ({ reason: e.type, message: e.body, field: e.field })),
  });
}

/**
 * Mutates `o` (a copy about to be stored) with the defaults kube-apiserver applies to `rt`; refuses (a 422
 * StatusError) what its validation refuses, for the fields checked above.
 */
export function applyDefaults(rt: ResourceType, o: KubeObject, creating: boolean): void {
  switch (rt.plural) {
    case 'nodes': {
      const errs = nodeProblems(o);
      if (errs.length) throw refuseInvalid('Node', o.metadata.name, errs);
      break;
    }
    case 'namespaces':
      o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name };
      o.spec = { finalizers: ['kubernetes'], ...o.spec };
      if (creating) o.status = { phase: 'Active' };
      break;
    case 'pods':
      o.spec ??= {};
      defaultPodSpec(o.spec);
      o.spec.serviceAccountName ??= 'default';
      o.spec.tolerations ??= [];
      // DefaultTolerationSeconds admission.
      for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'])
        if (!(o.spec.tolerations as Toleration[]).some((t) => t.key === key && t.effect === 'NoExecute'))
          o.spec.tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
      if (creating) {
        const requests = (o.spec.containers ?? []).some(
          (c: { resources?: { requests?: unknown; limits?: unknown } }) => c.resources?.requests || c.resources?.limits,
        );
        o.status = { phase: 'Pending', qosClass: requests ? 'Burstable' : 'BestEffort' };
      }
      break;
    case 'services': {
      const spec = (o.spec ??= {});
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
      spec.internalTrafficPolicy ??= 'Cluster';
      for (const p of spec.ports ?? []) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      if (creating && spec.clusterIP === undefined) {
        const n = randomBytes(2);
        spec.clusterIP = `10.43.${n[0]}.${(n[1]! % 253) + 1}`;
      }
      if (spec.clusterIP && !spec.clusterIPs) spec.clusterIPs = [spec.clusterIP];
      o.status ??= { loadBalancer: {} };
      break;
    }
    case 'deployments':
      o.spec ??= {};
      o.spec.replicas ??= 1;
      o.spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
      o.spec.revisionHistoryLimit ??= 10;
      o.spec.progressDeadlineSeconds ??= 600;
      defaultPodSpec(tpl(o)?.spec);
      break;
    case 'replicasets':
      o.spec ??= {};
      o.spec.replicas ??= 1;
      defaultPodSpec(tpl(o)?.spec);
      break;
    case 'daemonsets':
      o.spec ??= {};
      o.spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
      o.spec.revisionHistoryLimit ??= 10;
      defaultPodSpec(tpl(o)?.spec);
      break;
    case 'statefulsets':
      o.spec ??= {};
      o.spec.replicas ??= 1;
      o.spec.podManagementPolicy ??= 'OrderedReady';
      o.spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
      o.spec.revisionHistoryLimit ??= 10;
      o.spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
      defaultPodSpec(tpl(o)?.spec);
      break;
    case 'jobs': {
      o.spec ??= {};
      o.spec.completions ??= 1;
      o.spec.parallelism ??= 1;
      o.spec.backoffLimit ??= 6;
      o.spec.completionMode ??= 'NonIndexed';
      o.spec.suspend ??= false;
      o.spec.podReplacementPolicy ??= 'TerminatingOrFailed';
      const t = (o.spec.template ??= {});
      t.spec ??= {};
      t.spec.restartPolicy ??= 'Never';
      defaultPodSpec(t.spec);
      if (creating && !o.spec.manualSelector) {
        const uid = (o.metadata.uid ??= randomUUID());
        const labels = {
          'batch.kubernetes.io/controller-uid': uid,
          'batch.kubernetes.io/job-name': o.metadata.name,
          'controller-uid': uid,
          'job-name': o.metadata.name,
        };
        o.spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
        t.metadata = { ...t.metadata, labels: { ...t.metadata?.labels, ...labels } };
      }
      break;
    }
    case 'cronjobs': {
      o.spec ??= {};
      o.spec.suspend ??= false;
      o.spec.concurrencyPolicy ??= 'Allow';
      o.spec.successfulJobsHistoryLimit ??= 3;
      o.spec.failedJobsHistoryLimit ??= 1;
      const jt = o.spec.jobTemplate?.spec?.template;
      if (jt) {
        jt.spec ??= {};
        jt.spec.restartPolicy ??= 'OnFailure';
        defaultPodSpec(jt.spec);
      }
      break;
    }
  }
}

// -- the controllers --------------------------------------------------------------------------

export class Cluster {
  private readonly dirty = {
    pods: new Set<string>(),
    nodes: new Set<string>(),
    deployments: new Set<string>(),
    replicasets: new Set<string>(),
    daemonsets: new Set<string>(),
    statefulsets: new Set<string>(),
    jobs: new Set<string>(),
    cronjobs: new Set<string>(),
    pdbNamespaces: new Set<string>(),
    gone: new Set<string>(),
    allPending: false,
    allDaemonSets: false,
  };
  private pending: NodeJS.Immediate | undefined;
  private readonly podTimers = new Map<string, NodeJS.Timeout[]>();
  private readonly eventKeys = new Map<string, string>();
  private readonly holds = new Set<string>();
  private logTicker: NodeJS.Timeout | undefined;
  private logTick = 0;
  private podIpCounter = 2;
  private eventSeq = 0;
  closed = false;

  constructor(
    private readonly store: Store,
    readonly timing: ClusterTiming,
    readonly logs: ContainerLogs,
  ) {
    store.listeners.add((e) => this.onChange(e));
    if (timing.logEveryMs > 0) this.logTicker = setInterval(() => this.emitPeriodicLogs(), timing.logEveryMs);
  }

  close(): void {
    this.closed = true;
    if (this.pending) clearImmediate(this.pending);
    clearInterval(this.logTicker);
    for (const ts of this.podTimers.values()) ts.forEach(clearTimeout);
    this.podTimers.clear();
  }

  // -- change tracking --

  private onChange(e: StoreEvent): void {
    const o = e.object;
    const key = `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const owner = controllerOf(e.type === 'DELETED' ? (e.previous ?? o) : o);
    const ownerKey = owner ? `${o.metadata.namespace ?? ''}/${owner.name}` : undefined;
    if (e.type === 'DELETED' && o.metadata.uid) this.dirty.gone.add(o.metadata.uid);
    switch (e.rt.plural) {
      case 'pods':
        this.dirty.pods.add(key);
        if (owner && ownerKey) {
          const set = { ReplicaSet: this.dirty.replicasets, DaemonSet: this.dirty.daemonsets, StatefulSet: this.dirty.statefulsets, Job: this.dirty.jobs }[
            owner.kind
          ];
          set?.add(ownerKey);
        }
        this.dirty.pdbNamespaces.add(o.metadata.namespace ?? '');
        if (e.type === 'DELETED') {
          this.clearPodTimers(o.metadata.uid!);
          this.logs.forget(o.metadata.uid!);
          this.dirty.allPending = true;
        }
        break;
      case 'nodes':
        this.dirty.nodes.add(o.metadata.name);
        this.dirty.allPending = true;
        this.dirty.allDaemonSets = true;
        break;
      case 'replicasets':
        this.dirty.replicasets.add(key);
        if (owner?.kind === 'Deployment' && ownerKey) this.dirty.deployments.add(ownerKey);
        this.dirty.pdbNamespaces.add(o.metadata.namespace ?? '');
        break;
      case 'deployments':
        this.dirty.deployments.add(key);
        break;
      case 'daemonsets':
        this.dirty.daemonsets.add(key);
        break;
      case 'statefulsets':
        this.dirty.statefulsets.add(key);
        this.dirty.pdbNamespaces.add(o.metadata.namespace ?? '');
        break;
      case 'jobs':
        this.dirty.jobs.add(key);
        if (owner?.kind === 'CronJob' && ownerKey) this.dirty.cronjobs.add(ownerKey);
        break;
      case 'cronjobs':
        this.dirty.cronjobs.add(key);
        break;
      case 'poddisruptionbudgets':
        this.dirty.pdbNamespaces.add(o.metadata.namespace ?? '');
        break;
      default:
        if (e.type !== 'DELETED') return;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.pending || this.closed) return;
    this.pending = setImmediate(() => {
      this.pending = undefined;
      this.reconcile();
    });
  }

  /** One pass over what changed. Writes made here mark more work, which the next pass does. */
  private reconcile(): void {
    if (this.closed) return;
    const d = this.dirty;
    const take = (s: Set<string>) => {
      const out = [...s];
      s.clear();
      return out;
    };
    const split = (k: string) => [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)] as const;
    const gone = take(d.gone);
    if (gone.length) this.collectGarbage(new Set(gone));
    for (const n of take(d.nodes)) this.nodeLifecycle(n);
    for (const k of take(d.deployments)) this.syncDeployment(...split(k));
    for (const k of take(d.replicasets)) this.syncReplicaSet(...split(k));
    if (d.allDaemonSets) {
      d.allDaemonSets = false;
      for (const ds of this.store.peekAll(RT.daemonsets)) d.daemonsets.add(`${ds.metadata.namespace}/${ds.metadata.name}`);
    }
    for (const k of take(d.daemonsets)) this.syncDaemonSet(...split(k));
    for (const k of take(d.statefulsets)) this.syncStatefulSet(...split(k));
    for (const k of take(d.jobs)) this.syncJob(...split(k));
    for (const k of take(d.cronjobs)) this.syncCronJob(...split(k));
    const pods = take(d.pods);
    if (d.allPending) {
      d.allPending = false;
      for (const p of this.store.peekAll(RT.pods))
        if (!p.spec?.nodeName || p.status?.phase === 'Pending') pods.push(`${p.metadata.namespace}/${p.metadata.name}`);
    }
    if (pods.length) {
      const counts = this.podCountsByNode();
      for (const k of new Set(pods)) this.syncPod(...split(k), counts);
    }
    for (const ns of take(d.pdbNamespaces)) this.syncDisruptionBudgets(ns);
  }

  // -- events --

  recordEvent(
    involved: Readonly<KubeObject>,
    rt: ResourceType,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
    host?: string,
  ): void {
    if (this.closed) return;
    const namespace = involved.metadata.namespace ?? 'default';
    const dedupe = `${involved.metadata.uid}|${reason}|${message}|${component}`;
    const existing = this.eventKeys.get(dedupe);
    const current = existing ? this.store.get(RT.events, namespace, existing) : undefined;
    if (current) {
      this.store.replace(RT.events, { ...current, count: Number(current.count ?? 1) + 1, lastTimestamp: now() });
      return;
    }
    // Named <object>.<UnixNano in hex>, as the event recorder names them; the counter keeps them in creation order.
    const name = `${involved.metadata.name}.${(BigInt(Date.now()) * 1_000_000n + BigInt(++this.eventSeq % 1_000_000)).toString(16)}`;
    const t = now();
    this.store.create(RT.events, {
      metadata: { name, namespace },
      involvedObject: {
        kind: rt.kind,
        ...(involved.metadata.namespace ? { namespace: involved.metadata.namespace } : {}),
        name: involved.metadata.name,
        uid: involved.metadata.uid,
        apiVersion: apiVersionOf(rt),
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      source: { component, ...(host ? { host } : {}) },
      firstTimestamp: t,
      lastTimestamp: t,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: host ?? '',
    });
    this.eventKeys.set(dedupe, name);
  }

  // -- pods: graceful deletion --

  /** DELETE of a pod: graceful when it is on a node (deletionTimestamp, then gone), at once otherwise. */
  deletePod(namespace: string, name: string, gracePeriodSeconds?: number): KubeObject {
    const pod = this.store.peek(RT.pods, namespace, name);
    if (!pod) throw notFound('pods', name);
    if (isTerminating(pod) && gracePeriodSeconds !== 0) return structuredClone(pod);
    const grace = gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    if (!pod.spec?.nodeName || grace === 0 || isFinished(pod)) return this.store.delete(RT.pods, namespace, name);
    const at = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const out = this.store.replace(RT.pods, {
      ...structuredClone(pod),
      metadata: { ...structuredClone(pod.metadata), deletionTimestamp: at, deletionGracePeriodSeconds: grace },
    });
    for (const c of out.spec?.containers ?? [])
      this.recordEvent(out, RT.pods, 'Normal', 'Killing', `Stopping container ${c.name}`, 'kubelet', out.spec.nodeName);
    this.addPodTimer(
      out.metadata.uid!,
      setTimeout(() => {
        const still = this.store.peek(RT.pods, namespace, name);
        if (still && still.metadata.uid === out.metadata.uid) this.store.delete(RT.pods, namespace, name);
      }, this.timing.podTerminationMs),
    );
    return out;
  }

  private addPodTimer(uid: string, t: NodeJS.Timeout): void {
    this.podTimers.set(uid, [...(this.podTimers.get(uid) ?? []), t]);
  }

  private clearPodTimers(uid: string): void {
    this.podTimers.get(uid)?.forEach(clearTimeout);
    this.podTimers.delete(uid);
  }

  private podCountsByNode(): Map<string, number> {
    const m = new Map<string, number>();
    for (const p of this.store.peekAll(RT.pods)) if (p.spec?.nodeName && isActive(p)) m.set(p.spec.nodeName, (m.get(p.spec.nodeName) ?? 0) + 1);
    return m;
  }

  // -- scheduler and kubelet --

  private syncPod(namespace: string, name: string, counts: Map<string, number>): void {
    const pod = this.store.peek(RT.pods, namespace, name);
    if (!pod || isTerminating(pod) || isFinished(pod)) return;
    if (!pod.spec?.nodeName) return this.schedulePod(pod, counts);
    if (pod.status?.phase !== 'Pending' || this.podTimers.has(pod.metadata.uid!)) return;
    const node = this.store.peek(RT.nodes, undefined, pod.spec.nodeName);
    if (!node || !isNodeReady(node)) return;
    this.kubeletAccept(pod, node);
  }

  private schedulePod(pod: Readonly<KubeObject>, counts: Map<string, number>): void {
    const nodes = this.store.peekAll(RT.nodes);
    const reasons = new Map<string, number>();
    const fit = nodes.filter((n) => {
      const why = filterNode(pod.spec, n);
      if (why) reasons.set(why, (reasons.get(why) ?? 0) + 1);
      return !why;
    });
    if (fit.length > 0) {
      fit.sort((a, b) => (counts.get(a.metadata.name) ?? 0) - (counts.get(b.metadata.name) ?? 0) || a.metadata.name.localeCompare(b.metadata.name));
      const node = fit[0]!;
      counts.set(node.metadata.name, (counts.get(node.metadata.name) ?? 0) + 1);
      const next = structuredClone(pod) as KubeObject;
      next.spec.nodeName = node.metadata.name;
      next.status = {
        ...next.status,
        conditions: [condition(pod.status?.conditions, 'PodScheduled', 'True', undefined, undefined, { lastProbeTime: null })],
      };
      const bound = this.store.replace(RT.pods, next);
      this.recordEvent(
        bound,
        RT.pods,
        'Normal',
        'Scheduled',
        `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${node.metadata.name}`,
        'default-scheduler',
      );
      return;
    }
    const total = nodes.length;
    const message =
      total === 0
        ? 'no nodes available to schedule pods'
        : `0/${total} nodes are available: ${[...reasons]
            .map(([r, n]) => `${n} ${r}`)
            .sort()
            .join(', ')}. preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`;
    const next = structuredClone(pod) as KubeObject;
    next.status = {
      ...next.status,
      phase: 'Pending',
      conditions: [condition(pod.status?.conditions, 'PodScheduled', 'False', 'Unschedulable', message, { lastProbeTime: null })],
    };
    this.store.replace(RT.pods, next);
    this.recordEvent(pod, RT.pods, 'Warning', 'FailedScheduling', message, 'default-scheduler');
  }

  private kubeletAccept(pod: Readonly<KubeObject>, node: Readonly<KubeObject>): void {
    const next = structuredClone(pod) as KubeObject;
    const address = (node.status?.addresses ?? []).find((a: { type: string }) => a.type === 'InternalIP')?.address ?? '10.77.0.20';
    const containers: { name: string; image: string }[] = next.spec.containers ?? [];
    next.status = {
      ...next.status,
      phase: 'Pending',
      hostIP: address,
      hostIPs: [{ ip: address }],
      startTime: next.status?.startTime ?? now(),
      conditions: [
        condition(pod.status?.conditions, 'PodReadyToStartContainers', 'False', undefined, undefined, { lastProbeTime: null }),
        condition(pod.status?.conditions, 'Initialized', 'True', undefined, undefined, { lastProbeTime: null }),
        condition(
          pod.status?.conditions,
          'Ready',
          'False',
          'ContainersNotReady',
          `containers with unready status: [${containers.map((c) => c.name).join(' ')}]`,
          {
            lastProbeTime: null,
          },
        ),
        condition(
          pod.status?.conditions,
          'ContainersReady',
          'False',
          'ContainersNotReady',
          `containers with unready status: [${containers.map((c) => c.name).join(' ')}]`,
          { lastProbeTime: null },
        ),
        condition(pod.status?.conditions, 'PodScheduled', 'True', undefined, undefined, { lastProbeTime: null }),
      ],
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: false,
        started: false,
        restartCount: 0,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
      })),
    };
    const accepted = this.store.replace(RT.pods, next);
    const uid = accepted.metadata.uid!;
    this.addPodTimer(
      uid,
      setTimeout(() => this.kubeletStart(accepted.metadata.namespace!, accepted.metadata.name, uid), this.timing.podStartMs),
    );
  }

  private kubeletStart(namespace: string, name: string, uid: string): void {
    const pod = this.store.peek(RT.pods, namespace, name);
    if (!pod || pod.metadata.uid !== uid || isTerminating(pod)) return;
    const next = structuredClone(pod) as KubeObject;
    const started = now();
    const host = next.spec.nodeName as string;
    const ip = `10.42.${Math.floor(this.podIpCounter / 250) % 250}.${(this.podIpCounter++ % 250) + 2}`;
    next.status.phase = 'Running';
    next.status.podIP = ip;
    next.status.podIPs = [{ ip }];
    next.status.conditions = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((t) =>
      condition(pod.status?.conditions, t, 'True', undefined, undefined, { lastProbeTime: null }),
    );
    next.status.containerStatuses = (next.spec.containers as { name: string; image: string }[]).map((c) => ({
      name: c.name,
      state: { running: { startedAt: started } },
      lastState: {},
      ready: true,
      restartCount: 0,
      image: c.image.includes('/') ? c.image : `docker.io/library/${c.image}`,
      imageID: `${c.image.includes('/') ? c.image.split(':')[0] : `docker.io/library/${c.image.split(':')[0]}`}@sha256:${createHash('sha256').update(c.image).digest('hex')}`,
      containerID: `containerd://${randomBytes(32).toString('hex')}`,
      started: true,
    }));
    const running = this.store.replace(RT.pods, next);
    for (const c of running.spec.containers as { name: string; image: string }[]) {
      this.recordEvent(running, RT.pods, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`, 'kubelet', host);
      this.recordEvent(running, RT.pods, 'Normal', 'Created', `Created container ${c.name}`, 'kubelet', host);
      this.recordEvent(running, RT.pods, 'Normal', 'Started', `Started container ${c.name}`, 'kubelet', host);
      this.logs.append(uid, c.name, `stand-in container ${c.name} started (image ${c.image})`);
    }
    if (controllerOf(running)?.kind === 'Job') {
      this.addPodTimer(
        uid,
        setTimeout(() => this.kubeletComplete(namespace, name, uid), this.timing.jobRunMs),
      );
    }
  }

  private kubeletComplete(namespace: string, name: string, uid: string): void {
    const pod = this.store.peek(RT.pods, namespace, name);
    if (!pod || pod.metadata.uid !== uid || isTerminating(pod)) return;
    const next = structuredClone(pod) as KubeObject;
    const finished = now();
    next.status.phase = 'Succeeded';
    next.status.conditions = next.status.conditions.map((c: { type: string }) =>
      c.type === 'Ready' || c.type === 'ContainersReady'
        ? condition(pod.status?.conditions, c.type, 'False', 'PodCompleted', undefined, { lastProbeTime: null })
        : c.type === 'PodReadyToStartContainers'
          ? condition(pod.status?.conditions, c.type, 'False', undefined, undefined, { lastProbeTime: null })
          : c,
    );
    next.status.containerStatuses = next.status.containerStatuses.map((s: { state: { running?: { startedAt: string } }; containerID: string }) => ({
      ...s,
      ready: false,
      started: false,
      state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: s.state.running?.startedAt, finishedAt: finished, containerID: s.containerID } },
    }));
    this.store.replace(RT.pods, next);
    this.logs.end(uid);
  }

  /** A container's restart, as after a crash: restartCount + 1, lastState terminated, a new instance (and log). */
  restartContainer(namespace: string, name: string, container: string, exit: { exitCode?: number; reason?: string } = {}): KubeObject {
    const pod = this.store.peek(RT.pods, namespace, name);
    if (!pod) throw new Error(`kube stand-in: there is no pod ${namespace}/${name}`);
    const next = structuredClone(pod) as KubeObject;
    const s = (next.status?.containerStatuses ?? []).find((c: { name: string }) => c.name === container);
    if (!s?.state?.running) throw new Error(`kube stand-in: container ${container} of pod ${namespace}/${name} is not running`);
    const t = now();
    s.lastState = {
      terminated: {
        exitCode: exit.exitCode ?? 1,
        reason: exit.reason ?? 'Error',
        startedAt: s.state.running.startedAt,
        finishedAt: t,
        containerID: s.containerID,
      },
    };
    s.state = { running: { startedAt: t } };
    s.restartCount = Number(s.restartCount ?? 0) + 1;
    s.containerID = `containerd://${randomBytes(32).toString('hex')}`;
    this.logs.restart(pod.metadata.uid!, container);
    const out = this.store.replace(RT.pods, next);
    this.recordEvent(out, RT.pods, 'Normal', 'Created', `Created container ${container}`, 'kubelet', out.spec.nodeName);
    this.recordEvent(out, RT.pods, 'Normal', 'Started', `Started container ${container}`, 'kubelet', out.spec.nodeName);
    return out;
  }

  private emitPeriodicLogs(): void {
    this.logTick++;
    for (const p of this.store.peekAll(RT.pods)) {
      if (p.status?.phase !== 'Running' || isTerminating(p)) continue;
      for (const c of p.spec?.containers ?? []) this.logs.append(p.metadata.uid!, c.name, `${p.metadata.name}/${c.name} tick ${this.logTick}`);
    }
  }

  // -- node lifecycle --

  private nodeLifecycle(name: string): void {
    const node = this.store.peek(RT.nodes, undefined, name);
    if (!node) {
      for (const p of this.store.peekAll(RT.pods)) if (p.spec?.nodeName === name) this.store.delete(RT.pods, p.metadata.namespace, p.metadata.name);
      return;
    }
    const key = 'node.kubernetes.io/unschedulable';
    const taints: Taint[] = node.spec?.taints ?? [];
    const has = taints.some((t) => t.key === key);
    if (!!node.spec?.unschedulable === has) return;
    const next = structuredClone(node) as KubeObject;
    next.spec ??= {};
    if (has) {
      next.spec.taints = taints.filter((t) => t.key !== key);
      if (next.spec.taints.length === 0) delete next.spec.taints;
    } else next.spec.taints = [...taints, { key, effect: 'NoSchedule', timeAdded: now() }];
    this.store.replace(RT.nodes, next);
  }

  // -- garbage collector --

  private collectGarbage(gone: Set<string>): void {
    for (const rt of [RT.replicasets, RT.controllerrevisions, RT.jobs, RT.pods]) {
      for (const o of this.store.peekAll(rt)) {
        if (!(o.metadata.ownerReferences ?? []).some((r) => gone.has(r.uid))) continue;
        if (rt === RT.pods) this.deletePod(o.metadata.namespace!, o.metadata.name);
        else this.store.delete(rt, o.metadata.namespace, o.metadata.name);
      }
    }
  }

  // -- workloads --

  private owned(rt: ResourceType, namespace: string, uid: string): Readonly<KubeObject>[] {
    return this.store.peekAll(rt, namespace).filter((o) => controllerOf(o)?.uid === uid);
  }

  private createPod(
    owner: Readonly<KubeObject>,
    ownerRt: ResourceType,
    template: KubeObject['spec'],
    name: { name?: string; generateName?: string },
    extra: { labels?: Record<string, string>; spec?: Record<string, unknown> } = {},
  ): KubeObject | undefined {
    const t = structuredClone(template ?? {});
    const podName = name.name ?? `${name.generateName}${randomSuffix()}`;
    const pod: KubeObject = {
      metadata: {
        name: podName,
        ...(name.generateName ? { generateName: name.generateName } : {}),
        namespace: owner.metadata.namespace,
        labels: { ...t.metadata?.labels, ...extra.labels },
        ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
        ownerReferences: [ownerRef(owner as KubeObject, ownerRt)],
      },
      spec: { ...t.spec, ...extra.spec },
    };
    applyDefaults(RT.pods, pod, true);
    try {
      return this.store.create(RT.pods, pod);
    } catch {
      return undefined; // the name is still held by a terminating pod
    }
  }

  private syncReplicaSet(namespace: string, name: string): void {
    const rs = this.store.peek(RT.replicasets, namespace, name);
    if (!rs) return;
    const want = Number(rs.spec?.replicas ?? 1);
    let active = this.owned(RT.pods, namespace, rs.metadata.uid!).filter(isActive);
    if (active.length < want) {
      for (let i = active.length; i < want; i++) {
        const p = this.createPod(rs, RT.replicasets, rs.spec.template, { generateName: `${name}-` });
        if (p) this.recordEvent(rs, RT.replicasets, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata.name}`, 'replicaset-controller');
      }
    } else if (active.length > want) {
      const rank = (p: Readonly<KubeObject>) => (!p.spec?.nodeName ? 0 : p.status?.phase === 'Pending' ? 1 : !isPodReady(p) ? 2 : 3);
      const victims = [...active]
        .sort((a, b) => rank(a) - rank(b) || String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)))
        .slice(0, active.length - want);
      for (const v of victims) {
        this.deletePod(namespace, v.metadata.name);
        this.recordEvent(rs, RT.replicasets, 'Normal', 'SuccessfulDelete', `Deleted pod: ${v.metadata.name}`, 'replicaset-controller');
      }
    }
    active = this.owned(RT.pods, namespace, rs.metadata.uid!).filter(isActive);
    const ready = active.filter(isPodReady).length;
    const status = {
      replicas: active.length,
      fullyLabeledReplicas: active.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: rs.metadata.generation,
    };
    this.writeStatus(RT.replicasets, rs, status);
  }

  private writeStatus(rt: ResourceType, o: Readonly<KubeObject>, status: Record<string, unknown>): KubeObject {
    const current = this.store.peek(rt, o.metadata.namespace, o.metadata.name) ?? o;
    return this.store.replace(rt, { ...structuredClone(current), status });
  }

  private syncDeployment(namespace: string, name: string): void {
    const d = this.store.peek(RT.deployments, namespace, name);
    if (!d) return;
    const template = d.spec?.template ?? {};
    const hash = templateHash(template);
    let rss = this.owned(RT.replicasets, namespace, d.metadata.uid!);
    const revisionOf = (rs: Readonly<KubeObject>) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
    const maxRevision = Math.max(0, ...rss.map(revisionOf));
    let newRs = rss.find((rs) => stableJson(withoutLabel(rs.spec?.template, 'pod-template-hash')) === stableJson(template));
    const replicas = Number(d.spec?.replicas ?? 1);
    const annotations = (rs: Readonly<KubeObject> | undefined, revision: number) => ({
      ...Object.fromEntries(
        Object.entries(d.metadata.annotations ?? {}).filter(
          ([k]) => !k.startsWith('deployment.kubernetes.io/') && k !== 'kubectl.kubernetes.io/last-applied-configuration',
        ),
      ),
      ...rs?.metadata.annotations,
      'deployment.kubernetes.io/desired-replicas': String(replicas),
      'deployment.kubernetes.io/max-replicas': String(replicas + scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? '25%', replicas)),
      'deployment.kubernetes.io/revision': String(revision),
    });
    if (!newRs && !d.spec?.paused) {
      const rsName = `${name}-${hash}`;
      const tplWithHash = structuredClone(template);
      tplWithHash.metadata = { ...tplWithHash.metadata, labels: { ...tplWithHash.metadata?.labels, 'pod-template-hash': hash } };
      const selector = structuredClone(d.spec?.selector ?? {});
      selector.matchLabels = { ...selector.matchLabels, 'pod-template-hash': hash };
      newRs = this.store.create(RT.replicasets, {
        metadata: {
          name: rsName,
          namespace,
          labels: { ...template.metadata?.labels, 'pod-template-hash': hash },
          annotations: annotations(undefined, maxRevision + 1),
          ownerReferences: [ownerRef(d as KubeObject, RT.deployments)],
        },
        spec: { replicas: 0, selector, template: tplWithHash, ...(d.spec?.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}) },
      });
    } else if (newRs && revisionOf(newRs) < maxRevision) {
      newRs = this.store.replace(RT.replicasets, {
        ...structuredClone(newRs),
        metadata: { ...structuredClone(newRs.metadata), annotations: annotations(newRs, maxRevision + 1) },
      });
    }
    const scale = (rs: Readonly<KubeObject>, to: number) => {
      const from = Number(rs.spec?.replicas ?? 0);
      if (from === to) return;
      const next = structuredClone(rs) as KubeObject;
      next.spec.replicas = to;
      if (rs === newRs) next.metadata.annotations = annotations(rs, revisionOf(rs));
      this.store.replace(RT.replicasets, next);
      this.recordEvent(
        d,
        RT.deployments,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name} to ${to} from ${from}`,
        'deployment-controller',
      );
    };
    if (newRs) scale(newRs, replicas);
    for (const rs of rss) if (rs.metadata.uid !== newRs?.metadata.uid) scale(rs, 0);

    rss = this.owned(RT.replicasets, namespace, d.metadata.uid!);
    const old = rss
      .filter((rs) => rs.metadata.uid !== newRs?.metadata.uid && Number(rs.spec?.replicas ?? 0) === 0 && Number(rs.status?.replicas ?? 0) === 0)
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    const limit = Number(d.spec?.revisionHistoryLimit ?? 10);
    for (const rs of old.slice(0, Math.max(0, old.length - limit))) this.store.delete(RT.replicasets, namespace, rs.metadata.name);

    rss = this.owned(RT.replicasets, namespace, d.metadata.uid!);
    const current = newRs ? this.store.peek(RT.replicasets, namespace, newRs.metadata.name) : undefined;
    if (current && d.metadata.annotations?.['deployment.kubernetes.io/revision'] !== String(revisionOf(current))) {
      const next = structuredClone(d) as KubeObject;
      next.metadata.annotations = { ...next.metadata.annotations, 'deployment.kubernetes.io/revision': String(revisionOf(current)) };
      this.store.replace(RT.deployments, next);
    }
    const sum = (f: (rs: Readonly<KubeObject>) => number) => rss.reduce((n, rs) => n + f(rs), 0);
    const total = sum((rs) => Number(rs.status?.replicas ?? 0));
    const ready = sum((rs) => Number(rs.status?.readyReplicas ?? 0));
    const available = sum((rs) => Number(rs.status?.availableReplicas ?? 0));
    const updated = Number(current?.status?.replicas ?? 0);
    const maxUnavailable = scaledValue(d.spec?.strategy?.rollingUpdate?.maxUnavailable ?? '25%', replicas);
    const complete = updated === replicas && total === replicas && available === replicas;
    const prev = d.status?.conditions;
    const availableCond =
      available >= replicas - maxUnavailable
        ? condition(prev, 'Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
        : condition(prev, 'Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.');
    const progressing = current
      ? complete
        ? condition(prev, 'Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${current.metadata.name}" has successfully progressed.`)
        : condition(prev, 'Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${current.metadata.name}" is progressing.`)
      : undefined;
    const withUpdateTime = (c: Record<string, unknown>) => {
      const old = (Array.isArray(prev) ? prev : []).find((p: { type: string }) => p.type === c.type) as Record<string, unknown> | undefined;
      const same = old && old.status === c.status && old.reason === c.reason && old.message === c.message;
      return {
        type: c.type,
        status: c.status,
        lastUpdateTime: same ? old.lastUpdateTime : now(),
        lastTransitionTime: c.lastTransitionTime,
        reason: c.reason,
        message: c.message,
      };
    };
    this.writeStatus(RT.deployments, d, {
      observedGeneration: d.metadata.generation,
      replicas: total,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: available,
      ...(replicas - available > 0 ? { unavailableReplicas: replicas - available } : {}),
      conditions: [availableCond, ...(progressing ? [progressing] : [])].map(withUpdateTime),
    });
  }

  /** The ControllerRevision for a DaemonSet's or StatefulSet's template: reused (with a new revision number) when it matches again. */
  private ensureRevision(owner: Readonly<KubeObject>, rt: ResourceType): string {
    const template = owner.spec?.template ?? {};
    const hash = templateHash(template);
    const name = `${owner.metadata.name}-${hash}`;
    const namespace = owner.metadata.namespace!;
    const revisions = this.owned(RT.controllerrevisions, namespace, owner.metadata.uid!);
    const max = Math.max(0, ...revisions.map((r) => Number(r.revision ?? 0)));
    const existing = revisions.find((r) => r.metadata.name === name);
    if (!existing) {
      // As the StatefulSet controller (history.NewControllerRevision, then the set's annotations copied) and the
      // DaemonSet controller (snapshot) make it: the template's labels plus the hash, the owner's annotations
      // (so its kubernetes.io/change-cause is the revision's, which kubectl rollout history shows).
      const hashLabel = rt === RT.statefulsets ? 'controller.kubernetes.io/hash' : 'controller-revision-hash';
      this.store.create(RT.controllerrevisions, {
        metadata: {
          name,
          namespace,
          labels: { ...owner.spec?.template?.metadata?.labels, [hashLabel]: hash },
          ...(owner.metadata.annotations ? { annotations: structuredClone(owner.metadata.annotations) } : {}),
          ownerReferences: [ownerRef(owner as KubeObject, rt)],
        },
        data: { spec: { template: { ...template, $patch: 'replace' } } },
        revision: max + 1,
      });
    } else if (Number(existing.revision) < max) {
      this.store.replace(RT.controllerrevisions, { ...structuredClone(existing), revision: max + 1 });
    }
    const limit = Number(owner.spec?.revisionHistoryLimit ?? 10);
    const old = this.owned(RT.controllerrevisions, namespace, owner.metadata.uid!)
      .filter((r) => r.metadata.name !== name)
      .sort((a, b) => Number(a.revision) - Number(b.revision));
    for (const r of old.slice(0, Math.max(0, old.length - limit))) this.store.delete(RT.controllerrevisions, namespace, r.metadata.name);
    return hash;
  }

  private syncDaemonSet(namespace: string, name: string): void {
    const ds = this.store.peek(RT.daemonsets, namespace, name);
    if (!ds) return;
    const hash = this.ensureRevision(ds, RT.daemonsets);
    const podSpec = { ...ds.spec?.template?.spec, tolerations: [...(ds.spec?.template?.spec?.tolerations ?? []), ...DAEMONSET_TOLERATIONS] };
    const eligible = new Set(
      this.store
        .peekAll(RT.nodes)
        .filter((n) => !filterNode({ ...podSpec, affinity: undefined }, n))
        .map((n) => n.metadata.name),
    );
    const pods = this.owned(RT.pods, namespace, ds.metadata.uid!).filter(isActive);
    const nodeOf = (p: Readonly<KubeObject>) =>
      p.spec?.nodeName ?? p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields?.[0]?.values?.[0];
    for (const p of pods) {
      const n = nodeOf(p);
      if (!eligible.has(n) || p.metadata.labels?.['controller-revision-hash'] !== hash) {
        this.deletePod(namespace, p.metadata.name);
        this.recordEvent(ds, RT.daemonsets, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, 'daemonset-controller');
      }
    }
    const keep = this.owned(RT.pods, namespace, ds.metadata.uid!).filter(isActive);
    for (const n of eligible) {
      if (keep.some((p) => nodeOf(p) === n)) continue;
      const p = this.createPod(
        ds,
        RT.daemonsets,
        ds.spec.template,
        { generateName: `${name}-` },
        {
          labels: { 'controller-revision-hash': hash, 'pod-template-generation': String(ds.metadata.generation ?? 1) },
          spec: {
            tolerations: podSpec.tolerations,
            affinity: {
              ...ds.spec.template?.spec?.affinity,
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [n] }] }],
                },
              },
            },
          },
        },
      );
      if (p) this.recordEvent(ds, RT.daemonsets, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata.name}`, 'daemonset-controller');
    }
    const now_ = this.owned(RT.pods, namespace, ds.metadata.uid!).filter(isActive);
    const scheduled = now_.filter((p) => p.spec?.nodeName && eligible.has(p.spec.nodeName));
    const ready = scheduled.filter(isPodReady).length;
    this.writeStatus(RT.daemonsets, ds, {
      currentNumberScheduled: scheduled.length,
      numberMisscheduled: now_.filter((p) => p.spec?.nodeName && !eligible.has(p.spec.nodeName)).length,
      desiredNumberScheduled: eligible.size,
      numberReady: ready,
      observedGeneration: ds.metadata.generation,
      updatedNumberScheduled: scheduled.filter((p) => p.metadata.labels?.['controller-revision-hash'] === hash).length,
      numberAvailable: ready,
      ...(eligible.size - ready > 0 ? { numberUnavailable: eligible.size - ready } : {}),
    });
  }

  private syncStatefulSet(namespace: string, name: string): void {
    const sts = this.store.peek(RT.statefulsets, namespace, name);
    if (!sts) return;
    const hash = this.ensureRevision(sts, RT.statefulsets);
    const updateRevision = `${name}-${hash}`;
    const replicas = Number(sts.spec?.replicas ?? 1);
    const parallel = sts.spec?.podManagementPolicy === 'Parallel';
    const pods = () => this.owned(RT.pods, namespace, sts.metadata.uid!);
    const ordinal = (p: Readonly<KubeObject>) => Number(p.metadata.name.slice(name.length + 1));
    let all = pods();
    for (let i = 0; i < replicas; i++) {
      const podName = `${name}-${i}`;
      const existing = all.find((p) => p.metadata.name === podName);
      if (existing) {
        if (!parallel && !isPodReady(existing)) break;
        continue;
      }
      const p = this.createPod(
        sts,
        RT.statefulsets,
        sts.spec.template,
        { name: podName },
        {
          labels: { 'controller-revision-hash': updateRevision, 'statefulset.kubernetes.io/pod-name': podName, 'apps.kubernetes.io/pod-index': String(i) },
          spec: { hostname: podName, ...(sts.spec?.serviceName ? { subdomain: sts.spec.serviceName } : {}) },
        },
      );
      if (p)
        this.recordEvent(
          sts,
          RT.statefulsets,
          'Normal',
          'SuccessfulCreate',
          `create Pod ${podName} in StatefulSet ${name} successful`,
          'statefulset-controller',
        );
      if (!parallel) break;
    }
    all = pods();
    const extra = all.filter((p) => ordinal(p) >= replicas && !isTerminating(p)).sort((a, b) => ordinal(b) - ordinal(a));
    for (const p of parallel ? extra : extra.slice(0, 1)) {
      this.deletePod(namespace, p.metadata.name);
      this.recordEvent(
        sts,
        RT.statefulsets,
        'Normal',
        'SuccessfulDelete',
        `delete Pod ${p.metadata.name} in StatefulSet ${name} successful`,
        'statefulset-controller',
      );
    }
    all = pods();
    const inRange = all.filter((p) => ordinal(p) < replicas);
    if (inRange.length === replicas && inRange.every(isPodReady)) {
      const stale = inRange.filter((p) => p.metadata.labels?.['controller-revision-hash'] !== updateRevision).sort((a, b) => ordinal(b) - ordinal(a))[0];
      if (stale) {
        this.deletePod(namespace, stale.metadata.name);
        this.recordEvent(
          sts,
          RT.statefulsets,
          'Normal',
          'SuccessfulDelete',
          `delete Pod ${stale.metadata.name} in StatefulSet ${name} successful`,
          'statefulset-controller',
        );
      }
    }
    all = pods().filter(isActive);
    const ready = all.filter(isPodReady).length;
    const updated = all.filter((p) => p.metadata.labels?.['controller-revision-hash'] === updateRevision).length;
    const currentRevision = updated === replicas && all.length === replicas ? updateRevision : (sts.status?.currentRevision ?? updateRevision);
    this.writeStatus(RT.statefulsets, sts, {
      observedGeneration: sts.metadata.generation,
      replicas: all.length,
      readyReplicas: ready,
      currentReplicas: all.filter((p) => p.metadata.labels?.['controller-revision-hash'] === currentRevision).length,
      updatedReplicas: updated,
      currentRevision,
      updateRevision,
      collisionCount: 0,
      availableReplicas: ready,
    });
  }

  private syncJob(namespace: string, name: string): void {
    const job = this.store.peek(RT.jobs, namespace, name);
    if (!job) return;
    const pods = this.owned(RT.pods, namespace, job.metadata.uid!);
    const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
    const failed = pods.filter((p) => p.status?.phase === 'Failed').length;
    let active = pods.filter(isActive);
    const completions = Number(job.spec?.completions ?? 1);
    const parallelism = Number(job.spec?.parallelism ?? 1);
    const prev = job.status?.conditions;
    const done = (prev ?? []).some((c: { type: string; status: string }) => c.type === 'Complete' && c.status === 'True');
    if (done) return;
    const status: Record<string, unknown> = { ...job.status };
    if (job.spec?.suspend) {
      for (const p of active) this.deletePod(namespace, p.metadata.name);
      status.conditions = [condition(prev, 'Suspended', 'True', 'JobSuspended', 'Job suspended', { lastProbeTime: now() })];
      delete status.active;
      delete status.startTime;
      this.writeStatus(RT.jobs, job, status);
      return;
    }
    if (succeeded >= completions) {
      const t = now();
      const { active: _active, ...rest } = status;
      this.writeStatus(RT.jobs, job, {
        ...rest,
        conditions: [
          condition(prev, 'SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', { lastProbeTime: t }),
          condition(prev, 'Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', { lastProbeTime: t }),
        ],
        succeeded,
        ...(failed ? { failed } : {}),
        ready: 0,
        terminating: 0,
        completionTime: t,
        uncountedTerminatedPods: {},
        startTime: status.startTime ?? t,
      });
      this.recordEvent(job, RT.jobs, 'Normal', 'Completed', 'Job completed', 'job-controller');
      return;
    }
    const want = Math.min(parallelism, completions - succeeded) - active.length;
    for (let i = 0; i < want; i++) {
      const p = this.createPod(job, RT.jobs, job.spec.template, { generateName: `${name}-` });
      if (p) this.recordEvent(job, RT.jobs, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata.name}`, 'job-controller');
    }
    active = this.owned(RT.pods, namespace, job.metadata.uid!).filter(isActive);
    const next: Record<string, unknown> = {
      ...status,
      startTime: status.startTime ?? now(),
      ready: active.filter(isPodReady).length,
      terminating: 0,
      uncountedTerminatedPods: {},
      ...(active.length ? { active: active.length } : {}),
      ...(succeeded ? { succeeded } : {}),
      ...(failed ? { failed } : {}),
    };
    if (!active.length) delete next.active;
    if (Array.isArray(next.conditions)) next.conditions = (next.conditions as { type: string }[]).filter((c) => c.type !== 'Suspended');
    this.writeStatus(RT.jobs, job, next);
  }

  private syncCronJob(namespace: string, name: string): void {
    const cj = this.store.peek(RT.cronjobs, namespace, name);
    if (!cj) return;
    const jobs = this.owned(RT.jobs, namespace, cj.metadata.uid!);
    const finished = (j: Readonly<KubeObject>) =>
      (j.status?.conditions ?? []).some((c: { type: string; status: string }) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    const active = jobs
      .filter((j) => !finished(j))
      .map((j) => ({
        kind: 'Job',
        namespace,
        name: j.metadata.name,
        uid: j.metadata.uid,
        apiVersion: 'batch/v1',
        resourceVersion: j.metadata.resourceVersion,
      }));
    const lastSuccess = jobs
      .filter(finished)
      .map((j) => j.status?.completionTime)
      .sort()
      .pop();
    const { active: _active, ...rest } = (cj.status ?? {}) as Record<string, unknown>;
    this.writeStatus(RT.cronjobs, cj, {
      ...rest,
      ...(active.length ? { active } : {}),
      ...(lastSuccess ? { lastSuccessfulTime: lastSuccess } : {}),
    });
  }

  /** What the CronJob controller does when a schedule fires; null when the CronJob is suspended. */
  runCronJob(namespace: string, name: string): KubeObject | null {
    const cj = this.store.peek(RT.cronjobs, namespace, name);
    if (!cj) throw new Error(`kube stand-in: there is no cronjob ${namespace}/${name}`);
    if (cj.spec?.suspend) return null;
    const scheduled = Math.floor(Date.now() / 60000);
    const jt = structuredClone(cj.spec?.jobTemplate ?? {});
    let jobName = `${name}-${scheduled}`;
    if (this.store.peek(RT.jobs, namespace, jobName)) jobName = `${name}-${scheduled}-${randomSuffix(3)}`;
    const job: KubeObject = {
      metadata: {
        name: jobName,
        namespace,
        labels: jt.metadata?.labels,
        annotations: {
          ...jt.metadata?.annotations,
          'batch.kubernetes.io/cronjob-scheduled-timestamp': new Date(scheduled * 60000).toISOString().replace(/\.\d+Z$/, 'Z'),
        },
        ownerReferences: [ownerRef(cj as KubeObject, RT.cronjobs)],
      },
      spec: jt.spec ?? {},
    };
    applyDefaults(RT.jobs, job, true);
    const created = this.store.create(RT.jobs, job);
    const current = this.store.get(RT.cronjobs, namespace, name)!;
    this.store.replace(RT.cronjobs, { ...current, status: { ...current.status, lastScheduleTime: now() } });
    this.recordEvent(cj, RT.cronjobs, 'Normal', 'SuccessfulCreate', `Created job ${jobName}`, 'cronjob-controller');
    return created;
  }

  // -- disruption budgets --

  /** While held, a PodDisruptionBudget allows no disruption whatever its numbers (a test hook). */
  holdDisruptionBudget(namespace: string, name: string, hold: boolean): void {
    if (hold) this.holds.add(`${namespace}/${name}`);
    else this.holds.delete(`${namespace}/${name}`);
    this.dirty.pdbNamespaces.add(namespace);
    this.schedule();
  }

  /** The pods a PDB selects (a null selector selects none, an empty one all). */
  pdbPods(pdb: Readonly<KubeObject>): Readonly<KubeObject>[] {
    if (!pdb.spec?.selector) return [];
    const reqs = selectorRequirements(pdb.spec.selector as LabelSelector);
    return this.store.peekAll(RT.pods, pdb.metadata.namespace).filter((p) => labelsMatch(reqs, p.metadata.labels));
  }

  private controllerScale(namespace: string, ref: OwnerReference): number | undefined {
    const rt = { ReplicaSet: RT.replicasets, StatefulSet: RT.statefulsets, Deployment: RT.deployments }[ref.kind];
    if (ref.kind === 'DaemonSet') return Number(this.store.peek(RT.daemonsets, namespace, ref.name)?.status?.desiredNumberScheduled ?? 0);
    if (ref.kind === 'Job') return Number(this.store.peek(RT.jobs, namespace, ref.name)?.spec?.parallelism ?? 1);
    if (!rt) return undefined;
    const o = this.store.peek(rt, namespace, ref.name);
    return o ? Number(o.spec?.replicas ?? 1) : undefined;
  }

  computeBudget(pdb: Readonly<KubeObject>): Record<string, unknown> {
    const namespace = pdb.metadata.namespace!;
    const pods = this.pdbPods(pdb).filter((p) => !isFinished(p));
    const disrupted: Record<string, string> = { ...pdb.status?.disruptedPods };
    for (const k of Object.keys(disrupted)) if (!pods.some((p) => p.metadata.name === k && !isTerminating(p))) delete disrupted[k];
    const healthy = pods.filter((p) => isPodReady(p) && !disrupted[p.metadata.name]).length;
    let expected: number;
    let desired: number;
    const minAvailable = pdb.spec?.minAvailable;
    if (minAvailable !== undefined && typeof minAvailable === 'number') {
      expected = pods.filter((p) => !isTerminating(p)).length;
      desired = minAvailable;
    } else {
      const seen = new Set<string>();
      expected = 0;
      for (const p of pods) {
        const ref = controllerOf(p);
        if (!ref) {
          if (!isTerminating(p)) expected++;
          continue;
        }
        if (seen.has(ref.uid)) continue;
        seen.add(ref.uid);
        expected += this.controllerScale(namespace, ref) ?? 1;
      }
      if (pdb.spec?.maxUnavailable !== undefined) desired = Math.max(0, expected - scaledValue(pdb.spec.maxUnavailable, expected));
      else if (minAvailable !== undefined) desired = scaledValue(minAvailable, expected);
      else desired = expected;
    }
    const held = this.holds.has(`${namespace}/${pdb.metadata.name}`);
    const allowed = held ? 0 : Math.max(0, healthy - desired);
    return {
      observedGeneration: pdb.metadata.generation,
      ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
      disruptionsAllowed: allowed,
      currentHealthy: healthy,
      // Held: as a budget asking for every healthy pod it has, so that its status and the eviction's refusal agree.
      desiredHealthy: held ? Math.max(desired, healthy) : desired,
      expectedPods: expected,
      conditions: [
        allowed > 0
          ? condition(pdb.status?.conditions, 'DisruptionAllowed', 'True', 'SufficientPods', '', { observedGeneration: pdb.metadata.generation })
          : condition(pdb.status?.conditions, 'DisruptionAllowed', 'False', 'InsufficientPods', '', { observedGeneration: pdb.metadata.generation }),
      ],
    };
  }

  private syncDisruptionBudgets(namespace: string): void {
    for (const pdb of this.store.peekAll(RT.pdbs, namespace)) this.writeStatus(RT.pdbs, pdb, this.computeBudget(pdb));
  }
}
