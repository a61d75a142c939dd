/**
 * A shell in a pod's container, in the native process: the pods/exec
 * subresource over WebSocket with the Kubernetes channel protocol
 * (k8s.io/apimachinery wsstream; v5 is KEP-4006's, served since Kubernetes
 * 1.30, v4 by every server since 1.4). Each binary message is a channel
 * byte and data: 0 stdin, 1 stdout, 2 stderr, 3 the final metav1.Status,
 * 4 terminal size ({"Width","Height"}), and in v5 only, [255, channel]
 * half-closes a stream. As kubectl does for `exec -it`: tty, stdin and
 * stdout, no separate stderr (a tty merges it).
 *
 * The pod is read first (GET), so that an omitted container is resolved as
 * kubectl resolves it (the kubectl.kubernetes.io/default-container
 * annotation, else the first container) and a missing pod, container or a
 * container that is not running gets its own refusal before the upgrade;
 * the upgrade's own Status answers are mapped the same way.
 *
 * Keep-alives: a WebSocket ping every `keepaliveMs`; two intervals without
 * hearing anything (pong or data) mean the connection is gone (a cable
 * pulled, a server frozen), which TCP alone would not notice for minutes.
 * While flow control holds the socket unread its pongs cannot be heard, so
 * the count starts again on resume.
 *
 * `ws` rather than client-node's Exec: it exposes the socket's pause and
 * resume (flow control), pings, and the upgrade's HTTP answer, and it keeps
 * client-node out of the native process.
 */
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import WebSocket from 'ws';
import type { LocalizedText } from '../api/errors';
import { clusterOffline, clusterUnauthorized, containerNotFound, execFailed, podNotFound, podNotRunning, type PodRef } from './errors';
import type { KubeEndpoint } from './protocol';
import type { TerminalSink, TerminalTransport } from './transport';

/** Offered in this order; the server picks the first it speaks. */
const EXEC_SUBPROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

/** How long the pod lookup and the upgrade each wait for the API server. */
const CONNECT_TIMEOUT_MS = 15_000;
/** After stdin is half-closed, how long the command gets to end by itself before the connection is cut. */
const CLOSE_GRACE_MS = 2_000;

export interface PodExecSpec {
  api: KubeEndpoint;
  namespace: string;
  pod: string;
  container: string | null;
  command: string[];
  cols: number;
  rows: number;
  keepaliveMs: number;
}

/** metav1.Status, as the API server answers a refusal and as the error channel ends a session. */
interface KubeStatus {
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: { reason?: string; message?: string }[] };
}

interface ContainerState {
  running?: object;
  waiting?: { reason?: string };
  terminated?: { reason?: string; exitCode?: number };
}

interface Pod {
  metadata?: { annotations?: Record<string, string> };
  spec?: { containers?: { name: string }[]; initContainers?: { name: string }[]; ephemeralContainers?: { name: string }[] };
  status?: {
    phase?: string;
    reason?: string;
    containerStatuses?: { name: string; state?: ContainerState }[];
    initContainerStatuses?: { name: string; state?: ContainerState }[];
    ephemeralContainerStatuses?: { name: string; state?: ContainerState }[];
  };
}

const UNREACHABLE: Record<string, LocalizedText> = {
  ECONNREFUSED: { en: 'the connection was refused', zh: '连接被拒绝' },
  ECONNRESET: { en: 'the connection was reset', zh: '连接被重置' },
  EHOSTUNREACH: { en: 'there is no route to the host', zh: '没有到该主机的路由' },
  ENETUNREACH: { en: 'the network is unreachable', zh: '网络不可达' },
  ENOTFOUND: { en: 'the host name is not known', zh: '主机名无法解析' },
  EAI_AGAIN: { en: 'the host name could not be resolved', zh: '主机名暂时无法解析' },
  ETIMEDOUT: { en: `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`, zh: `${CONNECT_TIMEOUT_MS / 1000} 秒内无应答` },
};

/** Node's codes for a server certificate the kubeconfig's CA did not issue, or that names another host. */
const CERT_CODES =
  /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_|ERR_TLS_CERT_ALTNAME_INVALID)/;

function tlsOptions(api: KubeEndpoint) {
  return {
    ...(api.ca ? { ca: api.ca } : {}),
    ...(api.cert && api.key ? { cert: api.cert, key: api.key } : {}),
    ...(api.serverName ? { servername: api.serverName } : {}),
    rejectUnauthorized: !api.insecure,
  };
}

function authHeaders(api: KubeEndpoint): Record<string, string> {
  if (api.token) return { Authorization: `Bearer ${api.token}` };
  if (api.basic) return { Authorization: `Basic ${Buffer.from(`${api.basic.username}:${api.basic.password}`).toString('base64')}` };
  return {};
}

/** The pod's URL below the server's own path (a server behind a proxy may have one). */
function podUrl(api: KubeEndpoint, namespace: string, pod: string, sub = ''): URL {
  const url = new URL(api.server);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}${sub}`;
  return url;
}

/** A JSON object (a Status, a Pod), or null for anything else (an empty body, a proxy's HTML page). */
function parseObject<T>(text: string): T | null {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as T) : null;
  } catch {
    return null;
  }
}

/** A failed connection: the server is unreachable, or its certificate does not fit. */
function connectionError(e: Error & { code?: string }, ref: PodRef, api: KubeEndpoint) {
  const code = e.code ?? '';
  if (CERT_CODES.test(code))
    return clusterUnauthorized(ref.cluster, {
      en: `at ${api.server} presented a certificate that the kubeconfig's certificate authority does not vouch for (${code}): the kubeconfig belongs to another cluster, or k3s was reinstalled there.`,
      zh: `${api.server} 出示的证书不被 kubeconfig 的证书颁发机构认可（${code}）：该 kubeconfig 属于其他集群，或服务器上的 k3s 已重装。`,
    });
  return clusterOffline(ref.cluster, api.server, UNREACHABLE[code] ?? { en: e.message, zh: e.message });
}

/** A refusal from the API server (the pod lookup's or the upgrade's answer) as the refusal the user reads. */
function statusError(httpStatus: number, st: KubeStatus | null, ref: PodRef, container: string | null): Error {
  const message = st?.message ?? `HTTP ${httpStatus}`;
  if (httpStatus === 401)
    return clusterUnauthorized(ref.cluster, {
      en: 'refused the kubeconfig’s credentials (401 Unauthorized): they were not issued by this cluster, or they expired.',
      zh: '拒绝了 kubeconfig 的凭据（401 Unauthorized）：凭据并非本集群签发，或已过期。',
    });
  if (httpStatus === 403 && st)
    return clusterUnauthorized(ref.cluster, {
      en: `does not let the kubeconfig’s user open a shell in pods (403 Forbidden: ${message}).`,
      zh: `不允许该 kubeconfig 的用户在 pod 中打开 shell（403 Forbidden：${message}）。`,
    });
  if (httpStatus === 403)
    // wsstream refuses a handshake without a subprotocol it speaks with a bare 403.
    return execFailed(ref, `it speaks neither ${EXEC_SUBPROTOCOLS.join(' nor ')} (403).`);
  if (httpStatus === 404) return podNotFound(ref);
  // kube-apiserver's and the kubelet's texts for a container that is not there, or not running.
  const named = /container (\S+) is not valid for pod/.exec(message);
  if (named) return containerNotFound(ref, named[1]!, []);
  if (/completed pod|container not found|not running/.test(message)) return podNotRunning(ref, container, { en: message, zh: message });
  return execFailed(ref, message);
}

async function readPod(api: KubeEndpoint, ref: PodRef): Promise<Pod> {
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = https.request(
      podUrl(api, ref.namespace, ref.pod),
      { method: 'GET', headers: { Accept: 'application/json', ...authHeaders(api) }, ...tlsOptions(api), agent: false, timeout: CONNECT_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  }).catch((e: Error) => {
    throw connectionError(e, ref, api);
  });
  if (status !== 200) throw statusError(status, parseObject<KubeStatus>(body), ref, null);
  const pod = parseObject<Pod>(body);
  if (!pod) throw execFailed(ref, 'its answer to reading the pod is not JSON.');
  return pod;
}

/** The container to exec into, as kubectl picks it, refused when it is not there or not running. */
function pickContainer(pod: Pod, wanted: string | null, ref: PodRef): string {
  const main = (pod.spec?.containers ?? []).map((c) => c.name);
  const all = [...main, ...(pod.spec?.initContainers ?? []).map((c) => c.name), ...(pod.spec?.ephemeralContainers ?? []).map((c) => c.name)];
  const annotated = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  const container = wanted ?? (annotated && main.includes(annotated) ? annotated : main[0]);
  if (!container || !all.includes(container)) throw containerNotFound(ref, container ?? '', all);
  const st = pod.status ?? {};
  const state = [...(st.containerStatuses ?? []), ...(st.initContainerStatuses ?? []), ...(st.ephemeralContainerStatuses ?? [])].find(
    (c) => c.name === container,
  )?.state;
  if (state?.running) return container;
  const phase = st.phase ?? 'Unknown';
  if (phase !== 'Running') {
    const why = st.reason ? `${phase}, ${st.reason}` : phase;
    throw podNotRunning(ref, null, { en: `it is ${why}`, zh: `状态为 ${why}` });
  }
  const reason = state?.waiting?.reason ?? state?.terminated?.reason ?? 'not started';
  throw podNotRunning(ref, container, { en: reason, zh: reason });
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function exited(pod: string, container: string, code: number): LocalizedText {
  return { en: `The command in ${pod}/${container} exited with status ${code}.`, zh: `${pod}/${container} 中的命令已退出，状态码 ${code}。` };
}

export async function openPod(spec: PodExecSpec, sink: TerminalSink): Promise<TerminalTransport> {
  const { api } = spec;
  const ref: PodRef = { cluster: api.cluster, namespace: spec.namespace, pod: spec.pod };
  const container = pickContainer(await readPod(api, ref), spec.container, ref);
  const host = new URL(api.server).host;

  const url = podUrl(api, spec.namespace, spec.pod, '/exec');
  url.protocol = 'wss:';
  for (const c of spec.command) url.searchParams.append('command', c);
  url.searchParams.set('container', container);
  for (const flag of ['stdin', 'stdout', 'tty']) url.searchParams.set(flag, 'true');

  const ws = new WebSocket(url, [...EXEC_SUBPROTOCOLS], {
    ...tlsOptions(api),
    headers: authHeaders(api),
    handshakeTimeout: CONNECT_TIMEOUT_MS,
    perMessageDeflate: false,
  });
  const out = new StringDecoder('utf8');
  let statusText = '';
  let lastError: Error | null = null;
  let closing = false;
  let paused = false;
  let heard = Date.now();
  let ended = false;
  let keepalive: ReturnType<typeof setInterval> | null = null;
  let grace: ReturnType<typeof setTimeout> | null = null;

  const end = (status: LocalizedText, exitCode: number | null) => {
    if (ended) return;
    ended = true;
    if (keepalive) clearInterval(keepalive);
    if (grace) clearTimeout(grace);
    const rest = out.end();
    if (rest) sink.data(rest);
    sink.ended(status, exitCode);
  };
  const lost = (why: LocalizedText) =>
    end({ en: `The connection to the API server ${host} was lost: ${why.en}.`, zh: `与 API 服务器 ${host} 的连接已断开：${why.zh}。` }, null);

  // Attached before the upgrade completes: the first frames can come in the same packet as the 101.
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    heard = Date.now();
    if (!isBinary || data.length < 2) return;
    const channel = data[0];
    // With a tty the kubelet merges stderr into stdout; a server that sends it anyway is shown too.
    if (channel === STDOUT || channel === STDERR) sink.data(out.write(data.subarray(1)));
    else if (channel === ERROR) statusText += data.subarray(1).toString('utf8');
  });
  ws.on('pong', () => (heard = Date.now()));

  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      void readBody(res).then((body) => {
        reject(statusError(res.statusCode ?? 0, parseObject<KubeStatus>(body), ref, container));
        ws.terminate();
      });
    });
    ws.on('error', (e: Error & { code?: string }) => {
      lastError = e;
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.CLOSED) reject(connectionError(e, ref, api));
    });
  });

  const v5 = ws.protocol === EXEC_SUBPROTOCOLS[0];
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  const resize = (cols: number, rows: number) => send(RESIZE, Buffer.from(JSON.stringify({ Width: cols, Height: rows })));

  ws.on('close', (code: number, reason: Buffer) => {
    const st = parseObject<KubeStatus>(statusText);
    if (st?.status === 'Success') return end(exited(ref.pod, container, 0), 0);
    const exitCause = st?.reason === 'NonZeroExitCode' ? st.details?.causes?.find((c) => c.reason === 'ExitCode')?.message : undefined;
    if (exitCause && /^\d+$/.test(exitCause)) return end(exited(ref.pod, container, Number(exitCause)), Number(exitCause));
    if (st) {
      const message = st.message ?? st.reason ?? 'Failure';
      return end({ en: `The API server ended the session: ${message}`, zh: `API 服务器结束了会话：${message}` }, null);
    }
    if (closing) return end({ en: 'Closed.', zh: '已关闭。' }, null);
    const text = reason.toString('utf8');
    lost(
      lastError
        ? (UNREACHABLE[(lastError as Error & { code?: string }).code ?? ''] ?? { en: lastError.message, zh: lastError.message })
        : { en: `it closed (WebSocket code ${code}${text ? `, ${text}` : ''})`, zh: `连接已关闭（WebSocket 代码 ${code}${text ? `，${text}` : ''}）` },
    );
  });

  keepalive = setInterval(() => {
    if (!paused && Date.now() - heard > 2 * spec.keepaliveMs) {
      const s = Math.round((Date.now() - heard) / 100) / 10;
      lost({ en: `no answer to keep-alives for ${s} s`, zh: `${s} 秒内保活无应答` });
      ws.terminate();
      return;
    }
    if (ws.readyState === WebSocket.OPEN) ws.ping();
  }, spec.keepaliveMs);

  resize(spec.cols, spec.rows);
  sink.opened();
  return {
    title: `${spec.pod}/${container}`,
    target: `${api.cluster}/${spec.namespace}/${spec.pod}/${container}`,
    write: (data) => send(STDIN, Buffer.from(data, 'utf8')),
    resize,
    pause: () => {
      paused = true;
      ws.pause();
    },
    resume: () => {
      paused = false;
      heard = Date.now();
      ws.resume();
    },
    close: async () => {
      if (ended) return;
      closing = true;
      const gone = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      if (v5) {
        // Stdin half-closed: the shell reads end-of-file and exits; one that does not is cut after the grace period.
        send(CLOSE, Buffer.from([STDIN]));
        grace = setTimeout(() => ws.close(1000), CLOSE_GRACE_MS);
      } else ws.close(1000);
      await Promise.race([gone, new Promise((r) => setTimeout(r, CLOSE_GRACE_MS + 3_000))]);
      ws.terminate();
    },
  };
}
