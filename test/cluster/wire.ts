/**
 * Raw HTTP(S) requests for the cluster tests, so that the Kubernetes API
 * stand-in's wire format is checked byte for byte and not only through
 * @kubernetes/client-node.
 */
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type { V1Node } from '@kubernetes/client-node';
import type { KubeStandIn } from '../support/kube-stand-in';

export type Credentials = 'cert' | 'token' | 'none' | { cert: string; key: string };

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  json: any;
}

function options(s: KubeStandIn, method: string, path: string, auth: Credentials, headers: Record<string, string>): https.RequestOptions {
  const u = new URL(path, s.url);
  const o: https.RequestOptions = { method, hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, ca: s.caPem, headers: { ...headers } };
  if (auth === 'cert') Object.assign(o, { cert: s.clientCertPem, key: s.clientKeyPem });
  else if (auth === 'token') (o.headers as Record<string, string>).Authorization = `Bearer ${s.token}`;
  else if (typeof auth === 'object') Object.assign(o, { cert: auth.cert, key: auth.key });
  return o;
}

/** One request to the API; resolves with the whole answer. */
export function api(
  s: KubeStandIn,
  method: string,
  path: string,
  opts: { auth?: Credentials; body?: unknown; contentType?: string; raw?: boolean } = {},
): Promise<RawResponse> {
  const body = opts.body === undefined ? undefined : opts.raw ? String(opts.body) : JSON.stringify(opts.body);
  const headers: Record<string, string> = body ? { 'Content-Type': opts.contentType ?? 'application/json' } : {};
  return new Promise((resolve, reject) => {
    const req = https.request(options(s, method, path, opts.auth ?? 'cert', headers), (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let json: unknown = undefined;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface RawWatch {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The next event line, parsed; rejects when the stream ends first or after timeoutMs. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  next(timeoutMs?: number): Promise<any>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** A watch request; events are read one line at a time, as the API concepts describe. */
export function watch(s: KubeStandIn, path: string): Promise<RawWatch> {
  return new Promise((resolve, reject) => {
    const req = https.request(options(s, 'GET', path, 'cert', {}), (res) => {
      const lines: string[] = [];
      const waiters: (() => void)[] = [];
      let done = false;
      const wake = () => waiters.splice(0).forEach((w) => w());
      const rl = createInterface({ input: res });
      // close() aborts the response on purpose; readline passes the abort on as an error.
      res.on('error', () => undefined);
      rl.on('error', () => undefined);
      rl.on('line', (l) => {
        lines.push(l);
        wake();
      });
      const ended = new Promise<void>((r) =>
        rl.on('close', () => {
          done = true;
          wake();
          r();
        }),
      );
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        ended,
        async next(timeoutMs = 5000) {
          const t0 = Date.now();
          while (lines.length === 0) {
            if (done) throw new Error('the watch ended');
            if (Date.now() - t0 > timeoutMs) throw new Error('no watch event in time');
            await new Promise<void>((r) => {
              waiters.push(r);
              setTimeout(r, 50);
            });
          }
          return JSON.parse(lines.shift()!);
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A plain-HTTP request to the registration listener, as the box-side k3s stand-in makes it. */
export function register(s: KubeStandIn, method: string, path: string, body?: unknown, token?: string): Promise<RawResponse> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const u = new URL(path, s.registrationUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        method,
        hostname: u.hostname,
        port: u.port,
        path: u.pathname,
        headers: { ...(text ? { 'Content-Type': 'application/json' } : {}), ...(token ? { Authorization: `Bearer ${token}` } : {}), Connection: 'close' },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const t = Buffer.concat(parts).toString('utf8');
          let json: unknown = undefined;
          try {
            json = JSON.parse(t);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: t, json });
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** A Node as a kubelet would POST it; typed V1Node although its nodeInfo holds only the kubelet version. */
export function nodeBody(name: string, labels: Record<string, string> = {}, address = '10.77.0.20'): V1Node {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    status: { addresses: [{ type: 'InternalIP', address }], nodeInfo: { kubeletVersion: 'v1.30.2+k3s1' } },
  };
  return node as unknown as V1Node;
}

/** Waits until `check` is true, polling the in-process stand-in (not the API). */
export async function until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Retries `check` (an assertion or a value getter) until it stops throwing; the last error when time runs out. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() - t0 > timeoutMs) throw e;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
