/**
 * A test-side bundle assembler: writes a bundle DIRECTORY that follows
 * docs/bundle-format.md (edgeforge.bundle/v1), so that the box-side installer
 * (resources/installer/install.sh) can be tested on lab boxes on its own.
 * The product's builder (main/bundles) is meant to replace it in these tests.
 *
 * Everything in it is a small stand-in, made on this machine:
 *   - runtime/k3s: a static x86_64 program that prints a k3s version;
 *   - runtime/install.sh: a STAND-IN for the k3s install script, which only
 *     records the INSTALL_K3S_* variables it was run with;
 *   - runtime/k3s-airgap-images-amd64.tar: a small tar; images/oci/: a small OCI layout;
 *   - manifests/<container app>.yaml: a small Deployment;
 *   - apps/<light app>/: a tar.gz whose run.sh writes a marker file, then sleeps;
 *   - drivers/<name>.run (optional): a makeself archive whose script records its arguments.
 * Besides install.sh it copies resources/installer/qr.awk (which install.sh
 * runs to draw the activation request's QR code) when that file exists.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EDU_PCI_ID } from './lab';

export const BUNDLE_FORMAT = 'edgeforge.bundle/v1';
export const K3S_VERSION = 'v1.30.2+k3s1';
/** Where the stand-ins leave their traces on the box. */
export const TEST_STATE_DIR = '/var/lib/edgeforge-test';
export const LIGHT_APP = {
  name: 'counter',
  start: 'sh run.sh',
  cpuMillicores: 500,
  memoryMiB: 64,
  /** The second value checks the unit file's quoting: a quote, a percent sign, double quotes. */
  env: { APP_GREETING: 'hello from the lab', APP_QUOTE: `it's 100% "ok"` },
  marker: `${TEST_STATE_DIR}/app-counter.marker`,
};
export const CONTAINER_APP = 'vision';
export const DRIVER_FILE = 'edu-accel-driver-stand-in.run';
/** The batch's serial scheme (license.json, manifest.json, EF_SERIAL_PREFIX / EF_SERIAL_DIGITS). */
export const SERIAL = { prefix: 'LAB-', digits: 6 };
const INSTALLER_DIR = path.join(import.meta.dirname, '..', '..', 'resources', 'installer');

export interface StationKey {
  privateKey: KeyObject;
  publicKeyPem: string;
}

export interface Requirements {
  arch: string;
  minCpuCores: number;
  minMemoryMiB: number;
  minDiskGiB: number;
  installDisk: string;
  nics: string[];
  serialDevices: string[];
  pciIds: string[];
}

export interface BundleDirOptions {
  batchId?: string;
  /** Overrides of the model's requirements (defaults fit a lab box with 512 MiB). */
  requirements?: Partial<Requirements>;
  /** Include the driver stand-in (and, unless overridden, require the edu PCI device). Default true. */
  driver?: boolean;
  /** EF_INSTALL_BYTES / installBytes; default: the bundle's own size. */
  installBytes?: number;
  /** The station key that signs; default: a fresh one. */
  key?: StationKey;
}

export interface BundleDir {
  dir: string;
  manifestSha256: string;
  batchId: string;
  key: StationKey;
  serial: { prefix: string; digits: number };
  /** Whether qr.awk was copied next to install.sh. */
  hasQr: boolean;
}

export function newStationKey(): StationKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** ECDSA P-256 / SHA-256, DER, over the domain line, a newline, then the bytes. */
export function signWithDomain(key: StationKey, domain: string, bytes: Buffer): Buffer {
  return sign('sha256', Buffer.concat([Buffer.from(`${domain}\n`), bytes]), key.privateKey);
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A shell single-quoted value, as bundle.env and app.env write them. */
const shq = (v: string | number) => `'${String(v).replace(/'/g, `'\\''`)}'`;
const envFile = (vars: [string, string | number][]) => vars.map(([k, v]) => `${k}=${shq(v)}\n`).join('');

/** A tar of the given files (name -> content), owned by root, fixed mtime. */
function tarOf(out: string, files: Record<string, string | Buffer>, gzip = false): void {
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'ef-tar-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(src, name)), { recursive: true });
      fs.writeFileSync(path.join(src, name), content, { mode: name.endsWith('.sh') ? 0o755 : 0o644 });
    }
    execFileSync('tar', [
      '-C',
      src,
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mtime=@1700000000',
      '--sort=name',
      gzip ? '-czf' : '-cf',
      out,
      ...Object.keys(files),
    ]);
  } finally {
    fs.rmSync(src, { recursive: true, force: true });
  }
}

function k3sStandIn(out: string): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ef-k3s-'));
  try {
    const c = path.join(work, 'k3s.c');
    fs.writeFileSync(
      c,
      `/* k3s stand-in for the EdgeForge installer tests: prints a version, nothing else. */
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v") || !strcmp(argv[1], "version"))) {
    printf("k3s version %s (edgeforge test stand-in)\\n", "${K3S_VERSION}");
    return 0;
  }
  fprintf(stderr, "k3s stand-in (EdgeForge installer tests): only --version is implemented\\n");
  return 1;
}
`,
    );
    try {
      execFileSync('gcc', ['-static', '-Os', '-s', '-o', out, c], { stdio: 'pipe' });
    } catch {
      execFileSync('gcc', ['-Os', '-s', '-o', out, c], { stdio: 'pipe' }); // no libc.a: dynamic (the lab box is Debian too)
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const K3S_INSTALL_STAND_IN = `#!/bin/sh
# STAND-IN for the k3s install script (INSTALL_K3S_* variables, get.k3s.io), for
# the EdgeForge installer tests only. It records the INSTALL_K3S_ variables it
# was run with, checks that the k3s binary is in place (as the real script does
# with INSTALL_K3S_SKIP_DOWNLOAD=true), and installs nothing else.
set -e
mkdir -p ${TEST_STATE_DIR}
env | grep '^INSTALL_K3S_' | sort > ${TEST_STATE_DIR}/k3s-install.env
[ -x /usr/local/bin/k3s ] || { echo "k3s install stand-in: /usr/local/bin/k3s is missing" >&2; exit 1; }
`;

function driverStandIn(out: string): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ef-drv-'));
  try {
    const content = path.join(work, 'content');
    fs.mkdirSync(content);
    fs.writeFileSync(
      path.join(content, 'setup.sh'),
      `#!/bin/sh
# Driver stand-in (EdgeForge installer tests): records the arguments it got.
mkdir -p ${TEST_STATE_DIR}
printf '%s\\n' "$*" > ${TEST_STATE_DIR}/driver-ran
`,
      { mode: 0o755 },
    );
    execFileSync('makeself', ['--nocomp', '--quiet', content, out, 'EdgeForge test driver stand-in', './setup.sh'], { stdio: 'pipe' });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Writes a bundle directory at `dir` (created; must not exist or be empty). */
export function makeBundleDir(dir: string, opts: BundleDirOptions = {}): BundleDir {
  const batchId = opts.batchId ?? `bat_${randomBytes(8).toString('hex')}`;
  const key = opts.key ?? newStationKey();
  const driver = opts.driver ?? true;
  const req: Requirements = {
    arch: 'x86_64',
    minCpuCores: 1,
    minMemoryMiB: 256,
    minDiskGiB: 1,
    installDisk: '/dev/vda',
    nics: ['eth0', 'eth1'],
    serialDevices: ['/dev/ttyS1'],
    pciIds: driver ? [EDU_PCI_ID] : [],
    ...opts.requirements,
  };
  fs.mkdirSync(dir, { recursive: true });
  const at = (p: string) => path.join(dir, p);
  const write = (p: string, content: string | Buffer, mode = 0o644) => {
    fs.mkdirSync(path.dirname(at(p)), { recursive: true });
    fs.writeFileSync(at(p), content);
    fs.chmodSync(at(p), mode);
  };

  write('install.sh', fs.readFileSync(path.join(INSTALLER_DIR, 'install.sh')), 0o755);
  const hasQr = fs.existsSync(path.join(INSTALLER_DIR, 'qr.awk'));
  if (hasQr) write('qr.awk', fs.readFileSync(path.join(INSTALLER_DIR, 'qr.awk')));

  fs.mkdirSync(at('runtime'), { recursive: true });
  k3sStandIn(at('runtime/k3s'));
  fs.chmodSync(at('runtime/k3s'), 0o755);
  write('runtime/install.sh', K3S_INSTALL_STAND_IN, 0o755);
  tarOf(at('runtime/k3s-airgap-images-amd64.tar'), { 'stand-in.txt': 'k3s air-gap images stand-in\n' });

  const drivers: string[] = [];
  if (driver) {
    fs.mkdirSync(at('drivers'), { recursive: true });
    driverStandIn(at(`drivers/${DRIVER_FILE}`));
    fs.chmodSync(at(`drivers/${DRIVER_FILE}`), 0o755);
    drivers.push(DRIVER_FILE);
  }

  // The images as one OCI image layout (docs/bundle-format.md): a layout file, an index and one blob.
  const blob = Buffer.from('stand-in image blob\n');
  const blobHex = createHash('sha256').update(blob).digest('hex');
  fs.mkdirSync(at('images/oci/blobs/sha256'), { recursive: true });
  write('images/oci/oci-layout', '{"imageLayoutVersion":"1.0.0"}');
  write('images/oci/index.json', '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}');
  fs.writeFileSync(at(`images/oci/blobs/sha256/${blobHex}`), blob);
  write(
    `manifests/${CONTAINER_APP}.yaml`,
    `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${CONTAINER_APP}
  namespace: edgeforge
spec:
  replicas: 1
  selector:
    matchLabels: { app: ${CONTAINER_APP} }
  template:
    metadata:
      labels: { app: ${CONTAINER_APP} }
    spec:
      containers:
        - name: ${CONTAINER_APP}
          image: registry.local/${CONTAINER_APP}:1
`,
  );

  const la = LIGHT_APP;
  fs.mkdirSync(at(`apps/${la.name}`), { recursive: true });
  tarOf(
    at(`apps/${la.name}/package.tar.gz`),
    {
      'run.sh': `#!/bin/sh
# Light app stand-in (EdgeForge installer tests): leaves a marker, then idles.
mkdir -p ${TEST_STATE_DIR}
printf 'greeting=%s\\nquote=%s\\ncwd=%s\\n' "$APP_GREETING" "$APP_QUOTE" "$(pwd)" > ${la.marker}
while :; do sleep 60; done
`,
    },
    true,
  );
  write(
    `apps/${la.name}/app.env`,
    envFile([
      ['EF_APP_NAME', la.name],
      ['EF_APP_LANGUAGE', 'c'],
      ['EF_APP_PACKAGE', 'package.tar.gz'],
      ['EF_APP_START', la.start],
      ['EF_APP_CPU_MILLICORES', la.cpuMillicores],
      ['EF_APP_MEMORY_MIB', la.memoryMiB],
      ...Object.entries(la.env).map(([k, v], i): [string, string] => [`EF_APP_ENV_${i + 1}`, `${k}=${v}`]),
    ]),
  );

  // Sizes of everything so far, plus the small files still to come.
  const sizeOf = (p: string): number => {
    const st = fs.statSync(p);
    return st.isDirectory() ? fs.readdirSync(p).reduce((s, e) => s + sizeOf(path.join(p, e)), 0) : st.size;
  };
  const installBytes = opts.installBytes ?? sizeOf(dir) + 16 * 1024;
  const model = { name: 'lab-box', revision: 1 };
  write(
    'bundle.env',
    envFile([
      ['EF_FORMAT', BUNDLE_FORMAT],
      ['EF_BATCH_ID', batchId],
      ['EF_COMBO', 'lab-combo'],
      ['EF_MODEL', `${model.name} r${model.revision}`],
      ['EF_ARCH', req.arch],
      ['EF_MIN_CPU', req.minCpuCores],
      ['EF_MIN_MEM_MIB', req.minMemoryMiB],
      ['EF_MIN_DISK_GIB', req.minDiskGiB],
      ['EF_INSTALL_DISK', req.installDisk],
      ['EF_NICS', req.nics.join(' ')],
      ['EF_SERIAL', req.serialDevices.join(' ')],
      ['EF_PCI_IDS', req.pciIds.join(' ')],
      ['EF_DRIVERS', drivers.join(' ')],
      ['EF_RUNTIME_VERSION', K3S_VERSION],
      ['EF_LIGHT_APPS', la.name],
      ['EF_INSTALL_BYTES', installBytes],
      ['EF_SERIAL_PREFIX', SERIAL.prefix],
      ['EF_SERIAL_DIGITS', SERIAL.digits],
    ]),
  );

  write('station.pub.pem', key.publicKeyPem);
  const spkiDer = createPublicKey(key.publicKeyPem).export({ type: 'spki', format: 'der' });
  const license = Buffer.from(
    JSON.stringify(
      {
        format: 'edgeforge.license/v1',
        batch: batchId,
        combo: { id: 'cmb_test', name: 'lab-combo' },
        model,
        quantity: 10,
        serial: SERIAL,
        issuedAt: new Date().toISOString(),
        station: sha256(spkiDer),
      },
      null,
      2,
    ) + '\n',
  );
  write('license.json', license);
  write('license.json.sig', signWithDomain(key, 'edgeforge.batch.license.v1', license));

  // manifest.json: indented JSON, each files entry alone on its line; written last.
  const files: { path: string; size: number; sha256: string }[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(at(rel || '.'), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else {
        const b = fs.readFileSync(at(p));
        files.push({ path: p, size: b.length, sha256: sha256(b) });
      }
    }
  };
  walk('');
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const head = {
    format: BUNDLE_FORMAT,
    batch: { id: batchId, combo: 'lab-combo', quantity: 10, serialPrefix: SERIAL.prefix, serialDigits: SERIAL.digits },
    model,
    runtime: { kind: 'k3s', version: K3S_VERSION, arch: 'amd64' },
    requirements: req,
    apps: [
      { name: CONTAINER_APP, kind: 'container', version: 1 },
      { name: la.name, kind: 'light', version: 1 },
    ],
    installBytes,
  };
  const body = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  const lines = files.map((f) => `    {"path": ${JSON.stringify(f.path)}, "size": ${f.size}, "sha256": "${f.sha256}"}`);
  const manifest = Buffer.from(`${body},\n  "files": [\n${lines.join(',\n')}\n  ]\n}\n`);
  write('manifest.json', manifest);
  write('manifest.json.sig', signWithDomain(key, 'edgeforge.bundle.manifest.v1', manifest));
  return { dir, manifestSha256: sha256(manifest), batchId, key, serial: SERIAL, hasQr };
}
