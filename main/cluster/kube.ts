/**
 * A thin client for the Kubernetes API of an edge cluster, over
 * @kubernetes/client-node: the server's version, the nodes, and waiting for
 * a node to become Ready after a join.
 *
 * Every failure becomes an AppError a technician can act on: the server
 * cannot be reached (CLUSTER_UNREACHABLE), the TLS certificates or the
 * credentials do not fit (CLUSTER_AUTH_FAILED), the server refused the
 * request (CLUSTER_REQUEST_FAILED), or the node did not become Ready in time
 * (CLUSTER_NODE_NOT_READY). An abort through `signal` rejects with the
 * signal's reason, as elsewhere in main/.
 *
 * Waiting follows the list-then-watch pattern of the Kubernetes API
 * ("Efficient detection of changes",
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes):
 * list once, watch from the list's resourceVersion, resume a dropped watch
 * from the last resourceVersion seen (events and BOOKMARKs), and list again
 * only when the server answers 410 Gone. It never polls.
 */
import { ApiException, CoreV1Api, Observable, VersionApi, Watch, type ConfigurationOptions, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';
import { AppError, type LocalizedText } from '../api/errors';
import { parseKubeconfig } from './kubeconfig';

export const ClusterErrors = {
  CLUSTER_UNREACHABLE: 'CLUSTER_UNREACHABLE',
  CLUSTER_AUTH_FAILED: 'CLUSTER_AUTH_FAILED',
  CLUSTER_REQUEST_FAILED: 'CLUSTER_REQUEST_FAILED',
  CLUSTER_NODE_NOT_READY: 'CLUSTER_NODE_NOT_READY',
} as const;

export interface ClusterCallOptions {
  signal?: AbortSignal;
  /** Give up after this long (CLUSTER_UNREACHABLE). Default 10 s for serverVersion, 30 s for listNodes. */
  timeoutMs?: number;
}

export type NodeState = 'absent' | 'not-ready' | 'ready';

export interface NodeSummary {
  name: string;
  labels: Record<string, string>;
  /** From the node-role.kubernetes.io/<role> labels: control-plane, master, etcd… */
  roles: string[];
  kubeletVersion: string | null;
  addresses: { type: string; address: string }[];
  ready: boolean;
  /** The Ready condition as last reported, or null before the kubelet reported one. */
  readyCondition: { status: string; reason: string | null; message: string | null; since: string | null } | null;
}

export interface WaitNodeReadyOptions {
  signal?: AbortSignal;
  /** Default 5 minutes: k3s on a slow box takes a minute or two to import its images and start. */
  timeoutMs?: number;
  /** Called with each change of the node's state (and once for the first one seen). */
  onState?: (state: NodeState, node?: NodeSummary) => void;
}

// ---------------------------------------------------------------------------
// Node summaries

const iso = (v: Date | string | undefined): string | null => (v === undefined ? null : v instanceof Date ? v.toISOString() : String(v));

export function nodeSummary(node: V1Node): NodeSummary {
  const labels = { ...(node.metadata?.labels ?? {}) };
  const cond = node.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    name: node.metadata?.name ?? '',
    labels,
    roles: Object.keys(labels)
      .filter((k) => k.startsWith('node-role.kubernetes.io/'))
      .map((k) => k.slice('node-role.kubernetes.io/'.length))
      .sort(),
    kubeletVersion: node.status?.nodeInfo?.kubeletVersion ?? null,
    addresses: (node.status?.addresses ?? []).map((a) => ({ type: a.type, address: a.address })),
    ready: cond?.status === 'True',
    readyCondition: cond ? { status: cond.status, reason: cond.reason ?? null, message: cond.message ?? null, since: iso(cond.lastTransitionTime) } : null,
  };
}

const stateOf = (node: NodeSummary | undefined): NodeState => (!node ? 'absent' : node.ready ? 'ready' : 'not-ready');

// ---------------------------------------------------------------------------
// Errors

function formatDuration(ms: number): LocalizedText {
  if (ms < 9950) {
    const t = String(Math.round(ms / 100) / 10);
    return { en: `${t} s`, zh: `${t} 秒` };
  }
  const s = Math.round(ms / 1000);
  if (s < 60) return { en: `${s} s`, zh: `${s} 秒` };
  const m = Math.floor(s / 60);
  return s % 60 ? { en: `${m} min ${s % 60} s`, zh: `${m} 分 ${s % 60} 秒` } : { en: `${m} min`, zh: `${m} 分钟` };
}

const UNREACHABLE_CODES: Record<string, LocalizedText> = {
  ECONNREFUSED: { en: 'the connection was refused', zh: '连接被拒绝' },
  ECONNRESET: { en: 'the connection was reset', zh: '连接被重置' },
  EPIPE: { en: 'the connection was closed', zh: '连接被关闭' },
  EHOSTUNREACH: { en: 'there is no route to the host', zh: '没有到该主机的路由' },
  ENETUNREACH: { en: 'the network is unreachable', zh: '网络不可达' },
  EHOSTDOWN: { en: 'the host is down', zh: '主机已关闭' },
  ENOTFOUND: { en: 'the host name is not known', zh: '主机名无法解析' },
  EAI_AGAIN: { en: 'the host name could not be resolved', zh: '主机名暂时无法解析' },
  ETIMEDOUT: { en: 'the connection timed out', zh: '连接超时' },
};

const TIMEOUT = Symbol('cluster request timeout');

/** The system error code of a failed request (node-fetch's FetchError copies it), if any. */
function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The HTTP status of a failed request: an ApiException's code, or the statusCode client-node's Watch sets. */
function httpStatus(e: unknown): number | undefined {
  if (e instanceof ApiException) return e.code;
  const s = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

function statusMessage(e: unknown): string | null {
  if (!(e instanceof ApiException)) return null;
  try {
    const body: unknown = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
    const message = (body as { message?: unknown } | null)?.message;
    return typeof message === 'string' ? message : null;
  } catch {
    return null;
  }
}

function clientCertExpiry(config: KubeConfig): Date | null {
  const data = config.getCurrentUser()?.certData;
  if (!data) return null;
  try {
    return new Date(new X509Certificate(Buffer.from(data, 'base64')).validTo);
  } catch {
    return null;
  }
}

export interface Connection {
  config: KubeConfig;
  server: string;
}

/** The AppError a technician reads for a request to `conn` that failed while trying to do `what`. */
export function clusterError(e: unknown, conn: Connection, what: LocalizedText, elapsed?: number): AppError {
  const { server } = conn;
  const host = new URL(server).host;
  const code = errorCode(e);
  const status = httpStatus(e);
  const hint = {
    en: `Check that k3s runs on the server (systemctl status k3s) and that this station reaches ${host} (address, cable, firewall).`,
    zh: `请确认服务器上 k3s 正在运行（systemctl status k3s），且本工作站能访问 ${host}（地址、网线、防火墙）。`,
  };
  if (e === TIMEOUT) {
    const d = formatDuration(elapsed ?? 0);
    return new AppError(ClusterErrors.CLUSTER_UNREACHABLE, {
      en: `The Kubernetes API at ${server} did not answer within ${d.en} when asked to ${what.en}. ${hint.en}`,
      zh: `Kubernetes API ${server} 在 ${d.zh} 内未响应（请求：${what.zh}）。${hint.zh}`,
    });
  }
  if (status === 401) {
    const expiry = clientCertExpiry(conn.config);
    const expired = expiry && expiry.getTime() < Date.now();
    return new AppError(
      ClusterErrors.CLUSTER_AUTH_FAILED,
      expired
        ? {
            en: `The Kubernetes API at ${server} refused the kubeconfig's credentials (401 Unauthorized): its client certificate expired on ${expiry.toISOString()}. Fetch a new kubeconfig from the server (/etc/rancher/k3s/k3s.yaml).`,
            zh: `Kubernetes API ${server} 拒绝了 kubeconfig 的凭据（401 Unauthorized）：其客户端证书已于 ${expiry.toISOString()} 过期。请从服务器重新获取 kubeconfig（/etc/rancher/k3s/k3s.yaml）。`,
          }
        : {
            en: `The Kubernetes API at ${server} refused the kubeconfig's credentials (401 Unauthorized): they were not issued by this cluster. The kubeconfig belongs to another cluster, or k3s was reinstalled there: fetch /etc/rancher/k3s/k3s.yaml again.`,
            zh: `Kubernetes API ${server} 拒绝了 kubeconfig 的凭据（401 Unauthorized）：凭据并非本集群签发。该 kubeconfig 属于其他集群，或服务器上的 k3s 已重装：请重新获取 /etc/rancher/k3s/k3s.yaml。`,
          },
      { cause: e },
    );
  }
  if (status === 403) {
    const m = statusMessage(e) ?? 'Forbidden';
    return new AppError(
      ClusterErrors.CLUSTER_AUTH_FAILED,
      {
        en: `The Kubernetes API at ${server} does not allow the kubeconfig's user to ${what.en} (403 Forbidden: ${m}). Use the cluster's admin kubeconfig (/etc/rancher/k3s/k3s.yaml).`,
        zh: `Kubernetes API ${server} 不允许该 kubeconfig 的用户${what.zh}（403 Forbidden：${m}）。请使用集群的管理员 kubeconfig（/etc/rancher/k3s/k3s.yaml）。`,
      },
      { cause: e },
    );
  }
  if (status !== undefined) {
    const m = statusMessage(e) ?? (e as Error).message.split('\n')[0];
    return new AppError(
      ClusterErrors.CLUSTER_REQUEST_FAILED,
      {
        en: `The Kubernetes API at ${server} refused to ${what.en} (HTTP ${status}: ${m}).`,
        zh: `Kubernetes API ${server} 拒绝${what.zh}（HTTP ${status}：${m}）。`,
      },
      { cause: e },
    );
  }
  if (code && UNREACHABLE_CODES[code]) {
    const r = UNREACHABLE_CODES[code];
    return new AppError(
      ClusterErrors.CLUSTER_UNREACHABLE,
      {
        en: `Cannot reach the Kubernetes API at ${server}: ${r.en} (${code}). ${hint.en}`,
        zh: `无法连接 Kubernetes API ${server}：${r.zh}（${code}）。${hint.zh}`,
      },
      { cause: e },
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const hostname = new URL(server).hostname;
    return new AppError(
      ClusterErrors.CLUSTER_AUTH_FAILED,
      {
        en: `The TLS certificate of the Kubernetes API at ${server} does not name ${hostname} (${code}). Reach the server by an address its certificate holds, or add this one with k3s's --tls-san and restart k3s.`,
        zh: `Kubernetes API ${server} 的 TLS 证书中没有 ${hostname}（${code}）。请使用证书中包含的地址访问服务器，或用 k3s 的 --tls-san 加入此地址后重启 k3s。`,
      },
      { cause: e },
    );
  }
  if (code && /ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED)/.test(code)) {
    return new AppError(
      ClusterErrors.CLUSTER_AUTH_FAILED,
      {
        en: `The Kubernetes API at ${server} refused the kubeconfig's client certificate during the TLS handshake (${code}). Fetch the cluster's kubeconfig again (/etc/rancher/k3s/k3s.yaml).`,
        zh: `Kubernetes API ${server} 在 TLS 握手时拒绝了 kubeconfig 的客户端证书（${code}）。请重新获取集群的 kubeconfig（/etc/rancher/k3s/k3s.yaml）。`,
      },
      { cause: e },
    );
  }
  if (code && /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_)/.test(code)) {
    return new AppError(
      ClusterErrors.CLUSTER_AUTH_FAILED,
      {
        en: `The Kubernetes API at ${server} presented a TLS certificate the kubeconfig does not trust (${code}). The kubeconfig belongs to another cluster, or k3s was reinstalled there: fetch /etc/rancher/k3s/k3s.yaml again.`,
        zh: `Kubernetes API ${server} 出示的 TLS 证书不受该 kubeconfig 信任（${code}）。该 kubeconfig 属于其他集群，或服务器上的 k3s 已重装：请重新获取 /etc/rancher/k3s/k3s.yaml。`,
      },
      { cause: e },
    );
  }
  if (code && (code.startsWith('ERR_SSL_') || code === 'EPROTO')) {
    return new AppError(
      ClusterErrors.CLUSTER_UNREACHABLE,
      {
        en: `Something answers at ${host}, but not with TLS (${code}): it is not the Kubernetes API. k3s serves it on port 6443.`,
        zh: `${host} 有服务应答，但不是 TLS（${code}）：这不是 Kubernetes API。k3s 在 6443 端口提供 API。`,
      },
      { cause: e },
    );
  }
  const m = (e as Error)?.message ?? String(e);
  return new AppError(
    ClusterErrors.CLUSTER_UNREACHABLE,
    { en: `Cannot ${what.en} at ${server}: ${m}. ${hint.en}`, zh: `无法在 ${server} ${what.zh}：${m}。${hint.zh}` },
    { cause: e },
  );
}

/** Whether retrying cannot help: the certificates or credentials are wrong. */
const isAuthFailure = (e: AppError) => e.code === ClusterErrors.CLUSTER_AUTH_FAILED;

// ---------------------------------------------------------------------------
// Requests

export function connect(kubeconfigYaml: string): Connection {
  const { config, cluster } = parseKubeconfig(kubeconfigYaml);
  return { config, server: cluster.server };
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

/** Runs one request with a deadline and the caller's signal; maps its failure to an AppError. */
async function request<T>(
  conn: Connection,
  what: LocalizedText,
  opts: { signal?: AbortSignal | undefined; timeoutMs: number },
  run: (options: ConfigurationOptions) => Promise<T>,
): Promise<T> {
  opts.signal?.throwIfAborted();
  const ctl = new AbortController();
  const started = Date.now();
  const timer = setTimeout(() => ctl.abort(TIMEOUT), opts.timeoutMs);
  const onAbort = () => ctl.abort(opts.signal!.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await run(withSignal(ctl.signal));
  } catch (e) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (ctl.signal.reason === TIMEOUT) throw clusterError(TIMEOUT, conn, what, Date.now() - started);
    throw clusterError(e, conn, what);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

const READ_VERSION = { en: 'read the server version', zh: '读取服务器版本' };
const LIST_NODES = { en: 'list nodes', zh: '列出节点' };

/** The server's version (k3s: v1.30.2+k3s1); also the cheapest check that a kubeconfig works. */
export async function serverVersion(kubeconfigYaml: string, opts: ClusterCallOptions = {}): Promise<string> {
  const conn = connect(kubeconfigYaml);
  const api = conn.config.makeApiClient(VersionApi);
  const info = await request(conn, READ_VERSION, { signal: opts.signal, timeoutMs: opts.timeoutMs ?? 10_000 }, (o) => api.getCode({}, o));
  return info.gitVersion;
}

/** The cluster's nodes, by name. */
export async function listNodes(kubeconfigYaml: string, opts: ClusterCallOptions & { labelSelector?: string } = {}): Promise<NodeSummary[]> {
  const conn = connect(kubeconfigYaml);
  const api = conn.config.makeApiClient(CoreV1Api);
  const list = await request(conn, LIST_NODES, { signal: opts.signal, timeoutMs: opts.timeoutMs ?? 30_000 }, (o) =>
    api.listNode(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}, o),
  );
  return list.items.map(nodeSummary).sort((a, b) => a.name.localeCompare(b.name));
}

// ---------------------------------------------------------------------------
// Waiting for a node

/**
 * Resolves with the node once its Ready condition is True. Lists the node,
 * then watches it from the list's resourceVersion. A watch the server ends
 * is resumed from the last resourceVersion seen; a 410 Gone lists again.
 * While the server cannot be reached (k3s restarting) it retries, backing
 * off up to 2 s. Credentials that do not fit fail at once.
 *
 * On timeout: CLUSTER_NODE_NOT_READY naming the node, its last Ready
 * condition and the time waited; or, when the last attempt to reach the
 * server failed, that failure's code (CLUSTER_UNREACHABLE,
 * CLUSTER_REQUEST_FAILED) with its message and the time waited.
 */
export async function waitNodeReady(kubeconfigYaml: string, nodeName: string, opts: WaitNodeReadyOptions = {}): Promise<NodeSummary> {
  const conn = connect(kubeconfigYaml);
  const core = conn.config.makeApiClient(CoreV1Api);
  const timeoutMs = opts.timeoutMs ?? 5 * 60_000;
  const fieldSelector = `metadata.name=${nodeName}`;
  const started = Date.now();
  const what = { en: `watch node "${nodeName}"`, zh: `监视节点“${nodeName}”` };

  return new Promise<NodeSummary>((resolve, reject) => {
    opts.signal?.throwIfAborted();
    let settled = false;
    /** Bumped for each list or watch; callbacks of older ones are ignored. */
    let generation = 0;
    let watchController: AbortController | null = null;
    let listController: AbortController | null = null;
    let retryTimer: NodeJS.Timeout | null = null;
    let resourceVersion: string | null = null;
    let node: NodeSummary | undefined;
    let state: NodeState | null = null;
    /** Consecutive failures, for the backoff; the last one, while the latest attempt failed. */
    let failures = 0;
    let lastFailure: AppError | null = null;

    // Runs after finish below is defined: a timer never fires synchronously.
    const deadline = setTimeout(() => {
      const waited = formatDuration(Date.now() - started);
      if (lastFailure) {
        return finish(
          new AppError(
            lastFailure.code,
            {
              en: `Gave up waiting for node "${nodeName}" after ${waited.en}: ${lastFailure.text.en}`,
              zh: `等待节点“${nodeName}”${waited.zh}后放弃：${lastFailure.text.zh}`,
            },
            { cause: lastFailure },
          ),
        );
      }
      const c = node?.readyCondition;
      const why: LocalizedText = !node
        ? { en: 'it never registered with the cluster', zh: '它从未向集群注册' }
        : !c
          ? { en: 'it has not reported a Ready condition yet', zh: '它尚未报告 Ready 状态' }
          : {
              en: `its Ready condition is ${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`,
              zh: `其 Ready 状态为 ${c.status}${c.reason ? `（${c.reason}${c.message ? `：${c.message}` : ''}）` : ''}`,
            };
      finish(
        new AppError(ClusterErrors.CLUSTER_NODE_NOT_READY, {
          en: `Node "${nodeName}" was not Ready after ${waited.en}: ${why.en}. On the box, \`journalctl -u k3s -u k3s-agent\` tells why.`,
          zh: `节点“${nodeName}”等待 ${waited.zh}后仍未就绪：${why.zh}。可在设备上运行 \`journalctl -u k3s -u k3s-agent\` 查看原因。`,
        }),
      );
    }, timeoutMs);

    const stopCurrent = () => {
      generation++;
      watchController?.abort();
      listController?.abort();
      watchController = listController = null;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
    };
    const finish = (error: unknown, value?: NodeSummary) => {
      if (settled) return;
      settled = true;
      stopCurrent();
      clearTimeout(deadline);
      opts.signal?.removeEventListener('abort', onAbort);
      if (error !== null) reject(error);
      else resolve(value!);
    };
    const onAbort = () => finish(opts.signal!.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const observe = (next: NodeSummary | undefined) => {
      node = next;
      const s = stateOf(next);
      if (s !== state) {
        state = s;
        try {
          opts.onState?.(s, next);
        } catch (e) {
          return finish(e);
        }
      }
      if (s === 'ready') finish(null, next);
    };

    /** A failed list or watch: fail on bad credentials, otherwise try `again` after a backoff. */
    const failed = (e: unknown, again: () => void) => {
      const err = e instanceof AppError ? e : clusterError(e, conn, what);
      if (isAuthFailure(err)) return finish(err);
      lastFailure = err;
      failures++;
      const delay = Math.min(2000, 100 * 2 ** failures);
      retryTimer = setTimeout(again, delay);
    };

    const list = () => {
      stopCurrent();
      const gen = generation;
      const ctl = new AbortController();
      listController = ctl;
      const remaining = Math.max(1000, timeoutMs - (Date.now() - started));
      request(conn, { en: `read node "${nodeName}"`, zh: `读取节点“${nodeName}”` }, { signal: ctl.signal, timeoutMs: Math.min(30_000, remaining) }, (o) =>
        core.listNode({ fieldSelector }, o),
      ).then(
        (result) => {
          if (gen !== generation || settled) return;
          failures = 0;
          lastFailure = null;
          resourceVersion = result.metadata?.resourceVersion ?? null;
          const item = result.items.find((n) => n.metadata?.name === nodeName);
          observe(item && nodeSummary(item));
          if (!settled) watch();
        },
        (e: unknown) => {
          if (gen !== generation || settled) return;
          failed(e, list);
        },
      );
    };

    const watch = () => {
      stopCurrent();
      const gen = generation;
      const current = () => gen === generation && !settled;
      const startedAt = Date.now();
      let events = 0;
      const params: Record<string, string | boolean> = { fieldSelector, allowWatchBookmarks: true };
      if (resourceVersion) params.resourceVersion = resourceVersion;
      const onEvent = (type: string, obj: unknown) => {
        if (!current()) return;
        failures = 0;
        lastFailure = null;
        events++;
        const o = obj as V1Node & { code?: number; kind?: string };
        if (type === 'ERROR') {
          // A Status: 410 Gone means our resourceVersion is too old, so list again.
          if (o.code === 410) return list();
          return failed(new ApiException(o.code ?? 500, 'watch error', JSON.stringify(o), {}), watch);
        }
        const rv = o.metadata?.resourceVersion;
        if (rv) resourceVersion = rv;
        if (type === 'BOOKMARK' || o.metadata?.name !== nodeName) return;
        observe(type === 'DELETED' ? undefined : nodeSummary(o));
      };
      const onDone = (err: unknown) => {
        if (!current()) return;
        watchController = null;
        if (!err) {
          // The server ended the watch (its timeout, a restart): resume from the last resourceVersion,
          // after a pause if it ended at once without a word, so that such a server is not hammered.
          if (events > 0 || Date.now() - startedAt > 1000) return watch();
          retryTimer = setTimeout(watch, 500);
          return;
        }
        if (httpStatus(err) === 410) return list();
        failed(err, watch);
      };
      new Watch(conn.config).watch('/api/v1/nodes', params, onEvent, onDone).then(
        (c) => {
          if (current()) watchController = c;
          else c.abort();
        },
        (e: unknown) => {
          if (current()) failed(e, watch);
        },
      );
    };

    list();
  });
}
