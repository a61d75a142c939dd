/**
 * The flashing station on lab boxes, end to end: `edgeforge flash` (the
 * product's CLI, its own process) drives real boxes under QEMU over SSH and
 * over a serial console; the tar bundle, install.sh, the seat ledger and the
 * join are the product's. Only k3s and the Kubernetes API are stand-ins
 * (test/lab/k3s-stand-in.ts on the box, test/support/kube-stand-in.ts on the
 * host, reached from the box through a QEMU guest forward), because neither
 * can run here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FlashBox } from '../../main/api/contract';
import { ClusterStore } from '../../main/cluster';
import { KnownHosts } from '../../main/provision';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { cliPath } from '../support/tmp';
import { flashStation, openStation } from './flash-station';
import { GUEST_FORWARD_ADDR, Lab, ROOT_PASSWORD, TECH_USER, type Box, type BoxOptions } from './lab';
import { sshExec } from './ssh';

const REG_PORT = 6443;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('flashing lab boxes', { timeout: 1_800_000 }, () => {
  let lab: Lab;
  let kube: KubeStandIn;
  let station: Awaited<ReturnType<typeof flashStation>>;
  const regPort = () => Number(new URL(kube.registrationUrl).port);
  const key = () => fs.readFileSync(inject('labImage').key);
  const root = (b: Box) => ({ port: b.sshPort, username: 'root', privateKey: key() });

  function cli(args: string[], timeoutMs = 900_000, password = ROOT_PASSWORD): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [cliPath, ...args], {
        env: { ...process.env, EDGEFORGE_HOME: station.home, EDGEFORGE_LANG: 'en', EDGEFORGE_BOX_PASSWORD: password },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  async function boot(opts: Partial<BoxOptions> & { name: string }): Promise<Box> {
    const b = await lab.start({ accelerator: true, memoryMiB: 2048, diskGiB: 20, guestForwards: [{ guestPort: REG_PORT, hostPort: regPort() }], ...opts });
    await b.waitReady(240_000);
    return b;
  }

  /** What k3s (the stand-in) logged on each box: the first thing to read when a join fails. */
  async function journals(bs: Box[]): Promise<string> {
    const out: string[] = [];
    for (const b of bs) {
      const j = await sshExec(
        root(b),
        'systemctl status k3s k3s-agent --no-pager 2>&1 | head -20; journalctl -u k3s -u k3s-agent --no-pager 2>&1 | tail -30',
        30_000,
      ).catch((e: Error) => ({ stdout: e.message }));
      out.push(`--- ${b.options.name}\n${j.stdout}`);
    }
    return out.join('\n');
  }

  function boxes(runId: string): FlashBox[] {
    const rt = openStation(station.home);
    try {
      return rt.flash.detail(runId).boxes;
    } finally {
      void rt.close();
    }
  }

  beforeAll(async () => {
    kube = await startKubeStandIn({ readyAfterMs: 1000 });
    station = await flashStation({ quantity: 20, registration: `${GUEST_FORWARD_ADDR}:${REG_PORT}` });
    lab = await Lab.create(inject('labImage'));
  });
  afterAll(async () => {
    await lab?.dispose();
    await kube?.close();
  });

  it('flashes 4 boxes in parallel over SSH: probe, upload, verify, install, activate, join a new cluster, every node Ready', async () => {
    const four = await Promise.all([1, 2, 3, 4].map((n) => boot({ name: `flash${n}` })));
    const r = await cli([
      'flash',
      station.batchId,
      ...four.flatMap((b) => ['--ssh', `root@127.0.0.1:${b.sshPort}`]),
      '--join',
      'lab-cluster',
      '--api-endpoint',
      kube.url,
      '--parallel',
      '4',
      '--json',
    ]);
    expect(r.code, `${r.stdout}\n${r.stderr}\n${await journals(four)}`).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.run.counts.succeeded).toBe(4);
    expect(summary.failures).toEqual([]);
    expect(summary.activated.map((a: { seat: number }) => a.seat).sort()).toEqual([1, 2, 3, 4]);
    const names = summary.activated.map((a: { nodeName: string }) => a.nodeName).sort();
    expect(names).toEqual(['fl-000001', 'fl-000002', 'fl-000003', 'fl-000004']);
    // Every step of every box done, each with its note.
    for (const s of summary.steps) expect(s.done, s.step).toBe(4);

    // The nodes registered with the API (stand-in), with the combo's and the box's labels; one server.
    const nodes = kube.nodes();
    expect(nodes.map((n) => n.metadata.name).sort()).toEqual(names);
    const servers = nodes.filter((n) => n.metadata.labels?.['node-role.kubernetes.io/control-plane'] === 'true');
    expect(servers).toHaveLength(1);
    for (const n of nodes) {
      expect(n.metadata.labels).toMatchObject({
        site: 'lab-bench',
        'edgeforge.io/batch': station.batchId,
        'edgeforge.io/model': 'lab-box',
        'edgeforge.io/nvidia-gpu': '1',
      });
      expect(n.metadata.labels!['edgeforge.io/serial']).toBe(n.metadata.name.toUpperCase());
    }

    // On the boxes: unique hostnames (the node names), k3s configured and started, activated.
    const hosts = new Set<string>();
    for (const b of four) {
      const st = await sshExec(
        root(b),
        'hostname; cat /etc/edgeforge/state; grep -c "^token:" /etc/rancher/k3s/config.yaml; cat /var/lib/edgeforge-test/k3s-install.env',
        30_000,
      );
      const [host, state, tokens] = st.stdout.split('\n');
      expect(names).toContain(host);
      hosts.add(host!);
      expect(state).toMatch(/^activated/);
      expect(tokens).toBe('1');
      if (host === servers[0]!.metadata.name) expect(st.stdout).toContain('INSTALL_K3S_EXEC=server --cluster-init');
      else expect(st.stdout).toMatch(/INSTALL_K3S_EXEC=agent[\s\S]*K3S_URL=https:\/\/10\.77\.0\.\d+:6443/);
    }

    // The station: 4 seats spent, the kubeconfig kept sealed with the rewritten server.
    const rt = openStation(station.home);
    try {
      const [cluster] = rt.clusters.list();
      expect(cluster).toMatchObject({ name: 'lab-cluster', server: kube.url });
      expect(cluster!.nodes).toHaveLength(4);
      expect(rt.clusters.kubeconfig(cluster!.id)).toContain(`server: ${kube.url}`);
      const sealed = rt.store.db.prepare('SELECT kubeconfig, token FROM cluster_clusters').get() as { kubeconfig: Buffer; token: Buffer };
      expect(sealed.kubeconfig.toString('latin1')).not.toContain('apiVersion');
      expect(sealed.token.toString('latin1')).not.toContain(new ClusterStore(rt.store.db, rt.vault).token(cluster!.id));
      expect(rt.activation.ledgerBatches().find((x) => x.id === station.batchId)!.counts.spent).toBe(4);
    } finally {
      await rt.close();
    }
    expect(hosts.size).toBe(4);
    await Promise.all(four.map((b) => b.kill()));
  });

  it('stops a box whose hardware does not match at the probe, with every mismatch and nothing written; a changed host key is refused first', async () => {
    const odd = await boot({ name: 'odd', accelerator: false });
    // The station knew this address with another key (the box was reinstalled, or someone is in the middle).
    const rt = openStation(station.home);
    const known = new KnownHosts(rt.store.db);
    known.retrust(
      '127.0.0.1',
      odd.sshPort,
      Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 7)]),
    );
    await rt.close();

    const first = await cli(['flash', station.batchId, '--ssh', `root@127.0.0.1:${odd.sshPort}`, '--json']);
    expect(first.code).toBe(1);
    const s1 = JSON.parse(first.stdout);
    expect(s1.failures).toHaveLength(1);
    expect(s1.failures[0].step).toBe('connect');
    expect(s1.failures[0].message.en).toMatch(/host key of 127\.0\.0\.1:\d+ has changed: it was SHA256:\S+ \(ssh-ed25519\), it is now SHA256:/);
    const runId = s1.run.id;
    const fp = /it is now (SHA256:\S+) /.exec(s1.failures[0].message.en)![1]!;

    // The user re-trusts the new key explicitly, then retries: the box gets past connect and is stopped at the probe.
    const rt2 = openStation(station.home);
    try {
      await rt2.flash.trustHostKey('127.0.0.1', odd.sshPort, fp);
      const [box] = rt2.flash.detail(runId).boxes;
      await rt2.flash.retryBox(box!.id);
      for (;;) {
        const b = rt2.flash.box(box!.id);
        if (!['queued', 'running', 'waiting'].includes(b.state)) break;
        await new Promise((res) => setTimeout(res, 500));
      }
      const b = rt2.flash.box(box!.id);
      expect(b.state).toBe('failed');
      expect(b.error?.step).toBe('probe');
      expect(b.error?.code).toBe('PROBE_MISMATCH');
      expect(b.error?.message.en).toContain('1234:11e8');
      expect(b.checks.find((c) => c.check.startsWith('pci'))).toMatchObject({ ok: false });
      expect(b.checks.find((c) => c.check === 'arch')).toMatchObject({ ok: true });
      expect(b.steps.find((s) => s.step === 'upload')!.state).toBe('pending');
    } finally {
      await rt2.close();
    }
    const after = await sshExec(root(odd), 'ls /var/lib/edgeforge 2>&1; ls /etc/edgeforge 2>&1', 30_000);
    expect(after.stdout).toMatch(/No such file or directory[\s\S]*No such file or directory/);
    await odd.kill();
  });

  it('resumes an upload after the connection is cut mid-transfer, from the verified offset', async () => {
    const box = await boot({ name: 'cut' });
    // A forward the test can cut, standing for a pulled cable between the station and the box:
    // it counts the bytes going to the box and cuts every connection once 30% of the bundle went through.
    const size = fs.statSync(station.bundle).size;
    const sockets = new Set<net.Socket>();
    let toBox = 0;
    let cut = false;
    const proxy = net.createServer((c) => {
      const up = net.connect({ host: '127.0.0.1', port: box.sshPort });
      sockets.add(c);
      sockets.add(up);
      c.on('data', (d: Buffer) => {
        toBox += d.length;
        if (!cut && toBox > size * 0.3) {
          cut = true;
          for (const s of sockets) s.destroy();
        }
      });
      c.pipe(up).pipe(c);
      const end = () => {
        c.destroy();
        up.destroy();
        sockets.delete(c);
        sockets.delete(up);
      };
      c.on('error', end);
      up.on('error', end);
      c.on('close', end);
      up.on('close', end);
    });
    await new Promise<void>((res) => proxy.listen(0, '127.0.0.1', res));
    const port = (proxy.address() as net.AddressInfo).port;
    const child = spawn(
      process.execPath,
      [cliPath, 'flash', station.batchId, '--ssh', `root@127.0.0.1:${port}`, '--join', 'lab-cluster', '--api-endpoint', kube.url, '--json'],
      { env: { ...process.env, EDGEFORGE_HOME: station.home, EDGEFORGE_LANG: 'en', EDGEFORGE_BOX_PASSWORD: ROOT_PASSWORD } },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    proxy.close();
    expect(cut, 'the forward was cut').toBe(true);
    expect(code, out).toBe(0);
    const summary = JSON.parse(out.slice(out.indexOf('{')));
    expect(summary.run.counts.succeeded).toBe(1);
    const rt = openStation(station.home);
    try {
      const b = rt.flash.detail(summary.run.id).boxes[0]!;
      const log = rt.flash.boxLog(b.id).text;
      expect(log).toMatch(/upload: .*retrying in \d+ s on a new connection/);
      expect(log).toMatch(/upload: resumed at [\d.]+ MiB of [\d.]+ MiB/);
      expect(b.steps.find((s) => s.step === 'upload')!.attempts).toBeGreaterThanOrEqual(2);
      // It joined the cluster (the one the first test made, when run with it).
      expect(kube.nodes().map((n) => n.metadata.name)).toContain(b.nodeName);
    } finally {
      await rt.close();
    }
    await box.kill();
  });

  it('picks a run up after the station was killed mid-install, from the last completed step (as a user who is not root, through sudo)', async () => {
    const box = await boot({ name: 'killed' });
    // The technician's account, not root: every step on the box goes through `sudo -S` with the login password.
    const child: ChildProcess = spawn(process.execPath, [cliPath, 'flash', station.batchId, '--ssh', `${TECH_USER.username}@127.0.0.1:${box.sshPort}`], {
      env: { ...process.env, EDGEFORGE_HOME: station.home, EDGEFORGE_LANG: 'en', EDGEFORGE_BOX_PASSWORD: TECH_USER.password },
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`never reached install: ${out}`)), 600_000);
      const check = () => {
        if (/… install/.test(out)) {
          clearTimeout(t);
          resolve();
        }
      };
      child.stdout!.on('data', check);
    });
    await new Promise((res) => setTimeout(res, 3000));
    child.kill('SIGKILL');
    await new Promise((res) => child.on('exit', res));
    const runId = /Run (run_[0-9a-f]{16})/.exec(out)![1]!;
    const before = boxes(runId)[0]!;
    expect(before.steps.filter((s) => s.state === 'done').map((s) => s.step)).toEqual(['connect', 'probe', 'upload', 'verify']);

    const resumed = await cli(['flash', '--resume', runId, '--json'], 900_000, TECH_USER.password);
    expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    const after = boxes(runId)[0]!;
    expect(after.state).toBe('succeeded');
    // The steps done before the kill were not run again.
    for (const s of ['connect', 'probe', 'upload', 'verify'] as const)
      expect(after.steps.find((x) => x.step === s)!.finishedAt).toBe(before.steps.find((x) => x.step === s)!.finishedAt);
    expect(after.username).toBe(TECH_USER.username);
    const st = await sshExec(root(box), 'cat /etc/edgeforge/state; stat -c %U /etc/edgeforge/state', 30_000);
    expect(st.stdout).toMatch(/^activated/);
    // Installed as root through sudo, not as the technician.
    expect(st.stdout.trim().split('\n').at(-1)).toBe('root');
    await box.kill();
  });

  it('flashes a box reachable only on its serial console: login, network bootstrap over serial, then SSH for the bundle', async () => {
    const box = await boot({ name: 'serial' });
    // No network and no sshd: only the console line works.
    await sshExec(root(box), '(sleep 1; systemctl stop ssh.service ssh.socket; ip addr flush dev eth0) >/dev/null 2>&1 &', 30_000);
    await new Promise((res) => setTimeout(res, 4000));
    const r = await cli([
      'flash',
      station.batchId,
      '--serial',
      box.serialPaths[0],
      '--bootstrap',
      `nic=eth0,address=10.0.2.15/24,gateway=10.0.2.2,ssh=127.0.0.1:${box.sshPort}`,
      '--json',
    ]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.run.counts.succeeded).toBe(1);
    const rt = openStation(station.home);
    try {
      const log = rt.flash.boxLog(rt.flash.detail(summary.run.id).boxes[0]!.id).text;
      expect(log).toMatch(/network bootstrap over \/dev\/pts\/\d+: eth0 10\.0\.2\.15, sshd started; bulk transfer goes over SSH/);
    } finally {
      await rt.close();
    }
    await box.kill();
  });
});
