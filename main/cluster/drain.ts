/**
 * Draining a node, as `kubectl drain` does it
 * (https://kubernetes.io/docs/tasks/administer-cluster/safely-drain-node/,
 * k8s.io/kubectl/pkg/drain): cordon the node, list its pods, leave those a
 * drain must not touch, refuse those it must not lose unless told, evict the
 * rest through the Eviction API (policy/v1) so that PodDisruptionBudgets
 * are honoured, retry an eviction a budget refuses (429) with a back-off
 * until the timeout, then wait until every evicted pod is gone from the
 * node (re-listed every second, as kubectl polls; a pod counts as gone when
 * it is deleted or replaced by another with the same name).
 *
 * It runs as a job: progress counts pods gone out of pods to evict, the log
 * tells each pod's outcome, and cancel stops at once. The node stays
 * cordoned whatever happens: uncordoning is the user's decision.
 */
import { setTimeout as pause } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import type { DrainInput } from '../api/contract';
import { AppError, type FieldIssue, type LocalizedText } from '../api/errors';
import type { JobContext, JobKind } from '../jobs';
import { ConsoleErrors, statusOf, type KubeClient } from './console-client';
import { cordon } from './nodes';

export const DRAIN_KIND = 'clusters.drain';

/** Evictions in flight at once: a small edge API server is not flooded. */
const EVICTIONS_AT_ONCE = 4;
/** Waits between evictions a disruption budget refused (kubectl waits 5 s each time). */
const RETRY_MS = [1_000, 2_000, 4_000, 5_000];
const POLL_MS = 1_000;

export interface DrainPod {
  namespace: string;
  name: string;
}
export type SkipReason = 'daemonset' | 'mirror' | 'terminating';
/** A drain job's result. */
export interface DrainResult {
  node: string;
  evicted: DrainPod[];
  skipped: (DrainPod & { reason: SkipReason })[];
}

const refOf = (p: V1Pod): DrainPod => ({ namespace: p.metadata?.namespace ?? '', name: p.metadata?.name ?? '' });
const idOf = (p: DrainPod) => `${p.namespace}/${p.name}`;

interface Plan {
  evict: V1Pod[];
  skipped: DrainResult['skipped'];
  warnings: string[];
}

/** Sorts the node's pods as kubectl drain's filters do; throws CLUSTER_DRAIN_REFUSED listing every pod the options do not allow. */
function plan(node: string, pods: V1Pod[], p: DrainInput, cordoned: boolean): Plan {
  const out: Plan = { evict: [], skipped: [], warnings: [] };
  const unmanaged: string[] = [];
  const daemons: string[] = [];
  const local: string[] = [];
  for (const pod of pods) {
    const id = idOf(refOf(pod));
    if (pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) {
      out.skipped.push({ ...refOf(pod), reason: 'mirror' });
      continue;
    }
    if (pod.metadata?.deletionTimestamp) {
      out.skipped.push({ ...refOf(pod), reason: 'terminating' });
      continue;
    }
    const controller = pod.metadata?.ownerReferences?.find((o) => o.controller);
    if (controller?.kind === 'DaemonSet') {
      if (p.ignoreDaemonSets) out.skipped.push({ ...refOf(pod), reason: 'daemonset' });
      else daemons.push(id);
      continue;
    }
    // A pod that has finished loses nothing by going.
    const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (!finished && pod.spec?.volumes?.some((v) => v.emptyDir)) {
      if (p.deleteEmptyDirData) out.warnings.push(`${id} loses the data of its emptyDir volumes`);
      else local.push(id);
    }
    if (!finished && !controller) {
      if (p.force) out.warnings.push(`${id} is managed by no controller: once evicted it does not come back`);
      else unmanaged.push(id);
    }
    out.evict.push(pod);
  }
  const issues: FieldIssue[] = [];
  const issue = (field: string, list: string[], en: string, zh: string) => {
    if (list.length) issues.push({ path: [field], issue: 'custom', message: { en: `${list.join(', ')} ${en}`, zh: `${list.join('、')}${zh}` } });
  };
  issue(
    'force',
    unmanaged,
    'are managed by no controller: evicted, they are gone for good. Drain with "force" to evict them anyway.',
    '不受任何控制器管理：驱逐后将永久消失。如仍要驱逐，请勾选“强制”后排空。',
  );
  issue(
    'ignoreDaemonSets',
    daemons,
    'belong to DaemonSets, which would put them back at once. Drain with "ignore DaemonSets" to leave them where they are.',
    '属于 DaemonSet，会被立即重建。请勾选“忽略 DaemonSet”以保留它们。',
  );
  issue(
    'deleteEmptyDirData',
    local,
    'keep data in emptyDir volumes, which is lost when they are evicted. Drain with "delete emptyDir data" to evict them anyway.',
    '在 emptyDir 卷中保存数据，驱逐后数据将丢失。如仍要驱逐，请勾选“删除 emptyDir 数据”后排空。',
  );
  if (issues.length === 0) return out;
  const after: LocalizedText = cordoned
    ? { en: ` Node ${node} is cordoned now: uncordon it if you do not drain it.`, zh: ` 节点 ${node} 现已被封锁：如不排空，请解除封锁。` }
    : { en: '', zh: '' };
  throw new AppError(
    ConsoleErrors.CLUSTER_DRAIN_REFUSED,
    {
      en: `Node ${node} cannot be drained as asked: ${issues.map((i) => i.message.en).join(' ')}${after.en}`,
      zh: `无法按要求排空节点 ${node}：${issues.map((i) => i.message.zh).join(' ')}${after.zh}`,
    },
    { field: issues[0]!.path, fields: issues },
  );
}

async function podsOn(client: KubeClient, node: string, signal?: AbortSignal): Promise<V1Pod[]> {
  const what = { en: `list the pods of node "${node}" (list pods)`, zh: `列出节点“${node}”上的 Pod（list pods）` };
  return (await client.call(what, (o) => client.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` }, o), { signal })).items;
}

/** Refuses at once, before anything changes, what the drain would refuse after cordoning: an absent node, pods the options do not allow. */
async function check(client: KubeClient, p: DrainInput): Promise<void> {
  await client.call({ en: `read node "${p.node}" (get nodes)`, zh: `读取节点“${p.node}”（get nodes）` }, (o) => client.core.readNode({ name: p.node }, o));
  plan(p.node, await podsOn(client, p.node), p, false);
}

/** Evicts the planned pods and waits until they are gone; progress counts them. */
async function evictAll(client: KubeClient, ctx: JobContext, p: DrainInput, pods: V1Pod[], deadline: number): Promise<void> {
  const total = pods.length;
  ctx.progress(0, total);
  if (total === 0) return;
  ctx.log(`Evicting ${total} pod${total === 1 ? '' : 's'}, ${EVICTIONS_AT_ONCE} at a time`);
  const queue = [...pods];
  const refused = new Map<string, string>();
  /** Evicted, waiting to be gone: id → uid. */
  const waiting = new Map<string, string>();
  const gone = new Set<string>();
  const inner = new AbortController();
  const onCancel = () => inner.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onCancel, { once: true });
  let failure: unknown = null;
  const fail = (e: unknown) => {
    if (failure === null) failure = e;
    inner.abort(e);
  };

  const markGone = (id: string, how: string) => {
    waiting.delete(id);
    gone.add(id);
    ctx.progress(gone.size, total);
    ctx.log(`${id} ${how} (${gone.size} of ${total})`);
  };

  const timedOut = () => {
    const blocked = pods.map((x) => idOf(refOf(x))).filter((id) => !gone.has(id) && !waiting.has(id));
    const budget = blocked.map((id) => (refused.has(id) ? `${id} (${refused.get(id)})` : id));
    const slow = [...waiting.keys()];
    const parts = [
      ...(budget.length ? [`these pods were not evicted: ${budget.join(', ')}`] : []),
      ...(slow.length ? [`these pods are still terminating: ${slow.join(', ')}`] : []),
    ];
    const partsZh = [...(budget.length ? [`以下 Pod 未被驱逐：${budget.join('、')}`] : []), ...(slow.length ? [`以下 Pod 仍在终止：${slow.join('、')}`] : [])];
    return new AppError(ConsoleErrors.CLUSTER_DRAIN_TIMEOUT, {
      en: `Node ${p.node} was not drained within ${p.timeoutSeconds} s: ${parts.join('; ')}. The node stays cordoned. Relax the disruption budget or scale the workload up, then drain again (perhaps with a longer timeout).`,
      zh: `节点 ${p.node} 未能在 ${p.timeoutSeconds} 秒内排空：${partsZh.join('；')}。节点保持封锁状态。请放宽中断预算或扩容工作负载后再次排空（可加长超时）。`,
    });
  };

  const evictOne = async (pod: V1Pod) => {
    const ref = refOf(pod);
    const id = idOf(ref);
    const what = { en: `evict pod ${id} (create pods/eviction)`, zh: `驱逐 Pod ${id}（create pods/eviction）` };
    const body = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: ref };
    for (let attempt = 0; ; attempt++) {
      try {
        await client.call(what, (o) => client.core.createNamespacedPodEviction({ ...ref, body }, o), { signal: inner.signal });
        waiting.set(id, pod.metadata?.uid ?? '');
        ctx.log(`Evicted ${id}; waiting for it to terminate`);
        return;
      } catch (e) {
        if (e instanceof AppError && e.code === ConsoleErrors.CLUSTER_OBJECT_NOT_FOUND) return markGone(id, 'was already gone');
        if (!(e instanceof AppError) || e.code !== ConsoleErrors.CLUSTER_TOO_MANY_REQUESTS) throw e;
        const s = statusOf(e);
        const causes = (s?.details?.causes ?? []).flatMap((c) => c.message ?? []);
        const why = `${(s?.message ?? 'Too Many Requests').replace(/\.$/, '')}${causes.length ? ` (${causes.join('; ')})` : ''}`;
        refused.set(id, why);
        // A last attempt is made at the deadline itself.
        const wait = Math.min(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]!, deadline - Date.now());
        if (wait <= 0) throw timedOut();
        ctx.log(`Eviction of ${id} refused (429): ${why}. Retrying in ${Math.round(wait / 100) / 10} s.`, 'warn');
        await pause(wait, undefined, { signal: inner.signal });
      }
    }
  };

  const evictions = async () => {
    while (queue.length > 0) await evictOne(queue.shift()!);
  };

  const watch = async () => {
    while (gone.size < total) {
      await pause(POLL_MS, undefined, { signal: inner.signal });
      if (waiting.size > 0) {
        const present = new Set((await podsOn(client, p.node, inner.signal)).map((x) => x.metadata?.uid));
        for (const [id, uid] of [...waiting]) if (!present.has(uid)) markGone(id, 'is gone from the node');
      }
      if (gone.size < total && Date.now() > deadline) throw timedOut();
    }
  };

  try {
    const runs = [...Array.from({ length: Math.min(EVICTIONS_AT_ONCE, total) }, () => evictions()), watch()];
    await Promise.all(runs.map((r) => r.catch(fail)));
  } finally {
    ctx.signal.removeEventListener('abort', onCancel);
  }
  ctx.signal.throwIfAborted();
  if (failure !== null) throw failure;
}

/** The drain job kind; `clientOf` opens the cluster's API, `clusterName` names it in the title. */
export function drainJob(clientOf: (clusterId: string) => KubeClient, clusterName: (clusterId: string) => string): JobKind<DrainInput, DrainResult> {
  return {
    kind: DRAIN_KIND,
    title: (p) => ({ en: `Drain node ${p.node} (${clusterName(p.clusterId)})`, zh: `排空节点 ${p.node}（${clusterName(p.clusterId)}）` }),
    unit: 'items',
    resumeOnRestart: false,
    // Beside builds and imports, not queued behind them: a drain is what a technician waits for.
    pool: { name: 'clusters', limit: () => 4 },
    validate: (p) => check(clientOf(p.clusterId), p),
    async run(ctx, p) {
      const client = clientOf(p.clusterId);
      const deadline = Date.now() + p.timeoutSeconds * 1000;
      await cordon(client, p.node, true, ctx.signal);
      ctx.log(`Cordoned node ${p.node}: no new pods are scheduled there`);
      try {
        const steps = plan(p.node, await podsOn(client, p.node, ctx.signal), p, true);
        const why: Record<SkipReason, string> = {
          daemonset: 'a DaemonSet pod, left in place',
          mirror: 'a static (mirror) pod, which the kubelet owns',
          terminating: 'already terminating',
        };
        for (const s of steps.skipped) ctx.log(`Skipped ${idOf(s)}: ${why[s.reason]}`);
        for (const w of steps.warnings) ctx.log(`Evicting anyway: ${w}`, 'warn');
        await evictAll(client, ctx, p, steps.evict, deadline);
        ctx.log(`Node ${p.node} drained: ${steps.evict.length} evicted, ${steps.skipped.length} left in place. It stays cordoned until you uncordon it.`);
        return { node: p.node, evicted: steps.evict.map(refOf), skipped: steps.skipped };
      } catch (e) {
        ctx.log(
          ctx.signal.aborted
            ? `Drain stopped. Node ${p.node} stays cordoned: uncordon it to schedule pods there again. Pods already evicted are not brought back.`
            : `Node ${p.node} stays cordoned.`,
          'warn',
        );
        throw e;
      }
    },
  };
}
