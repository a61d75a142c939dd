/**
 * The stand-in's pod logs (client-node's Log and raw https), exec over the
 * WebSocket channel protocol (client-node's Exec and a raw `ws` client, for
 * subprotocol negotiation, channels, resize and ping/pong), and the
 * metrics.k8s.io API (client-node's Metrics).
 */
import { PassThrough, Readable } from 'node:stream';
import { CoreV1Api, Exec, KubeConfig, Log, Metrics, type ApiException, type V1Status } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeStandIn, usageOf, type KubeStandIn } from '../support/kube-stand-in';
import { api, eventually } from './wire';

let s: KubeStandIn;
let kc: KubeConfig;
const core = () => kc.makeApiClient(CoreV1Api);

beforeAll(async () => {
  s = await startKubeStandIn({ podStartMs: 30 });
  kc = new KubeConfig();
  kc.loadFromString(s.kubeconfig());
  s.addNode('n1', { labels: { site: 'north' } });
  await core().createNamespacedPod({
    namespace: 'default',
    body: { metadata: { name: 'one' }, spec: { containers: [{ name: 'app', image: 'app:1', env: [{ name: 'GREETING', value: 'hello' }] }] } },
  });
  await core().createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name: 'two' },
      spec: {
        containers: [
          { name: 'app', image: 'app:1' },
          { name: 'sidecar', image: 'proxy:1' },
        ],
      },
    },
  });
  await eventually(async () => {
    for (const name of ['one', 'two']) expect((await core().readNamespacedPod({ name, namespace: 'default' })).status?.phase).toBe('Running');
  });
});
afterAll(async () => {
  await s?.close();
});

const collect = () => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
};

describe('pod logs', () => {
  it('serves a container log as text/plain, with tailLines, timestamps and limitBytes', async () => {
    s.appendLog('default', 'one', 'app', 'line a\nline b\nline c');
    const all = await api(s, 'GET', '/api/v1/namespaces/default/pods/one/log');
    expect(all.status).toBe(200);
    expect(all.headers['content-type']).toBe('text/plain');
    expect(all.text).toBe('stand-in container app started (image app:1)\nline a\nline b\nline c\n');
    expect((await api(s, 'GET', '/api/v1/namespaces/default/pods/one/log?tailLines=2')).text).toBe('line b\nline c\n');
    const stamped = await api(s, 'GET', '/api/v1/namespaces/default/pods/one/log?tailLines=1&timestamps=true');
    expect(stamped.text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z line c\n$/);
    expect((await api(s, 'GET', '/api/v1/namespaces/default/pods/one/log?limitBytes=10')).text).toBe('stand-in c');
    expect(await core().readNamespacedPodLog({ name: 'one', namespace: 'default', tailLines: 1 })).toBe('line c\n');
  });

  it('requires a container for a pod with several, with the message kube-apiserver sends', async () => {
    const r = await api(s, 'GET', '/api/v1/namespaces/default/pods/two/log');
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ reason: 'BadRequest', code: 400, message: 'a container name must be specified for pod two, choose one of: [app sidecar]' });
    const bad = await api(s, 'GET', '/api/v1/namespaces/default/pods/two/log?container=nope');
    expect(bad.json.message).toBe('container nope is not valid for pod two');
    s.appendLog('default', 'two', 'sidecar', 'proxy up');
    expect((await api(s, 'GET', '/api/v1/namespaces/default/pods/two/log?container=sidecar&tailLines=1')).text).toBe('proxy up\n');
  });

  it('serves the previous instance after a restart, and 400 for previous when there was none', async () => {
    const none = await api(s, 'GET', '/api/v1/namespaces/default/pods/two/log?container=app&previous=true');
    expect(none.status).toBe(400);
    expect(none.json.message).toBe('previous terminated container "app" in pod "two" not found');
    s.appendLog('default', 'two', 'app', 'about to crash');
    const restarted = s.restartContainer('default', 'two', 'app', { exitCode: 2 });
    const st = restarted.status.containerStatuses.find((c: { name: string }) => c.name === 'app');
    expect(st).toMatchObject({ restartCount: 1, lastState: { terminated: { exitCode: 2, reason: 'Error' } }, state: { running: {} } });
    s.appendLog('default', 'two', 'app', 'back again');
    expect((await api(s, 'GET', '/api/v1/namespaces/default/pods/two/log?container=app&previous=true')).text).toMatch(/about to crash\n$/);
    expect((await api(s, 'GET', '/api/v1/namespaces/default/pods/two/log?container=app')).text).toBe('back again\n');
    const pod = await core().readNamespacedPod({ name: 'two', namespace: 'default' });
    expect(pod.status?.containerStatuses?.find((c) => c.name === 'app')?.restartCount).toBe(1);
  });

  it("follows a log with client-node's Log: existing lines, then new ones as the container writes them", async () => {
    const out = collect();
    const ctl = await new Log(kc).log('default', 'one', 'app', out.stream, { follow: true, tailLines: 1 });
    await eventually(() => expect(out.text()).toBe('line c\n'));
    s.appendLog('default', 'one', 'app', 'live 1');
    s.appendLog('default', 'one', 'app', 'live 2');
    await eventually(() => expect(out.text()).toBe('line c\nlive 1\nlive 2\n'));
    ctl.abort();
  });

  it('ends a follow stream when the container restarts, and emits periodic lines when asked (logEveryMs)', async () => {
    const chatty = await startKubeStandIn({ podStartMs: 10, logEveryMs: 50 });
    try {
      chatty.addNode('n');
      const r = await api(chatty, 'POST', '/api/v1/namespaces/default/pods', {
        body: { metadata: { name: 'c' }, spec: { containers: [{ name: 'x', image: 'x:1' }] } },
      });
      expect(r.status).toBe(201);
      await eventually(() => expect(chatty.logLines('default', 'c', 'x').filter((l) => /^c\/x tick \d+$/.test(l)).length).toBeGreaterThanOrEqual(2));
    } finally {
      await chatty.close();
    }
    // The follow of the test before has gone; the restart comes once the stand-in follows this request, not before.
    await eventually(() => expect(s.logFollowers('default', 'one', 'app')).toBe(0));
    const ended = api(s, 'GET', '/api/v1/namespaces/default/pods/one/log?follow=true&tailLines=0');
    await eventually(() => expect(s.logFollowers('default', 'one', 'app')).toBe(1));
    s.restartContainer('default', 'one', 'app');
    expect((await ended).status).toBe(200);
  });
});

describe('exec', () => {
  it("runs a real command through client-node's Exec: stdout, stderr, and the exit code in the status channel", async () => {
    const out = collect();
    const err = collect();
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc)
        .exec(
          'default',
          'one',
          'app',
          ['sh', '-c', 'echo "$GREETING from $(basename "$PWD")"; echo oops >&2; exit 3'],
          out.stream,
          err.stream,
          null,
          false,
          resolve,
        )
        .catch(reject);
    });
    expect(out.text()).toMatch(/^hello from default_one_[0-9a-f]{8}\n$/);
    expect(err.text()).toBe('oops\n');
    expect(status).toEqual({
      metadata: {},
      status: 'Failure',
      message:
        'command terminated with non-zero exit code: error executing command [sh -c echo "$GREETING from $(basename "$PWD")"; echo oops >&2; exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('feeds stdin and closes it with the v5 close signal when the client input ends', async () => {
    const out = collect();
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc).exec('default', 'one', 'app', ['tr', 'a-z', 'A-Z'], out.stream, null, Readable.from([Buffer.from('shout\n')]), false, resolve).catch(reject);
    });
    expect(status).toEqual({ metadata: {}, status: 'Success' });
    expect(out.text()).toBe('SHOUT\n');
  });

  const wsUrl = (path: string) => `${s.url.replace('https://', 'wss://')}${path}`;
  const open = (path: string, protocols: string[]) =>
    new Promise<{ ws: WebSocket; protocol: string } | { status: number }>((resolve, reject) => {
      const ws = new WebSocket(wsUrl(path), protocols, { ca: s.caPem, cert: s.clientCertPem, key: s.clientKeyPem });
      ws.on('open', () => resolve({ ws, protocol: ws.protocol }));
      ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
      ws.on('error', reject);
    });
  const frames = (ws: WebSocket) => {
    const got: { channel: number; data: Buffer }[] = [];
    ws.on('message', (d: Buffer, isBinary: boolean) =>
      got.push(
        isBinary
          ? { channel: d[0]!, data: d.subarray(1) }
          : { channel: d.toString()[0]!.charCodeAt(0) - 48, data: Buffer.from(d.toString().slice(1), 'base64') },
      ),
    );
    const closed = new Promise<void>((r) => ws.on('close', () => r()));
    return { got, closed, text: (ch: number) => Buffer.concat(got.filter((f) => f.channel === ch).map((f) => f.data)).toString() };
  };

  it('negotiates the first subprotocol it supports and refuses others with 403, as wsstream does', async () => {
    const q = '/api/v1/namespaces/default/pods/one/exec?command=true&stdout=true';
    const v4 = await open(q, ['v3.channel.k8s.io', 'v4.channel.k8s.io']);
    expect('protocol' in v4 && v4.protocol).toBe('v4.channel.k8s.io');
    if ('ws' in v4) v4.ws.close();
    const v5 = await open(q, ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    expect('protocol' in v5 && v5.protocol).toBe('v5.channel.k8s.io');
    if ('ws' in v5) v5.ws.close();
    expect(await open(q, ['v3.channel.k8s.io', 'channel.k8s.io'])).toEqual({ status: 403 });
    expect(await open('/api/v1/namespaces/default/pods/two/exec?command=true&stdout=true', ['v4.channel.k8s.io'])).toEqual({ status: 400 });
    const plain = await api(s, 'GET', `${q}&container=app`);
    expect(plain.status).toBe(400);
    expect(plain.json.message).toBe('Upgrade request required');
  });

  it('sends an empty stdout frame first, the output, then the Success status; base64 variant too', async () => {
    const c = await open('/api/v1/namespaces/default/pods/one/exec?command=echo&command=hi&stdout=true', ['v4.base64.channel.k8s.io']);
    if (!('ws' in c)) throw new Error('no websocket');
    const f = frames(c.ws);
    await f.closed;
    expect(f.got[0]).toEqual({ channel: 1, data: Buffer.alloc(0) });
    expect(f.text(1)).toBe('hi\n');
    expect(JSON.parse(f.text(3))).toEqual({ metadata: {}, status: 'Success' });
  });

  it('runs a tty under a real pseudo-terminal that takes resize messages on channel 4, and answers pings', async () => {
    const c = await open('/api/v1/namespaces/default/pods/one/exec?command=sh&command=-c&command=read%20x%3B%20stty%20size&stdin=true&stdout=true&tty=true', [
      'v5.channel.k8s.io',
    ]);
    if (!('ws' in c)) throw new Error('no websocket');
    const f = frames(c.ws);
    const pong = new Promise<Buffer>((r) => c.ws.once('pong', r));
    c.ws.ping(Buffer.from('keepalive'));
    expect((await pong).toString()).toBe('keepalive');
    c.ws.send(Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify({ Width: 123, Height: 45 }))]));
    await new Promise((r) => setTimeout(r, 100));
    c.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('go\r')]));
    await f.closed;
    expect(f.text(1)).toMatch(/45 123\r?\n/);
    expect(JSON.parse(f.text(3)).status).toBe('Success');
  });

  it('reports a command that does not exist as the runtime does, in the status channel', async () => {
    const c = await open('/api/v1/namespaces/default/pods/one/exec?command=no-such-cmd&stdout=true', ['v4.channel.k8s.io']);
    if (!('ws' in c)) throw new Error('no websocket');
    const f = frames(c.ws);
    await f.closed;
    const st = JSON.parse(f.text(3));
    expect(st).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 });
    expect(st.message).toContain('exec: "no-such-cmd": executable file not found in $PATH');
  });
});

describe('metrics.k8s.io', () => {
  it('is absent without the metrics server: not in /apis, 404 on its paths', async () => {
    const groups = (await api(s, 'GET', '/apis')).json.groups.map((g: { name: string }) => g.name);
    expect(groups).not.toContain('metrics.k8s.io');
    const r = await api(s, 'GET', '/apis/metrics.k8s.io/v1beta1/nodes');
    expect(r.status).toBe(404);
    const viaClient = await new Metrics(kc).getNodeMetrics().catch((e: unknown) => e);
    expect((viaClient as ApiException<unknown>).code).toBe(404);
  });

  it('serves NodeMetrics and PodMetrics with deterministic usage once switched on', async () => {
    s.setMetricsServer(true);
    try {
      expect((await api(s, 'GET', '/apis')).json.groups.map((g: { name: string }) => g.name)).toContain('metrics.k8s.io');
      const disc = await api(s, 'GET', '/apis/metrics.k8s.io/v1beta1');
      expect(disc.json.resources.map((r: { name: string; kind: string }) => `${r.name}:${r.kind}`)).toEqual(['nodes:NodeMetrics', 'pods:PodMetrics']);
      const m = new Metrics(kc);
      const nodes = await m.getNodeMetrics();
      expect(nodes.kind).toBe('NodeMetricsList');
      expect(nodes.items.map((n) => n.metadata.name)).toEqual(['n1']);
      expect(nodes.items[0]!.usage).toEqual(usageOf('node/n1', 'node'));
      expect(nodes.items[0]!.usage.cpu).toMatch(/^\d+n$/);
      expect(nodes.items[0]!.usage.memory).toMatch(/^\d+Ki$/);
      const pods = await m.getPodMetrics('default');
      const two = pods.items.find((p) => p.metadata.name === 'two')!;
      expect(two.containers.map((c) => c.name)).toEqual(['app', 'sidecar']);
      expect(two.containers[1]!.usage).toEqual(usageOf('pod/default/two/sidecar', 'container'));
      expect((await m.getPodMetrics('default')).items[0]!.containers[0]!.usage).toEqual(pods.items[0]!.containers[0]!.usage);
    } finally {
      s.setMetricsServer(false);
    }
  });
});
