/**
 * The terminal's pod sessions (exec into a container), all through the real
 * TerminalService and the native I/O worker (dist/main/native-worker.js),
 * against the Kubernetes API STAND-IN (test/support/kube-stand-in.ts; no
 * kube-apiserver can run here): its exec speaks the v5/v4 channel protocols
 * over a real WebSocket into real local processes under node-pty, so sizes,
 * exit codes and end-of-file are real. The clusters are imported into a real
 * ClusterService, whose sealed kubeconfig the service hands to the worker.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TerminalEvent, TerminalOpen, TerminalSession } from '../../main/api/contract';
import { TerminalOpenSchema } from '../../main/api/contract';
import { ClusterService, ClusterStore, clusterSchema } from '../../main/cluster';
import { NativeHost, childProcessChannel } from '../../main/native';
import { KnownHosts, provisionSchema } from '../../main/provision';
import { Store } from '../../main/store';
import { FLOW, TerminalService } from '../../main/terminal';
import { api, eventually } from '../cluster/wire';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { serveExecProtocols } from '../support/kube-stand-in/exec';
import { outputSettled } from '../support/output-settled';
import { refusal } from '../support/refusal';
import { nativeWorkerPath, tempDir } from '../support/tmp';
import { unlockedVault } from '../support/vault';

/**
 * Short, so that a dropped connection is noticed within seconds (the product pings every 20 s), yet long enough
 * that a stall of this process on a loaded machine (it answers the pings) does not end live sessions.
 */
const KEEPALIVE_MS = 2000;

let kube: KubeStandIn;
let native: NativeHost;
let clusters: ClusterService;
let terminal: TerminalService;
let clusterId: string;

async function createPod(s: KubeStandIn, body: Record<string, unknown>): Promise<void> {
  const r = await api(s, 'POST', '/api/v1/namespaces/default/pods', { body });
  expect(r.status).toBe(201);
}

async function runningPods(s: KubeStandIn, ...names: string[]): Promise<void> {
  await eventually(() => {
    for (const n of names) expect(s.object('pods', 'default', n)?.status?.phase).toBe('Running');
  });
}

/** A kubeconfig with a bearer token instead of the admin client certificate. */
function tokenKubeconfig(s: KubeStandIn, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: stand-in',
    '  cluster:',
    `    server: ${s.url}`,
    `    certificate-authority-data: ${Buffer.from(s.caPem).toString('base64')}`,
    'users:',
    '- name: operator',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: stand-in',
    '  context: {cluster: stand-in, user: operator}',
    'current-context: stand-in',
    '',
  ].join('\n');
}

beforeAll(async () => {
  kube = await startKubeStandIn({ podStartMs: 30 });
  kube.addNode('n1');
  await createPod(kube, { metadata: { name: 'web' }, spec: { containers: [{ name: 'app', image: 'app:1' }] } });
  await createPod(kube, {
    metadata: { name: 'duo' },
    spec: {
      containers: [
        { name: 'app', image: 'app:1' },
        { name: 'sidecar', image: 'proxy:1' },
      ],
    },
  });
  await createPod(kube, {
    metadata: { name: 'tri', annotations: { 'kubectl.kubernetes.io/default-container': 'sidecar' } },
    spec: {
      containers: [
        { name: 'app', image: 'app:1' },
        { name: 'sidecar', image: 'proxy:1' },
      ],
    },
  });
  // No node carries this label: the pod stays Pending.
  await createPod(kube, { metadata: { name: 'stuck' }, spec: { nodeSelector: { site: 'nowhere' }, containers: [{ name: 'app', image: 'app:1' }] } });
  await runningPods(kube, 'web', 'duo', 'tri');

  const dir = tempDir();
  const store = Store.open(path.join(dir, 'station.db'), [provisionSchema, clusterSchema]);
  clusters = new ClusterService(new ClusterStore(store.db, unlockedVault(path.join(dir, 'keys'))));
  clusterId = clusters.import({ name: 'line-3', kubeconfig: kube.kubeconfig() }).id;
  native = new NativeHost('child-process', childProcessChannel(nativeWorkerPath));
  terminal = new TerminalService({
    native,
    knownHosts: new KnownHosts(store.db),
    flash: {
      sshAccess: () => {
        throw new Error('no flashed boxes in this test');
      },
    },
    clusters,
    podKeepaliveMs: KEEPALIVE_MS,
  });
}, 30_000);
afterAll(async () => {
  await terminal?.closeAll();
  native?.dispose();
  await clusters?.close();
  await kube?.close();
});
afterEach(async () => {
  serveExecProtocols();
  await terminal.closeAll();
});

const open = (input: Record<string, unknown>) =>
  terminal.open(TerminalOpenSchema.parse({ kind: 'pod', clusterId, namespace: 'default', ...input }) as TerminalOpen);

/** A window on a session: collects its output, acknowledges it when told to (as xterm's write callback does). */
function watch(id: string, opts: { ack?: boolean } = {}) {
  const controller = new AbortController();
  const w = {
    text: '',
    chars: 0,
    end: 0,
    session: null as TerminalSession | null,
    ack: opts.ack ?? true,
    stop: () => controller.abort(),
  };
  void (async () => {
    try {
      for await (const e of terminal.attach(id, 0, controller.signal) as AsyncGenerator<TerminalEvent>) {
        if (e.type === 'data') {
          w.text += e.data;
          w.chars += e.data.length;
          w.end = e.offset + e.data.length;
          if (w.ack) terminal.ack(id, w.end);
        } else if (e.type === 'session') w.session = e.session;
      }
    } catch {
      // The session was closed.
    }
  })();
  return w;
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * A TCP relay in front of an API server whose cable can be pulled: bytes
 * stop in both directions and nothing is closed, as when a switch dies or
 * the server freezes. Only keep-alives notice that.
 */
async function relayTo(port: number) {
  const pairs: [net.Socket, net.Socket][] = [];
  const server = net.createServer((a) => {
    const b = net.connect(port, '127.0.0.1');
    a.on('error', () => b.destroy());
    b.on('error', () => a.destroy());
    a.pipe(b);
    b.pipe(a);
    pairs.push([a, b]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    pull() {
      for (const [a, b] of pairs) {
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
    },
    close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      server.close();
    },
  };
}

describe('pod session (exec over the Kubernetes channel protocol, in the native process)', () => {
  it('opens a shell in the container, runs a command in the pty size it was given, follows a resize, and reports the exit status', async () => {
    const s = await open({ pod: 'web', cols: 90, rows: 20 });
    expect(s).toMatchObject({ kind: 'pod', state: 'open', title: 'web/app', target: 'line-3/default/web/app', encoding: 'utf8' });
    const w = watch(s.id);
    await terminal.write(s.id, 'stty size; echo pod-$((6*7))\r');
    await until('the command output', () => /20 90/.test(w.text) && /pod-42/.test(w.text));
    await terminal.resize(s.id, 123, 37);
    await terminal.write(s.id, 'stty size\r');
    await until('the new size', () => /37 123/.test(w.text));
    await terminal.write(s.id, 'exit 3\r');
    await until('the exit', () => w.session?.state === 'exited');
    expect(w.session!.exitCode).toBe(3);
    expect(w.session!.status).toEqual({ en: 'The command in web/app exited with status 3.', zh: 'web/app 中的命令已退出，状态码 3。' });
    expect((await refusal(terminal.write(s.id, 'echo again\r'))).code).toBe('TERMINAL_ENDED');
    w.stop();
  });

  it('picks the first container when none is given, or the one kubectl.kubernetes.io/default-container names; a clean exit is status 0', async () => {
    const duo = await open({ pod: 'duo' });
    expect(duo.title).toBe('duo/app');
    const tri = await open({ pod: 'tri' });
    expect(tri).toMatchObject({ title: 'tri/sidecar', target: 'line-3/default/tri/sidecar' });
    const chosen = await open({ pod: 'tri', container: 'app' });
    expect(chosen.title).toBe('tri/app');
    const w = watch(duo.id);
    await terminal.write(duo.id, 'exit\r');
    await until('the exit', () => w.session?.state === 'exited');
    expect(w.session!.exitCode).toBe(0);
    w.stop();
  });

  it('holds a flood of output while the window has not acknowledged it, and loses nothing once it does', async () => {
    const s = await open({ pod: 'web' });
    const w = watch(s.id, { ack: false });
    const total = 20_000_000;
    await terminal.write(s.id, `stty -echo; head -c ${total} /dev/zero | tr '\\0' x; echo; echo END-$((1+1))-FLOOD\r`);
    await until('the first output', () => w.chars > FLOW.highWater);
    const lastChange = await outputSettled(w);
    const held = w.chars;
    // Near the high-water mark: one chunk over it at most, plus what was in flight (a socket read, a WebSocket frame).
    expect(held).toBeLessThan(FLOW.highWater + 2 * FLOW.chunkChars + 64 * 1024);
    // Held well past the keep-alive window (two intervals of silence, checked once an interval): the unread
    // socket, whose pongs cannot be read, is not taken for a dead one.
    await sleep(Math.max(500, lastChange + 3 * KEEPALIVE_MS + 1_000 - Date.now()));
    expect(w.chars).toBe(held);
    expect(w.session?.state).toBe('open');
    w.ack = true;
    terminal.ack(s.id, w.end);
    await until('the end of the flood', () => w.text.includes('END-2-FLOOD'), 120_000);
    expect(Math.max(...(w.text.match(/x+/g) ?? ['']).map((r) => r.length))).toBe(total);
    w.stop();
  }, 180_000);

  it('half-closes stdin when a v5 session is closed: the command reads end-of-file and finishes by itself', async () => {
    const marker = path.join(tempDir(), 'eof');
    const s = await open({ pod: 'web', command: ['sh', '-c', `echo reading; cat >/dev/null; echo eof > ${marker}`] });
    const w = watch(s.id);
    await until('the command running', () => w.text.includes('reading'));
    await terminal.close(s.id);
    await until('the marker written after end-of-file', () => fs.existsSync(marker), 5_000);
    w.stop();
  });

  it('falls back to v4.channel.k8s.io on a server without v5 (here with a token): commands, resize and exit status work, and closing hangs up', async () => {
    serveExecProtocols(['v4.channel.k8s.io']);
    const viaToken = clusters.import({ name: 'line-3-token', kubeconfig: tokenKubeconfig(kube, kube.token) }).id;
    const s = await open({ clusterId: viaToken, pod: 'web', cols: 70, rows: 15 });
    expect(s.target).toBe('line-3-token/default/web/app');
    const w = watch(s.id);
    await terminal.write(s.id, 'stty size; echo v4-$((2*3))\r');
    await until('the output', () => /15 70/.test(w.text) && /v4-6/.test(w.text));
    await terminal.resize(s.id, 100, 30);
    await terminal.write(s.id, 'stty size; exit 5\r');
    await until('the exit', () => w.session?.state === 'exited');
    expect(w.text).toMatch(/30 100/);
    expect(w.session!.exitCode).toBe(5);
    w.stop();

    // v4 has no half-close: closing cuts the connection and the command is hung up before it reads end-of-file.
    const marker = path.join(tempDir(), 'eof');
    const t = await open({ clusterId: viaToken, pod: 'web', command: ['sh', '-c', `echo reading; cat >/dev/null; echo eof > ${marker}`] });
    const v = watch(t.id);
    await until('the command running', () => v.text.includes('reading'));
    await terminal.close(t.id);
    await sleep(1000);
    expect(fs.existsSync(marker)).toBe(false);
    v.stop();
  });

  it('refuses a missing pod or container, a pod that is not running, bad credentials, an unreachable server, and a server that speaks neither protocol, each with its own code', async () => {
    const before = terminal.list().length;
    const noPod = await refusal(open({ pod: 'nope' }));
    expect(noPod.code).toBe('TERMINAL_POD_NOT_FOUND');
    expect(noPod.field).toEqual(['pod']);
    expect(noPod.text.en).toBe(
      "There is no pod nope in namespace default of cluster line-3. Check the name in the cluster's pod list; a pod replaced by its controller gets a new name.",
    );
    const noContainer = await refusal(open({ pod: 'duo', container: 'db' }));
    expect(noContainer.code).toBe('TERMINAL_CONTAINER_NOT_FOUND');
    expect(noContainer.field).toEqual(['container']);
    expect(noContainer.text.en).toBe('Pod duo has no container db; it has app, sidecar.');
    const pending = await refusal(open({ pod: 'stuck' }));
    expect(pending.code).toBe('TERMINAL_POD_NOT_RUNNING');
    expect(pending.text.en).toMatch(/^Pod stuck is not running \(it is Pending\)/);

    const wrongToken = clusters.import({ name: 'line-3-bad-token', kubeconfig: tokenKubeconfig(kube, 'not-the-token') }).id;
    const unauthorized = await refusal(open({ clusterId: wrongToken, pod: 'web' }));
    expect(unauthorized.code).toBe('TERMINAL_CLUSTER_UNAUTHORIZED');
    expect(unauthorized.text.en).toMatch(/401 Unauthorized/);

    const gone = await startKubeStandIn();
    const offlineId = clusters.import({ name: 'line-9', kubeconfig: gone.kubeconfig() }).id;
    // A kubeconfig of that server pointed at this one: the server's certificate is not its CA's.
    const foreign = clusters.import({ name: 'line-8', kubeconfig: gone.kubeconfig(kube.url) }).id;
    await gone.close();
    const offline = await refusal(open({ clusterId: offlineId, pod: 'web' }));
    expect(offline.code).toBe('TERMINAL_CLUSTER_OFFLINE');
    expect(offline.text.en).toMatch(/cannot be reached: the connection was refused/);
    const mismatch = await refusal(open({ clusterId: foreign, pod: 'web' }));
    expect(mismatch.code).toBe('TERMINAL_CLUSTER_UNAUTHORIZED');
    expect(mismatch.text.en).toMatch(/certificate/);

    clusters.revokeKubeconfig(offlineId);
    expect((await refusal(open({ clusterId: offlineId, pod: 'web' }))).code).toBe('CLUSTER_NO_KUBECONFIG');

    serveExecProtocols(['v4.base64.channel.k8s.io']);
    const old = await refusal(open({ pod: 'web' }));
    expect(old.code).toBe('TERMINAL_EXEC_FAILED');
    expect(old.text.en).toMatch(/speaks neither v5\.channel\.k8s\.io nor v4\.channel\.k8s\.io/);
    expect(terminal.list().length).toBe(before);
  });

  it('ends with the API server’s message when the command cannot start', async () => {
    const s = await open({ pod: 'web', command: ['no-such-shell'] });
    const w = watch(s.id);
    await until('the end', () => w.session?.state === 'exited');
    expect(w.session!.exitCode).toBeNull();
    expect(w.session!.status?.en).toMatch(/^The API server ended the session: .*executable file not found in \$PATH/);
    w.stop();
  });

  it('ends with "connection lost" at once when the API server goes away mid-session', async () => {
    const other = await startKubeStandIn({ podStartMs: 30 });
    other.addNode('n1');
    await createPod(other, { metadata: { name: 'web' }, spec: { containers: [{ name: 'app', image: 'app:1' }] } });
    await runningPods(other, 'web');
    const id = clusters.import({ name: 'line-4', kubeconfig: other.kubeconfig() }).id;
    const s = await open({ clusterId: id, pod: 'web' });
    const w = watch(s.id);
    await terminal.write(s.id, 'echo up-$((1+1))\r');
    await until('the output', () => w.text.includes('up-2'));
    const stopped = Date.now();
    await other.close();
    await until('the end', () => w.session?.state === 'exited', 20_000);
    expect(Date.now() - stopped).toBeLessThan(15_000);
    expect(w.session!.status?.en).toMatch(new RegExp(`^The connection to the API server ${new URL(other.url).host} was lost: `));
    // At once: the closed connection ended it, not the keep-alive detector after intervals of silence.
    expect(w.session!.status?.en).not.toMatch(/keep-alive/);
    w.stop();
  }, 60_000);

  it("ends a cluster's pod shells, with the reason, when its kubeconfig is revoked; another cluster's shell goes on", async () => {
    const id = clusters.import({ name: 'line-7', kubeconfig: kube.kubeconfig() }).id;
    const s = await open({ clusterId: id, pod: 'web' });
    const other = await open({ pod: 'web' });
    const w = watch(s.id);
    const o = watch(other.id);
    await terminal.write(s.id, 'echo before-$((2+2))\r');
    await until('the output', () => w.text.includes('before-4'));
    clusters.revokeKubeconfig(id);
    await until('the end', () => w.session?.state === 'exited');
    expect(w.session!.status?.en).toMatch(/^The kubeconfig of cluster line-7 was revoked at /);
    expect(w.session!.status?.zh).toContain('line-7');
    expect((await refusal(terminal.write(s.id, 'echo after\r'))).code).toBe('TERMINAL_ENDED');
    await terminal.write(other.id, 'echo still-$((3+3))\r');
    await until("the other cluster's shell", () => o.text.includes('still-6'));
    expect(o.session?.state).toBe('open');
    w.stop();
    o.stop();
  });

  it('keeps an idle session through keep-alives, and ends it within two intervals of silence once the cable is pulled', async () => {
    const relay = await relayTo(Number(new URL(kube.url).port));
    try {
      const id = clusters.import({ name: 'line-5', kubeconfig: kube.kubeconfig(relay.url) }).id;
      const s = await open({ clusterId: id, pod: 'web' });
      const w = watch(s.id);
      // Idle for several intervals (without pongs it would end after three at most): the pongs keep it alive.
      await sleep(4 * KEEPALIVE_MS);
      expect(w.session?.state).toBe('open');
      await terminal.write(s.id, 'echo still-$((2+2))\r');
      await until('the output', () => w.text.includes('still-4'));
      const pulled = Date.now();
      relay.pull();
      await until('the end', () => w.session?.state === 'exited', 30_000);
      // Generous: the detector looks once an interval, and this machine may be loaded.
      expect(Date.now() - pulled).toBeLessThan(3 * KEEPALIVE_MS + 10_000);
      expect(w.session!.status?.en).toMatch(/was lost: no answer to keep-alives for \d+(\.\d)? s\.$/);
      // Not before two intervals of silence (the status says how long nothing was heard).
      const silence = Number(/for (\S+) s\.$/.exec(w.session!.status!.en)![1]);
      expect(silence * 1000).toBeGreaterThanOrEqual(2 * KEEPALIVE_MS);
      w.stop();
    } finally {
      relay.close();
    }
  }, 60_000);
});
