/**
 * Container logs, and GET pods/{name}/log as the kubelet serves it through
 * kube-apiserver (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#get-read-log-of-the-specified-pod,
 * PodLogOptions): text/plain; `container` (required when the pod has several),
 * `previous`, `follow` (a chunked stream that stays open until the container
 * instance ends), `timestamps` (RFC 3339 with nanoseconds, trailing zeros
 * trimmed, as Go's RFC3339Nano), `tailLines`, `sinceSeconds`, `sinceTime`,
 * `limitBytes`. Error texts are kubelet's and kube-apiserver's.
 *
 * The stand-in's containers run nothing: a container's log is what the
 * stand-in wrote into it (a line when it starts, optional periodic lines)
 * and what a test appended.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest } from './status';
import type { KubeObject } from './types';

interface LogLine {
  /** Milliseconds since the epoch and nanoseconds within the millisecond. */
  ms: number;
  ns: number;
  text: string;
}

class Instance {
  readonly lines: LogLine[] = [];
  readonly followers = new Set<{ line(l: LogLine): void; end(): void }>();
  ended = false;
  end() {
    this.ended = true;
    for (const f of this.followers) f.end();
    this.followers.clear();
  }
}

let tick = 0;

/** Go's time.RFC3339Nano: nanoseconds with trailing zeros trimmed. */
function rfc3339Nano(l: LogLine): string {
  const base = new Date(l.ms).toISOString().slice(0, 19);
  const frac = `${String(l.ms % 1000).padStart(3, '0')}${String(l.ns).padStart(6, '0')}`.replace(/0+$/, '');
  return `${base}${frac ? `.${frac}` : ''}Z`;
}

export class ContainerLogs {
  private readonly byContainer = new Map<string, { current: Instance; previous?: Instance }>();

  private key = (podUid: string, container: string) => `${podUid}/${container}`;

  private entry(podUid: string, container: string) {
    let e = this.byContainer.get(this.key(podUid, container));
    if (!e) this.byContainer.set(this.key(podUid, container), (e = { current: new Instance() }));
    return e;
  }

  append(podUid: string, container: string, text: string): void {
    const inst = this.entry(podUid, container).current;
    const ms = Date.now();
    for (const t of text.replace(/\n$/, '').split('\n')) {
      const line = { ms, ns: ++tick % 1_000_000, text: t };
      inst.lines.push(line);
      for (const f of inst.followers) f.line(line);
    }
  }

  /** A container's new instance: the current log becomes the previous one, and its followers' streams end. */
  restart(podUid: string, container: string): void {
    const e = this.entry(podUid, container);
    e.current.end();
    e.previous = e.current;
    e.current = new Instance();
  }

  /** The container ended (its pod is gone or finished): followers' streams end. */
  end(podUid: string, container?: string): void {
    for (const [k, e] of this.byContainer) if (container ? k === this.key(podUid, container) : k.startsWith(`${podUid}/`)) e.current.end();
  }

  forget(podUid: string): void {
    this.end(podUid);
    for (const k of [...this.byContainer.keys()]) if (k.startsWith(`${podUid}/`)) this.byContainer.delete(k);
  }

  /** Open follow streams of the container's current instance (a closed connection is no longer one). */
  followers(podUid: string, container: string): number {
    return this.byContainer.get(this.key(podUid, container))?.current.followers.size ?? 0;
  }

  text(podUid: string, container: string, previous = false): string[] {
    const e = this.byContainer.get(this.key(podUid, container));
    return ((previous ? e?.previous : e?.current)?.lines ?? []).map((l) => l.text);
  }

  /** Serves GET …/pods/{name}/log for `pod`. */
  serve(req: IncomingMessage, res: ServerResponse, pod: KubeObject, q: URLSearchParams): void {
    const containers: { name: string }[] = pod.spec?.containers ?? [];
    const initContainers: { name: string }[] = pod.spec?.initContainers ?? [];
    let container = q.get('container') ?? '';
    const name = pod.metadata.name;
    if (!container) {
      if (containers.length !== 1) {
        let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.map((c) => c.name).join(' ')}]`;
        if (initContainers.length > 0) msg += ` or one of the init containers: [${initContainers.map((c) => c.name).join(' ')}]`;
        throw badRequest(msg);
      }
      container = containers[0]!.name;
    }
    if (![...containers, ...initContainers].some((c) => c.name === container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
    const int = (k: string) => {
      const v = q.get(k);
      if (v === null || v === '') return undefined;
      if (!/^-?\d+$/.test(v)) throw badRequest(`${k}: Invalid value: "${v}": must be an integer`);
      return Number(v);
    };
    const tailLines = int('tailLines');
    const sinceSeconds = int('sinceSeconds');
    const limitBytes = int('limitBytes');
    if (sinceSeconds !== undefined && sinceSeconds < 1) throw badRequest('PodLogOptions "" is invalid: sinceSeconds: Invalid value: must be greater than 0');
    if (limitBytes !== undefined && limitBytes < 1) throw badRequest('PodLogOptions "" is invalid: limitBytes: Invalid value: must be greater than 0');
    const previous = q.get('previous') === 'true';
    const follow = q.get('follow') === 'true';
    const timestamps = q.get('timestamps') === 'true';
    const sinceTime = q.get('sinceTime');

    res.setHeader('Content-Type', 'text/plain');
    res.setHeader('Cache-Control', 'no-cache, private');
    // A pod not yet on a node has no log location: kube-apiserver answers with an empty body.
    if (!pod.spec?.nodeName) {
      res.writeHead(200);
      return void res.end();
    }
    const status = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find(
      (s: { name: string }) => s.name === container,
    ) as { state?: { waiting?: { reason?: string } }; lastState?: { terminated?: unknown } } | undefined;
    if (previous && !status?.lastState?.terminated) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    if (!previous && (!status || status.state?.waiting))
      throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${status?.state?.waiting?.reason ?? 'ContainerCreating'}`);

    const e = this.entry(pod.metadata.uid!, container);
    const inst = previous ? e.previous : e.current;
    const sinceMs = sinceSeconds !== undefined ? Date.now() - sinceSeconds * 1000 : sinceTime ? Date.parse(sinceTime) : undefined;
    let lines = (inst?.lines ?? []).filter((l) => sinceMs === undefined || l.ms >= sinceMs);
    if (tailLines !== undefined) lines = tailLines <= 0 ? [] : lines.slice(-tailLines);
    let budget = limitBytes ?? Infinity;
    const format = (l: LogLine) => `${timestamps ? `${rfc3339Nano(l)} ` : ''}${l.text}\n`;
    const write = (l: LogLine): boolean => {
      if (budget <= 0) return false;
      let chunk = Buffer.from(format(l));
      if (chunk.length > budget) chunk = chunk.subarray(0, budget);
      budget -= chunk.length;
      res.write(chunk);
      return budget > 0;
    };

    if (!follow || !inst || inst.ended) {
      const body = Buffer.concat(lines.map((l) => Buffer.from(format(l))));
      const out = limitBytes !== undefined ? body.subarray(0, limitBytes) : body;
      res.writeHead(200, { 'Content-Length': out.length });
      return void res.end(out);
    }
    res.writeHead(200, { 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    for (const l of lines) if (!write(l)) return void res.end();
    const follower = {
      line: (l: LogLine) => {
        if (!write(l)) {
          inst.followers.delete(follower);
          res.end();
        }
      },
      end: () => res.end(),
    };
    inst.followers.add(follower);
    const stop = () => inst.followers.delete(follower);
    res.on('close', stop);
    req.on('close', stop);
  }
}
