/**
 * The box-side k3s stand-in (test/lab/k3s-stand-in.ts), run on this machine
 * under a fake root (K3S_STANDIN_ROOT) against the Kubernetes API stand-in's
 * registration listener, with a recording `systemctl` on PATH for install.sh.
 * This tests our own stand-ins, so that the lab's join tests can trust them;
 * the same scripts run on the QEMU boxes there.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectRuntime } from '../../main/artifacts/files';
import { serverVersion } from '../../main/cluster/kube';
import { parseKubeconfig, rewriteServer } from '../../main/cluster/kubeconfig';
import { writeK3sStandIn, type K3sStandInFiles } from '../lab/k3s-stand-in';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { tempDir } from '../support/tmp';
import { until } from './wire';

let s: KubeStandIn;
let files: K3sStandInFiles;
let runtimeDir: string;
let airgapBytes: Buffer;

beforeAll(async () => {
  s = await startKubeStandIn({ readyAfterMs: 200 });
  runtimeDir = tempDir();
  // A caller's file in the folder (a small air-gap image archive, as the catalog wants one).
  fs.writeFileSync(path.join(runtimeDir, 'stand-in.txt'), 'k3s air-gap images stand-in\n');
  execFileSync('tar', ['-C', runtimeDir, '-cf', path.join(runtimeDir, 'k3s-airgap-images-amd64.tar'), 'stand-in.txt']);
  fs.rmSync(path.join(runtimeDir, 'stand-in.txt'));
  airgapBytes = fs.readFileSync(path.join(runtimeDir, 'k3s-airgap-images-amd64.tar'));
  files = writeK3sStandIn(runtimeDir, { registration: new URL(s.registrationUrl).host });
});
afterAll(async () => {
  await s?.close();
});

interface Run {
  code: number | null;
  /** The signal that ended the process, when one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program without blocking the event loop (the API stand-in lives in this process). Killed after 40 s by
 * default: in CI, beside the e2e tests and the lab's VMs, one start of the script took over 15 s.
 */
function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  opts: { timeoutMs?: number; until?: (stderr: string) => boolean; signal?: NodeJS.Signals; onStderr?: (stderr: string) => void } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { PATH: process.env.PATH!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stopped = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr);
      // One signal only: a second one, sent when the trap's own message arrives, can land while
      // bash is already exiting with default dispositions and end it by signal (code null, once in CI).
      if (!stopped && opts.until?.(stderr)) {
        stopped = true;
        child.kill(opts.signal ?? 'SIGTERM');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 40_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A fake root with /etc/rancher/k3s/config.yaml. */
function root(config?: string): string {
  const r = tempDir('k3s-root-');
  if (config !== undefined) {
    fs.mkdirSync(path.join(r, 'etc/rancher/k3s'), { recursive: true });
    fs.writeFileSync(path.join(r, 'etc/rancher/k3s/config.yaml'), config);
  }
  return r;
}

const k3sEnv = (r: string, extra: Record<string, string> = {}) => ({
  K3S_STANDIN_ROOT: r,
  K3S_STANDIN_EXIT_AFTER_START: '1',
  K3S_STANDIN_RETRY_SECONDS: '0.2',
  K3S_STANDIN_HOSTNAME: 'Bench-Box',
  ...extra,
});
const node = (name: string) => s.nodes().find((n) => n.metadata.name === name);
const readEnvFile = (file: string) =>
  Object.fromEntries(
    fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('the k3s binary stand-in', () => {
  it('is an x86_64 ELF carrying the version, written next to the files already in the folder', async () => {
    const elf = fs.readFileSync(files.k3s);
    expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(elf.readUInt16LE(18)).toBe(62); // EM_X86_64
    expect(fs.readFileSync(path.join(runtimeDir, 'k3s-airgap-images-amd64.tar'))).toEqual(airgapBytes);
    expect((await run(files.k3s, ['--version'], {})).stdout).toBe('k3s version v1.30.2+k3s1 (edgeforge test stand-in)\n');
    const info = await inspectRuntime(runtimeDir);
    expect(info).toMatchObject({ runtime: 'k3s', version: 'v1.30.2+k3s1', arch: 'x86_64' });
  });

  it('runs a first server from config.yaml: kubeconfig 0600 for 127.0.0.1:6443, K10 node-token, a registered control-plane node', async () => {
    const r = root(
      [
        '# Written by the EdgeForge station',
        'node-name: "srv-001"',
        'token: "join-secret"',
        'cluster-init: true',
        'node-ip: "10.77.0.20"',
        'node-label:',
        '  - "edgeforge.io/batch=b1"',
        "  - 'edgeforge.io/combo=lab-line'",
        'write-kubeconfig-mode: "0600"',
        '',
      ].join('\n'),
    );
    const result = await run(files.k3s, ['server'], k3sEnv(r));
    expect(result.stderr).toContain('level=info msg="Registered node srv-001"');
    expect(result.code).toBe(0);

    const kubeconfig = path.join(r, 'etc/rancher/k3s/k3s.yaml');
    expect(fs.statSync(kubeconfig).mode & 0o777).toBe(0o600);
    const yaml = fs.readFileSync(kubeconfig, 'utf8');
    expect(parseKubeconfig(yaml).cluster.server).toBe('https://127.0.0.1:6443');
    expect(await serverVersion(rewriteServer(yaml, s.url))).toBe('v1.30.2+k3s1');
    const caHash = createHash('sha256').update(s.caPem).digest('hex');
    expect(fs.readFileSync(path.join(r, 'var/lib/rancher/k3s/server/node-token'), 'utf8')).toBe(`K10${caHash}::server:join-secret\n`);

    const n = node('srv-001')!;
    expect(n.metadata.labels).toMatchObject({
      'edgeforge.io/batch': 'b1',
      'edgeforge.io/combo': 'lab-line',
      'node-role.kubernetes.io/control-plane': 'true',
      'node-role.kubernetes.io/master': 'true',
      'node-role.kubernetes.io/etcd': 'true',
      'kubernetes.io/hostname': 'srv-001',
      'kubernetes.io/arch': 'amd64',
    });
    expect(n.status).toMatchObject({
      addresses: [
        { type: 'InternalIP', address: '10.77.0.20' },
        { type: 'Hostname', address: 'srv-001' },
      ],
    });
    expect(JSON.parse(n.metadata.annotations!['k3s.io/node-args']!)).toEqual([
      'server',
      '--node-name',
      'srv-001',
      '--token',
      '********',
      '--cluster-init',
      '--node-ip',
      '10.77.0.20',
      '--node-label',
      'edgeforge.io/batch=b1',
      '--node-label',
      'edgeforge.io/combo=lab-line',
      '--write-kubeconfig-mode',
      '0600',
    ]);
    expect(readEnvFile(path.join(r, 'var/lib/edgeforge-test/k3s-run.env'))).toMatchObject({
      K3S_STANDIN_MODE: 'server',
      K3S_STANDIN_NODE_NAME: 'srv-001',
      K3S_STANDIN_CLUSTER_INIT: 'true',
      K3S_STANDIN_TOKEN: '<given>',
    });
    await until(() => JSON.stringify(node('srv-001')?.status ?? {}).includes('"KubeletReady"'), 5000, 'Ready');
  }, 60_000);

  it('lets flags override config.yaml, adds their labels, and names the node after the host name otherwise', async () => {
    const r = root('node-label:\n  - "zone=a"\n');
    const result = await run(files.k3s, ['agent', '--server', 'https://10.77.0.20:6443', '--token=t0k', '--node-label', 'gpu=yes'], k3sEnv(r));
    expect(result.code).toBe(0);
    const n = node('bench-box')!;
    expect(n.metadata.labels).toMatchObject({ zone: 'a', gpu: 'yes', 'kubernetes.io/hostname': 'bench-box' });
    expect(n.metadata.labels!['node-role.kubernetes.io/control-plane']).toBeUndefined();
    const flagged = await run(
      files.k3s,
      ['agent', '--node-name', 'flag-name'],
      k3sEnv(root('node-name: file-name\nserver: https://10.77.0.20:6443\ntoken: x\n')),
    );
    expect(flagged.code).toBe(0);
    expect(node('flag-name')).toBeDefined();
    expect(node('file-name')).toBeUndefined();
  }, 120_000);

  it('joins an agent from the K3S_URL and K3S_TOKEN the unit passes', async () => {
    const r = root();
    const result = await run(
      files.k3s,
      ['agent'],
      k3sEnv(r, { K3S_URL: 'https://10.77.0.20:6443', K3S_TOKEN: 'K10abc::server:join-secret', K3S_NODE_NAME: 'agent-env' }),
    );
    expect(result.code).toBe(0);
    expect(readEnvFile(path.join(r, 'var/lib/edgeforge-test/k3s-run.env'))).toMatchObject({
      K3S_STANDIN_MODE: 'agent',
      K3S_STANDIN_SERVER: 'https://10.77.0.20:6443',
      K3S_STANDIN_TOKEN: '<set>',
    });
    expect(node('agent-env')).toBeDefined();
    expect(fs.existsSync(path.join(r, 'etc/rancher/k3s/k3s.yaml'))).toBe(false);
  }, 60_000);

  it('refuses an agent without a server or a token, and a joining server without a token, on stderr', async () => {
    const noServer = await run(files.k3s, ['agent', '--token', 'x'], k3sEnv(root()));
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toContain('level=fatal msg="--server (K3S_URL) is required to run an agent"');
    const noToken = await run(files.k3s, ['agent'], k3sEnv(root('server: https://10.77.0.20:6443\n')));
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('--token (K3S_TOKEN) is required to join https://10.77.0.20:6443');
    const server = await run(files.k3s, ['server', '--server', 'https://10.77.0.20:6443'], k3sEnv(root()));
    expect(server.code).toBe(1);
    expect(server.stderr).toContain('is required to join the server');
    const http = await run(files.k3s, ['agent', '-s', 'http://10.77.0.20:6443', '-t', 'x'], k3sEnv(root()));
    expect(http.stderr).toContain('--server must be an https:// URL');
    const unknown = await run(files.k3s, ['kubectl', 'get', 'nodes'], k3sEnv(root()));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("the command 'kubectl' is not implemented");
  }, 120_000);

  it('retries every K3S_STANDIN_RETRY_SECONDS until the registration listener answers', async () => {
    // A port that opens late, forwarding to the listener.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const late = writeK3sStandIn(tempDir(), { registration: `127.0.0.1:${port}` });
    const target = new URL(s.registrationUrl);
    const forward = net.createServer((c) => {
      const up = net.connect(Number(target.port), target.hostname);
      c.pipe(up).pipe(c);
      up.on('error', () => c.destroy());
      c.on('error', () => up.destroy());
    });
    // The port was free when probed; should something else have taken it since, the test says so instead of crashing.
    let listenError: Error | null = null;
    forward.on('error', (e) => (listenError = e));
    const refusedTwice = /cannot reach the API stand-in at 127\.0\.0\.1:\d+ to register node late-node; retrying in 0\.2 s/g;
    let opened = false;
    // The port opens once the script has retried twice (not after a fixed time: under load its start alone took longer).
    const running = run(late.k3s, ['agent', '--server', 'https://10.77.0.20:6443', '--token', 'x', '--node-name', 'late-node'], k3sEnv(root()), {
      timeoutMs: 40_000,
      onStderr: (err) => {
        if (opened || (err.match(refusedTwice) ?? []).length < 2) return;
        opened = true;
        forward.listen(port, '127.0.0.1');
      },
    });
    try {
      const result = await running;
      expect(listenError).toBeNull();
      expect(result.code).toBe(0);
      expect(result.stderr.match(refusedTwice)!.length).toBeGreaterThanOrEqual(2);
      expect(node('late-node')).toBeDefined();
    } finally {
      forward.close();
    }
  }, 60_000);

  it('keeps retrying when the cluster refuses its token, and stays in the foreground until SIGTERM', async () => {
    const guarded = await startKubeStandIn({ joinToken: 'right' });
    try {
      const k3s = writeK3sStandIn(tempDir(), { registration: new URL(guarded.registrationUrl).host }).k3s;
      // Generous limits: in CI, beside the e2e tests, the script's start (a few dozen forks) and its retries took over 15 s once.
      const refused = await run(k3s, ['agent', '-s', 'https://10.77.0.20:6443', '-t', 'wrong', '--node-name', 'n1'], k3sEnv(root()), {
        until: (err) => (err.match(/was refused: HTTP 401/g) ?? []).length >= 2,
        timeoutMs: 40_000,
      });
      expect(refused.stderr).toContain('Received SIGTERM, shutting down'); // stopped while still retrying
      expect(guarded.nodes()).toEqual([]);
      const env = k3sEnv(root(), { K3S_STANDIN_EXIT_AFTER_START: '' });
      const serving = await run(k3s, ['agent', '-s', 'https://10.77.0.20:6443', '-t', 'right', '--node-name', 'n1'], env, {
        until: (err) => err.includes('Registered node n1'),
        timeoutMs: 40_000,
      });
      // The TERM trap exits cleanly, as systemd expects (the signal and the end of stderr when it did not).
      expect(serving.code, `${serving.signal ?? ''} ${serving.stderr.slice(-600)}`).toBe(0);
      expect(serving.stderr).toContain('Received SIGTERM, shutting down');
    } finally {
      await guarded.close();
    }
  }, 100_000);
});

describe('the install.sh stand-in', () => {
  /** A fake root with the k3s binary in place and a recording systemctl on PATH. */
  function box() {
    const r = root();
    fs.mkdirSync(path.join(r, 'usr/local/bin'), { recursive: true });
    fs.copyFileSync(files.k3s, path.join(r, 'usr/local/bin/k3s'));
    fs.chmodSync(path.join(r, 'usr/local/bin/k3s'), 0o755);
    const bin = tempDir('fake-bin-');
    const log = path.join(bin, 'systemctl.log');
    fs.writeFileSync(path.join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> ${log}\n`, { mode: 0o755 });
    const install = (env: Record<string, string>) => run('sh', [files.installScript], { K3S_STANDIN_ROOT: r, PATH: `${bin}:${process.env.PATH}`, ...env });
    const systemctl = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []);
    const file = (p: string) => fs.readFileSync(path.join(r, p), 'utf8');
    return { r, install, systemctl, file };
  }

  it('as the bundle installer runs it: records the four INSTALL_K3S_ lines, writes k3s.service, enables and starts nothing', async () => {
    const b = box();
    const result = await b.install({
      INSTALL_K3S_SKIP_DOWNLOAD: 'true',
      INSTALL_K3S_SKIP_ENABLE: 'true',
      INSTALL_K3S_SKIP_START: 'true',
      INSTALL_K3S_VERSION: 'v1.30.2+k3s1',
    });
    expect(result.code).toBe(0);
    expect(b.file('var/lib/edgeforge-test/k3s-install.env').trim().split('\n')).toEqual([
      'INSTALL_K3S_SKIP_DOWNLOAD=true',
      'INSTALL_K3S_SKIP_ENABLE=true',
      'INSTALL_K3S_SKIP_START=true',
      'INSTALL_K3S_VERSION=v1.30.2+k3s1',
    ]);
    const unit = b.file('etc/systemd/system/k3s.service');
    expect(unit).toContain('ExecStart=/usr/local/bin/k3s \\\n    server \\\n\n');
    expect(unit).toContain('Type=simple');
    expect(unit).toContain('Restart=always');
    expect(unit).toContain('EnvironmentFile=-/etc/systemd/system/k3s.service.env');
    expect(b.systemctl()).toEqual(['disable k3s']);
    expect(fs.readlinkSync(path.join(b.r, 'usr/local/bin/kubectl'))).toBe('k3s');
  }, 60_000);

  it('refuses to download (air-gapped) and a missing binary', async () => {
    const b = box();
    const online = await b.install({});
    expect(online.code).toBe(1);
    expect(online.stderr).toContain('set INSTALL_K3S_SKIP_DOWNLOAD=true');
    fs.rmSync(path.join(b.r, 'usr/local/bin/k3s'));
    const missing = await b.install({ INSTALL_K3S_SKIP_DOWNLOAD: 'true' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Executable k3s binary not found at /usr/local/bin/k3s');
  }, 120_000);

  it("refuses K3S_URL without a token with the real script's message, and a URL that is not https", async () => {
    const b = box();
    const noToken = await b.install({ INSTALL_K3S_SKIP_DOWNLOAD: 'true', K3S_URL: 'https://10.77.0.20:6443' });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain(
      "[ERROR]  Defaulted k3s exec command to 'agent' because K3S_URL is defined, but K3S_TOKEN or K3S_TOKEN_FILE is not defined.",
    );
    const plain = await b.install({ INSTALL_K3S_SKIP_DOWNLOAD: 'true', K3S_URL: 'http://10.77.0.20:6443', K3S_TOKEN: 'x' });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('Only https:// URLs are supported for K3S_URL (have http://10.77.0.20:6443)');
  }, 120_000);

  it('installs an agent from K3S_URL and K3S_TOKEN: k3s-agent.service, its 0600 env file, enable, daemon-reload, restart', async () => {
    const b = box();
    const result = await b.install({ INSTALL_K3S_SKIP_DOWNLOAD: 'true', K3S_URL: 'https://10.77.0.20:6443', K3S_TOKEN: 'join-secret' });
    expect(result.code).toBe(0);
    expect(b.file('etc/systemd/system/k3s-agent.service')).toContain('ExecStart=/usr/local/bin/k3s \\\n    agent \\\n');
    const envFile = path.join(b.r, 'etc/systemd/system/k3s-agent.service.env');
    expect(fs.statSync(envFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(envFile, 'utf8')).toBe("K3S_TOKEN='join-secret'\nK3S_URL='https://10.77.0.20:6443'\n");
    expect(b.file('var/lib/edgeforge-test/k3s-install.env')).toBe('INSTALL_K3S_SKIP_DOWNLOAD=true\nK3S_TOKEN=<set>\nK3S_URL=https://10.77.0.20:6443\n');
    expect(b.systemctl()).toEqual(['disable k3s-agent', 'enable /etc/systemd/system/k3s-agent.service', 'daemon-reload', 'restart k3s-agent']);
    expect(fs.existsSync(path.join(b.r, 'usr/local/bin/k3s-agent-uninstall.sh'))).toBe(true);
  }, 60_000);

  it('writes INSTALL_K3S_EXEC into ExecStart, and restarts again only when something changed or when forced', async () => {
    const b = box();
    const env = { INSTALL_K3S_SKIP_DOWNLOAD: 'true', INSTALL_K3S_EXEC: 'server --cluster-init', K3S_TOKEN: 'join-secret' };
    expect((await b.install(env)).code).toBe(0);
    expect(b.file('etc/systemd/system/k3s.service')).toContain("ExecStart=/usr/local/bin/k3s \\\n    server \\\n\t'--cluster-init' \\\n");
    expect(b.systemctl().filter((l) => l.startsWith('restart'))).toEqual(['restart k3s']);
    const again = await b.install(env);
    expect(again.stdout).toContain('No change detected so skipping service start');
    expect(b.systemctl().filter((l) => l.startsWith('restart'))).toEqual(['restart k3s']);
    await b.install({ ...env, INSTALL_K3S_FORCE_RESTART: 'true' });
    expect(b.systemctl().filter((l) => l.startsWith('restart'))).toEqual(['restart k3s', 'restart k3s']);
    expect(b.file('var/lib/edgeforge-test/k3s-install.history').match(/^--- /gm)).toHaveLength(3);
  }, 120_000);

  it('writes a unit whose ExecStart and environment file run the k3s stand-in into the cluster', async () => {
    const b = box();
    expect(
      (await b.install({ INSTALL_K3S_SKIP_DOWNLOAD: 'true', INSTALL_K3S_SKIP_START: 'true', K3S_URL: 'https://10.77.0.20:6443', K3S_TOKEN: 'join-secret' }))
        .code,
    ).toBe(0);
    // What systemd would do: the EnvironmentFile's variables, then ExecStart.
    const unitEnv = Object.fromEntries(
      b
        .file('etc/systemd/system/k3s-agent.service.env')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/^'|'$/g, '')]),
    );
    const exec = /ExecStart=(\S+) \\\n {4}(\S+) \\\n/.exec(b.file('etc/systemd/system/k3s-agent.service'))!;
    const result = await run(path.join(b.r, exec[1]!), [exec[2]!], k3sEnv(b.r, { ...unitEnv, K3S_STANDIN_HOSTNAME: 'unit-agent' }));
    expect(result.code).toBe(0);
    expect(node('unit-agent')).toBeDefined();
  }, 60_000);
});
