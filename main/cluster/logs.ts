/**
 * A pod container's log (GET pods/{name}/log, PodLogOptions:
 * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#get-read-log-of-the-specified-pod).
 *
 * A raw request, not client-node's Log: that one drops the Status body of a
 * refusal (the kubelet's "container is waiting to start", "previous
 * terminated container not found") and turns an unreachable server into a
 * bare HTTP 500, so a technician would not learn why there is no log.
 *
 * Followed lines reach the caller in batches (at most every BATCH_MS, at
 * most BATCH_LINES at a time), so a chatty container does not mean one
 * message per line; a line longer than MAX_LINE characters is cut. While the
 * caller lags, the stream is paused (TCP flow control holds the server).
 */
import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { LogsEvent, LogsInput } from '../api/contract';
import type { LocalizedText } from '../api/errors';
import { ConsoleErrors, type CallOptions, type KubeClient, type RawRequest } from './console-client';

const BATCH_MS = 100;
const BATCH_LINES = 1000;
const MAX_LINE = 16 * 1024;
/** Lines held for a caller that lags before the stream is paused. */
const HIGH_WATER = 4 * BATCH_LINES;

type Options = Omit<LogsInput, 'clusterId'>;

function request(o: Options, follow: boolean, container = o.container): RawRequest {
  return {
    method: 'GET',
    path: `/api/v1/namespaces/${encodeURIComponent(o.namespace)}/pods/${encodeURIComponent(o.pod)}/log`,
    query: {
      container,
      follow: String(follow),
      previous: String(o.previous),
      timestamps: String(o.timestamps),
      tailLines: o.tailLines === undefined ? undefined : String(o.tailLines),
    },
  };
}

const what = (o: Options): LocalizedText => ({
  en: `read the ${o.previous ? 'previous ' : ''}log of pod ${o.namespace}/${o.pod}${o.container ? `, container ${o.container}` : ''} (get pods/log)`,
  zh: `读取 Pod ${o.namespace}/${o.pod}${o.container ? ` 容器 ${o.container}` : ''}的${o.previous ? '上一次' : ''}日志（get pods/log）`,
});

const callOptions = (signal?: AbortSignal): CallOptions => ({ signal, field: ['container'], refusedCode: ConsoleErrors.CLUSTER_LOGS_UNAVAILABLE });

/** Splits the stream into lines (UTF-8 decoded across chunks), cutting each at MAX_LINE characters. */
class Lines {
  private readonly decoder = new StringDecoder('utf8');
  private line = '';
  private cut = 0;

  push(chunk: Buffer): string[] {
    const parts = this.decoder.write(chunk).split('\n');
    const out: string[] = [];
    for (const p of parts.slice(0, -1)) {
      this.append(p);
      out.push(this.take());
    }
    this.append(parts.at(-1)!);
    return out;
  }

  /** A last line without its newline, once the stream ended. */
  end(): string[] {
    this.append(this.decoder.end());
    return this.line || this.cut ? [this.take()] : [];
  }

  private append(text: string): void {
    const room = MAX_LINE - this.line.length;
    if (text.length <= room) this.line += text;
    else {
      this.line += text.slice(0, room);
      this.cut += text.length - room;
    }
  }

  private take(): string {
    const line = this.cut ? `${this.line} … [${this.cut} more characters cut]` : this.line.replace(/\r$/, '');
    this.line = '';
    this.cut = 0;
    return line;
  }
}

/**
 * The log as it comes: batches of lines, then one end event (problem null
 * when the server ended the stream: the container stopped, or the log was
 * not followed; a text when the connection broke). Refusals before the
 * first line (no such pod or container, a container not started) throw.
 * Aborting `signal` closes the HTTP stream.
 */
export async function* streamLogs(client: KubeClient, o: Options, signal?: AbortSignal): AsyncGenerator<LogsEvent> {
  const res: IncomingMessage = await client.open(what(o), request(o, o.follow), callOptions(signal));
  const lines = new Lines();
  const pending: string[] = [];
  let firstAt = 0;
  let end: LogsEvent | null = null;
  let wake: (() => void) | null = null;
  const poke = () => wake?.();
  res.on('data', (chunk: Buffer) => {
    const got = lines.push(chunk);
    if (got.length === 0) return;
    if (pending.length === 0) firstAt = Date.now();
    pending.push(...got);
    if (pending.length >= HIGH_WATER) res.pause();
    poke();
  });
  res.on('end', () => {
    pending.push(...lines.end());
    end ??= { type: 'end', problem: null };
    poke();
  });
  res.on('error', () => undefined);
  res.on('close', () => {
    if (!res.complete)
      end ??= {
        type: 'end',
        problem: {
          en: `The log stream from ${client.server} broke off before the server ended it (the connection was closed or reset). Open the log again to go on.`,
          zh: `来自 ${client.server} 的日志流在服务器结束前中断（连接被关闭或重置）。请重新打开日志以继续。`,
        },
      };
    poke();
  });
  signal?.addEventListener('abort', poke, { once: true });
  try {
    while (!signal?.aborted) {
      const due = pending.length > 0 && (end !== null || pending.length >= BATCH_LINES || Date.now() - firstAt >= BATCH_MS);
      if (due) {
        const batch = pending.splice(0, BATCH_LINES);
        firstAt = Date.now();
        if (res.isPaused() && pending.length < BATCH_LINES) res.resume();
        yield { type: 'lines', lines: batch };
        continue;
      }
      if (end && pending.length === 0) {
        yield end;
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = pending.length > 0 ? setTimeout(resolve, Math.max(0, BATCH_MS - (Date.now() - firstAt))) : undefined;
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } finally {
    signal?.removeEventListener('abort', poke);
    res.destroy();
  }
}

/** The whole log as a file to save: <pod>_<container>[_previous].log. */
export async function logText(client: KubeClient, o: Omit<Options, 'follow'>, signal?: AbortSignal): Promise<{ fileName: string; text: string }> {
  // The file is named after the container: a pod with one container has it named here, as the server would choose it.
  let container = o.container;
  if (!container) {
    const read = { en: `read pod ${o.namespace}/${o.pod} (get pods)`, zh: `读取 Pod ${o.namespace}/${o.pod}（get pods）` };
    const pod = await client.call(read, (opts) => client.core.readNamespacedPod({ name: o.pod, namespace: o.namespace }, opts), { signal });
    const containers = pod.spec?.containers ?? [];
    if (containers.length === 1) container = containers[0]!.name;
  }
  // No limitBytes: the kubelet rotates container logs (containerLogMaxSize, 10 MiB by default), which bounds what it serves.
  const text = await client.text(what({ ...o, follow: false, container }), request({ ...o, follow: false }, false, container), callOptions(signal));
  return { fileName: `${o.pod}_${container ?? 'log'}${o.previous ? '_previous' : ''}.log`, text };
}
