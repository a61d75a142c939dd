/**
 * Server-side apply of YAML a technician wrote or edited
 * (https://kubernetes.io/docs/reference/using-api/server-side-apply/): each
 * document is PATCHed as application/apply-patch+yaml with fieldManager
 * "edgeforge", `force` when the user chose to take fields over, and
 * dryRun=All for a check that changes nothing. A field another manager owns
 * is refused by the server (409) and told as CLUSTER_APPLY_CONFLICT.
 *
 * Raw requests, not KubernetesObjectApi.patch: that one re-serializes the
 * object through client-node's typed models, which silently drops any field
 * they do not know (a typo the server would refuse, a field newer than the
 * client), so what is applied would not be what the user wrote.
 *
 * A kind's resource path needs its plural and whether it is namespaced: a
 * table for the common kinds, else the server's discovery documents
 * (/api/v1, /apis/<group>/<version>: "Discovery API",
 * https://kubernetes.io/docs/reference/using-api/api-concepts/).
 */
import { isDeepStrictEqual } from 'node:util';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { ApplyResult } from '../api/contract';
import { AppError, type LocalizedText } from '../api/errors';
import { ConsoleErrors, type KubeClient } from './console-client';

export const FIELD_MANAGER = 'edgeforge';

const KNOWN: Record<string, { plural: string; namespaced: boolean }> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/Node': { plural: 'nodes', namespaced: false },
  'v1/PersistentVolume': { plural: 'persistentvolumes', namespaced: false },
  'v1/Pod': { plural: 'pods', namespaced: true },
  'v1/Service': { plural: 'services', namespaced: true },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'v1/PersistentVolumeClaim': { plural: 'persistentvolumeclaims', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'apps/v1/DaemonSet': { plural: 'daemonsets', namespaced: true },
  'apps/v1/StatefulSet': { plural: 'statefulsets', namespaced: true },
  'apps/v1/ReplicaSet': { plural: 'replicasets', namespaced: true },
  'batch/v1/Job': { plural: 'jobs', namespaced: true },
  'batch/v1/CronJob': { plural: 'cronjobs', namespaced: true },
  'policy/v1/PodDisruptionBudget': { plural: 'poddisruptionbudgets', namespaced: true },
  'networking.k8s.io/v1/Ingress': { plural: 'ingresses', namespaced: true },
};

interface Manifest {
  object: Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
  /** Where the document starts, for messages. */
  document: number;
  line: number;
}

const yamlInvalid = (en: string, zh: string) => new AppError(ConsoleErrors.CLUSTER_YAML_INVALID, { en, zh }, { field: ['yaml'] });

/** The Kubernetes objects of a multi-document YAML text; a `kind: List` contributes its items. */
export function parseManifests(text: string): Manifest[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  const out: Manifest[] = [];
  docs.forEach((doc, i) => {
    const error = doc.errors[0];
    if (error) {
      const pos = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
      const message = error.message.split('\n')[0];
      throw yamlInvalid(
        `The YAML does not parse at line ${pos.line}, column ${pos.col}: ${message}`,
        `YAML 在第 ${pos.line} 行第 ${pos.col} 列无法解析：${message}`,
      );
    }
    const line = lineCounter.linePos(doc.contents?.range[0] ?? doc.range[0]).line;
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    const items = isObject(value) && value.kind === 'List' && Array.isArray(value.items) ? (value.items as unknown[]) : [value];
    for (const item of items) {
      const m = isObject(item) && isObject(item.metadata) ? item.metadata : null;
      if (!isObject(item) || typeof item.apiVersion !== 'string' || typeof item.kind !== 'string' || !m || typeof m.name !== 'string' || !m.name) {
        throw yamlInvalid(
          `Document ${i + 1} (line ${line}) is not a Kubernetes object: it needs apiVersion, kind and metadata.name.`,
          `第 ${i + 1} 个文档（第 ${line} 行）不是 Kubernetes 对象：需要 apiVersion、kind 和 metadata.name。`,
        );
      }
      out.push({ object: item as Manifest['object'], document: i + 1, line });
    }
  });
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const groupPath = (apiVersion: string) => (apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);

/** Plural and scope of kinds, from the table or the server's discovery (asked once per group version). */
class Resources {
  private readonly lists = new Map<string, Promise<{ name: string; kind: string; namespaced: boolean }[] | null>>();

  constructor(
    private readonly client: KubeClient,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async of(m: Manifest): Promise<{ plural: string; namespaced: boolean }> {
    const { apiVersion, kind } = m.object;
    const known = KNOWN[`${apiVersion}/${kind}`];
    if (known) return known;
    let list = this.lists.get(apiVersion);
    if (!list) {
      const what = {
        en: `discover the resources of ${apiVersion} (get ${groupPath(apiVersion)})`,
        zh: `查询 ${apiVersion} 的资源（get ${groupPath(apiVersion)}）`,
      };
      list = this.client
        .json<{ resources: { name: string; kind: string; namespaced: boolean }[] }>(
          what,
          { method: 'GET', path: groupPath(apiVersion) },
          { signal: this.signal, absent: [404] },
        )
        .then((r) => r?.resources ?? null);
      this.lists.set(apiVersion, list);
    }
    const found = (await list)?.find((r) => r.kind === kind && !r.name.includes('/'));
    if (!found) {
      throw new AppError(
        ConsoleErrors.CLUSTER_KIND_UNKNOWN,
        {
          en: `Document ${m.document} (line ${m.line}): the cluster does not serve kind ${kind} in ${apiVersion}. Check apiVersion and kind; a custom resource needs its CRD installed first.`,
          zh: `第 ${m.document} 个文档（第 ${m.line} 行）：集群不提供 ${apiVersion} 中的 ${kind} 类型。请检查 apiVersion 和 kind；自定义资源需要先安装其 CRD。`,
        },
        { field: ['yaml'] },
      );
    }
    return { plural: found.name, namespaced: found.namespaced };
  }
}

type Applied = ApplyResult['objects'][number];

/**
 * Applies every object in order. The action says what happened: created (it
 * did not exist), unchanged (the server's answer is the object as it was:
 * for a real apply, its resourceVersion did not move) or configured. A
 * failure names the document, and the objects applied before it.
 */
export async function applyManifests(client: KubeClient, text: string, opts: { dryRun: boolean; force: boolean; signal?: AbortSignal }): Promise<ApplyResult> {
  const manifests = parseManifests(text);
  if (manifests.length === 0) throw yamlInvalid('The YAML holds no Kubernetes object.', 'YAML 中没有 Kubernetes 对象。');
  const resources = new Resources(client, opts.signal);
  const objects: Applied[] = [];
  for (const m of manifests) {
    try {
      objects.push(await applyOne(client, resources, m, opts));
    } catch (e) {
      if (!(e instanceof AppError) || objects.length === 0) throw e;
      const before = objects.map((o) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name} (${o.action})`).join(', ');
      const text: LocalizedText = opts.dryRun
        ? { en: `${e.text.en} The documents before it passed the dry run: ${before}.`, zh: `${e.text.zh} 之前的文档已通过试运行：${before}。` }
        : { en: `${e.text.en} The documents before it were applied: ${before}.`, zh: `${e.text.zh} 之前的文档已应用：${before}。` };
      throw new AppError(e.code, text, { cause: e, ...(e.field ? { field: e.field } : {}) });
    }
  }
  return { dryRun: opts.dryRun, objects };
}

async function applyOne(
  client: KubeClient,
  resources: Resources,
  m: Manifest,
  opts: { dryRun: boolean; force: boolean; signal?: AbortSignal },
): Promise<Applied> {
  const { plural, namespaced } = await resources.of(m);
  const object = structuredClone(m.object);
  const namespace = namespaced ? (object.metadata.namespace ?? 'default') : null;
  if (namespace) object.metadata.namespace = namespace;
  const name = object.metadata.name;
  const path = `${groupPath(object.apiVersion)}/${namespace ? `namespaces/${encodeURIComponent(namespace)}/` : ''}${plural}/${encodeURIComponent(name)}`;
  const id = `${object.kind} ${namespace ? `${namespace}/` : ''}${name}`;
  const where = { en: `document ${m.document}, line ${m.line}`, zh: `第 ${m.document} 个文档，第 ${m.line} 行` };
  const read = { en: `read ${id} (get ${plural}; ${where.en})`, zh: `读取 ${id}（get ${plural}；${where.zh}）` };
  const before = await client.json<Record<string, unknown>>(read, { method: 'GET', path }, { signal: opts.signal, absent: [404] });
  const apply = { en: `apply ${id} (patch ${plural}; ${where.en})`, zh: `应用 ${id}（patch ${plural}；${where.zh}）` };
  const after = await client.json<Record<string, unknown>>(
    apply,
    {
      method: 'PATCH',
      path,
      query: { fieldManager: FIELD_MANAGER, force: opts.force ? 'true' : undefined, dryRun: opts.dryRun ? 'All' : undefined },
      // JSON is YAML: the object as parsed, with its namespace settled.
      body: JSON.stringify(object),
      contentType: 'application/apply-patch+yaml',
    },
    { signal: opts.signal, field: ['yaml'] },
  );
  const action = before === null ? 'created' : isDeepStrictEqual(before, after) ? 'unchanged' : 'configured';
  return { kind: object.kind, namespace, name, action };
}
