/**
 * Node operations of the cluster console (the reference's "node
 * operations": the schedulable toggle, labels batch-added to several nodes,
 * taints with their effects).
 *
 * Labels and taints the kubelet, k3s and the node controllers own are not
 * touched: a technician must not break scheduling by accident (a DaemonSet
 * selects kubernetes.io/os, the scheduler reads node.kubernetes.io/*
 * taints, workloads target node-role.kubernetes.io/*). Well-known labels:
 * https://kubernetes.io/docs/reference/labels-annotations-taints/
 */
import { PatchStrategy, type V1Taint } from '@kubernetes/client-node';
import type { Taint } from '../api/contract';
import { AppError } from '../api/errors';
import { ConsoleErrors, plain, type KubeClient } from './console-client';

const OWNED_LABELS = new Set(['kubernetes.io/hostname', 'kubernetes.io/arch', 'kubernetes.io/os', 'beta.kubernetes.io/arch', 'beta.kubernetes.io/os']);
const OWNED_LABEL_PREFIXES = ['node-role.kubernetes.io/', 'node.kubernetes.io/'];
/** Taints the node lifecycle controller sets and lifts (not-ready, unreachable, unschedulable, pressure). */
const OWNED_TAINT_PREFIXES = ['node.kubernetes.io/', 'node.cloudprovider.kubernetes.io/'];

const labelOwned = (key: string) => OWNED_LABELS.has(key) || OWNED_LABEL_PREFIXES.some((p) => key.startsWith(p));
const taintOwned = (key: string) => OWNED_TAINT_PREFIXES.some((p) => key.startsWith(p));

/** Cordons (unschedulable) or uncordons a node; the node as the server now has it. */
export async function cordon(client: KubeClient, node: string, unschedulable: boolean, signal?: AbortSignal): Promise<Record<string, unknown>> {
  // Uncordon removes the field, as kubectl uncordon's patch does.
  const body = { spec: { unschedulable: unschedulable ? true : null } };
  const what = unschedulable
    ? { en: `cordon node "${node}" (patch nodes)`, zh: `封锁节点“${node}”（patch nodes）` }
    : { en: `uncordon node "${node}" (patch nodes)`, zh: `解除封锁节点“${node}”（patch nodes）` };
  const out = await client.call(what, (o) => client.core.patchNode({ name: node, body }, o), { signal, patch: PatchStrategy.MergePatch });
  return plain(out);
}

function protectedLabel(key: string, field: (string | number)[]): AppError {
  return new AppError(
    ConsoleErrors.CLUSTER_LABEL_PROTECTED,
    {
      en: `Label "${key}" belongs to the kubelet and k3s: they set it, and the scheduler, DaemonSets and workloads rely on it. EdgeForge does not change it; use a label of your own (for example edgeforge.io/${key.split('/').pop()}).`,
      zh: `标签“${key}”归 kubelet 和 k3s 所有：由它们设置，调度器、DaemonSet 和工作负载依赖它。EdgeForge 不修改此标签；请使用自定义标签（例如 edgeforge.io/${key.split('/').pop()}）。`,
    },
    { field },
  );
}

/**
 * Sets and removes labels on each node with a JSON merge patch (RFC 7386:
 * null removes a key). Nodes are patched one after another; when only some
 * take the change, the error says which did and why the others did not.
 */
export async function setNodeLabels(
  client: KubeClient,
  input: { nodes: string[]; set: Record<string, string>; remove: string[] },
  signal?: AbortSignal,
): Promise<Record<string, unknown>[]> {
  for (const key of Object.keys(input.set)) if (labelOwned(key)) throw protectedLabel(key, ['set', key]);
  input.remove.forEach((key, i) => {
    if (labelOwned(key)) throw protectedLabel(key, ['remove', i]);
    if (key in input.set)
      throw new AppError(
        ConsoleErrors.CLUSTER_NODE_CHANGE_REFUSED,
        { en: `Label "${key}" is both set and removed: choose one.`, zh: `标签“${key}”同时被设置和删除：请只选其一。` },
        { field: ['remove', i] },
      );
  });
  const labels: Record<string, string | null> = { ...input.set, ...Object.fromEntries(input.remove.map((k) => [k, null])) };
  const done: Record<string, unknown>[] = [];
  const failed: { node: string; error: AppError }[] = [];
  for (const node of input.nodes) {
    const what = { en: `set the labels of node "${node}" (patch nodes)`, zh: `设置节点“${node}”的标签（patch nodes）` };
    try {
      const out = await client.call(what, (o) => client.core.patchNode({ name: node, body: { metadata: { labels } } }, o), {
        signal,
        patch: PatchStrategy.MergePatch,
        field: ['set'],
        refusedCode: ConsoleErrors.CLUSTER_NODE_CHANGE_REFUSED,
      });
      done.push(plain(out));
    } catch (e) {
      if (signal?.aborted || !(e instanceof AppError)) throw e;
      failed.push({ node, error: e });
    }
  }
  if (failed.length === 0) return done;
  if (done.length === 0 && failed.length === 1) throw failed[0]!.error;
  const names = (list: { node: string }[]) => list.map((x) => x.node).join(', ');
  const doneNames = done.map((n) => (n.metadata as { name: string }).name).join(', ') || '—';
  const why = failed.map((f) => `${f.node}: ${f.error.text.en}`).join(' ');
  const whyZh = failed.map((f) => `${f.node}：${f.error.text.zh}`).join(' ');
  throw new AppError(
    done.length === 0 ? failed[0]!.error.code : ConsoleErrors.CLUSTER_NODES_PARTLY_CHANGED,
    {
      en: `The labels changed on ${done.length} of ${input.nodes.length} nodes (${doneNames}); not on ${names(failed)}. ${why}`,
      zh: `已在 ${input.nodes.length} 个节点中的 ${done.length} 个上修改标签（${doneNames}）；未能修改：${names(failed)}。${whyZh}`,
    },
    { field: ['nodes'] },
  );
}

/**
 * Replaces the node's taints with `taints`, keeping those the node
 * controllers own. Read, then a merge patch carrying the resourceVersion
 * read (optimistic concurrency), retried when the node changed meanwhile:
 * nodes change often (their controllers write them).
 */
export async function setNodeTaints(client: KubeClient, node: string, taints: Taint[], signal?: AbortSignal): Promise<Record<string, unknown>> {
  taints.forEach((t, i) => {
    if (taintOwned(t.key))
      throw new AppError(
        ConsoleErrors.CLUSTER_TAINT_PROTECTED,
        {
          en: `Taint "${t.key}" belongs to the node controllers: they add and lift it with the node's condition (cordon sets node.kubernetes.io/unschedulable). Use a taint key of your own.`,
          zh: `污点“${t.key}”归节点控制器所有：它们随节点状态添加和移除它（封锁会设置 node.kubernetes.io/unschedulable）。请使用自定义的污点键。`,
        },
        { field: ['taints', i, 'key'] },
      );
    // Kubernetes refuses a node whose taints repeat a key and effect pair (validateNodeTaints); said here, next to the row.
    if (taints.findIndex((o) => o.key === t.key && o.effect === t.effect) < i)
      throw new AppError(
        ConsoleErrors.CLUSTER_NODE_CHANGE_REFUSED,
        {
          en: `Taint "${t.key}" with effect ${t.effect} is given twice: a node has at most one taint for each key and effect. Remove one of them.`,
          zh: `污点“${t.key}”（效果 ${t.effect}）重复填写：同一节点上每个键和效果的组合只能有一个污点。请删除其中一个。`,
        },
        { field: ['taints', i, 'key'] },
      );
  });
  const read = { en: `read node "${node}" (get nodes)`, zh: `读取节点“${node}”（get nodes）` };
  const write = { en: `set the taints of node "${node}" (patch nodes)`, zh: `设置节点“${node}”的污点（patch nodes）` };
  for (let attempt = 1; ; attempt++) {
    const current = await client.call(read, (o) => client.core.readNode({ name: node }, o), { signal });
    const before = current.spec?.taints ?? [];
    const next: V1Taint[] = [
      ...before.filter((t) => taintOwned(t.key)),
      ...taints.map((t) => {
        // kubectl taint stamps a NoExecute taint with when it was added; an unchanged one keeps its time.
        const same = before.find((b) => b.key === t.key && b.effect === t.effect);
        const timeAdded = t.effect === 'NoExecute' ? (same?.timeAdded ?? new Date()) : undefined;
        return { key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect, ...(timeAdded ? { timeAdded } : {}) };
      }),
    ];
    const body = { metadata: { resourceVersion: current.metadata?.resourceVersion }, spec: { taints: next } };
    try {
      const out = await client.call(write, (o) => client.core.patchNode({ name: node, body }, o), {
        signal,
        patch: PatchStrategy.MergePatch,
        field: ['taints'],
        refusedCode: ConsoleErrors.CLUSTER_NODE_CHANGE_REFUSED,
      });
      return plain(out);
    } catch (e) {
      if (attempt < 3 && e instanceof AppError && e.code === ConsoleErrors.CLUSTER_OBJECT_CHANGED) continue;
      throw e;
    }
  }
}
