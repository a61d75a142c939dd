/**
 * A STAND-IN for the Kubernetes API server, for tests only: no kube-apiserver
 * and no k3s can run on these machines (DESIGN.md §4). It speaks the real wire
 * format, so @kubernetes/client-node (and anything else) talks to it as it
 * would to k3s, and it is checked against that client and against raw https
 * requests in test/cluster/kube-stand-in.test.ts.
 *
 * What it implements, with the Kubernetes API documentation it follows
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/ unless said):
 *   - HTTPS with its own CAs made by the system `openssl` (ECDSA P-256, like
 *     k3s): a server CA that signs the serving certificate (127.0.0.1,
 *     localhost), a client CA that signs the admin certificate
 *     (CN=system:admin, O=system:masters). Authentication
 *     (https://kubernetes.io/docs/reference/access-authn-authz/authentication/):
 *     an X509 client certificate the client CA issued, or a bearer token; the
 *     server requests a certificate but does not fail the handshake without
 *     one (as kube-apiserver), and anything else gets 401 with a Status.
 *   - Discovery: GET /version, /api, /api/v1, /apis ("Discovery API").
 *   - Resources kept generically, by group/version/plural, namespace and name
 *     ("Resource URIs"), with one resourceVersion counter across all objects
 *     ("Resource versions") and an event history of `historyLimit` events.
 *     Only nodes are registered today; issue 8 adds pods, logs, exec, SSA.
 *   - Verbs ("API verbs"): list (a List with metadata.resourceVersion; items
 *     without kind/apiVersion, as the server sends typed lists), get (404
 *     Status), create (201; 409 AlreadyExists), update (PUT, 409 Conflict on
 *     a stale resourceVersion), patch with application/merge-patch+json
 *     (RFC 7386) or application/strategic-merge-patch+json (the same merge
 *     for maps, which is all labels and conditions by type need here), on the
 *     object or its /status subresource ("Subresources": the main resource
 *     keeps status, /status keeps everything else), delete.
 *   - Watch ("Efficient detection of changes", "Semantics for watch"):
 *     `?watch=1&resourceVersion=N` streams newline-delimited JSON events
 *     {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":…} after N;
 *     unset or "0" starts with synthetic ADDED events for the current state.
 *     N older than the kept history gets a 410 Gone Status "too old resource
 *     version" as an ERROR event on a 200 stream, which is what
 *     kube-apiserver sends ("410 Gone responses"); `expiredWatch: 'http-410'`
 *     answers with an HTTP 410 instead, which some servers and proxies do.
 *     allowWatchBookmarks=true adds BOOKMARK events ("Watch bookmarks");
 *     timeoutSeconds ends the stream.
 *   - Selectors (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors,
 *     .../field-selectors/): labelSelector with =, ==, !=, in, notin, exists,
 *     !exists; fieldSelector metadata.name / metadata.namespace. On a watch,
 *     an object entering the selection is ADDED and one leaving it DELETED
 *     (with its previous content), as the watch cache does.
 *   - `limit`/`continue` are ignored: every list is complete, as a list served
 *     from the watch cache is.
 *
 * The registration listener (plain HTTP, registrationUrl) stands in for the
 * kubelet registering itself. The box-side k3s stand-in
 * (test/lab/k3s-stand-in.ts) can speak only plain HTTP, through bash's
 * /dev/tcp, so it POSTs its Node here and fetches its kubeconfig from
 * GET /standin/kubeconfig. A node registered this way then goes through what
 * a real one does: its Ready condition is False, then True `readyAfterMs`
 * later, each change a MODIFIED event.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

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
}

/** A Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface StandInRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** 'cert' (client certificate), 'token', 'none', or 'registration' for the plain listener. */
  auth: 'cert' | 'token' | 'none' | 'registration';
  /** The HTTP status, once the headers are sent (0 before). */
  readonly status: number;
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
  /** Sets a node's Ready condition (a MODIFIED event); cancels its pending readiness timer. */
  setNodeReady(name: string, ready: boolean, detail?: { reason?: string; message?: string }): void;
  /** Ends every open watch: 'end' closes the stream cleanly, 'reset' destroys the connection. */
  dropWatches(how?: 'end' | 'reset'): void;
  /** Forgets the event history, so that a watch from any older resourceVersion gets 410 Gone. */
  compact(): void;
  /** Every request served so far, in order. */
  requests: StandInRequest[];
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Resource types ("Resource URIs"). Issue 8 adds rows here.

interface ResourceType {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  /** Has a /status subresource. */
  status: boolean;
  shortNames?: string[];
}

const RESOURCES: ResourceType[] = [
  { group: '', version: 'v1', plural: 'nodes', singular: 'node', kind: 'Node', namespaced: false, status: true, shortNames: ['no'] },
];

const apiVersionOf = (rt: ResourceType) => (rt.group ? `${rt.group}/${rt.version}` : rt.version);
const typeKey = (rt: ResourceType) => `${rt.group}/${rt.version}/${rt.plural}`;
const objectKey = (rt: ResourceType, namespace: string | undefined, name: string) => `${typeKey(rt)}/${namespace ?? ''}/${name}`;

// ---------------------------------------------------------------------------
// Status objects ("Responses", https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/)

class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
  toStatus() {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

const notFound = (rt: ResourceType, name: string) => new StatusError(404, 'NotFound', `${rt.plural} "${name}" not found`, { name, kind: rt.plural });
const badRequest = (message: string) => new StatusError(400, 'BadRequest', message);

// ---------------------------------------------------------------------------
// Selectors

type Requirement = { key: string; op: 'eq' | 'ne' | 'in' | 'notin' | 'exists' | '!exists'; values: string[] };

/** Splits on commas outside parentheses: "a in (x,y),b" → ["a in (x,y)", "b"]. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter(Boolean);
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function parseLabelSelector(s: string): Requirement[] {
  return splitTerms(s).map((term) => {
    let m: RegExpExecArray | null;
    let r: Requirement;
    if ((m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      r = { key: m[1]!, op: m[2] as 'in' | 'notin', values: m[3]!.split(',').map((v) => v.trim()) };
    } else if ((m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term))) {
      r = { key: m[1]!, op: m[2] === '!=' ? 'ne' : 'eq', values: [m[3]!] };
    } else if ((m = /^!\s*(\S+)$/.exec(term))) {
      r = { key: m[1]!, op: '!exists', values: [] };
    } else if (/^\S+$/.test(term)) {
      r = { key: term, op: 'exists', values: [] };
    } else {
      throw badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    if (!LABEL_KEY.test(r.key)) throw badRequest(`unable to parse requirement: invalid label key "${r.key}"`);
    for (const v of r.values) if (!LABEL_VALUE.test(v)) throw badRequest(`unable to parse requirement: invalid label value: "${v}"`);
    return r;
  });
}

function labelsMatch(reqs: Requirement[], labels: Record<string, string> = {}): boolean {
  return reqs.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'eq':
      case 'in':
        return has && r.values.includes(v!);
      case 'ne':
      case 'notin':
        return !has || !r.values.includes(v!);
      case 'exists':
        return has;
      case '!exists':
        return !has;
    }
  });
}

type FieldRequirement = { field: 'metadata.name' | 'metadata.namespace'; eq: boolean; value: string };

function parseFieldSelector(s: string): FieldRequirement[] {
  return splitTerms(s).map((term) => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    const field = m[1]!.trim();
    if (field !== 'metadata.name' && field !== 'metadata.namespace') throw badRequest(`field label not supported: ${field}`);
    return { field, eq: m[2] !== '!=', value: m[3]!.trim() };
  });
}

function fieldsMatch(reqs: FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => {
    const v = r.field === 'metadata.name' ? obj.metadata.name : (obj.metadata.namespace ?? '');
    return (v === r.value) === r.eq;
  });
}

// ---------------------------------------------------------------------------
// JSON merge patch (RFC 7386)

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * Strategic merge patch, for the one list it matters for here: node
 * conditions, merged by their `type` (the patchMergeKey in the Node schema).
 * Other lists are replaced, as in a merge patch.
 */
function strategicMergePatch(target: KubeObject, patch: Record<string, unknown>): unknown {
  const patchStatus = isPlainObject(patch.status) ? patch.status : null;
  const conditions = patchStatus?.conditions;
  const targetStatus = target.status as Record<string, unknown> | undefined;
  if (!Array.isArray(conditions) || !Array.isArray(targetStatus?.conditions)) return mergePatch(target, patch);
  const merged = (targetStatus.conditions as Record<string, unknown>[]).map((c) => ({ ...c }));
  for (const c of conditions as Record<string, unknown>[]) {
    const i = merged.findIndex((m) => m.type === c.type);
    if (i >= 0) merged[i] = mergePatch(merged[i], c) as Record<string, unknown>;
    else merged.push(c);
  }
  const { conditions: _omit, ...restStatus } = patchStatus!;
  const out = mergePatch(target, { ...patch, status: restStatus }) as KubeObject;
  (out.status as Record<string, unknown>).conditions = merged;
  return out;
}

// ---------------------------------------------------------------------------
// The store: objects by type/namespace/name, one resourceVersion counter, an event history.

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface StoreEvent {
  rv: number;
  type: EventType;
  typeKey: string;
  object: KubeObject;
  /** The object before a MODIFIED or DELETED, for selector transitions. */
  previous?: KubeObject;
}

class Store {
  private rv = 100;
  private readonly objects = new Map<string, KubeObject>();
  private history: StoreEvent[] = [];
  /** Events with rv <= compactedRv are gone. */
  compactedRv = 0;
  readonly listeners = new Set<(e: StoreEvent) => void>();

  constructor(private readonly historyLimit: number) {}

  get resourceVersion(): number {
    return this.rv;
  }

  list(rt: ResourceType, namespace?: string): KubeObject[] {
    const prefix = `${typeKey(rt)}/`;
    return [...this.objects.entries()]
      .filter(([k, o]) => k.startsWith(prefix) && (namespace === undefined || o.metadata.namespace === namespace))
      .map(([, o]) => structuredClone(o))
      .sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));
  }

  get(rt: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.objects.get(objectKey(rt, namespace, name));
    return o && structuredClone(o);
  }

  create(rt: ResourceType, obj: KubeObject): KubeObject {
    const key = objectKey(rt, obj.metadata.namespace, obj.metadata.name);
    if (this.objects.has(key)) {
      throw new StatusError(409, 'AlreadyExists', `${rt.plural} "${obj.metadata.name}" already exists`, { name: obj.metadata.name, kind: rt.plural });
    }
    const stored: KubeObject = {
      ...obj,
      apiVersion: apiVersionOf(rt),
      kind: rt.kind,
      metadata: { ...obj.metadata, uid: randomUUID(), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
    };
    return this.commit(rt, 'ADDED', stored);
  }

  /** Stores `next` in place of the current object, unless nothing changed (then no new resourceVersion, no event). */
  replace(rt: ResourceType, next: KubeObject): KubeObject {
    const key = objectKey(rt, next.metadata.namespace, next.metadata.name);
    const current = this.objects.get(key);
    if (!current) throw notFound(rt, next.metadata.name);
    const candidate: KubeObject = {
      ...next,
      apiVersion: apiVersionOf(rt),
      kind: rt.kind,
      metadata: { ...next.metadata, resourceVersion: current.metadata.resourceVersion },
    };
    if (JSON.stringify(candidate) === JSON.stringify(current)) return structuredClone(current);
    return this.commit(rt, 'MODIFIED', candidate, current);
  }

  delete(rt: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const key = objectKey(rt, namespace, name);
    const current = this.objects.get(key);
    if (!current) throw notFound(rt, name);
    return this.commit(rt, 'DELETED', structuredClone(current), current);
  }

  private commit(rt: ResourceType, type: EventType, obj: KubeObject, previous?: KubeObject): KubeObject {
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    const key = objectKey(rt, obj.metadata.namespace, obj.metadata.name);
    if (type === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, obj);
    const event: StoreEvent = {
      rv: this.rv,
      type,
      typeKey: typeKey(rt),
      object: structuredClone(obj),
      ...(previous ? { previous: structuredClone(previous) } : {}),
    };
    this.history.push(event);
    while (this.history.length > this.historyLimit) this.compactedRv = this.history.shift()!.rv;
    for (const l of this.listeners) l(event);
    return structuredClone(obj);
  }

  /** Events after rv, or null when some of them are no longer kept. */
  since(rv: number): StoreEvent[] | null {
    if (rv < this.compactedRv) return null;
    return this.history.filter((e) => e.rv > rv);
  }

  compact(): void {
    this.compactedRv = this.rv;
    this.history = [];
  }
}

// ---------------------------------------------------------------------------
// Certificates, made with the system openssl.

interface Pki {
  caPem: string;
  clientCaPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  clientCertPem: string;
  clientKeyPem: string;
}

async function makePki(sans: string[]): Promise<Pki> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-stand-in-pki-'));
  const at = (f: string) => path.join(dir, f);
  const openssl = (...args: string[]) => execFileP('openssl', args, { cwd: dir });
  const serial = () => `0x${randomBytes(8).toString('hex')}`;
  const now = Math.floor(Date.now() / 1000);
  try {
    // k3s's keys are SEC1 "EC PRIVATE KEY" P-256 keys.
    for (const k of ['server-ca', 'client-ca', 'serving', 'admin'])
      await openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', at(`${k}.key`));
    for (const [ca, cn] of [
      ['server-ca', `k3s-server-ca@${now}`],
      ['client-ca', `k3s-client-ca@${now}`],
    ] as const) {
      fs.writeFileSync(at(`${ca}.ext`), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,keyEncipherment,keyCertSign\n');
      await openssl(
        'req',
        '-x509',
        '-new',
        '-key',
        at(`${ca}.key`),
        '-subj',
        `/CN=${cn}`,
        '-days',
        '3650',
        '-sha256',
        '-set_serial',
        serial(),
        '-out',
        at(`${ca}.crt`),
      );
    }
    const ipRe = /^[\d.]+$|:/;
    const altNames = [
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
      'localhost',
      '127.0.0.1',
      '::1',
      ...sans,
    ]
      .map((n) => (ipRe.test(n) ? `IP:${n}` : `DNS:${n}`))
      .join(',');
    const leaf = async (name: string, ca: string, subj: string, ext: string) => {
      fs.writeFileSync(at(`${name}.ext`), ext);
      await openssl('req', '-new', '-key', at(`${name}.key`), '-subj', subj, '-out', at(`${name}.csr`));
      await openssl(
        'x509',
        '-req',
        '-in',
        at(`${name}.csr`),
        '-CA',
        at(`${ca}.crt`),
        '-CAkey',
        at(`${ca}.key`),
        '-set_serial',
        serial(),
        '-days',
        '365',
        '-sha256',
        '-extfile',
        at(`${name}.ext`),
        '-out',
        at(`${name}.crt`),
      );
    };
    await leaf(
      'serving',
      'server-ca',
      '/O=k3s/CN=k3s',
      `keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${altNames}\n`,
    );
    await leaf('admin', 'client-ca', '/O=system:masters/CN=system:admin', 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
    const read = (f: string) => fs.readFileSync(at(f), 'utf8');
    return {
      caPem: read('server-ca.crt'),
      clientCaPem: read('client-ca.crt'),
      serverCertPem: read('serving.crt') + read('server-ca.crt'),
      serverKeyPem: read('serving.key'),
      // k3s's client-certificate-data carries the client CA after the admin certificate.
      clientCertPem: read('admin.crt') + read('client-ca.crt'),
      clientKeyPem: read('admin.key'),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function kubeconfigYaml(server: string, pki: Pki): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  // The layout and names of k3s's /etc/rancher/k3s/k3s.yaml.
  return `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${b64(pki.caPem)}
    server: ${server}
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: ${b64(pki.clientCertPem)}
    client-key-data: ${b64(pki.clientKeyPem)}
`;
}

// ---------------------------------------------------------------------------
// HTTP plumbing

const MAX_BODY = 1 << 20;

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new StatusError(413, 'RequestEntityTooLarge', 'the request body is larger than 1 MiB');
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}

function parseJsonBody(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw badRequest(`the body of the request is not valid JSON: ${(e as Error).message}`);
  }
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
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const before = (Array.isArray(previous) ? previous : []) as Record<string, string>[];
  const condition = (type: string, status: string, reason: string, message: string) => {
    const old = before.find((c) => c.type === type);
    return {
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: now,
      lastTransitionTime: old?.status === status && old.lastTransitionTime ? old.lastTransitionTime : now,
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

// ---------------------------------------------------------------------------

export async function startKubeStandIn(opts: KubeStandInOptions = {}): Promise<KubeStandIn> {
  const version = opts.version ?? STAND_IN_K3S_VERSION;
  const readyAfterMs = opts.readyAfterMs ?? 1500;
  const bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 1000;
  const host = opts.host ?? '127.0.0.1';
  const pki = await makePki(opts.sans ?? []);
  const token = randomBytes(24).toString('hex');
  const store = new Store(opts.historyLimit ?? 1000);
  const requests: StandInRequest[] = [];
  /** Open watch streams, each with what stops it. */
  const watches = new Map<ServerResponse, () => void>();
  const readinessTimers = new Map<string, NodeJS.Timeout>();
  const nodes = RESOURCES.find((r) => r.plural === 'nodes')!;
  let url = '';

  // -- verbs ------------------------------------------------------------------

  function list(r: Route, q: URLSearchParams): KubeObject[] {
    const labels = parseLabelSelector(q.get('labelSelector') ?? '');
    const fields = parseFieldSelector(q.get('fieldSelector') ?? '');
    return store.list(r.rt, r.namespace).filter((o) => labelsMatch(labels, o.metadata.labels) && fieldsMatch(fields, o));
  }

  function watch(req: IncomingMessage, res: ServerResponse, r: Route, q: URLSearchParams): void {
    const labels = parseLabelSelector(q.get('labelSelector') ?? '');
    const fields = parseFieldSelector(q.get('fieldSelector') ?? '');
    const matches = (o: KubeObject | undefined) =>
      !!o && (r.namespace === undefined || o.metadata.namespace === r.namespace) && labelsMatch(labels, o.metadata.labels) && fieldsMatch(fields, o);
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
        const gone = new StatusError(410, 'Expired', `too old resource version: ${n} (${store.compactedRv})`);
        if (opts.expiredWatch === 'http-410') throw gone;
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        res.end(`${JSON.stringify({ type: 'ERROR', object: gone.toStatus() })}\n`);
        return;
      }
      backlog = events.flatMap((e) => (e.typeKey === typeKey(r.rt) ? translate(e) : []));
    }

    // An object entering the selection is ADDED, one leaving it DELETED with its previous content (the watch cache's rule).
    function translate(e: StoreEvent): { type: string; object: unknown }[] {
      const now = e.type !== 'DELETED' && matches(e.object);
      const before = e.type === 'DELETED' ? matches(e.previous) : e.type === 'MODIFIED' ? matches(e.previous) : false;
      if (e.type === 'ADDED') return now ? [{ type: 'ADDED', object: e.object }] : [];
      if (e.type === 'DELETED') return before ? [{ type: 'DELETED', object: e.object }] : [];
      if (now && before) return [{ type: 'MODIFIED', object: e.object }];
      if (now) return [{ type: 'ADDED', object: e.object }];
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

  function create(r: Route, body: Record<string, unknown>): KubeObject {
    if (body.kind !== undefined && body.kind !== r.rt.kind) throw badRequest(`the kind of the object (${String(body.kind)}) does not match ${r.rt.kind}`);
    const meta = isPlainObject(body.metadata) ? body.metadata : {};
    let name = typeof meta.name === 'string' ? meta.name : '';
    if (!name && typeof meta.generateName === 'string') name = `${meta.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
    if (!name) {
      throw new StatusError(422, 'Invalid', `${r.rt.kind} "" is invalid: metadata.name: Required value: name or generateName is required`, { kind: r.rt.kind });
    }
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
      throw new StatusError(
        422,
        'Invalid',
        `${r.rt.kind} "${name}" is invalid: metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
        { name, kind: r.rt.kind },
      );
    }
    const { resourceVersion: _rv, uid: _uid, ...rest } = meta;
    return store.create(r.rt, { ...body, metadata: { ...rest, name, ...(r.namespace ? { namespace: r.namespace } : {}) } } as KubeObject);
  }

  function checkResourceVersion(r: Route, current: KubeObject, wanted: unknown): void {
    if (typeof wanted === 'string' && wanted && wanted !== current.metadata.resourceVersion) {
      throw new StatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${r.rt.plural} "${current.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name: current.metadata.name, kind: r.rt.plural },
      );
    }
  }

  /** The main resource keeps the stored status; /status keeps everything but status ("Subresources"). */
  function confine(r: Route, current: KubeObject, next: KubeObject): KubeObject {
    const out: KubeObject = {
      ...next,
      metadata: { ...next.metadata, name: current.metadata.name, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp },
    };
    if (current.metadata.namespace) out.metadata.namespace = current.metadata.namespace;
    if (r.subresource === 'status') return { ...current, status: next.status };
    if (r.rt.status) {
      if (current.status === undefined) delete out.status;
      else out.status = current.status;
    }
    return out;
  }

  function patch(req: IncomingMessage, r: Route, body: Record<string, unknown>): KubeObject {
    const current = store.get(r.rt, r.namespace, r.name!);
    if (!current) throw notFound(r.rt, r.name!);
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    let next: unknown;
    if (type === 'application/merge-patch+json') next = mergePatch(current, body);
    else if (type === 'application/strategic-merge-patch+json') next = strategicMergePatch(current, body);
    else {
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json (stand-in: ${type || 'none'} is not implemented)`,
      );
    }
    checkResourceVersion(r, current, isPlainObject(body.metadata) ? body.metadata.resourceVersion : undefined);
    return store.replace(r.rt, confine(r, current, next as KubeObject));
  }

  function update(r: Route, body: Record<string, unknown>): KubeObject {
    const current = store.get(r.rt, r.namespace, r.name!);
    if (!current) throw notFound(r.rt, r.name!);
    const meta = isPlainObject(body.metadata) ? body.metadata : {};
    if (meta.name !== undefined && meta.name !== r.name)
      throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${r.name})`);
    checkResourceVersion(r, current, meta.resourceVersion);
    return store.replace(r.rt, confine(r, current, { ...body, metadata: { ...meta, name: r.name! } } as KubeObject));
  }

  // -- the API listener ---------------------------------------------------------

  /** Logs a request; its status reads 0 until the headers are out (a watch's as soon as it streams). */
  function requestRecord(req: IncomingMessage, res: ServerResponse, u: URL, auth: StandInRequest['auth']): StandInRequest {
    const record: StandInRequest = {
      method: req.method ?? 'GET',
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      auth,
      get status() {
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
    if (pathname === '/apis') {
      const groups = [...new Set(RESOURCES.filter((r) => r.group).map((r) => `${r.group}/${r.version}`))].map((gv) => {
        const [name, v] = gv.split('/');
        return { name, versions: [{ groupVersion: gv, version: v }], preferredVersion: { groupVersion: gv, version: v } };
      });
      return { kind: 'APIGroupList', apiVersion: 'v1', groups };
    }
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(pathname);
    if (m) {
      const [group, v] = m[1] ? ['', m[1]] : [m[2]!, m[3]!];
      const rts = RESOURCES.filter((r) => r.group === group && r.version === v);
      if (rts.length === 0) return undefined;
      const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
      return {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: group ? `${group}/${v}` : v,
        resources: rts.flatMap((r) => [
          { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs, ...(r.shortNames ? { shortNames: r.shortNames } : {}) },
          ...(r.status ? [{ name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] }] : []),
        ]),
      };
    }
    return undefined;
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'https://stand-in');
    const q = u.searchParams;
    const record = requestRecord(req, res, u, authenticate(req));
    try {
      if (record.auth === 'none') throw new StatusError(401, 'Unauthorized', 'Unauthorized');
      const method = req.method ?? 'GET';
      const info = method === 'GET' ? discovery(u.pathname) : undefined;
      if (info !== undefined) return sendJson(res, 200, info);
      const r = route(u.pathname);
      if (!r || (r.subresource && !(r.subresource === 'status' && r.rt.status))) {
        throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
      }
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
        if (method === 'POST') return sendJson(res, 201, create(r, parseJsonBody(await readBody(req))));
      } else {
        if (method === 'GET') {
          const o = store.get(r.rt, r.namespace, r.name);
          if (!o) throw notFound(r.rt, r.name);
          return sendJson(res, 200, o);
        }
        if (method === 'PATCH') return sendJson(res, 200, patch(req, r, parseJsonBody(await readBody(req))));
        if (method === 'PUT') return sendJson(res, 200, update(r, parseJsonBody(await readBody(req))));
        if (method === 'DELETE' && !r.subresource) {
          clearTimeout(readinessTimers.get(r.name));
          const gone = store.delete(r.rt, r.namespace, r.name);
          return sendJson(res, 200, gone);
        }
      }
      throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    } catch (e) {
      if (e instanceof StatusError) return sendStatus(res, e);
      return sendStatus(res, new StatusError(500, 'InternalError', `stand-in error: ${(e as Error).message}`));
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

  function register(body: Record<string, unknown>): KubeObject {
    const node = create({ rt: nodes }, body);
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
      if (!tokenAccepted(req)) throw new StatusError(401, 'Unauthorized', 'Unauthorized: the k3s token does not match the cluster');
      if (req.method === 'POST' && u.pathname === '/api/v1/nodes') return sendJson(res, 201, register(parseJsonBody(await readBody(req))));
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

  const api = https.createServer(
    { key: pki.serverKeyPem, cert: pki.serverCertPem, ca: pki.clientCaPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => void handleApi(req, res),
  );
  const registration = http.createServer((req, res) => void handleRegistration(req, res));
  const listen = (s: http.Server) =>
    new Promise<number>((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, host, () => resolve((s.address() as AddressInfo).port));
    });
  const bracket = (h: string) => (h.includes(':') ? `[${h}]` : h);
  url = `https://${bracket(host)}:${await listen(api)}`;
  const registrationUrl = `http://${bracket(host)}:${await listen(registration)}`;

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
    setNodeReady,
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
      for (const t of readinessTimers.values()) clearTimeout(t);
      readinessTimers.clear();
      for (const [res, stop] of [...watches]) {
        stop();
        res.socket?.destroy();
      }
      for (const s of [api, registration]) s.closeAllConnections();
      await Promise.all([api, registration].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
