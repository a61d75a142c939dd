/**
 * One cluster's Kubernetes API as the console's actions use it.
 *
 * Requests go through @kubernetes/client-node's typed APIs (`call`), except
 * where client-node falls short; those are raw requests through the
 * KubeConfig's own TLS and credentials (`text`, `json`, `open`), and each
 * caller says why. Every request has a deadline and follows the caller's
 * signal, and every failure becomes an AppError a technician can act on,
 * naming the verb and the resource: the server unreachable or the
 * credential refused (kube.ts's clusterError), the object gone (404),
 * changed meanwhile or owned by another field manager (409), refused as
 * invalid (400/422, with the server's message and the field the user typed),
 * or throttled (429).
 *
 * Status errors: https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { text as readText } from 'node:stream/consumers';
import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  Observable,
  setHeaderOptions,
  type ConfigurationOptions,
  type KubernetesObject,
  type PatchStrategy,
} from '@kubernetes/client-node';
import { AppError, type LocalizedText } from '../api/errors';
import { ClusterErrors, clusterError, connect, type Connection } from './kube';
import { slim } from './watch';

/** The console's own codes; it also raises kube.ts's CLUSTER_UNREACHABLE, CLUSTER_AUTH_FAILED and CLUSTER_REQUEST_FAILED. */
export const ConsoleErrors = {
  CLUSTER_OBJECT_NOT_FOUND: 'CLUSTER_OBJECT_NOT_FOUND',
  CLUSTER_OBJECT_CHANGED: 'CLUSTER_OBJECT_CHANGED',
  CLUSTER_OBJECT_INVALID: 'CLUSTER_OBJECT_INVALID',
  CLUSTER_APPLY_CONFLICT: 'CLUSTER_APPLY_CONFLICT',
  CLUSTER_TOO_MANY_REQUESTS: 'CLUSTER_TOO_MANY_REQUESTS',
  CLUSTER_YAML_INVALID: 'CLUSTER_YAML_INVALID',
  CLUSTER_KIND_UNKNOWN: 'CLUSTER_KIND_UNKNOWN',
  CLUSTER_LABEL_PROTECTED: 'CLUSTER_LABEL_PROTECTED',
  CLUSTER_TAINT_PROTECTED: 'CLUSTER_TAINT_PROTECTED',
  CLUSTER_NODE_CHANGE_REFUSED: 'CLUSTER_NODE_CHANGE_REFUSED',
  CLUSTER_NODES_PARTLY_CHANGED: 'CLUSTER_NODES_PARTLY_CHANGED',
  CLUSTER_DRAIN_REFUSED: 'CLUSTER_DRAIN_REFUSED',
  CLUSTER_DRAIN_TIMEOUT: 'CLUSTER_DRAIN_TIMEOUT',
  CLUSTER_REVISION_NOT_FOUND: 'CLUSTER_REVISION_NOT_FOUND',
  CLUSTER_LOGS_UNAVAILABLE: 'CLUSTER_LOGS_UNAVAILABLE',
  CLUSTER_DEPLOY_NOT_CONTAINER: 'CLUSTER_DEPLOY_NOT_CONTAINER',
  CLUSTER_DEPLOY_NOT_PUBLISHED: 'CLUSTER_DEPLOY_NOT_PUBLISHED',
  CLUSTER_DEPLOY_NO_NODE: 'CLUSTER_DEPLOY_NO_NODE',
  /** A clusters.watch stream ended: the cluster's kubeconfig was revoked while it ran. */
  CLUSTER_CREDENTIAL_REVOKED: 'CLUSTER_CREDENTIAL_REVOKED',
  /** A clusters.watch stream ended: the station forgot the cluster while it ran. */
  CLUSTER_FORGOTTEN: 'CLUSTER_FORGOTTEN',
} as const;

/** How long one request may take before the server counts as unreachable: an offline cluster is told in seconds. */
const REQUEST_TIMEOUT_MS = 10_000;
const DEADLINE = Symbol('request deadline');

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** The input field a refusal (400/422) is about: what the user typed. */
  field?: (string | number)[];
  /** The code of a 400/422 refusal; CLUSTER_OBJECT_INVALID when omitted. */
  refusedCode?: string;
}

export interface RawRequest {
  method: 'GET' | 'PATCH';
  /** /api/v1/… or /apis/<group>/<version>/… */
  path: string;
  query?: Record<string, string | undefined>;
  body?: string;
  contentType?: string;
}

/** A metav1.Status, as far as the console reads one. */
export interface KubeStatus {
  message?: string;
  details?: { kind?: string; causes?: { reason?: string; message?: string; field?: string }[] };
}

/** The Status the server answered a failed request with, if it sent one. */
export function statusOf(e: unknown): KubeStatus | null {
  if (e instanceof AppError) return statusOf(e.cause);
  if (!(e instanceof ApiException)) return null;
  try {
    const parsed: unknown = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
    return parsed && typeof parsed === 'object' ? (parsed as KubeStatus) : null;
  } catch {
    return null;
  }
}

/** client-node's generated APIs take an AbortSignal only through a middleware. */
function withSignal(signal: AbortSignal): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (ctx) => {
          ctx.setSignal(signal);
          return new Observable(Promise.resolve(ctx));
        },
        post: (ctx) => new Observable(Promise.resolve(ctx)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

/** An object as the UI gets it: plain JSON, managed fields left out (as the watch sends it). */
export const plain = (obj: object): Record<string, unknown> => slim(obj as KubernetesObject);

export class KubeClient {
  private readonly conn: Connection;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly batch: BatchV1Api;

  constructor(kubeconfigYaml: string) {
    this.conn = connect(kubeconfigYaml);
    this.core = this.conn.config.makeApiClient(CoreV1Api);
    this.apps = this.conn.config.makeApiClient(AppsV1Api);
    this.batch = this.conn.config.makeApiClient(BatchV1Api);
  }

  get server(): string {
    return this.conn.server;
  }

  /** A typed client-node request; `patch` sets the patch's Content-Type (client-node defaults to JSON Patch). */
  call<T>(what: LocalizedText, run: (options: ConfigurationOptions) => Promise<T>, opts: CallOptions & { patch?: PatchStrategy } = {}): Promise<T> {
    return this.within(what, opts, (signal) => run(opts.patch ? setHeaderOptions('Content-Type', opts.patch, withSignal(signal)) : withSignal(signal)));
  }

  /** A raw request's whole body as text. */
  text(what: LocalizedText, req: RawRequest, opts: CallOptions = {}): Promise<string> {
    return this.within(what, opts, async (signal) => readText(await this.send(req, signal)));
  }

  /** A raw request's JSON answer; null for a status listed in `absent` (a 404 that means "not there", not a failure). */
  json<T>(what: LocalizedText, req: RawRequest, opts: CallOptions & { absent?: number[] } = {}): Promise<T | null> {
    return this.within(what, opts, async (signal) => {
      try {
        return JSON.parse(await readText(await this.send(req, signal))) as T;
      } catch (e) {
        if (e instanceof ApiException && opts.absent?.includes(e.code)) return null;
        throw e;
      }
    });
  }

  /**
   * A raw request whose body is read as it comes (a followed log): resolves
   * once a 2xx answer's headers are in, within the deadline; from then on
   * only the caller ends it, by destroying the response.
   */
  open(what: LocalizedText, req: RawRequest, opts: CallOptions = {}): Promise<IncomingMessage> {
    return this.within(what, opts, (signal) => this.send(req, signal));
  }

  /** The AppError a technician reads for a request that failed while trying to do `what`. */
  private failure(e: unknown, what: LocalizedText, opts: CallOptions): AppError {
    if (e instanceof AppError) return e;
    const server = this.conn.server;
    const code = e instanceof ApiException ? e.code : undefined;
    const status = statusOf(e);
    const message = status?.message ?? (e instanceof ApiException ? String(e.body ?? '').slice(0, 500) : '');
    if (code === 404) {
      const namespace = status?.details?.kind === 'namespaces';
      return new AppError(
        ConsoleErrors.CLUSTER_OBJECT_NOT_FOUND,
        namespace
          ? {
              en: `Could not ${what.en}: its namespace does not exist on the API server at ${server} (404 Not Found: ${message}). Create the namespace first.`,
              zh: `无法${what.zh}：${server} 的 API 服务器上不存在其命名空间（404 Not Found：${message}）。请先创建该命名空间。`,
            }
          : {
              en: `Could not ${what.en}: the API server at ${server} does not have it (404 Not Found: ${message}). It was deleted meanwhile, or never existed.`,
              zh: `无法${what.zh}：${server} 的 API 服务器上没有该对象（404 Not Found：${message}）。它可能已被删除，或从未存在。`,
            },
        { cause: e },
      );
    }
    if (code === 409) {
      const conflicts = (status?.details?.causes ?? []).filter((c) => c.reason === 'FieldManagerConflict');
      if (conflicts.length > 0) {
        const list = conflicts.map((c) => `${c.field ?? '?'} (${/conflict with "([^"]+)"/.exec(c.message ?? '')?.[1] ?? c.message ?? '?'})`).join(', ');
        return new AppError(
          ConsoleErrors.CLUSTER_APPLY_CONFLICT,
          {
            en: `Could not ${what.en}: it would change fields another field manager owns (409 Conflict): ${list}. Apply again with "force" to take these fields over.`,
            zh: `无法${what.zh}：将修改其他字段管理者拥有的字段（409 Conflict）：${list}。如需接管这些字段，请勾选“强制”后再次应用。`,
          },
          { cause: e, ...(opts.field ? { field: opts.field } : {}) },
        );
      }
      return new AppError(
        ConsoleErrors.CLUSTER_OBJECT_CHANGED,
        {
          en: `Could not ${what.en}: the object changed on the server since it was read (409 Conflict: ${message}). Load it again and repeat the change.`,
          zh: `无法${what.zh}：读取后该对象已在服务器上被修改（409 Conflict：${message}）。请重新加载后再修改。`,
        },
        { cause: e },
      );
    }
    if (code === 400 || code === 422) {
      return new AppError(
        opts.refusedCode ?? ConsoleErrors.CLUSTER_OBJECT_INVALID,
        { en: `The API server at ${server} refused to ${what.en}: ${message}`, zh: `${server} 的 API 服务器拒绝${what.zh}：${message}` },
        { cause: e, ...(opts.field ? { field: opts.field } : {}) },
      );
    }
    if (code === 429) {
      const why = status?.details?.causes?.map((c) => c.message).filter(Boolean)[0];
      return new AppError(
        ConsoleErrors.CLUSTER_TOO_MANY_REQUESTS,
        {
          en: `The API server at ${server} refused to ${what.en} for now (429: ${message}${why ? ` ${why}` : ''}).`,
          zh: `${server} 的 API 服务器暂时拒绝${what.zh}（429：${message}${why ? ` ${why}` : ''}）。`,
        },
        { cause: e },
      );
    }
    return clusterError(e, this.conn, what);
  }

  /** Runs one request with a deadline and the caller's signal; maps its failure. */
  private async within<T>(what: LocalizedText, opts: CallOptions, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    opts.signal?.throwIfAborted();
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(DEADLINE), REQUEST_TIMEOUT_MS);
    const onAbort = () => ctl.abort(opts.signal!.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await run(ctl.signal);
    } catch (e) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (ctl.signal.reason === DEADLINE) {
        const s = REQUEST_TIMEOUT_MS / 1000;
        throw new AppError(ClusterErrors.CLUSTER_UNREACHABLE, {
          en: `The Kubernetes API at ${this.conn.server} did not answer within ${s} s when asked to ${what.en}. Check that k3s runs on the server and that this station reaches it.`,
          zh: `Kubernetes API ${this.conn.server} 在 ${s} 秒内未响应（请求：${what.zh}）。请确认服务器上 k3s 正在运行，且本工作站能访问它。`,
        });
      }
      throw this.failure(e, what, opts);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The raw exchange: resolves with a 2xx response, throws an ApiException carrying the Status otherwise. */
  private async send(req: RawRequest, signal: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(`${this.conn.server.replace(/\/+$/, '')}${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const options: https.RequestOptions = { method: req.method, headers: { Accept: 'application/json, */*' } };
    if (req.contentType) options.headers = { ...options.headers, 'Content-Type': req.contentType };
    await this.conn.config.applyToHTTPSOptions(options);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const r = (url.protocol === 'http:' ? http : https).request(url, { ...options, signal }, resolve);
      r.on('error', reject);
      r.end(req.body);
    });
    const code = res.statusCode ?? 0;
    if (code >= 200 && code < 300) return res;
    throw new ApiException(code, `HTTP ${code}`, await readText(res), res.headers as Record<string, string>);
  }
}
