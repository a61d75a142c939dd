/**
 * The resource types the stand-in serves, and their discovery documents
 * ("Resource URIs" and "Discovery API",
 * https://kubernetes.io/docs/reference/using-api/api-concepts/). Each row
 * says what kube-apiserver's APIResource says: name, kind, scope, verbs,
 * short names, subresources, and which field selectors it accepts.
 */

export interface Subresource {
  name: string;
  kind: string;
  verbs: string[];
  group?: string;
  version?: string;
}

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  /** Has a /status subresource. */
  status: boolean;
  /** metadata.generation moves when the spec changes. */
  generation?: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources?: Subresource[];
  /** Field selectors beyond metadata.name and metadata.namespace. */
  fields?: string[];
}

const SCALE: Subresource = { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };
const ALL = ['all'];

export const RESOURCES: ResourceType[] = [
  {
    group: '',
    version: 'v1',
    plural: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    namespaced: false,
    status: true,
    shortNames: ['ns'],
    fields: ['status.phase'],
  },
  {
    group: '',
    version: 'v1',
    plural: 'nodes',
    singular: 'node',
    kind: 'Node',
    namespaced: false,
    status: true,
    shortNames: ['no'],
    fields: ['spec.unschedulable'],
  },
  {
    group: '',
    version: 'v1',
    plural: 'pods',
    singular: 'pod',
    kind: 'Pod',
    namespaced: true,
    status: true,
    shortNames: ['po'],
    categories: ALL,
    subresources: [
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'log', kind: 'Pod', verbs: ['get'] },
    ],
    fields: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
  },
  {
    group: '',
    version: 'v1',
    plural: 'events',
    singular: 'event',
    kind: 'Event',
    namespaced: true,
    status: false,
    shortNames: ['ev'],
    fields: [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
  },
  { group: '', version: 'v1', plural: 'services', singular: 'service', kind: 'Service', namespaced: true, status: true, shortNames: ['svc'], categories: ALL },
  { group: '', version: 'v1', plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, status: false, shortNames: ['cm'] },
  { group: '', version: 'v1', plural: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true, status: false, fields: ['type'] },
  {
    group: 'apps',
    version: 'v1',
    plural: 'controllerrevisions',
    singular: 'controllerrevision',
    kind: 'ControllerRevision',
    namespaced: true,
    status: false,
  },
  {
    group: 'apps',
    version: 'v1',
    plural: 'daemonsets',
    singular: 'daemonset',
    kind: 'DaemonSet',
    namespaced: true,
    status: true,
    generation: true,
    shortNames: ['ds'],
    categories: ALL,
  },
  {
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    namespaced: true,
    status: true,
    generation: true,
    shortNames: ['deploy'],
    categories: ALL,
    subresources: [SCALE],
  },
  {
    group: 'apps',
    version: 'v1',
    plural: 'replicasets',
    singular: 'replicaset',
    kind: 'ReplicaSet',
    namespaced: true,
    status: true,
    generation: true,
    shortNames: ['rs'],
    categories: ALL,
    subresources: [SCALE],
  },
  {
    group: 'apps',
    version: 'v1',
    plural: 'statefulsets',
    singular: 'statefulset',
    kind: 'StatefulSet',
    namespaced: true,
    status: true,
    generation: true,
    shortNames: ['sts'],
    categories: ALL,
    subresources: [SCALE],
  },
  {
    group: 'batch',
    version: 'v1',
    plural: 'cronjobs',
    singular: 'cronjob',
    kind: 'CronJob',
    namespaced: true,
    status: true,
    generation: true,
    shortNames: ['cj'],
    categories: ALL,
  },
  {
    group: 'batch',
    version: 'v1',
    plural: 'jobs',
    singular: 'job',
    kind: 'Job',
    namespaced: true,
    status: true,
    generation: true,
    categories: ALL,
    fields: ['status.successful'],
  },
  {
    group: 'policy',
    version: 'v1',
    plural: 'poddisruptionbudgets',
    singular: 'poddisruptionbudget',
    kind: 'PodDisruptionBudget',
    namespaced: true,
    status: true,
    generation: true,
    shortNames: ['pdb'],
  },
];

export const apiVersionOf = (rt: ResourceType) => (rt.group ? `${rt.group}/${rt.version}` : rt.version);
export const typeKey = (rt: ResourceType) => `${rt.group}/${rt.version}/${rt.plural}`;

export function resourceType(plural: string, group?: string): ResourceType {
  const rt = RESOURCES.find((r) => r.plural === plural && (group === undefined || r.group === group));
  if (!rt) throw new Error(`kube stand-in: no resource type ${plural}`);
  return rt;
}

export const resourceByKind = (apiVersion: string | undefined, kind: string | undefined) =>
  RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** One group/version's APIResourceList entries: the resource, then its subresources in name order. */
export function apiResources(rts: ResourceType[]): Record<string, unknown>[] {
  return rts.flatMap((r) => {
    const subs: Subresource[] = [...(r.subresources ?? []), ...(r.status ? [{ name: 'status', kind: r.kind, verbs: ['get', 'patch', 'update'] }] : [])];
    subs.sort((a, b) => a.name.localeCompare(b.name));
    return [
      {
        name: r.plural,
        singularName: r.singular,
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: VERBS,
        ...(r.shortNames ? { shortNames: r.shortNames } : {}),
        ...(r.categories ? { categories: r.categories } : {}),
      },
      ...subs.map((s) => ({
        name: `${r.plural}/${s.name}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(s.group !== undefined ? { group: s.group, version: s.version } : {}),
        kind: s.kind,
        verbs: s.verbs,
      })),
    ];
  });
}
