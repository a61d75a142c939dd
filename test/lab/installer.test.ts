/**
 * The box-side installer (resources/installer/install.sh) on a lab box, with
 * bundles written by the test-side assembler (installer-bundle.ts) after
 * docs/bundle-format.md. One box serves every case, in order: the refusals
 * first (so "nothing was installed" means a clean box), then the install, the
 * reruns, then activation (docs/activation.md): the request code, refusals
 * and activations from reply files and codes made by the test stand-in of the
 * station (activation-stand-in.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jsQR from 'jsqr';
import { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { compressedPublicKey, makeReply, parseRequestCode, type ActivationRequest, type Reply, type ReplyOptions } from './activation-stand-in';
import { CONTAINER_APP, K3S_VERSION, LIGHT_APP, TEST_STATE_DIR, makeBundleDir, newStationKey, type BundleDir } from './installer-bundle';
import { Lab, type Box } from './lab';
import type { ExecResult } from './ssh';

const INSTALL_SH = path.join(import.meta.dirname, '..', '..', 'resources', 'installer', 'install.sh');
const STEPS = ['verify', 'preflight', 'space', 'drivers', 'runtime', 'images', 'lightapps', 'identity'];
const APP_UNIT = `edgeforge-app-${LIGHT_APP.name}.service`;

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const fp = (component: string, value: string) => sha256(`edgeforge.fingerprint.v1:${component}:${value}`);

interface Progress {
  n: number;
  total: number;
  name: string;
  state: string;
  msg?: string;
}

/** The EDGEFORGE-BUNDLE lines of an output; any other line is ignored. */
function progress(stdout: string): Progress[] {
  const out: Progress[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('EDGEFORGE-BUNDLE ')) continue;
    const m = /^EDGEFORGE-BUNDLE step=(\d+)\/(\d+) name=([a-z]+) state=(start|done|skip|fail)(?: msg="([^"]*)")?$/.exec(line);
    if (!m) throw new Error(`malformed progress line: ${line}`);
    out.push({ n: Number(m[1]), total: Number(m[2]), name: m[3]!, state: m[4]!, ...(m[5] !== undefined ? { msg: m[5] } : {}) });
  }
  return out;
}

/** Copies a local directory to the box as a tar stream over SSH (the box has no scp of its own). */
function pushDir(box: Box, key: Buffer, local: string, remote: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client
      .on('ready', () => {
        client.exec(`rm -rf '${remote}' && mkdir -p '${remote}' && tar -xf - -C '${remote}'`, (err, stream) => {
          if (err) return reject(err);
          let stderr = '';
          stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          stream.on('data', () => undefined); // consume stdout, else the channel never closes
          stream.on('close', (code: number | null) => {
            client.end();
            if (code === 0) resolve();
            else reject(new Error(`tar on the box exited ${code}: ${stderr}`));
          });
          const tar = spawn('tar', ['-C', local, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
          tar.on('error', reject);
          tar.stdout.pipe(stream);
        });
      })
      .on('error', reject)
      .connect({ host: '127.0.0.1', port: box.sshPort, username: 'root', privateKey: key, readyTimeout: 20_000 });
  });
}

/** Writes bytes to a file on the box. */
async function putFile(box: Box, remote: string, bytes: Buffer): Promise<void> {
  const r = await box.ssh(`printf '%s' '${bytes.toString('base64')}' | base64 -d > '${remote}'`);
  expect(r.code, r.stderr).toBe(0);
}

/** What an install leaves behind; none of it may exist after a refusal. */
const INSTALLED_PATHS = [
  '/usr/local/bin/k3s',
  '/var/lib/rancher',
  '/opt/edgeforge',
  '/var/lib/edgeforge/install',
  '/etc/edgeforge/state',
  '/etc/edgeforge/identity.json',
  `/etc/systemd/system/${APP_UNIT}`,
  '/etc/systemd/system/edgeforge-default-route.service',
  TEST_STATE_DIR,
];

async function installedPaths(box: Box): Promise<string[]> {
  const r = await box.ssh(
    `for p in ${INSTALLED_PATHS.join(' ')}; do [ -e "$p" ] && echo "$p"; done; ip -o link show edgeforge0 2>/dev/null | cut -d: -f2; true`,
  );
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

describe('install.sh is POSIX sh', () => {
  it('parses under dash -n and bash --posix -n, and checkbashisms (where installed) finds no bashism', () => {
    expect(fs.readFileSync(INSTALL_SH, 'utf8').startsWith('#!/bin/sh\n')).toBe(true);
    for (const [cmd, args] of [
      ['dash', ['-n', INSTALL_SH]],
      ['bash', ['--posix', '-n', INSTALL_SH]],
    ] as const) {
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      expect(r.status, `${cmd}: ${r.stderr}`).toBe(0);
    }
    if (spawnSync('sh', ['-c', 'command -v checkbashisms']).status === 0) {
      const r = spawnSync('checkbashisms', ['--force', '--posix', INSTALL_SH], { encoding: 'utf8' });
      expect(r.status, r.stderr + r.stdout).toBe(0);
    }
  });
});

describe('install.sh on a lab box', { timeout: 300_000 }, () => {
  let lab: Lab;
  let box: Box;
  let key: Buffer;
  let work: string;
  /** The bundle that fits the box, with the driver stand-in (the box has the edu device). */
  let good: BundleDir;
  const otherStation = newStationKey();

  beforeAll(async () => {
    const image = inject('labImage');
    key = fs.readFileSync(image.key);
    lab = await Lab.create(image);
    box = await lab.start({ name: 'installer', accelerator: true, memoryMiB: 512 });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeforge-installer-test-'));
    // A 512 MiB model on this 512 MiB box (MemTotal about 470 MiB): passes through the 90% tolerance.
    good = makeBundleDir(path.join(work, 'good'), { requirements: { minMemoryMiB: 512 } });
    const station = good.key;
    const mismatch = makeBundleDir(path.join(work, 'mismatch'), {
      key: station,
      driver: false,
      requirements: { nics: ['eth0', 'eth1', 'eth2'], minMemoryMiB: 65536 },
    });
    const huge = makeBundleDir(path.join(work, 'huge'), { key: station, driver: false, installBytes: 1024 ** 4 });
    await box.waitReady(180_000);
    await pushDir(box, key, good.dir, '/root/good');
    await pushDir(box, key, mismatch.dir, '/root/mismatch');
    await pushDir(box, key, huge.dir, '/root/huge');
  }, 240_000);

  afterAll(async () => {
    await lab?.dispose();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('refuses a box that does not match the model (3 NICs and 64 GiB demanded) with exit 20 and a report naming the failing checks, before installing anything', async () => {
    const r = await box.ssh('sh /root/mismatch/install.sh', {}, 120_000);
    expect(r.code, r.stderr).toBe(20);
    const lines = progress(r.stdout);
    expect(lines.map((l) => `${l.name}:${l.state}`)).toEqual(['verify:start', 'verify:done', 'preflight:start', 'preflight:fail']);
    expect(lines.at(-1)!.msg).toMatch(/memory.*nic eth2.*nics/);
    // The readable report: one line per check.
    expect(r.stdout).toMatch(/^ {2}FAIL {2}memory +want >= 65536 MiB.*found \d+ MiB$/m);
    expect(r.stdout).toMatch(/^ {2}FAIL {2}nic eth2 +want present; found missing$/m);
    expect(r.stdout).toMatch(/^ {2}FAIL {2}nics +want >= 3 physical NICs \(eth0 eth1 eth2\); found 2 \(eth0 eth1\)$/m);
    expect(r.stdout).toMatch(/^ {2}OK {4}arch +want x86_64; found x86_64$/m);
    expect(r.stderr).toMatch(/does not match model lab-box r1: memory, nic eth2, nics/);
    // The machine-readable report.
    const report = JSON.parse((await box.ssh('cat /var/lib/edgeforge/preflight.json')).stdout) as {
      ok: boolean;
      checks: { check: string; ok: boolean; want: string; found: string }[];
    };
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => !c.ok).map((c) => c.check)).toEqual(['memory', 'nic eth2', 'nics']);
    expect(report.checks.find((c) => c.check === 'nics')).toMatchObject({ want: expect.stringContaining('3'), found: expect.stringContaining('2') });
    expect(await installedPaths(box)).toEqual([]);
  });

  it('refuses a bundle that needs more disk space than /var/lib has (exit 21), saying how much is needed and free, before installing anything', async () => {
    const r = await box.ssh('sh /root/huge/install.sh', {}, 120_000);
    expect(r.code, r.stderr).toBe(21);
    expect(progress(r.stdout).map((l) => `${l.name}:${l.state}`)).toEqual([
      'verify:start',
      'verify:done',
      'preflight:start',
      'preflight:done',
      'space:start',
      'space:fail',
    ]);
    expect(r.stderr).toMatch(/needs 1153434 MiB \(1048576 MiB plus a 10% margin\), \d+ MiB is free/);
    expect(await installedPaths(box)).toEqual([]);
  });

  it('refuses a changed, removed or added file with exit 11 (10 for the signed documents and signatures), naming the file, before changing anything', async () => {
    await box.ssh('rm -f /var/lib/edgeforge/preflight.json');
    const k3s = fs.readFileSync(path.join(good.dir, 'runtime/k3s'));
    const other = k3s[1000] === 0x41 ? 'B' : 'A';
    const cases: { what: string; prepare: string; code: number; names: string }[] = [
      { what: 'a byte of runtime/k3s', prepare: `printf ${other} | dd of=runtime/k3s bs=1 seek=1000 conv=notrunc 2>/dev/null`, code: 11, names: 'runtime/k3s' },
      { what: 'bundle.env', prepare: `sed -i "s/^EF_MIN_CPU='1'/EF_MIN_CPU='0'/" bundle.env`, code: 11, names: 'bundle.env' },
      { what: 'manifest.json', prepare: `sed -i 's/"quantity": 10/"quantity": 99/' manifest.json`, code: 10, names: 'manifest.json' },
      { what: 'manifest.json.sig', prepare: 'cp license.json.sig manifest.json.sig', code: 10, names: 'manifest.json' },
      { what: 'license.json', prepare: `sed -i 's/"quantity": 10/"quantity": 99/' license.json`, code: 10, names: 'license.json' },
      { what: 'an added file', prepare: 'echo "echo owned" > runtime/extra.sh', code: 11, names: 'runtime/extra.sh' },
      { what: 'a removed file', prepare: `rm apps/${LIGHT_APP.name}/app.env`, code: 11, names: `apps/${LIGHT_APP.name}/app.env` },
    ];
    for (const c of cases) {
      const r = await box.ssh(`rm -rf /root/t && cp -a /root/good /root/t && cd /root/t && ${c.prepare} && sh install.sh`, {}, 120_000);
      expect(r.code, `${c.what}: ${r.stdout}${r.stderr}`).toBe(c.code);
      const lines = progress(r.stdout);
      expect(
        lines.map((l) => `${l.name}:${l.state}`),
        c.what,
      ).toEqual(['verify:start', 'verify:fail']);
      expect(lines[1]!.msg, c.what).toContain(c.names);
      expect(r.stderr, c.what).toContain(c.names);
    }
    // Nothing written, not even the preflight report; no marker directory.
    expect(await installedPaths(box)).toEqual([]);
    expect((await box.ssh('ls -A /var/lib/edgeforge')).stdout.trim()).toBe('');
  });

  it('refuses a bundle whose station key is not in /etc/edgeforge/trusted-stations (exit 10), and accepts it once it is', async () => {
    await box.ssh('mkdir -p /etc/edgeforge/trusted-stations');
    await putFile(box, '/etc/edgeforge/trusted-stations/other-station.pem', Buffer.from(otherStation.publicKeyPem));
    const refused = await box.ssh('sh /root/good/install.sh', {}, 120_000);
    expect(refused.code, refused.stderr).toBe(10);
    expect(refused.stderr).toMatch(/station\.pub\.pem is not a trusted station key.*\/etc\/edgeforge\/trusted-stations/);
    expect(await installedPaths(box)).toEqual([]);

    await box.ssh('cp /root/good/station.pub.pem /etc/edgeforge/trusted-stations/lab-station.pem');
    // `preflight` alone: verification and the hardware check, nothing installed.
    const r = await box.ssh('sh /root/good/install.sh preflight', {}, 120_000);
    expect(r.code, r.stderr).toBe(0);
    expect(progress(r.stdout).map((l) => `${l.n}/${l.total} ${l.name}:${l.state}`)).toEqual([
      '1/2 verify:start',
      '1/2 verify:done',
      '2/2 preflight:start',
      '2/2 preflight:done',
    ]);
    expect(r.stdout).toMatch(/^ {2}OK {4}memory +want >= 512 MiB \(MemTotal >= 460 MiB accepted\); found 4[6-9]\d MiB$/m);
    expect(r.stdout).toMatch(/^ {2}OK {4}pci 1234:11e8 /m);
    const report = JSON.parse((await box.ssh('cat /var/lib/edgeforge/preflight.json')).stdout) as { ok: boolean; checks: { ok: boolean }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.every((c) => c.ok)).toBe(true);
    expect(await installedPaths(box)).toEqual([]);
  });

  it('installs a bundle copied over SSH: 8 steps in order, k3s air-gapped with a dummy default route, images, manifests, the driver, the light app running, the hashed identity', async () => {
    // The lab's NIC0 (user-mode network, restrict=on) gets no router, so the box has no default route.
    await box.ssh('ip route del default 2>/dev/null; true');
    expect((await box.ssh('ip route show default')).stdout.trim()).toBe('');

    const r = await box.ssh('cd /root/good && sh install.sh', {}, 240_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = progress(r.stdout);
    expect(lines.map((l) => `${l.n}/${l.total} ${l.name}:${l.state}`)).toEqual(STEPS.flatMap((s, i) => [`${i + 1}/8 ${s}:start`, `${i + 1}/8 ${s}:done`]));

    const k3s = await box.ssh('/usr/local/bin/k3s --version; stat -c %a /usr/local/bin/k3s');
    expect(k3s.stdout).toContain(`k3s version ${K3S_VERSION}`);
    expect(k3s.stdout.trim().split('\n').at(-1)).toBe('755');

    const sums = await box.ssh(
      'cd /var/lib/rancher/k3s && sha256sum agent/images/* server/manifests/* && ls -A agent/images server/manifests | grep -c edgeforge-tmp; true',
    );
    const local = (p: string) => sha256(fs.readFileSync(path.join(good.dir, p)));
    expect(sums.stdout).toContain(`${local('runtime/k3s-airgap-images-amd64.tar')}  agent/images/k3s-airgap-images-amd64.tar`);
    expect(sums.stdout).toMatch(/^[0-9a-f]{64} {2}agent\/images\/edgeforge-images\.oci\.tar$/m);
    // The OCI layout packed into the one archive k3s imports.
    const packed = await box.ssh('tar -tf /var/lib/rancher/k3s/agent/images/edgeforge-images.oci.tar | sort');
    expect(packed.stdout).toMatch(/\.\/index\.json\n\.\/oci-layout/);
    expect(sums.stdout).toContain(`${local(`manifests/${CONTAINER_APP}.yaml`)}  server/manifests/${CONTAINER_APP}.yaml`);
    expect(sums.stdout.trim().split('\n').at(-1)).toBe('0'); // no temp file left behind

    // The (stand-in) k3s install script ran air-gapped, neither enabling nor starting k3s.
    const env = await box.ssh(`cat ${TEST_STATE_DIR}/k3s-install.env`);
    expect(env.stdout.trim().split('\n')).toEqual([
      'INSTALL_K3S_SKIP_DOWNLOAD=true',
      'INSTALL_K3S_SKIP_ENABLE=true',
      'INSTALL_K3S_SKIP_START=true',
      `INSTALL_K3S_VERSION=${K3S_VERSION}`,
    ]);

    const route = await box.ssh('ip route show default; systemctl is-enabled edgeforge-default-route.service');
    expect(route.stdout).toMatch(/^default dev edgeforge0 .*metric 9999/m);
    expect(route.stdout).toContain('enabled');

    // The driver stand-in (a makeself .run) got --silent; the box has the model's PCI device.
    expect((await box.ssh(`cat ${TEST_STATE_DIR}/driver-ran`)).stdout.trim()).toBe('--silent');

    // The light app: a running service with its environment and limits.
    let marker = '';
    for (let i = 0; i < 60 && !marker; i++) {
      const m = await box.ssh(`systemctl is-active ${APP_UNIT} && cat ${LIGHT_APP.marker}`);
      if (m.code === 0) marker = m.stdout;
      else await new Promise((res) => setTimeout(res, 500));
    }
    expect(marker).toContain('active');
    expect(marker).toContain(`greeting=${LIGHT_APP.env.APP_GREETING}`);
    expect(marker).toContain(`quote=${LIGHT_APP.env.APP_QUOTE}`);
    expect(marker).toContain(`cwd=/opt/edgeforge/apps/${LIGHT_APP.name}`);
    const unit = await box.ssh(`systemctl show -p CPUQuotaPerSecUSec -p MemoryMax -p Restart ${APP_UNIT}; systemctl is-enabled ${APP_UNIT}`);
    expect(unit.stdout).toContain('CPUQuotaPerSecUSec=500ms');
    expect(unit.stdout).toContain(`MemoryMax=${LIGHT_APP.memoryMiB * 1024 * 1024}`);
    expect(unit.stdout).toContain('Restart=on-failure');
    expect(unit.stdout).toContain('enabled');

    // Identity: the license and key, versions, the fingerprint hashed per component, the state.
    const etc = await box.ssh('cd /etc/edgeforge && sha256sum batch.json batch.json.sig station.pub.pem && cat state');
    expect(etc.stdout).toContain(`${local('license.json')}  batch.json`);
    expect(etc.stdout).toContain(`${local('license.json.sig')}  batch.json.sig`);
    expect(etc.stdout).toContain(`${local('station.pub.pem')}  station.pub.pem`);
    expect(etc.stdout.trim().split('\n').at(-1)).toBe('installed-awaiting-activation');
    const versions = JSON.parse((await box.ssh('cat /etc/edgeforge/versions.json')).stdout) as Record<string, string>;
    expect(versions).toMatchObject({ bundle: 'edgeforge.bundle/v1', batch: good.batchId, combo: 'lab-combo', model: 'lab-box r1', runtime: K3S_VERSION });
    expect(versions.installedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const identityText = (await box.ssh('cat /etc/edgeforge/identity.json')).stdout;
    const identity = JSON.parse(identityText) as { fingerprint: string[]; components: { component: string; sha256: string }[]; machineId: string };
    const macs = [...box.macs].sort();
    expect(identity.components).toEqual([
      { component: 'dmi-uuid', sha256: fp('dmi-uuid', box.uuid.toLowerCase()) },
      { component: 'product-serial', sha256: fp('product-serial', box.serial) },
      { component: 'board-serial', sha256: fp('board-serial', `${box.serial}-MB`) },
      ...macs.map((m) => ({ component: 'mac', sha256: fp('mac', m) })),
    ]);
    expect(identity.fingerprint).toEqual(identity.components.map((c) => c.sha256));
    const machineId = (await box.ssh('cat /etc/machine-id')).stdout.trim();
    expect(identity.machineId).toBe(fp('machine-id', machineId));
    expect(identity.fingerprint).not.toContain(identity.machineId); // not part of the fingerprint
    for (const raw of [box.uuid, box.uuid.toUpperCase(), box.serial, machineId, ...box.macs]) expect(identityText).not.toContain(raw);

    const marks = await box.ssh(`ls /var/lib/edgeforge/install/${good.manifestSha256}`);
    for (const s of STEPS.slice(2)) expect(marks.stdout).toContain(`${s}.done`);
  });

  it('runs again: verify and preflight again, every other step state=skip; and after losing its markers, redoes every step and succeeds again', async () => {
    await box.ssh(`rm -f ${TEST_STATE_DIR}/k3s-install.env ${TEST_STATE_DIR}/driver-ran`);
    const again = await box.ssh('cd /root/good && bash --posix install.sh', {}, 240_000);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(progress(again.stdout).map((l) => `${l.name}:${l.state}`)).toEqual([
      'verify:start',
      'verify:done',
      'preflight:start',
      'preflight:done',
      ...STEPS.slice(2).map((s) => `${s}:skip`),
    ]);
    expect(
      progress(again.stdout)
        .filter((l) => l.state === 'skip')
        .every((l) => l.msg === 'done by an earlier run'),
    ).toBe(true);
    // Skipped means not run: neither the k3s installer nor the driver ran again.
    expect((await box.ssh(`ls ${TEST_STATE_DIR}`)).stdout).not.toMatch(/k3s-install\.env|driver-ran/);

    // As after a power loss before any marker was written: every step again, each safe to repeat.
    await box.ssh(`rm -rf /var/lib/edgeforge/install/${good.manifestSha256}`);
    const redo = await box.ssh('cd /root/good && sh install.sh', {}, 240_000);
    expect(redo.code, redo.stdout + redo.stderr).toBe(0);
    expect(progress(redo.stdout).map((l) => `${l.name}:${l.state}`)).toEqual(STEPS.flatMap((s) => [`${s}:start`, `${s}:done`]));
    const after = await box.ssh(
      `ip route show default | wc -l; ip -o link show edgeforge0 | wc -l; systemctl is-active ${APP_UNIT}; ls ${TEST_STATE_DIR}; cat /etc/edgeforge/state; ls -A /opt/edgeforge/apps`,
    );
    expect(after.stdout.trim().split('\n')).toEqual([
      '1', // still the one dummy default route
      '1',
      'active',
      'app-counter.marker',
      'driver-ran',
      'k3s-install.env',
      'installed-awaiting-activation',
      LIGHT_APP.name, // no temp or old copy left
    ]);
  });

  // ---------------------------------------------------------------------------
  // Activation (docs/activation.md), against the test stand-in of the station (activation-stand-in.ts).

  /** Runs `install.sh request` (from /, the bundle by absolute path); returns the output and the parsed code. */
  async function request(env = ''): Promise<{ stdout: string; code: string; req: ActivationRequest }> {
    const r = await box.ssh(`cd / && ${env} sh /root/good/install.sh request`, {}, 120_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const m = /^EDGEFORGE-REQUEST ((?:[0-9A-Z]{5}-)*[0-9A-Z]{2,5})$/.exec(r.stdout.split('\n')[0]!);
    expect(m, r.stdout).not.toBeNull();
    return { stdout: r.stdout, code: m![1]!, req: parseRequestCode(m![1]!) };
  }

  const reply = (o: Partial<ReplyOptions> & { request: ActivationRequest }): Reply => makeReply({ issuer: good.key, seat: 1, serial: good.serial, ...o });

  /** `install.sh activate <args>` from /root, optionally with stdin from a file. */
  async function activate(args: string, stdin?: string): Promise<ExecResult> {
    if (stdin !== undefined) await putFile(box, '/root/stdin.txt', Buffer.from(stdin));
    return box.ssh(`cd /root && sh good/install.sh activate ${args}${stdin !== undefined ? ' < /root/stdin.txt' : ''}`, {}, 120_000);
  }

  async function activateFile(r: Reply): Promise<ExecResult> {
    await putFile(box, '/root/reply.txt', Buffer.from(r.file));
    return activate('reply.txt');
  }

  /**
   * Several `install.sh activate`, each from a reply file or with arguments, in
   * one SSH session (each session costs seconds under TCG); their results in order.
   */
  async function activateAll(cases: { file?: Reply; args?: string }[]): Promise<ExecResult[]> {
    const steps = cases.map((c, i) => {
      const put = c.file ? `printf '%s' '${Buffer.from(c.file.file).toString('base64')}' | base64 -d > batch/${i}.txt; ` : '';
      return (
        `${put}sh good/install.sh activate ${c.file ? `batch/${i}.txt` : c.args} > batch/${i}.out 2> batch/${i}.err; ` +
        `rc=$?; echo "@@ ${i} $rc x$(base64 -w0 < batch/${i}.out) x$(base64 -w0 < batch/${i}.err)"`
      );
    });
    const r = await box.ssh(`cd /root && rm -rf batch && mkdir batch && ${steps.join('\n')}`, {}, 600_000);
    const results: ExecResult[] = [];
    for (const line of r.stdout.split('\n')) {
      const m = /^@@ (\d+) (\d+) x(\S*) x(\S*)$/.exec(line);
      if (m) results[Number(m[1])] = { code: Number(m[2]), stdout: Buffer.from(m[3]!, 'base64').toString(), stderr: Buffer.from(m[4]!, 'base64').toString() };
    }
    expect(results.filter(Boolean), r.stdout + r.stderr).toHaveLength(cases.length);
    return results;
  }

  /** The box's component prefixes, from identity.json (docs/activation.md §1). */
  async function ownPrefixes(): Promise<{ prefixes: string[]; machineIdPrefix: string }> {
    const identity = JSON.parse((await box.ssh('cat /etc/edgeforge/identity.json')).stdout) as { components: { sha256: string }[]; machineId: string };
    return { prefixes: identity.components.map((c) => c.sha256.slice(0, 8)), machineIdPrefix: identity.machineId.slice(0, 8) };
  }

  /** What the box recorded: the state, the files of /etc/edgeforge (sha256), whether a request is pending. */
  async function recorded(): Promise<{ state: string; files: Record<string, string>; pending: boolean }> {
    const r = await box.ssh(
      'cat /etc/edgeforge/state; cd /etc/edgeforge && for f in activation.txt activation.sig delegation.txt delegation.sig; do [ -f $f ] && sha256sum $f; done; [ -e /var/lib/edgeforge/request ] && echo pending; true',
    );
    const lines = r.stdout.trim().split('\n');
    const files: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(l);
      if (m) files[m[2]!] = m[1]!;
    }
    return { state: lines[0]!, files, pending: lines.includes('pending') };
  }

  let firstCode = '';

  it('prints an activation request code: EDGEFORGE-REQUEST first, the batch, a nonce and the prefixes of identity.json, the same code on a second call, a QR code of it; --file writes a request file', async () => {
    const first = await request('LANG=C.UTF-8');
    firstCode = first.code;
    expect(first.req).toEqual({ batchId: good.batchId, nonce: expect.stringMatching(/^[0-9a-f]{8}$/), ...(await ownPrefixes()) });
    expect(first.req.prefixes).toHaveLength(5); // DMI UUID, product and board serials, two MACs
    expect(first.req.prefixes[0]).toBe(fp('dmi-uuid', box.uuid.toLowerCase()).slice(0, 8));
    // 1 + 8 + 4 + 1 + 4 + 5·4 = 38 bytes: 61 characters, 16 groups.
    expect(first.code.split('-')).toHaveLength(16);
    // The code for people too, in lines of groups, after the machine-readable line.
    const human = first.stdout.split('\n').slice(1).join('\n');
    expect(human.replace(/[\s-]/g, '')).toContain(first.code.replace(/-/g, ''));
    expect(human).toMatch(/sh install\.sh activate/);

    const again = await box.ssh('cd /root && LANG=C sh good/install.sh request --file req.txt', {}, 120_000);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.split('\n')[0]).toBe(`EDGEFORGE-REQUEST ${first.code}`);
    const file = (await box.ssh('cat /root/req.txt')).stdout;
    expect(file).toMatch(new RegExp(`^EDGEFORGE-REQUEST ${first.code}$`, 'm'));
    expect(parseRequestCode(file)).toEqual(first.req);

    if (good.hasQr) {
      // UTF-8 half blocks under a UTF-8 locale, '##' otherwise; both decode to the code.
      expect(first.stdout).toMatch(/^ {2}[█▀▄ ]*[█▀▄][█▀▄ ]*$/m);
      expect(decodeQr(first.stdout, 'utf8')).toBe(first.code);
      expect(again.stdout).toMatch(/^ {2}[# ]*##[# ]*$/m);
      expect(again.stdout).not.toMatch(/[█▀▄]/);
      expect(decodeQr(again.stdout, 'ascii')).toBe(first.code);
    } else {
      expect(first.stdout).toContain('(no QR code: qr.awk is not in this bundle)');
    }
  });

  it('refuses, each with its own message and exit 80, a reply for another batch, another box, an older request, from an untrusted station, with a delegation the issuer did not sign, a seat outside the delegation, a mistyped check character; the request stays pending', async () => {
    // An older request: the pending one is dropped (as by hand), and a new one (a new nonce) is made.
    const older = parseRequestCode(firstCode);
    await box.ssh('rm -f /var/lib/edgeforge/request');
    const now = await request();
    expect(now.code).not.toBe(firstCode);
    expect(now.req.nonce).not.toBe(older.nonce);
    const req = now.req;
    const own = req.prefixes;
    const delegate = newStationKey();
    const issuerPoint = compressedPublicKey(good.key.publicKeyPem);
    const otherPoint = compressedPublicKey(otherStation.publicKeyPem);
    const code = reply({ request: req, seat: 4 }).code.split('-');
    const badCheck = [...code];
    badCheck[3] = badCheck[3]!.slice(0, 4) + (badCheck[3]![4] === 'Z' ? 'Y' : 'Z'); // group 4's check character
    const seatOut = reply({ request: req, seat: 25, delegation: { delegate, first: 11, last: 20 } });
    const delegNotIssuer = reply({ request: req, seat: 12, delegation: { delegate, first: 11, last: 20, signedBy: otherStation } });
    const cases: { what: string; args?: string; file?: Reply; says: RegExp }[] = [
      {
        what: 'another batch',
        file: reply({ request: req, certificate: { batch: 'bat_0123456789abcdef' } }),
        says: new RegExp(`certificate is for batch bat_0123456789abcdef, but this bundle is batch ${good.batchId}`),
      },
      {
        what: "another box's fingerprint (2 of 5 match)",
        file: reply({ request: req, certificate: { fingerprint: [own[0]!, own[1]!, 'aaaaaaaa', 'bbbbbbbb', 'cccccccc'] } }),
        says: /fingerprint matches 2 of its 5 hardware components on this box, at least 3/,
      },
      {
        what: 'an older request (file)',
        file: reply({ request: older }),
        says: new RegExp(`answers another request \\(nonce ${older.nonce}\\), not this box's pending request \\(nonce ${req.nonce}\\)`),
      },
      { what: 'an older request (code)', args: reply({ request: older }).code, says: /certificate's signature is invalid/ },
      {
        what: 'an untrusted station',
        file: reply({ request: req, issuer: otherStation }),
        says: new RegExp(`signed by station ${otherPoint}, not by this bundle's station ${issuerPoint}, and comes with no delegation.*untrusted station`),
      },
      { what: "a signature not the issuer's", file: reply({ request: req, signedBy: otherStation }), says: /certificate's signature is invalid/ },
      {
        what: 'a delegation not signed by the issuer (file)',
        file: delegNotIssuer,
        says: /delegation's signature is invalid: it was not signed by this bundle's station/,
      },
      { what: 'a delegation not signed by the issuer (code)', args: delegNotIssuer.code, says: /delegation's signature is invalid/ },
      {
        what: 'a delegation naming another issuer',
        file: reply({ request: req, seat: 12, delegation: { delegate, first: 11, last: 20, signedBy: otherStation, issuer: otherPoint } }),
        says: new RegExp(`delegation was issued by station ${otherPoint}, not by this bundle's station ${issuerPoint}`),
      },
      { what: 'a seat outside the delegation (file)', file: seatOut, says: /seat 25 is outside the seats 11-20 delegated to station/ },
      { what: 'a seat outside the delegation (code)', args: seatOut.code, says: /seat 25 is outside the seats 11-20 delegated to station/ },
      { what: 'a wrong check character', args: badCheck.join('-'), says: /group 4 of the reply code is mistyped/ },
      { what: 'an incomplete code', args: code.slice(0, 10).join('-'), says: /reply code is incomplete \(10 groups of 29\)/ },
      { what: 'a request code', args: now.code, says: /activation request code, not the station's reply/ },
      { what: 'a missing file', args: 'no-such-reply.txt', says: /no-such-reply\.txt: no such file/ },
    ];
    const results = await activateAll(cases);
    for (const [i, c] of cases.entries()) {
      const r = results[i]!;
      expect(r.code, `${c.what}: ${r.stdout}${r.stderr}`).toBe(80);
      expect(r.stderr, c.what).toMatch(c.says);
      expect(r.stdout, c.what).toMatch(/^EDGEFORGE-ACTIVATION state=fail msg="[^"\n]+"\n$/);
    }
    expect(await recorded()).toEqual({ state: 'installed-awaiting-activation', files: {}, pending: true });
    expect((await request()).code).toBe(now.code);
  }, 600_000); // about 9 s per refusal under TCG

  it('activates from a reply file of the issuer: activation.txt and .sig, state activated, the request forgotten, the seat and serial in status; the same reply again changes nothing', async () => {
    const { req } = await request();
    const r1 = reply({ request: req, seat: 1 });
    const r = await activateFile(r1);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toBe('EDGEFORGE-ACTIVATION state=activated seat=1 serial=LAB-000001 matched=5/5\n');
    expect(await recorded()).toEqual({
      state: 'activated',
      files: { 'activation.txt': sha256(r1.certificate), 'activation.sig': sha256(r1.certificateSig) },
      pending: false,
    });
    const status = await box.ssh('sh /root/good/install.sh status');
    expect(status.stdout.split('\n')[0]).toBe(
      `EDGEFORGE-STATUS state=activated batch=${good.batchId} bundle=${good.manifestSha256} done=space,drivers,runtime,images,lightapps,identity seat=1 serial=LAB-000001`,
    );
    // Idempotent: the same reply is accepted again (with no request pending), another is not.
    const again = await activateFile(r1);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(r.stdout);
    const stray = await activateFile(reply({ request: req, seat: 2 }));
    expect(stray.code).toBe(80);
    expect(stray.stderr).toMatch(/no pending activation request \(it is activated: seat 1\)/);
  });

  it('activates from a reply code given as an argument (lower case, spaces): the certificate the box rebuilds is the station text byte for byte', async () => {
    const { req, stdout } = await request();
    expect(stdout).toContain('This box is activated already (seat 1, serial LAB-000001)');
    const r2 = reply({ request: req, seat: 2 });
    const r = await activate(r2.code.toLowerCase().replace(/-/g, ' '));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toBe('EDGEFORGE-ACTIVATION state=activated seat=2 serial=LAB-000002 matched=5/5\n');
    expect(await recorded()).toEqual({
      state: 'activated',
      files: { 'activation.txt': sha256(r2.certificate), 'activation.sig': sha256(r2.certificateSig) },
      pending: false,
    });
  });

  it('activates through the prompt: a mistyped group is named and the code asked for again; end of input refuses with exit 80', async () => {
    const { req } = await request();
    const r3 = reply({ request: req, seat: 3 });
    const groups = r3.code.split('-');
    const typo = [...groups];
    const g6 = typo[5]!;
    typo[5] = g6.slice(0, 1) + g6.slice(2, 3) + g6.slice(1, 2) + g6.slice(3); // two adjacent characters swapped
    if (typo[5] === g6) typo[5] = g6.slice(0, 1) + (g6[1] === '7' ? '8' : '7') + g6.slice(2); // (they were equal: one changed)
    const r = await activate('', `${typo.join('-')}\n${r3.code}\n`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/group 6 of the reply code is mistyped.*type the whole code again/);
    expect(r.stderr.match(/Reply code: /g)).toHaveLength(2);
    expect(r.stdout).toBe('EDGEFORGE-ACTIVATION state=activated seat=3 serial=LAB-000003 matched=5/5\n');

    // A code pasted over two lines is put together.
    const split = reply({ request: (await request()).req, seat: 4 });
    const parts = split.code.split('-');
    const two = await activate('', `${parts.slice(0, 13).join('-')}\n${parts.slice(13).join('-')}\n`);
    expect(two.code, two.stderr).toBe(0);
    expect(two.stderr).toMatch(/incomplete \(13 groups of 29\): type the rest/);
    expect(two.stdout).toContain('seat=4 ');

    await request();
    const eof = await activate('', '');
    expect(eof.code).toBe(80);
    expect(eof.stdout).toBe('EDGEFORGE-ACTIVATION state=fail msg="no reply code was entered (end of input)"\n');
    expect((await recorded()).pending).toBe(true);
  });

  it("activates from a delegate's reply file (a replaced NIC: 4 of 5 match) and from a delegate's reply code: delegation.txt and .sig recorded", async () => {
    const delegate = newStationKey();
    const { req } = await request();
    const d1 = reply({
      request: req,
      seat: 12,
      delegation: { delegate, first: 11, last: 20 },
      certificate: { fingerprint: [...req.prefixes.slice(0, 4), 'deadbeef'] },
    });
    const r = await activateFile(d1);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toBe('EDGEFORGE-ACTIVATION state=activated seat=12 serial=LAB-000012 matched=4/5\n');
    expect(await recorded()).toEqual({
      state: 'activated',
      files: {
        'activation.txt': sha256(d1.certificate),
        'activation.sig': sha256(d1.certificateSig),
        'delegation.txt': sha256(d1.delegation!),
        'delegation.sig': sha256(d1.delegationSig!),
      },
      pending: false,
    });

    const d2 = reply({ request: (await request()).req, seat: 20, delegation: { delegate, first: 11, last: 20 } });
    expect(d2.code.split('-')).toHaveLength(72); // 179 bytes
    const c = await activate(d2.code);
    expect(c.code, c.stdout + c.stderr).toBe(0);
    expect(c.stdout).toBe('EDGEFORGE-ACTIVATION state=activated seat=20 serial=LAB-000020 matched=5/5\n');
    expect(await recorded()).toEqual({
      state: 'activated',
      files: {
        'activation.txt': sha256(d2.certificate),
        'activation.sig': sha256(d2.certificateSig),
        'delegation.txt': sha256(d2.delegation!),
        'delegation.sig': sha256(d2.delegationSig!),
      },
      pending: false,
    });
    const status = await box.ssh('sh /root/good/install.sh status');
    expect(status.stdout.split('\n')[0]).toMatch(/^EDGEFORGE-STATUS state=activated .* seat=20 serial=LAB-000020$/);

    // A later direct activation drops the delegation files.
    const direct = reply({ request: (await request()).req, seat: 5 });
    expect((await activateFile(direct)).code).toBe(0);
    expect(Object.keys((await recorded()).files).sort()).toEqual(['activation.sig', 'activation.txt']);
  });
});

/**
 * The QR code in an output of `install.sh request`, read back into modules
 * and decoded with jsQR. qr.awk draws light modules (and the quiet zone) as
 * blocks ('##', or the upper/lower half blocks in UTF-8) and dark ones as spaces.
 */
function decodeQr(stdout: string, style: 'utf8' | 'ascii'): string | null {
  const lines = stdout.split('\n').filter((l) => (style === 'ascii' ? /^ {2}[# ]*##[# ]*$/ : /^ {2}[█▀▄ ]*[█▀▄][█▀▄ ]*$/).test(l));
  const dark: boolean[][] = [];
  for (const raw of lines) {
    const l = raw.slice(2);
    if (style === 'ascii') dark.push(Array.from({ length: l.length / 2 }, (_, i) => l.slice(2 * i, 2 * i + 2) !== '##'));
    else {
      dark.push([...l].map((ch) => ch === ' ' || ch === '▄'));
      dark.push([...l].map((ch) => ch === ' ' || ch === '▀'));
    }
  }
  const rows = dark.length;
  const cols = Math.max(...dark.map((r) => r.length));
  const scale = 4;
  const margin = 16;
  const w = cols * scale + 2 * margin;
  const h = rows * scale + 2 * margin;
  const pixels = new Uint8ClampedArray(w * h * 4).fill(255);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++)
      if (dark[r]![c])
        for (let y = 0; y < scale; y++)
          for (let x = 0; x < scale; x++) {
            const p = ((margin + r * scale + y) * w + margin + c * scale + x) * 4;
            pixels.fill(0, p, p + 3);
          }
  return jsQR(pixels, w, h, { inversionAttempts: 'dontInvert' })?.data ?? null;
}
