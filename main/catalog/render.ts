/**
 * Renders a container app version to Kubernetes manifests (k3s auto-deploys
 * them from its manifests directory): the workload (Deployment, DaemonSet or
 * Job), a ClusterIP Service for its ports, and ConfigMaps/Secrets for its
 * volumes. Every object is checked against the Kubernetes OpenAPI schemas
 * (kubernetes-models) before the YAML is written.
 *
 * Air-gapped: images come from the bundle, so imagePullPolicy is Never.
 * GPU shares use the reference's vendor resources, here edgeforge.io/vcuda-core
 * (compute %) and edgeforge.io/vcuda-memory (units of 256 MiB).
 */
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { stringify } from 'yaml';
import type { ContainerAppSpec } from '../api/contract';
import { AppError } from '../api/errors';

export interface RenderOptions {
  version: number;
  namespace: string;
  /** Image reference for each image artifact id. */
  imageRef: (artifactId: string) => string;
  replicas?: number | null;
  extraEnv?: { name: string; value: string }[];
}

interface Validatable {
  validate(): void;
  toJSON(): unknown;
}

export function renderContainerApp(spec: ContainerAppSpec, o: RenderOptions): { objects: unknown[]; yaml: string } {
  const labels = { 'app.kubernetes.io/name': spec.name, 'app.kubernetes.io/version': String(o.version), 'app.kubernetes.io/managed-by': 'edgeforge' };
  const selector = { 'app.kubernetes.io/name': spec.name };
  const meta = (name: string) => ({ name, namespace: o.namespace, labels });
  const volumeName = (v: string) => `${spec.name}-${v}`.slice(0, 63).replace(/-+$/, '');

  const container = (c: ContainerAppSpec['containers'][number]) => {
    const limits: Record<string, string> = {};
    const requests: Record<string, string> = {};
    if (c.resources.cpuMillicores) limits.cpu = requests.cpu = `${c.resources.cpuMillicores}m`;
    if (c.resources.memoryMiB) limits.memory = requests.memory = `${c.resources.memoryMiB}Mi`;
    if (c.gpu) {
      limits['edgeforge.io/vcuda-memory'] = String(c.gpu.memoryMiB / 256);
      limits['edgeforge.io/vcuda-core'] = String(c.gpu.computePercent);
    }
    return {
      name: c.name,
      image: o.imageRef(c.imageArtifactId),
      imagePullPolicy: 'Never' as const,
      ...(c.command.length ? { command: c.command } : {}),
      ...(c.args.length ? { args: c.args } : {}),
      ...(c.ports.length
        ? { ports: c.ports.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol, ...(p.hostPort ? { hostPort: p.hostPort } : {}) })) }
        : {}),
      env: [...c.env, ...(o.extraEnv ?? [])],
      volumeMounts: c.volumeMounts.map((m) => ({ name: m.volume, mountPath: m.mountPath, readOnly: m.readOnly })),
      ...(Object.keys(limits).length ? { resources: { limits, requests: Object.keys(requests).length ? requests : undefined } } : {}),
      ...(c.privileged ? { securityContext: { privileged: true } } : {}),
    };
  };

  const podSpec = {
    hostNetwork: spec.hostNetwork,
    ...(Object.keys(spec.nodeSelector).length ? { nodeSelector: spec.nodeSelector } : {}),
    ...(spec.initContainers.length ? { initContainers: spec.initContainers.map(container) } : {}),
    containers: spec.containers.map(container),
    volumes: spec.volumes.map((v) =>
      v.type === 'hostPath'
        ? { name: v.name, hostPath: { path: v.hostPath! } }
        : v.type === 'configMap'
          ? { name: v.name, configMap: { name: volumeName(v.name) } }
          : v.type === 'secret'
            ? { name: v.name, secret: { secretName: volumeName(v.name) } }
            : { name: v.name, emptyDir: {} },
    ),
  };
  const template = { metadata: { labels }, spec: spec.workload === 'Job' ? { ...podSpec, restartPolicy: 'Never' as const } : podSpec };

  const objects: Validatable[] = [];
  for (const v of spec.volumes) {
    if (v.type === 'configMap') objects.push(new ConfigMap({ metadata: meta(volumeName(v.name)), data: v.data }));
    if (v.type === 'secret') objects.push(new Secret({ metadata: meta(volumeName(v.name)), type: 'Opaque', stringData: v.data }));
  }
  if (spec.workload === 'Deployment') {
    objects.push(new Deployment({ metadata: meta(spec.name), spec: { replicas: o.replicas ?? spec.replicas, selector: { matchLabels: selector }, template } }));
  } else if (spec.workload === 'DaemonSet') {
    objects.push(new DaemonSet({ metadata: meta(spec.name), spec: { selector: { matchLabels: selector }, template } }));
  } else {
    // Reference (Jobs): completions 1, parallelism 1, 6 retries.
    objects.push(new Job({ metadata: meta(spec.name), spec: { completions: 1, parallelism: 1, backoffLimit: 6, template } }));
  }
  const ports = spec.containers.flatMap((c) => c.ports);
  if (ports.length && spec.workload !== 'Job') {
    objects.push(
      new Service({
        metadata: meta(spec.name),
        spec: {
          type: 'ClusterIP',
          selector,
          ports: ports.map((p) => ({
            name: `${p.protocol.toLowerCase()}-${p.containerPort}`,
            port: p.containerPort,
            targetPort: p.containerPort,
            protocol: p.protocol,
          })),
        },
      }),
    );
  }
  for (const obj of objects) {
    try {
      obj.validate();
    } catch (e) {
      throw new AppError('RENDER_INVALID', {
        en: `The rendered manifest for "${spec.name}" does not fit the Kubernetes schema: ${(e as Error).message.slice(0, 400)}`,
        zh: `为“${spec.name}”生成的清单不符合 Kubernetes 架构：${(e as Error).message.slice(0, 400)}`,
      });
    }
  }
  const json = objects.map((x) => JSON.parse(JSON.stringify(x.toJSON())) as unknown);
  return { objects: json, yaml: json.map((x) => stringify(x)).join('---\n') };
}
