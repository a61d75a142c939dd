/**
 * Deploying a catalog app onto a cluster's nodes by label (DESIGN.md §1
 * step 8; the reference pins apps to a node pool "with a nodeSelector or
 * node affinity on that label").
 *
 * Only a published version of a container app is deployed. Its manifests
 * are the catalog's (renderContainerApp through AppService.render, as a
 * bundle gets them), with a required node affinity on the workload's pod
 * template: the user's label requirements, plus the app's CPU architecture
 * (its images' platform) so that a pod never lands on a node that cannot run
 * it. The preview and the deploy share one plan, so what is shown is what is
 * applied.
 *
 * Node affinity: https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#node-affinity
 * (In/NotIn/Exists/DoesNotExist as NodeSelectorRequirement defines them).
 */
import type { V1Node } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import type { CatalogDeployInput, ContainerAppSpec } from '../api/contract';
import { AppError, type LocalizedText } from '../api/errors';
import type { ArtifactService } from '../artifacts';
import type { AppService, Application } from '../catalog';
import { applyManifests } from './apply';
import { ConsoleErrors, type KubeClient } from './console-client';

export interface DeployDeps {
  apps: AppService;
  artifacts: ArtifactService;
}

export interface DeployPlan {
  nodes: { name: string; ready: boolean; arch: string | null; fits: boolean; problem: LocalizedText | null }[];
  yaml: string;
}

type Requirement = CatalogDeployInput['selector'][number];

const ARCH_LABEL = 'kubernetes.io/arch';
/** OCI and ELF names of an architecture, as Kubernetes names it (GOARCH). */
const GOARCH: Record<string, string> = { amd64: 'amd64', x86_64: 'amd64', arm64: 'arm64', aarch64: 'arm64' };
const goarch = (platform: string) => {
  const a = platform.includes('/') ? platform.split('/')[1]! : platform;
  return GOARCH[a] ?? a;
};

/** Whether a node's labels satisfy one requirement (NodeSelectorRequirement semantics). */
export function requirementHolds(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(labels[r.key]!);
    case 'NotIn':
      return !has || !r.values.includes(labels[r.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

const selectorText = (r: Requirement) =>
  r.operator === 'Exists' ? r.key : r.operator === 'DoesNotExist' ? `!${r.key}` : `${r.key} ${r.operator === 'In' ? 'in' : 'notin'} (${r.values.join(', ')})`;

function published(deps: DeployDeps, input: CatalogDeployInput) {
  let app: Application;
  try {
    app = deps.apps.get(input.appId);
  } catch (e) {
    // The catalog names its own field (id); here the user chose appId.
    if (e instanceof AppError) throw new AppError(e.code, e.text, { field: ['appId'], cause: e });
    throw e;
  }
  if (app.kind !== 'container') {
    throw new AppError(
      ConsoleErrors.CLUSTER_DEPLOY_NOT_CONTAINER,
      {
        en: `"${app.name}" is a light app: it runs as a service installed by a bundle, not as Kubernetes objects. Choose a container app.`,
        zh: `“${app.name}”是轻应用：它由安装包以系统服务方式安装，不是 Kubernetes 对象。请选择容器应用。`,
      },
      { field: ['appId'] },
    );
  }
  const v = app.versions.find((x) => x.version === input.version);
  if (!v || v.state !== 'published') {
    const list = app.versions.filter((x) => x.state === 'published').map((x) => x.version);
    const known = list.length ? list.join(', ') : '—';
    throw new AppError(
      ConsoleErrors.CLUSTER_DEPLOY_NOT_PUBLISHED,
      {
        en: `Version ${input.version} of "${app.name}" ${v ? 'is a draft' : 'does not exist'}: only a published version is deployed (published: ${known}).`,
        zh: `“${app.name}”的第 ${input.version} 版${v ? '是草稿' : '不存在'}：只能部署已发布的版本（已发布：${known}）。`,
      },
      { field: ['version'] },
    );
  }
  return { app, spec: v.spec as ContainerAppSpec };
}

/** The nodes the selector picks (each with whether it can run the app, and why not) and the manifests to apply. */
export async function deployPlan(client: KubeClient, deps: DeployDeps, input: CatalogDeployInput, signal?: AbortSignal): Promise<DeployPlan> {
  const { app, spec } = published(deps, input);
  const images = [...spec.initContainers, ...spec.containers].map((c) => deps.artifacts.get(c.imageArtifactId));
  const arches = [...new Set(images.filter((a) => a.platform).map((a) => goarch(a.platform!)))];
  const appLabel = `"${app.name}" ${input.version}`;

  const list = await client.call({ en: 'list nodes (list nodes)', zh: '列出节点（list nodes）' }, (o) => client.core.listNode({}, o), { signal });
  const nodes = list.items
    .filter((n) => input.selector.every((r) => requirementHolds(r, n.metadata?.labels ?? {})))
    .map((n) => fit(n, spec, arches, appLabel))
    .sort((a, b) => a.name.localeCompare(b.name));

  const requirements = input.selector.map((r) => ({ key: r.key, operator: r.operator, ...(r.values.length ? { values: r.values } : {}) }));
  if (arches.length === 1 && !input.selector.some((r) => r.key === ARCH_LABEL)) requirements.push({ key: ARCH_LABEL, operator: 'In', values: arches });
  const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: requirements }] } } };

  const objects = parseAllDocuments(deps.apps.render(input.appId, input.version, input.namespace).yaml).map((d) => d.toJS() as Record<string, unknown>);
  for (const o of objects) {
    if (['Deployment', 'DaemonSet', 'Job'].includes(String(o.kind))) {
      const template = (o.spec as { template: { spec: Record<string, unknown> } }).template;
      template.spec.affinity = affinity;
    }
  }
  // The namespace is made when missing; applying it again changes nothing.
  if (input.namespace !== 'default') objects.unshift({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: input.namespace } });
  return { nodes, yaml: objects.map((o) => stringify(o)).join('---\n') };
}

function fit(n: V1Node, spec: ContainerAppSpec, arches: string[], appLabel: string): DeployPlan['nodes'][number] {
  const name = n.metadata?.name ?? '';
  const labels = n.metadata?.labels ?? {};
  const arch = labels[ARCH_LABEL] ?? null;
  const ready = n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const out = (problem: LocalizedText | null) => ({ name, ready, arch, fits: problem === null, problem });
  if (arches.length > 0 && arch === null) {
    return out({
      en: `Node ${name} does not tell its CPU architecture (label ${ARCH_LABEL}), so it cannot be checked against ${appLabel} (${arches.join(', ')}).`,
      zh: `节点 ${name} 没有标明其 CPU 架构（标签 ${ARCH_LABEL}），无法与 ${appLabel}（${arches.join('、')}）比对。`,
    });
  }
  if (arches.some((a) => a !== arch)) {
    return out({
      en: `Node ${name} is ${arch}, but the images of ${appLabel} are ${arches.join(', ')}: an app whose CPU architecture does not match cannot be assigned to it.`,
      zh: `节点 ${name} 为 ${arch}，而 ${appLabel} 的镜像为 ${arches.join('、')}：CPU 架构不匹配的应用不能分配到该节点。`,
    });
  }
  const own = Object.entries(spec.nodeSelector).filter(([k, v]) => labels[k] !== v);
  if (own.length > 0) {
    const want = own.map(([k, v]) => `${k}=${v}`).join(', ');
    return out({
      en: `The app's own node selector (${want}) does not match node ${name}: its pods would not be scheduled there.`,
      zh: `应用自身的节点选择器（${want}）与节点 ${name} 不匹配：其 Pod 不会被调度到该节点。`,
    });
  }
  return out(null);
}

/** Applies the plan's manifests (server-side apply), refused when no selected node can run the app. */
export async function deploy(client: KubeClient, deps: DeployDeps, input: CatalogDeployInput, signal?: AbortSignal) {
  const plan = await deployPlan(client, deps, input, signal);
  if (!plan.nodes.some((n) => n.fits)) {
    const selector = input.selector.map(selectorText).join(', ');
    throw new AppError(
      ConsoleErrors.CLUSTER_DEPLOY_NO_NODE,
      plan.nodes.length === 0
        ? { en: `No node of the cluster matches ${selector}: there is nowhere to run the app.`, zh: `集群中没有节点匹配 ${selector}：应用无处运行。` }
        : {
            en: `${plan.nodes.length} node(s) match ${selector}, but none can run the app: ${plan.nodes.map((n) => n.problem!.en).join(' ')}`,
            zh: `有 ${plan.nodes.length} 个节点匹配 ${selector}，但都不能运行该应用：${plan.nodes.map((n) => n.problem!.zh).join(' ')}`,
          },
      { field: ['selector'] },
    );
  }
  return applyManifests(client, plan.yaml, { dryRun: false, force: false, signal });
}
