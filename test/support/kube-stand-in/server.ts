/**
 * The HTTPS API and the plain registration listener of the stand-in; see
 * ../kube-stand-in.ts for what it implements and where it differs from
 * kube-apiserver.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import { parse as parseYaml } from 'yaml';
import { apply, recordUpdate } from './apply';
import { applyDefaults, Cluster, randomSuffix, RT } from './cluster';
import { negotiate, runExec } from './exec';
import { ContainerLogs } from './logs';
import { measuredContainers, METRICS_GROUP_VERSION, metricsDiscovery, nodeMetrics, podMetrics, sendMetricsUnavailable } from './metrics';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch';
import { kubeconfigYaml, makePki } from './pki';
import { apiResources, apiVersionOf, RESOURCES, typeKey, type ResourceType } from './resources';
import { fieldsMatch, formatLabelSelector, labelsMatch, parseFieldSelector, parseLabelSelector, selectorRequirements } from './selectors';
import { badRequest, notFound, StatusError } from './status';
import { Store, type StoreEvent } from './store';
import { isPlainObject, now, type KubeObject } from './types';

export const STAND_IN_K3S_VERSION = 'v1.30.2+k3s1';

export interface KubeStandInOptions {
  /** The k3s version the server reports (/version gitVersion) and registered nodes get as kubeletVersion. */
  version?: string;
  /** How long a registered node stays NotReady before its Ready condition turns True. Default 1500 ms. */
  readyAfterMs?: number;
  /** Events kept for watches that resume from a resourceVersion; older ones get 410 Gone. Default 1000. */
  historyLimit?: number;
  /** How often a watch with allowWatchBookmarks=true gets a BOOKMARK. Default 1000 ms (kube-apiserver: about a minute). */
  bookmarkIntervalMs?: number;
  /** How a watch from a compacted resourceVersion is refused. Default 'error-event', as kube-apiserver does. */
  expiredWatch?: 'error-event' | 'http-410';
  /** When set, the registration listener accepts only requests carrying this k3s token (plain or K10…::server:<token>). */
  joinToken?: string;
  /** Extra subject alternative names for the serving certificate (IP addresses or DNS names). */
  sans?: string[];
  /** Address both listeners bind to. Default 127.0.0.1. */
  host?: string;
  /** From a pod bound to a Ready node to Running. Default 300 ms. */
  podStartMs?: number;
  /** From a graceful delete (deletionTimestamp) to the pod gone. Default 200 ms. */
  podTerminationMs?: number;
  /** From a Job's pod Running to Succeeded. Default 500 ms. */
  jobRunMs?: number;
  /** When > 0, every running container writes a log line this often. Default 0 (off). */
  logEveryMs?: number;
  /** Serve metrics.k8s.io/v1beta1, as when metrics-server is installed; 'unavailable': registered but answering 503. Default false. */
  metricsServer?: MetricsServer;
}

/** metrics-server: installed, absent, or registered but not answering (its APIService not Available). */
export type MetricsServer = boolean | 'unavailable';

export interface StandInRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** 'cert' (client certificate), 'token', 'none', or 'registration' for the plain listener. */
  auth: 'cert' | 'token' | 'none' | 'registration';
  /** The HTTP status, once the headers are sent (0 before; 101 for an upgraded exec). */
  readonly status: number;
}

export interface SeedOptions {
  /** Ready nodes seed-node-0…, labelled edgeforge.io/seed=true and zone=z<i % 3>. */
  nodes?: number;
  /** Running pods seed-pod-0…, spread over the seeded nodes and namespaces. */
  pods?: number;
  /** Namespaces seed-ns-0…; default 1 when pods are seeded. */
  namespaces?: number;
  /** Containers per pod. Default 1. */
  containersPerPod?: number;
}

export interface Churn {
  stop(): void;
  /** MODIFIED events made so far. */
  readonly emitted: number;
}

export interface KubeStandIn {
  /** https://127.0.0.1:PORT, the API. */
  url: string;
  /** http://127.0.0.1:PORT2, the registration listener. */
  registrationUrl: string;
  /** The server CA (what a kubeconfig's certificate-authority-data holds). */
  caPem: string;
  /** The client CA, which issued clientCertPem. */
  clientCaPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  /** A bearer token the API accepts. */
  token: string;
  /** A kubeconfig like k3s's /etc/rancher/k3s/k3s.yaml, pointing at serverUrl (default: url). */
  kubeconfig(serverUrl?: string): string;
  /** The nodes as stored (copies). */
  nodes(): KubeObject[];
  /** Objects of a type (plural, e.g. 'pods', 'deployments'), copies, optionally of one namespace. */
  objects(plural: string, namespace?: string): KubeObject[];
  /** One object (a copy), or undefined. */
  object(plural: string, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Adds a node that is Ready at once (unless ready: false), as if its kubelet had registered long ago. */
  addNode(
    name: string,
    opts?: { labels?: Record<string, string>; taints?: { key: string; value?: string; effect: string }[]; ready?: boolean; address?: string },
  ): KubeObject;
  /** Sets a node's Ready condition (a MODIFIED event); cancels its pending readiness timer. */
  setNodeReady(name: string, ready: boolean, detail?: { reason?: string; message?: string }): void;
  /** A container "writes" log lines (one per line of text). */
  appendLog(namespace: string, pod: string, container: string, text: string): void;
  /** A container's log lines as kept (current instance, or the previous one). */
  logLines(namespace: string, pod: string, container: string, opts?: { previous?: boolean }): string[];
  /** How many followed log streams (follow=true) of a container are open: a client that hung up is no longer counted. */
  logFollowers(namespace: string, pod: string, container: string): number;
  /** A container restarts as after a crash: restartCount + 1, lastState.terminated, the log kept as its previous log. */
  restartContainer(namespace: string, pod: string, container: string, exit?: { exitCode?: number; reason?: string }): KubeObject;
  /** Runs a CronJob now, as its schedule would; null (nothing created) when it is suspended. */
  runCronJob(namespace: string, name: string): KubeObject | null;
  /** While held, a PodDisruptionBudget allows no disruption (disruptionsAllowed 0) whatever its numbers. */
  holdDisruptionBudget(namespace: string, name: string, hold: boolean): void;
  /** Installs or removes the metrics server: metrics.k8s.io in discovery and its paths, or 404; 'unavailable': listed, its paths 503. */
  setMetricsServer(on: MetricsServer): void;
  /** Creates nodes, namespaces and running pods in memory at once (no controller delays), for benchmarks. */
  seed(opts: SeedOptions): { nodes: string[]; namespaces: string[]; pods: number };
  /** A sustained rate of MODIFIED events: pods' (default) or nodes' annotation edits, round robin. */
  churn(opts: { eventsPerSecond: number; kind?: 'pods' | 'nodes' }): Churn;
  /** Ends every open watch: 'end' closes the stream cleanly, 'reset' destroys the connection. */
  dropWatches(how?: 'end' | 'reset'): void;
  /** Forgets the event history, so that a watch from any older resourceVersion gets 410 Gone. */
  compact(): void;
  /** Every request served so far, in order. */
  requests: StandInRequest[];
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// HTTP plumbing

const MAX_BODY = 3 << 20;

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new StatusError(413, 'RequestEntityTooLarge', 'the request body is larger than 3 MiB');
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`the body of the request is not valid JSON: ${(e as Error).message}`);
  }
}

function parseJsonBody(text: string): Record<string, unknown> {
  const v = parseJson(text);
  if (!isPlainObject(v)) throw badRequest('the body of the request is not a JSON object');
  return v;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

const sendStatus = (res: ServerResponse, e: StatusError) => sendJson(res, e.code, e.toStatus());

interface Route {
  rt: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** /api/v1/[namespaces/NS/]PLURAL[/NAME[/SUB]] and /apis/GROUP/VERSION/… ("Resource URIs"). */
function route(pathname: string): Route | null {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) [group, version, rest] = ['', parts[1]!, parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 4) [group, version, rest] = [parts[1]!, parts[2]!, parts.slice(3)];
  else return null;
  const find = (plural: string | undefined) => RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const rt = find(rest[2]);
    if (rt?.namespaced && rest.length <= 5)
      return { rt, namespace: rest[1]!, ...(rest[3] ? { name: rest[3] } : {}), ...(rest[4] ? { subresource: rest[4] } : {}) };
  }
  const rt = find(rest[0]);
  if (!rt || rest.length > 3) return null;
  return { rt, ...(rest[1] ? { name: rest[1] } : {}), ...(rest[2] ? { subresource: rest[2] } : {}) };
}

/**
 * The conditions a kubelet reports (https://kubernetes.io/docs/reference/node/node-status/#condition):
 * no pressure, and Ready as asked. lastTransitionTime moves only when a status changes.
 */
function nodeConditions(ready: boolean, detail: { reason?: string; message?: string } = {}, previous: unknown = []): Record<string, string>[] {
  const t = now();
  const before = (Array.isArray(previous) ? previous : []) as Record<string, string>[];
  const condition = (type: string, status: string, reason: string, message: string) => {
    const old = before.find((c) => c.type === type);
    return {
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: t,
      lastTransitionTime: old?.status === status && old.lastTransitionTime ? old.lastTransitionTime : t,
    };
  };
  return [
    condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    condition(
      'Ready',
      ready ? 'True' : 'False',
      detail.reason ?? (ready ? 'KubeletReady' : 'KubeletNotReady'),
      detail.message ??
        (ready
          ? 'kubelet is posting ready status'
          : 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized'),
    ),
  ];
}

/** The manager of a non-apply write without ?fieldManager: the User-Agent up to its first '/', as kube-apiserver derives it. */
function managerFrom(req: IncomingMessage, q: URLSearchParams): string {
  const given = q.get('fieldManager');
  if (given) return given;
  const ua = req.headers['user-agent'] ?? '';
  return ua.split('/')[0]!.trim() || 'unknown';
}

// ---------------------------------------------------------------------------

export async function startKubeStandIn(opts: KubeStandInOptions = {}): Promise<KubeStandIn> {
  const version = opts.version ?? STAND_IN_K3S_VERSION;
  const readyAfterMs = opts.readyAfterMs ?? 1500;
  const bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 1000;
  const host = opts.host ?? '127.0.0.1';
  const pki = await makePki(opts.sans ?? []);
  const token = randomBytes(24).toString('hex');
  const store = new Store(opts.historyLimit ?? 1000);
  const logs = new ContainerLogs();
  const cluster = new Cluster(
    store,
    { podStartMs: opts.podStartMs ?? 300, podTerminationMs: opts.podTerminationMs ?? 200, jobRunMs: opts.jobRunMs ?? 500, logEveryMs: opts.logEveryMs ?? 0 },
    logs,
  );
  let metricsOn = opts.metricsServer ?? false;
  const requests: StandInRequest[] = [];
  /** Open watch streams, each with what stops it. */
  const watches = new Map<ServerResponse, () => void>();
  const readinessTimers = new Map<string, NodeJS.Timeout>();
  const otherTimers = new Set<NodeJS.Timeout>();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-stand-in-pods-'));
  const execProcesses = new Set<number>();
  const nodes = RT.nodes;
  let url = '';

  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    const ns: KubeObject = { metadata: { name } };
    applyDefaults(RT.namespaces, ns, true);
    store.create(RT.namespaces, ns);
  }
  store.create(RT.services, {
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      clusterIP: '10.43.0.1',
      clusterIPs: ['10.43.0.1'],
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
    },
    status: { loadBalancer: {} },
  });

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      otherTimers.delete(t);
      fn();
    }, ms);
    otherTimers.add(t);
  };

  // -- verbs ------------------------------------------------------------------

  function selection(r: Route, q: URLSearchParams) {
    const labels = parseLabelSelector(q.get('labelSelector') ?? '');
    const fields = parseFieldSelector(q.get('fieldSelector') ?? '', r.rt.fields ?? []);
    return (o: KubeObject | undefined) =>
      !!o && (r.namespace === undefined || o.metadata.namespace === r.namespace) && labelsMatch(labels, o.metadata.labels) && fieldsMatch(fields, o);
  }

  function list(r: Route, q: URLSearchParams): KubeObject[] {
    const matches = selection(r, q);
    return store.list(r.rt, r.namespace).filter(matches);
  }

  function watch(req: IncomingMessage, res: ServerResponse, r: Route, q: URLSearchParams): void {
    const matches = selection(r, q);
    const rvParam = q.get('resourceVersion') ?? '';
    let backlog: { type: string; object: unknown }[];
    if (rvParam === '' || rvParam === '0') {
      // "Get State and Start at Most Recent" / "at Any": synthetic ADDED events for what exists now.
      backlog = store
        .list(r.rt, r.namespace)
        .filter(matches)
        .map((o) => ({ type: 'ADDED', object: o }));
    } else {
      const n = Number(rvParam);
      if (!/^\d+$/.test(rvParam)) throw badRequest(`invalid resource version: ${rvParam}`);
      const events = store.since(n);
      if (!events) {
        const gone = new StatusError(410, 'Expired', `too old resource version: ${n} (${store.oldestKeptRv})`);
        if (opts.expiredWatch === 'http-410') throw gone;
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        res.end(`${JSON.stringify({ type: 'ERROR', object: gone.toStatus() })}\n`);
        return;
      }
      backlog = events.flatMap((e) => (e.typeKey === typeKey(r.rt) ? translate(e) : []));
    }

    // An object entering the selection is ADDED, one leaving it DELETED with its previous content (the watch cache's rule).
    function translate(e: StoreEvent): { type: string; object: unknown }[] {
      const isNow = e.type !== 'DELETED' && matches(e.object);
      const before = e.type === 'DELETED' || e.type === 'MODIFIED' ? matches(e.previous) : false;
      if (e.type === 'ADDED') return isNow ? [{ type: 'ADDED', object: e.object }] : [];
      if (e.type === 'DELETED') return before ? [{ type: 'DELETED', object: e.object }] : [];
      if (isNow && before) return [{ type: 'MODIFIED', object: e.object }];
      if (isNow) return [{ type: 'ADDED', object: e.object }];
      if (before) return [{ type: 'DELETED', object: { ...e.previous!, metadata: { ...e.previous!.metadata, resourceVersion: String(e.rv) } } }];
      return [];
    }

    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    // Headers go out at once, as kube-apiserver sends them: a client waits for them before it reads events.
    res.flushHeaders();
    const send = (ev: { type: string; object: unknown }) => {
      if (!res.writableEnded) res.write(`${JSON.stringify(ev)}\n`);
    };
    backlog.forEach(send);
    const listener = (e: StoreEvent) => {
      if (e.typeKey === typeKey(r.rt)) translate(e).forEach(send);
    };
    store.listeners.add(listener);
    const timers: NodeJS.Timeout[] = [];
    if (q.get('allowWatchBookmarks') === 'true') {
      timers.push(
        setInterval(
          () =>
            send({
              type: 'BOOKMARK',
              object: { kind: r.rt.kind, apiVersion: apiVersionOf(r.rt), metadata: { resourceVersion: String(store.resourceVersion) } },
            }),
          bookmarkIntervalMs,
        ),
      );
    }
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? 0);
    if (timeoutSeconds > 0) timers.push(setTimeout(() => res.end(), timeoutSeconds * 1000));
    const cleanup = () => {
      store.listeners.delete(listener);
      watches.delete(res);
      timers.forEach(clearTimeout);
    };
    watches.set(res, cleanup);
    res.on('close', cleanup);
    req.on('close', cleanup);
  }

  function dryRunOf(q: URLSearchParams): boolean {
    const v = q.getAll('dryRun');
    if (v.length === 0) return false;
    for (const x of v) if (x !== 'All') throw badRequest(`dryRun: Unsupported value: "${x}": supported values: "All"`);
    return true;
  }

  function checkNamespace(r: Route): void {
    if (!r.rt.namespaced || !r.namespace) return;
    const ns = store.peek(RT.namespaces, undefined, r.namespace);
    if (!ns) throw notFound('namespaces', r.namespace);
    if (ns.status?.phase === 'Terminating')
      throw new StatusError(
        403,
        'Forbidden',
        `${r.rt.plural} is forbidden: unable to create new content in namespace ${r.namespace} because it is being terminated`,
        {
          name: r.namespace,
          kind: r.rt.plural,
          causes: [{ reason: 'NamespaceTerminating', message: `namespace ${r.namespace} is being terminated`, field: 'metadata.namespace' }],
        },
      );
  }

  function validName(r: Route, name: string): void {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
      throw new StatusError(
        422,
        'Invalid',
        `${r.rt.kind} "${name}" is invalid: metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
        { name, kind: r.rt.kind, causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value', field: 'metadata.name' }] },
      );
    }
  }

  /** Status on create: kept for nodes (the kubelet registers with it), reset as each strategy's PrepareForCreate does otherwise. */
  function createStatus(rt: ResourceType, o: KubeObject): void {
    if (rt.plural === 'nodes' || !rt.status) return;
    if (['pods', 'namespaces', 'services'].includes(rt.plural)) return; // set by applyDefaults
    delete o.status;
    if (['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs', 'poddisruptionbudgets'].includes(rt.plural)) o.status = {};
  }

  function create(req: IncomingMessage, r: Route, body: Record<string, unknown>, q: URLSearchParams): KubeObject {
    if (body.kind !== undefined && body.kind !== r.rt.kind) throw badRequest(`the kind of the object (${String(body.kind)}) does not match ${r.rt.kind}`);
    const meta = isPlainObject(body.metadata) ? body.metadata : {};
    let name = typeof meta.name === 'string' ? meta.name : '';
    if (!name && typeof meta.generateName === 'string') name = `${meta.generateName}${randomSuffix()}`;
    if (!name) {
      throw new StatusError(422, 'Invalid', `${r.rt.kind} "" is invalid: metadata.name: Required value: name or generateName is required`, { kind: r.rt.kind });
    }
    validName(r, name);
    if (r.namespace && typeof meta.namespace === 'string' && meta.namespace !== r.namespace)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    checkNamespace(r);
    const { resourceVersion: _rv, uid: _uid, managedFields: _mf, creationTimestamp: _ct, deletionTimestamp: _dt, generation: _g, ...rest } = meta;
    const obj = { ...body, metadata: { ...rest, name, ...(r.namespace ? { namespace: r.namespace } : {}) } } as KubeObject;
    createStatus(r.rt, obj);
    applyDefaults(r.rt, obj, true);
    const tracked = recordUpdate(undefined, obj, { manager: managerFrom(req, q), apiVersion: apiVersionOf(r.rt), time: now() });
    if (dryRunOf(q)) return store.prepare(r.rt, tracked);
    return store.create(r.rt, tracked);
  }

  function checkResourceVersion(r: Route, current: KubeObject, wanted: unknown): void {
    if (typeof wanted === 'string' && wanted && wanted !== current.metadata.resourceVersion) {
      throw new StatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${r.rt.plural}${r.rt.group ? `.${r.rt.group}` : ''} "${current.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name: current.metadata.name, ...(r.rt.group ? { group: r.rt.group } : {}), kind: r.rt.plural },
      );
    }
  }

  /** The main resource keeps the stored status; /status keeps everything but status ("Subresources"); the server's metadata stays. */
  function confine(r: Route, current: KubeObject, next: KubeObject): KubeObject {
    const keep = {
      name: current.metadata.name,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      ...(current.metadata.namespace ? { namespace: current.metadata.namespace } : {}),
      ...(current.metadata.deletionTimestamp ? { deletionTimestamp: current.metadata.deletionTimestamp } : {}),
      ...(current.metadata.deletionGracePeriodSeconds !== undefined ? { deletionGracePeriodSeconds: current.metadata.deletionGracePeriodSeconds } : {}),
    };
    if (r.subresource === 'status') return { ...current, status: next.status };
    const out: KubeObject = { ...next, metadata: { ...next.metadata, ...keep } };
    if (!out.metadata.deletionTimestamp) delete out.metadata.deletionTimestamp;
    if (r.rt.status) {
      if (current.status === undefined) delete out.status;
      else out.status = current.status;
    }
    return out;
  }

  /** Stores a write (or, for a dry run, only settles it): defaults, managed fields for `manager`, then the store. */
  function write(req: IncomingMessage, r: Route, current: KubeObject, next: KubeObject, q: URLSearchParams, trackedAlready = false): KubeObject {
    const out = confine(r, current, next);
    if (r.subresource !== 'status') applyDefaults(r.rt, out, false);
    const tracked = trackedAlready
      ? { ...out, metadata: { ...out.metadata, managedFields: next.metadata.managedFields } }
      : recordUpdate(current, out, {
          manager: managerFrom(req, q),
          apiVersion: apiVersionOf(r.rt),
          time: now(),
          ...(r.subresource === 'status' ? { subresource: 'status' } : {}),
        });
    if (dryRunOf(q)) return store.settle(r.rt, tracked, current);
    return store.replace(r.rt, tracked);
  }

  function patch(req: IncomingMessage, r: Route, text: string, q: URLSearchParams): { code: number; object: KubeObject } {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    const current = store.get(r.rt, r.namespace, r.name!);
    if (type === 'application/apply-patch+yaml') return applyPatch(req, r, text, q, current);
    if (!current) throw notFound(r.rt.plural, r.name!, r.rt.group);
    let next: unknown;
    if (type === 'application/json-patch+json') {
      next = jsonPatch(current, parseJson(text));
      if (!isPlainObject(next)) throw badRequest('the patch made the object something other than a JSON object');
    } else {
      const body = parseJsonBody(text);
      if (type === 'application/merge-patch+json') next = mergePatch(current, body);
      else if (type === 'application/strategic-merge-patch+json') next = strategicMergePatch(current, body);
      else {
        throw new StatusError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
        );
      }
      checkResourceVersion(r, current, isPlainObject(body.metadata) ? body.metadata.resourceVersion : undefined);
    }
    return { code: 200, object: write(req, r, current, next as KubeObject, q) };
  }

  /** Server-side apply ("Server-Side Apply", PATCH with application/apply-patch+yaml). */
  function applyPatch(req: IncomingMessage, r: Route, text: string, q: URLSearchParams, current: KubeObject | undefined): { code: number; object: KubeObject } {
    const manager = q.get('fieldManager') ?? '';
    if (!manager)
      throw new StatusError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', {
        group: 'meta.k8s.io',
        kind: 'PatchOptions',
        causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }],
      });
    let body: unknown;
    try {
      body = parseYaml(text);
    } catch (e) {
      throw badRequest(`error decoding YAML: ${(e as Error).message}`);
    }
    if (!isPlainObject(body)) throw badRequest('error decoding YAML: the applied configuration is not an object');
    const applied = body as KubeObject;
    if (!applied.apiVersion || !applied.kind) throw badRequest(`Object 'Kind' is missing in '${text.slice(0, 200)}'`);
    if (applied.kind !== r.rt.kind || applied.apiVersion !== apiVersionOf(r.rt))
      throw badRequest(`the kind of the object (${applied.apiVersion}, Kind=${applied.kind}) does not match ${apiVersionOf(r.rt)}, Kind=${r.rt.kind}`);
    applied.metadata = isPlainObject(applied.metadata) ? applied.metadata : ({} as KubeObject['metadata']);
    if (applied.metadata.name !== undefined && applied.metadata.name !== r.name)
      throw badRequest(`the name of the object (${String(applied.metadata.name)}) does not match the name on the URL (${r.name})`);
    const force = q.get('force') === 'true';
    const actor = { manager, apiVersion: apiVersionOf(r.rt), time: now(), ...(r.subresource === 'status' ? { subresource: 'status' } : {}) };
    if (!current) {
      if (r.subresource) throw notFound(r.rt.plural, r.name!, r.rt.group);
      checkNamespace(r);
      validName(r, r.name!);
      const created = apply(undefined, { ...applied, metadata: { ...applied.metadata, name: r.name! } }, actor, force);
      const { resourceVersion: _rv, uid: _uid, ...meta } = created.metadata;
      const obj = { ...created, metadata: { ...meta, name: r.name!, ...(r.namespace ? { namespace: r.namespace } : {}) } } as KubeObject;
      createStatus(r.rt, obj);
      applyDefaults(r.rt, obj, true);
      return { code: 201, object: dryRunOf(q) ? store.prepare(r.rt, obj) : store.create(r.rt, obj) };
    }
    checkResourceVersion(r, current, applied.metadata.resourceVersion);
    const merged = apply(current, applied, actor, force);
    return { code: 200, object: write(req, r, current, merged, q, true) };
  }

  function update(req: IncomingMessage, r: Route, body: Record<string, unknown>, q: URLSearchParams): KubeObject {
    const current = store.get(r.rt, r.namespace, r.name!);
    if (!current) throw notFound(r.rt.plural, r.name!, r.rt.group);
    const meta = isPlainObject(body.metadata) ? body.metadata : {};
    if (meta.name !== undefined && meta.name !== r.name)
      throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${r.name})`);
    checkResourceVersion(r, current, meta.resourceVersion);
    const { managedFields: _mf, ...restMeta } = meta;
    return write(req, r, current, { ...body, metadata: { ...restMeta, name: r.name!, managedFields: current.metadata.managedFields } } as KubeObject, q);
  }

  function deleteStatus(rt: ResourceType, o: KubeObject) {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: o.metadata.name, ...(rt.group ? { group: rt.group } : {}), kind: rt.plural, uid: o.metadata.uid },
    };
  }

  async function remove(req: IncomingMessage, r: Route, q: URLSearchParams): Promise<{ code: number; body: unknown }> {
    const text = await readBody(req);
    const options = text.trim() ? parseJsonBody(text) : {};
    const graceQ = q.get('gracePeriodSeconds');
    const grace = graceQ !== null ? Number(graceQ) : typeof options.gracePeriodSeconds === 'number' ? options.gracePeriodSeconds : undefined;
    const current = store.get(r.rt, r.namespace, r.name!);
    if (!current) throw notFound(r.rt.plural, r.name!, r.rt.group);
    if (dryRunOf(q)) return { code: 200, body: current };
    return { code: 200, body: deleteOne(r.rt, current, grace) };
  }

  function deleteOne(rt: ResourceType, current: KubeObject, grace?: number): unknown {
    const { namespace, name } = current.metadata;
    if (rt === RT.pods) return cluster.deletePod(namespace!, name, grace);
    if (rt === RT.namespaces) return deleteNamespace(current);
    if (rt === nodes) {
      clearTimeout(readinessTimers.get(name));
      readinessTimers.delete(name);
    }
    return deleteStatus(rt, store.delete(rt, namespace, name));
  }

  /** Namespace deletion: Terminating at once, its content deleted, the namespace gone when it is empty. */
  function deleteNamespace(ns: KubeObject): KubeObject {
    const name = ns.metadata.name;
    if (ns.status?.phase === 'Terminating') return ns;
    const out = store.replace(RT.namespaces, { ...ns, metadata: { ...ns.metadata, deletionTimestamp: now() }, status: { phase: 'Terminating' } });
    for (const rt of RESOURCES.filter((x) => x.namespaced)) {
      for (const o of store.peekAll(rt, name)) {
        if (rt === RT.pods) cluster.deletePod(name, o.metadata.name, 0);
        else if (store.peek(rt, name, o.metadata.name)) store.delete(rt, name, o.metadata.name);
      }
    }
    later(50, () => {
      if (store.peek(RT.namespaces, undefined, name)) store.delete(RT.namespaces, undefined, name);
    });
    return out;
  }

  // -- subresources --

  const SCALABLE = new Set(['deployments', 'replicasets', 'statefulsets']);

  /** autoscaling/v1 Scale of a workload (https://kubernetes.io/docs/reference/kubernetes-api/autoscaling/scale-v1/... as served by …/scale). */
  function scaleOf(o: KubeObject) {
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: o.metadata.name,
        namespace: o.metadata.namespace,
        uid: o.metadata.uid,
        resourceVersion: o.metadata.resourceVersion,
        creationTimestamp: o.metadata.creationTimestamp,
      },
      spec: { replicas: Number(o.spec?.replicas ?? 0) },
      status: { replicas: Number(o.status?.replicas ?? 0), selector: formatLabelSelector(o.spec?.selector) },
    };
  }

  async function scale(req: IncomingMessage, r: Route, q: URLSearchParams): Promise<unknown> {
    const current = store.get(r.rt, r.namespace, r.name!);
    if (!current) throw notFound(r.rt.plural, r.name!, r.rt.group);
    const method = req.method ?? 'GET';
    if (method === 'GET') return scaleOf(current);
    const text = await readBody(req);
    let wanted: Record<string, unknown>;
    if (method === 'PUT') wanted = parseJsonBody(text);
    else if (method === 'PATCH') {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      const base = scaleOf(current);
      if (type === 'application/json-patch+json') wanted = jsonPatch(base, parseJson(text)) as Record<string, unknown>;
      else if (type === 'application/merge-patch+json') wanted = mergePatch(base, parseJsonBody(text)) as Record<string, unknown>;
      else if (type === 'application/strategic-merge-patch+json') wanted = strategicMergePatch(base, parseJsonBody(text)) as Record<string, unknown>;
      else
        throw new StatusError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
        );
    } else throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    const meta = isPlainObject(wanted.metadata) ? wanted.metadata : {};
    checkResourceVersion(r, current, meta.resourceVersion);
    const replicas = (wanted.spec as { replicas?: unknown } | undefined)?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
      throw new StatusError(
        422,
        'Invalid',
        `Scale.autoscaling "${r.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
        {
          name: r.name,
          group: 'autoscaling',
          kind: 'Scale',
        },
      );
    const next = structuredClone(current);
    next.spec = { ...next.spec, replicas };
    const stored = write(req, { ...r, subresource: undefined }, current, next, q);
    return scaleOf(stored);
  }

  async function evict(req: IncomingMessage, r: Route, q: URLSearchParams): Promise<unknown> {
    const body = parseJsonBody(await readBody(req));
    const pod = store.get(RT.pods, r.namespace, r.name!);
    if (!pod) throw notFound('pods', r.name!);
    const meta = isPlainObject(body.metadata) ? body.metadata : {};
    if (meta.name !== undefined && meta.name !== r.name) throw badRequest('name in URL does not match name in Eviction object');
    const deleteOptions = isPlainObject(body.deleteOptions) ? body.deleteOptions : {};
    const grace = typeof deleteOptions.gracePeriodSeconds === 'number' ? deleteOptions.gracePeriodSeconds : undefined;
    const success = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
    const dryRun = dryRunOf(q);
    if (pod.metadata.deletionTimestamp) return success;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending') {
      if (!dryRun) cluster.deletePod(r.namespace!, r.name!, grace);
      return success;
    }
    const pdbs = store.peekAll(RT.pdbs, r.namespace).filter((b) => b.spec?.selector && labelsMatch(selectorRequirements(b.spec.selector), pod.metadata.labels));
    if (pdbs.length > 1)
      throw new StatusError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    if (pdbs.length === 1) {
      const pdb = store.get(RT.pdbs, r.namespace, pdbs[0]!.metadata.name)!;
      const st = cluster.computeBudget(pdb) as {
        disruptionsAllowed: number;
        desiredHealthy: number;
        currentHealthy: number;
        disruptedPods?: Record<string, string>;
      };
      if (st.disruptionsAllowed <= 0) {
        throw new StatusError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
          causes: [
            {
              reason: 'DisruptionBudget',
              message: `The disruption budget ${pdb.metadata.name} needs ${st.desiredHealthy} healthy pods and has ${st.currentHealthy} currently`,
            },
          ],
        });
      }
      if (dryRun) return success;
      store.replace(RT.pdbs, {
        ...pdb,
        status: { ...st, disruptionsAllowed: st.disruptionsAllowed - 1, disruptedPods: { ...st.disruptedPods, [r.name!]: now() } },
      });
    }
    if (dryRun) return success;
    // DisruptionTarget, as the eviction API marks a pod it is about to delete (pod disruption conditions).
    const marked = structuredClone(store.peek(RT.pods, r.namespace, r.name!)!) as KubeObject;
    marked.status.conditions = [
      ...(marked.status.conditions ?? []).filter((c: { type: string }) => c.type !== 'DisruptionTarget'),
      {
        type: 'DisruptionTarget',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: now(),
        reason: 'EvictionByEvictionAPI',
        message: 'Eviction API: evicting',
      },
    ];
    store.replace(RT.pods, marked);
    cluster.deletePod(r.namespace!, r.name!, grace);
    return success;
  }

  function podWorkDir(pod: KubeObject): string {
    const dir = path.join(workDir, `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid!.slice(0, 8)}`);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** What exec and attach check before the upgrade: the pod, its phase, the container. */
  function execTarget(r: Route, q: URLSearchParams): { pod: KubeObject; container: string } {
    const pod = store.get(RT.pods, r.namespace, r.name!);
    if (!pod) throw notFound('pods', r.name!);
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') throw badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`);
    const containers: { name: string }[] = pod.spec?.containers ?? [];
    let container = q.get('container') ?? '';
    if (!container) {
      if (containers.length !== 1) {
        const init: { name: string }[] = pod.spec?.initContainers ?? [];
        let msg = `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${containers.map((c) => c.name).join(' ')}]`;
        if (init.length) msg += ` or one of the init containers: [${init.map((c) => c.name).join(' ')}]`;
        throw badRequest(msg);
      }
      container = containers[0]!.name;
    }
    if (!containers.some((c) => c.name === container)) throw badRequest(`container ${container} is not valid for pod ${pod.metadata.name}`);
    const status = (pod.status?.containerStatuses ?? []).find((s: { name: string }) => s.name === container);
    if (!status?.state?.running) throw badRequest(`unable to upgrade connection: container not found ("${container}")`);
    return { pod, container };
  }

  // -- metrics.k8s.io --

  function metrics(pathname: string): unknown | undefined {
    const m = /^\/apis\/metrics\.k8s\.io\/v1beta1(?:\/namespaces\/([^/]+))?\/(nodes|pods)(?:\/([^/]+))?$/.exec(pathname);
    if (!m) return undefined;
    const [, namespace, kind, name] = m;
    if (kind === 'nodes') {
      if (namespace) return undefined;
      const ready = store
        .list(nodes)
        .filter((n) => (n.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'));
      if (name) {
        const n = ready.find((x) => x.metadata.name === name);
        if (!n) throw notFound('nodes', name, 'metrics.k8s.io');
        return { kind: 'NodeMetrics', apiVersion: METRICS_GROUP_VERSION, ...nodeMetrics(n) };
      }
      return { kind: 'NodeMetricsList', apiVersion: METRICS_GROUP_VERSION, metadata: {}, items: ready.map(nodeMetrics) };
    }
    const running = store.list(RT.pods, namespace).filter((p) => p.status?.phase === 'Running' && measuredContainers(p).length > 0);
    if (name) {
      const p = running.find((x) => x.metadata.name === name);
      if (!p) throw notFound('pods', name, 'metrics.k8s.io');
      return { kind: 'PodMetrics', apiVersion: METRICS_GROUP_VERSION, ...podMetrics(p) };
    }
    return { kind: 'PodMetricsList', apiVersion: METRICS_GROUP_VERSION, metadata: {}, items: running.map(podMetrics) };
  }

  // -- the API listener ---------------------------------------------------------

  /** Logs a request; its status reads 0 until the headers are out (a watch's as soon as it streams). */
  function requestRecord(req: IncomingMessage, res: ServerResponse | { status: number }, u: URL, auth: StandInRequest['auth']): StandInRequest {
    const record: StandInRequest = {
      method: req.method ?? 'GET',
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      auth,
      get status() {
        if ('status' in res) return res.status;
        return res.headersSent ? res.statusCode : 0;
      },
    };
    requests.push(record);
    return record;
  }

  function authenticate(req: IncomingMessage): StandInRequest['auth'] {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate?.();
    if (peer && Object.keys(peer).length > 0 && socket.authorized) return 'cert';
    const auth = req.headers.authorization ?? '';
    if (auth === `Bearer ${token}`) return 'token';
    return 'none';
  }

  function groupVersions(): { group: string; version: string }[] {
    const out: { group: string; version: string }[] = [];
    for (const r of RESOURCES) if (r.group && !out.some((g) => g.group === r.group)) out.push({ group: r.group, version: r.version });
    if (metricsOn) out.push({ group: 'metrics.k8s.io', version: 'v1beta1' });
    return out;
  }

  const apiGroup = (g: { group: string; version: string }) => ({
    name: g.group,
    versions: [{ groupVersion: `${g.group}/${g.version}`, version: g.version }],
    preferredVersion: { groupVersion: `${g.group}/${g.version}`, version: g.version },
  });

  function discovery(pathname: string): unknown | undefined {
    if (pathname === '/version') {
      const m = /^v(\d+)\.(\d+)/.exec(version);
      return {
        major: m?.[1] ?? '1',
        minor: m?.[2] ?? '30',
        gitVersion: version,
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2024-06-25T00:00:00Z',
        goVersion: 'go1.22.4',
        compiler: 'gc',
        platform: 'linux/amd64',
      };
    }
    if (pathname === '/api') {
      return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: new URL(url).host }] };
    }
    if (pathname === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupVersions().map(apiGroup) };
    const g = /^\/apis\/([^/]+)$/.exec(pathname);
    if (g) {
      const found = groupVersions().find((x) => x.group === g[1]);
      return found ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(found) } : undefined;
    }
    if (pathname === `/apis/${METRICS_GROUP_VERSION}`) return metricsOn ? metricsDiscovery() : undefined;
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(pathname);
    if (m) {
      const [group, v] = m[1] ? ['', m[1]] : [m[2]!, m[3]!];
      const rts = RESOURCES.filter((r) => r.group === group && r.version === v);
      if (rts.length === 0) return undefined;
      return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${v}` : v, resources: apiResources(rts) };
    }
    return undefined;
  }

  const NOT_FOUND = () => new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});

  async function handleApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'https://stand-in');
    const q = u.searchParams;
    const record = requestRecord(req, res, u, authenticate(req));
    try {
      if (record.auth === 'none') throw new StatusError(401, 'Unauthorized', 'Unauthorized');
      if (metricsOn === 'unavailable' && u.pathname.startsWith('/apis/metrics.k8s.io/')) return sendMetricsUnavailable(res);
      const method = req.method ?? 'GET';
      const info = method === 'GET' ? discovery(u.pathname) : undefined;
      if (info !== undefined) return sendJson(res, 200, info);
      if (u.pathname.startsWith('/apis/metrics.k8s.io/')) {
        const out = metricsOn && method === 'GET' ? metrics(u.pathname) : undefined;
        if (out === undefined) throw NOT_FOUND();
        return sendJson(res, 200, out);
      }
      const r = route(u.pathname);
      const subs = new Set([...(r?.rt.subresources ?? []).map((s) => s.name), ...(r?.rt.status ? ['status'] : [])]);
      if (!r || (r.subresource && !subs.has(r.subresource))) throw NOT_FOUND();
      const isWatch = q.get('watch') === '1' || q.get('watch') === 'true';
      if (!r.name) {
        if (method === 'GET' && isWatch) return watch(req, res, r, q);
        if (method === 'GET') {
          const items = list(r, q).map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
          return sendJson(res, 200, {
            kind: `${r.rt.kind}List`,
            apiVersion: apiVersionOf(r.rt),
            metadata: { resourceVersion: String(store.resourceVersion) },
            items,
          });
        }
        if (method === 'POST') return sendJson(res, 201, create(req, r, parseJsonBody(await readBody(req)), q));
        if (method === 'DELETE') {
          const gone = list(r, q);
          if (!dryRunOf(q)) for (const o of gone) if (store.peek(r.rt, o.metadata.namespace, o.metadata.name)) deleteOne(r.rt, o);
          return sendJson(res, 200, {
            kind: `${r.rt.kind}List`,
            apiVersion: apiVersionOf(r.rt),
            metadata: { resourceVersion: String(store.resourceVersion) },
            items: gone.map(({ apiVersion: _a, kind: _k, ...rest }) => rest),
          });
        }
      } else if (r.subresource === 'log') {
        if (method !== 'GET') throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        const pod = store.get(RT.pods, r.namespace, r.name);
        if (!pod) throw notFound('pods', r.name);
        return logs.serve(req, res, pod, q);
      } else if (r.subresource === 'exec') {
        execTarget(r, q);
        throw badRequest('Upgrade request required');
      } else if (r.subresource === 'eviction') {
        if (method !== 'POST') throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        return sendJson(res, 201, await evict(req, r, q));
      } else if (r.subresource === 'scale') {
        if (!SCALABLE.has(r.rt.plural)) throw NOT_FOUND();
        return sendJson(res, 200, await scale(req, r, q));
      } else {
        if (method === 'GET') {
          const o = store.get(r.rt, r.namespace, r.name);
          if (!o) throw notFound(r.rt.plural, r.name, r.rt.group);
          return sendJson(res, 200, o);
        }
        if (method === 'PATCH') {
          const out = patch(req, r, await readBody(req), q);
          return sendJson(res, out.code, out.object);
        }
        if (method === 'PUT') return sendJson(res, 200, update(req, r, parseJsonBody(await readBody(req)), q));
        if (method === 'DELETE' && !r.subresource) {
          const out = await remove(req, r, q);
          return sendJson(res, out.code, out.body);
        }
      }
      throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    } catch (e) {
      if (res.headersSent) return void res.destroy();
      if (e instanceof StatusError) return sendStatus(res, e);
      return sendStatus(res, new StatusError(500, 'InternalError', `stand-in error: ${(e as Error).message}`));
    }
  }

  // -- exec: the WebSocket upgrade ------------------------------------------------

  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => negotiate([...offered].join(',')) ?? false });

  function refuseUpgrade(socket: Socket, code: number, body?: unknown): void {
    const text = body === undefined ? '' : JSON.stringify(body);
    const head = [`HTTP/1.1 ${code} ${STATUS_CODES[code]}`, 'Connection: close', `Content-Length: ${Buffer.byteLength(text)}`];
    if (text) head.push('Content-Type: application/json');
    socket.end(`${head.join('\r\n')}\r\n\r\n${text}`);
  }

  function handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const u = new URL(req.url ?? '/', 'https://stand-in');
    const q = u.searchParams;
    const outcome = { status: 0 };
    const record = requestRecord(req, outcome, u, authenticate(req));
    const refuse = (e: StatusError | number) => {
      outcome.status = typeof e === 'number' ? e : e.code;
      refuseUpgrade(socket, outcome.status, typeof e === 'number' ? undefined : e.toStatus());
    };
    socket.on('error', () => undefined);
    try {
      if (record.auth === 'none') return refuse(new StatusError(401, 'Unauthorized', 'Unauthorized'));
      const r = route(u.pathname);
      if (!r || r.rt !== RT.pods || r.subresource !== 'exec' || !r.name) return refuse(NOT_FOUND());
      const { pod, container } = execTarget(r, q);
      const stdin = q.get('stdin') === 'true';
      const stdout = q.get('stdout') === 'true';
      const stderr = q.get('stderr') === 'true';
      if (!stdin && !stdout && !stderr) return refuse(badRequest('you must specify at least 1 of stdin, stdout, stderr'));
      const protocol = negotiate(req.headers['sec-websocket-protocol']);
      // x/net/websocket answers a failed subprotocol handshake with 403 and no body.
      if (!protocol) return refuse(403);
      const spec = (pod.spec?.containers ?? []).find((c: { name: string }) => c.name === container) as { env?: { name: string; value?: string }[] } | undefined;
      const cwd = podWorkDir(pod);
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: cwd,
        HOSTNAME: pod.metadata.name,
        ...Object.fromEntries((spec?.env ?? []).filter((e) => typeof e.value === 'string').map((e) => [e.name, e.value!])),
      };
      wss.handleUpgrade(req, socket, head, (ws) => {
        outcome.status = 101;
        runExec(ws, protocol, { command: q.getAll('command'), stdin, stdout, stderr, tty: q.get('tty') === 'true', cwd, env }, (pid) => {
          execProcesses.add(pid);
          ws.on('close', () => execProcesses.delete(pid));
        });
      });
    } catch (e) {
      refuse(e instanceof StatusError ? e : new StatusError(500, 'InternalError', `stand-in error: ${(e as Error).message}`));
    }
  }

  // -- the registration listener (plain HTTP, for the box-side k3s stand-in) ----

  function tokenAccepted(req: IncomingMessage): boolean {
    if (opts.joinToken === undefined) return true;
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    // k3s tokens are the password itself or K10<sha256 of the CA>::<user>:<password>.
    const password = /^K10[0-9a-f]{64}::[^:]+:(.+)$/.exec(given)?.[1] ?? given;
    return password === opts.joinToken;
  }

  function register(req: IncomingMessage, body: Record<string, unknown>): KubeObject {
    const node = create(req, { rt: nodes }, body, new URLSearchParams({ fieldManager: 'k3s' }));
    const name = node.metadata.name;
    const status = isPlainObject(node.status) ? node.status : {};
    const nodeInfo = isPlainObject(status.nodeInfo) ? status.nodeInfo : {};
    // What the kubelet's first status update would say: not ready yet, its version, its addresses.
    store.replace(nodes, {
      ...node,
      status: {
        ...status,
        conditions: nodeConditions(false, {}, status.conditions),
        nodeInfo: { ...nodeInfo, kubeletVersion: typeof nodeInfo.kubeletVersion === 'string' ? nodeInfo.kubeletVersion : version },
        addresses: Array.isArray(status.addresses) ? status.addresses : [],
      },
    });
    readinessTimers.set(
      name,
      setTimeout(() => {
        readinessTimers.delete(name);
        if (store.get(nodes, undefined, name)) setNodeReady(name, true);
      }, readyAfterMs),
    );
    return store.get(nodes, undefined, name)!;
  }

  async function handleRegistration(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://stand-in');
    requestRecord(req, res, u, 'registration');
    try {
      // The body is read before any refusal: a request whose body is left unread keeps its connection open after the
      // answer, and the k3s stand-in (bash, reading until the connection closes) then waits for the server's time-out.
      const body = await readBody(req);
      if (!tokenAccepted(req)) throw new StatusError(401, 'Unauthorized', 'Unauthorized: the k3s token does not match the cluster');
      if (req.method === 'POST' && u.pathname === '/api/v1/nodes') return sendJson(res, 201, register(req, parseJsonBody(body)));
      if (req.method === 'GET' && u.pathname === '/standin/kubeconfig') {
        const text = kubeconfigYaml('https://127.0.0.1:6443', pki);
        res.writeHead(200, { 'Content-Type': 'application/yaml', 'Content-Length': Buffer.byteLength(text) });
        return void res.end(text);
      }
      throw new StatusError(404, 'NotFound', 'the registration listener serves only POST /api/v1/nodes and GET /standin/kubeconfig', {});
    } catch (e) {
      if (e instanceof StatusError) return sendStatus(res, e);
      return sendStatus(res, new StatusError(500, 'InternalError', `stand-in error: ${(e as Error).message}`));
    }
  }

  // -- helpers the tests drive ---------------------------------------------------

  function setNodeReady(name: string, ready: boolean, detail?: { reason?: string; message?: string }): void {
    clearTimeout(readinessTimers.get(name));
    readinessTimers.delete(name);
    const node = store.get(nodes, undefined, name);
    if (!node) throw new Error(`kube stand-in: there is no node ${name}`);
    const status = isPlainObject(node.status) ? node.status : {};
    store.replace(nodes, { ...node, status: { ...status, conditions: nodeConditions(ready, detail, status.conditions) } });
  }

  function nodeObject(name: string, o: { labels?: Record<string, string>; taints?: unknown[]; ready?: boolean; address?: string } = {}): KubeObject {
    return {
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', ...o.labels } },
      spec: { podCIDR: '10.42.0.0/24', ...(o.taints?.length ? { taints: o.taints } : {}) },
      status: {
        conditions: nodeConditions(o.ready ?? true),
        addresses: [
          { type: 'InternalIP', address: o.address ?? '10.77.0.20' },
          { type: 'Hostname', address: name },
        ],
        capacity: { cpu: '4', memory: '8139880Ki', pods: '110', 'ephemeral-storage': '61202244Ki' },
        allocatable: { cpu: '4', memory: '8139880Ki', pods: '110', 'ephemeral-storage': '59537496217' },
        nodeInfo: {
          kubeletVersion: version,
          kubeProxyVersion: version,
          containerRuntimeVersion: 'containerd://1.7.17-k3s1',
          operatingSystem: 'linux',
          architecture: 'amd64',
          osImage: 'Debian GNU/Linux 12 (bookworm)',
          kernelVersion: '6.1.0-21-amd64',
          machineID: randomBytes(16).toString('hex'),
          systemUUID: randomUUID(),
          bootID: randomUUID(),
        },
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      },
    };
  }

  function pod(namespace: string, name: string): KubeObject {
    const p = store.get(RT.pods, namespace, name);
    if (!p) throw new Error(`kube stand-in: there is no pod ${namespace}/${name}`);
    return p;
  }

  function seed(o: SeedOptions): { nodes: string[]; namespaces: string[]; pods: number } {
    const nodeNames: string[] = [];
    const nsNames: string[] = [];
    const base = store.count(nodes);
    for (let i = 0; i < (o.nodes ?? 0); i++) {
      const name = `seed-node-${base + i}`;
      store.create(
        nodes,
        nodeObject(name, { labels: { 'edgeforge.io/seed': 'true', zone: `z${i % 3}` }, address: `10.78.${Math.floor(i / 250)}.${(i % 250) + 1}` }),
      );
      nodeNames.push(name);
    }
    const nsCount = o.namespaces ?? (o.pods ? 1 : 0);
    for (let i = 0; i < nsCount; i++) {
      const name = `seed-ns-${i}`;
      if (!store.peek(RT.namespaces, undefined, name)) {
        const ns: KubeObject = { metadata: { name } };
        applyDefaults(RT.namespaces, ns, true);
        store.create(RT.namespaces, ns);
      }
      nsNames.push(name);
    }
    const targets = nodeNames.length ? nodeNames : store.peekAll(nodes).map((n) => n.metadata.name);
    const t = now();
    const podCount = o.pods ?? 0;
    if (podCount > 0 && targets.length === 0) throw new Error('kube stand-in: seed pods need nodes');
    const firstPod = store.count(RT.pods);
    for (let i = 0; i < podCount; i++) {
      const name = `seed-pod-${firstPod + i}`;
      const containers = Array.from({ length: o.containersPerPod ?? 1 }, (_, c) => ({
        name: c === 0 ? 'app' : `side-${c}`,
        image: 'registry.local/edge/app:1.0',
      }));
      const p: KubeObject = {
        metadata: { name, namespace: nsNames[i % nsNames.length]!, labels: { app: `seed-app-${i % 20}`, 'edgeforge.io/seed': 'true' } },
        spec: { containers, nodeName: targets[i % targets.length]! },
      };
      applyDefaults(RT.pods, p, true);
      p.status = {
        phase: 'Running',
        qosClass: 'BestEffort',
        hostIP: '10.78.0.1',
        podIP: `10.42.${Math.floor(i / 250) % 250}.${(i % 250) + 2}`,
        startTime: t,
        conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
          type,
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: t,
        })),
        containerStatuses: containers.map((c) => ({
          name: c.name,
          state: { running: { startedAt: t } },
          lastState: {},
          ready: true,
          restartCount: 0,
          image: c.image,
          imageID: `${c.image}@sha256:${'0'.repeat(64)}`,
          containerID: `containerd://${randomBytes(32).toString('hex')}`,
          started: true,
        })),
      };
      store.create(RT.pods, p);
    }
    return { nodes: nodeNames, namespaces: nsNames, pods: podCount };
  }

  function churn(o: { eventsPerSecond: number; kind?: 'pods' | 'nodes' }): Churn {
    const rt = o.kind === 'nodes' ? nodes : RT.pods;
    let emitted = 0;
    let cursor = 0;
    let owed = 0;
    let last = Date.now();
    const timer = setInterval(() => {
      const t = Date.now();
      owed += ((t - last) / 1000) * o.eventsPerSecond;
      last = t;
      const all = store.peekAll(rt);
      if (all.length === 0) return;
      for (; owed >= 1; owed--) {
        const target = all[cursor++ % all.length]!;
        const next = structuredClone(target) as KubeObject;
        next.metadata.annotations = { ...next.metadata.annotations, 'stand-in.edgeforge.io/churn': String(++emitted) };
        store.replace(rt, next);
      }
    }, 10);
    return {
      stop: () => clearInterval(timer),
      get emitted() {
        return emitted;
      },
    };
  }

  const api = https.createServer(
    { key: pki.serverKeyPem, cert: pki.serverCertPem, ca: pki.clientCaPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => void handleApi(req, res),
  );
  api.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => handleUpgrade(req, socket, head));
  const registration = http.createServer((req, res) => void handleRegistration(req, res));
  const listen = (s: http.Server) =>
    new Promise<number>((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, host, () => resolve((s.address() as AddressInfo).port));
    });
  const bracket = (h: string) => (h.includes(':') ? `[${h}]` : h);
  url = `https://${bracket(host)}:${await listen(api)}`;
  const registrationUrl = `http://${bracket(host)}:${await listen(registration)}`;

  const rtOf = (plural: string) => {
    const rt = RESOURCES.find((x) => x.plural === plural);
    if (!rt) throw new Error(`kube stand-in: no resource type ${plural}`);
    return rt;
  };

  return {
    url,
    registrationUrl,
    caPem: pki.caPem,
    clientCaPem: pki.clientCaPem,
    clientCertPem: pki.clientCertPem,
    clientKeyPem: pki.clientKeyPem,
    token,
    kubeconfig: (serverUrl = url) => kubeconfigYaml(serverUrl, pki),
    nodes: () => store.list(nodes),
    objects: (plural, namespace) => store.list(rtOf(plural), namespace),
    object: (plural, namespace, name) => store.get(rtOf(plural), namespace, name),
    addNode: (name, o = {}) => store.create(nodes, nodeObject(name, o)),
    setNodeReady,
    appendLog: (namespace, name, container, text) => logs.append(pod(namespace, name).metadata.uid!, container, text),
    logFollowers: (namespace, name, container) => logs.followers(pod(namespace, name).metadata.uid!, container),
    logLines: (namespace, name, container, o = {}) => logs.text(pod(namespace, name).metadata.uid!, container, o.previous),
    restartContainer: (namespace, name, container, exit) => cluster.restartContainer(namespace, name, container, exit),
    runCronJob: (namespace, name) => cluster.runCronJob(namespace, name),
    holdDisruptionBudget: (namespace, name, hold) => cluster.holdDisruptionBudget(namespace, name, hold),
    setMetricsServer(on) {
      metricsOn = on;
    },
    seed,
    churn,
    dropWatches(how = 'end') {
      // Stopped at once, so that changes made right after are not sent on the old streams.
      for (const [res, stop] of [...watches]) {
        stop();
        if (how === 'reset') res.socket?.destroy();
        else res.end();
      }
    },
    compact: () => store.compact(),
    requests,
    async close() {
      cluster.close();
      for (const t of readinessTimers.values()) clearTimeout(t);
      readinessTimers.clear();
      for (const t of otherTimers) clearTimeout(t);
      for (const [res, stop] of [...watches]) {
        stop();
        res.socket?.destroy();
      }
      for (const c of wss.clients) c.terminate();
      for (const pid of execProcesses) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      for (const s of [api, registration]) s.closeAllConnections();
      await Promise.all([api, registration].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      wss.close();
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}
