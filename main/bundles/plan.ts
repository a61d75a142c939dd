/**
 * What goes into a batch's bundle, in order (docs/bundle-format.md): every
 * entry with its path, mode, exact size and where its bytes come from. The
 * plan reads only the store; the writers stream it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Artifact, ContainerAppSpec, HardwareModelSpec, LightAppSpec } from '../api/contract';
import { AppError } from '../api/errors';
import type { ArtifactService } from '../artifacts';
import type { AppService, ComboService, ModelService } from '../catalog';
import type { StationKeys } from '../licensing';
import type { BatchService } from './batches';

export const BUNDLE_FORMAT = 'edgeforge.bundle/v1';

export type EntrySource =
  | { kind: 'bytes'; data: Buffer }
  /** A stored blob, checked against its digest as it streams. */
  | { kind: 'blob'; file: string; digest: string };

export interface PlanEntry {
  path: string;
  mode: number;
  size: number;
  source: EntrySource;
}

export interface BundlePlan {
  batchId: string;
  /** The station key that signs the manifest (the license's). */
  keyId: string;
  /** The top directory inside the tar. */
  root: string;
  /** Seconds since the epoch: every entry's mtime (the batch's creation). */
  mtime: number;
  entries: PlanEntry[];
  /** manifest.json without its `files`, which the writer fills in. */
  manifestHead: Record<string, unknown>;
  installBytes: number;
}

export const BundleErrors = {
  BUNDLE_ARTIFACT_MISSING: 'BUNDLE_ARTIFACT_MISSING',
  BUNDLE_INSTALLER_MISSING: 'BUNDLE_INSTALLER_MISSING',
  BUNDLE_NO_SPACE: 'BUNDLE_NO_SPACE',
  BUNDLE_BLOB_CORRUPT: 'BUNDLE_BLOB_CORRUPT',
  BUNDLE_OUT_DIR: 'BUNDLE_OUT_DIR',
  BUNDLE_NO_BASE_ISO: 'BUNDLE_NO_BASE_ISO',
} as const;

/** One value for a POSIX shell, in single quotes. */
export const shellQuote = (v: string | number) => `'${String(v).replace(/'/g, `'\\''`)}'`;
const envFile = (vars: [string, string | number][]) => Buffer.from(vars.map(([k, v]) => `${k}=${shellQuote(v)}\n`).join(''));

const SAFE_NAME = /^[A-Za-z0-9._+-]+$/;

export interface PlanDeps {
  batches: BatchService;
  combos: ComboService;
  models: ModelService;
  apps: AppService;
  artifacts: ArtifactService;
  keys: StationKeys;
  installerFile: string;
}

export function planBundle(d: PlanDeps, batchId: string): BundlePlan {
  const batch = d.batches.get(batchId);
  const lic = d.batches.licenseFiles(batchId);
  const combo = d.combos.get(batch.comboId);
  const model = d.models.get(combo.spec.modelId);
  const rev = model.revisions.find((r) => r.revision === combo.spec.modelRevision)!;
  const spec: HardwareModelSpec = rev.spec;
  const entries: PlanEntry[] = [];
  const artifact = (id: string, what: string): Artifact => {
    try {
      return d.artifacts.get(id);
    } catch {
      throw new AppError(BundleErrors.BUNDLE_ARTIFACT_MISSING, {
        en: `${what} (${id}) is no longer in the artifact store. Import it again, then build.`,
        zh: `${what}（${id}）已不在制品库中。请重新导入后再构建。`,
      });
    }
  };
  const filesOf = (a: Artifact) => (a.metadata.files as { file: string; digest: string; size: number }[]) ?? [];
  const blob = (path: string, mode: number, f: { digest: string; size: number }) =>
    entries.push({ path, mode, size: f.size, source: { kind: 'blob', file: d.artifacts.blobs.pathOf(f.digest), digest: f.digest } });
  const bytes = (path: string, mode: number, data: Buffer) => entries.push({ path, mode, size: data.length, source: { kind: 'bytes', data } });

  if (!fs.existsSync(d.installerFile)) {
    throw new AppError(BundleErrors.BUNDLE_INSTALLER_MISSING, {
      en: `The box-side installer is missing from this EdgeForge (${d.installerFile}). Reinstall EdgeForge.`,
      zh: `本 EdgeForge 缺少设备端安装程序（${d.installerFile}）。请重新安装 EdgeForge。`,
    });
  }
  bytes('install.sh', 0o755, fs.readFileSync(d.installerFile));
  // The QR code drawer install.sh uses for activation requests (docs/activation.md §5).
  const qrAwk = path.join(path.dirname(d.installerFile), 'qr.awk');
  if (fs.existsSync(qrAwk)) bytes('qr.awk', 0o644, fs.readFileSync(qrAwk));

  // runtime/
  const runtime = artifact(combo.spec.runtimeArtifactId, 'The cluster runtime');
  for (const f of filesOf(runtime)) blob(`runtime/${f.file}`, f.file === 'k3s' || f.file.endsWith('.sh') ? 0o755 : 0o644, f);

  // drivers/
  const drivers: string[] = [];
  for (const acc of spec.accelerators) {
    if (!acc.driverArtifactId) continue;
    for (const f of filesOf(artifact(acc.driverArtifactId, `The ${acc.kind} driver`))) {
      if (drivers.includes(f.file)) continue;
      drivers.push(f.file);
      blob(`drivers/${f.file}`, f.file.endsWith('.run') ? 0o755 : 0o644, f);
    }
  }

  // images/ and manifests/ (container apps); apps/ (light apps)
  const images = new Map<string, { ref: string; manifest: { digest: string; size: number } }>();
  const blobs = new Map<string, { digest: string; file: string; size: number }>();
  const manifests: [string, Buffer][] = [];
  const lightApps: { name: string; pkg: { file: string; digest: string; size: number }; env: Buffer }[] = [];
  const appsList: { name: string; kind: string; version: number }[] = [];
  for (const pin of combo.spec.apps) {
    const app = d.apps.get(pin.appId);
    const v = app.versions.find((x) => x.version === pin.version)!;
    appsList.push({ name: app.name, kind: app.kind, version: v.version });
    if (app.kind === 'container') {
      const cs = v.spec as ContainerAppSpec;
      for (const c of [...cs.initContainers, ...cs.containers]) {
        const img = artifact(c.imageArtifactId, `Image of ${app.name}/${c.name}`);
        const meta = img.metadata as { configDigest: string; layers: { digest: string; size: number }[] };
        const add = (digest: string, size?: number) => {
          const file = d.artifacts.blobs.pathOf(digest);
          blobs.set(digest, { digest, file, size: size ?? fs.statSync(file).size });
        };
        add(img.digest);
        add(meta.configDigest);
        for (const l of meta.layers) add(l.digest, l.size);
        images.set(img.digest, { ref: img.name, manifest: { digest: img.digest, size: blobs.get(img.digest)!.size } });
      }
      manifests.push([`manifests/${app.name}.yaml`, Buffer.from(d.apps.render(app.id, v.version, 'edgeforge', pin.overrides).yaml)]);
    } else {
      const ls = v.spec as LightAppSpec;
      const pkgArtifact = artifact(ls.packageArtifactId, `Package of ${app.name}`);
      const pkg = filesOf(pkgArtifact)[0]!;
      const language = String(pkgArtifact.metadata.language ?? '');
      const env = [...ls.env.filter((e) => !pin.overrides.env.some((o) => o.name === e.name)), ...pin.overrides.env];
      lightApps.push({
        name: app.name,
        pkg,
        env: envFile([
          ['EF_APP_NAME', app.name],
          ['EF_APP_LANGUAGE', language],
          ['EF_APP_PACKAGE', pkg.file.endsWith('.zip') ? 'package.zip' : 'package.tar.gz'],
          ['EF_APP_START', ls.startCommand],
          ['EF_APP_CPU_MILLICORES', ls.cpuLimitMillicores ?? ''],
          ['EF_APP_MEMORY_MIB', ls.memoryLimitMiB ?? ''],
          ...env.map((e, i): [string, string] => [`EF_APP_ENV_${i + 1}`, `${e.name}=${e.value}`]),
        ]),
      });
    }
  }
  if (images.size > 0) {
    // One OCI image layout (image-spec layout.md) for every image: a blob shared by images is there once,
    // and each blob file's sha256 is its digest. install.sh packs it into the archive k3s imports.
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [...images.values()].map((i) => ({
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: i.manifest.digest,
          size: i.manifest.size,
          annotations: {
            'org.opencontainers.image.ref.name': i.ref,
            'io.containerd.image.name': i.ref.includes('/') && !/^[^/]+[.:]/.test(i.ref) ? `docker.io/${i.ref}` : i.ref,
          },
        })),
      }),
    );
    bytes('images/oci/oci-layout', 0o644, Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
    bytes('images/oci/index.json', 0o644, index);
    for (const b of [...blobs.values()].sort((x, y) => x.digest.localeCompare(y.digest))) blob(`images/oci/blobs/sha256/${b.digest.slice(7)}`, 0o644, b);
  }
  for (const [p, data] of manifests) bytes(p, 0o644, data);
  for (const la of lightApps) {
    if (!SAFE_NAME.test(la.name)) throw new Error(`unsafe light app name ${la.name}`);
    blob(`apps/${la.name}/${la.pkg.file.endsWith('.zip') ? 'package.zip' : 'package.tar.gz'}`, 0o644, la.pkg);
    bytes(`apps/${la.name}/app.env`, 0o644, la.env);
  }

  const installBytes = entries.reduce((s, e) => s + e.size, 0);
  const runtimeMeta = runtime.metadata as { version?: string; arch?: string };
  const pciIds = spec.accelerators.flatMap((a) => a.pciIds);
  bytes(
    'bundle.env',
    0o644,
    envFile([
      ['EF_FORMAT', BUNDLE_FORMAT],
      ['EF_BATCH_ID', batch.id],
      ['EF_SERIAL_PREFIX', batch.serialPrefix],
      ['EF_SERIAL_DIGITS', batch.serialDigits],
      ['EF_COMBO', batch.comboName],
      ['EF_MODEL', `${model.name} r${rev.revision}`],
      ['EF_ARCH', spec.arch],
      ['EF_MIN_CPU', spec.minCpuCores],
      ['EF_MIN_MEM_MIB', spec.minMemoryMiB],
      ['EF_MIN_DISK_GIB', spec.minDiskGiB],
      ['EF_INSTALL_DISK', spec.installDisk],
      ['EF_NICS', spec.nics.map((n) => n.name).join(' ')],
      ['EF_SERIAL', spec.serialPorts.map((s) => s.device).join(' ')],
      ['EF_PCI_IDS', pciIds.join(' ')],
      ['EF_DRIVERS', drivers.join(' ')],
      ['EF_RUNTIME_VERSION', runtimeMeta.version ?? ''],
      ['EF_LIGHT_APPS', lightApps.map((l) => l.name).join(' ')],
      ['EF_INSTALL_BYTES', installBytes],
    ]),
  );
  // The key that signed the license signs the manifest too: a box checks both with this one.
  bytes('station.pub.pem', 0o644, Buffer.from(d.keys.get(lic.keyId).publicKeyPem));
  bytes('license.json', 0o644, lic.license);
  bytes('license.json.sig', 0o644, lic.signature);

  for (const e of entries) {
    if (!/^[A-Za-z0-9._+/-]+$/.test(e.path) || e.path.split('/').some((p) => p === '..' || p === '')) throw new Error(`unsafe bundle path ${e.path}`);
  }
  return {
    batchId: batch.id,
    keyId: lic.keyId,
    root: `edgeforge-${batch.id}`,
    mtime: Math.floor(Date.parse(lic.createdAt) / 1000),
    entries,
    installBytes,
    manifestHead: {
      format: BUNDLE_FORMAT,
      batch: { id: batch.id, combo: batch.comboName, quantity: batch.quantity, serialPrefix: batch.serialPrefix, serialDigits: batch.serialDigits },
      model: { name: model.name, revision: rev.revision },
      runtime: { kind: 'k3s', version: runtimeMeta.version ?? null, arch: runtimeMeta.arch ?? runtime.platform },
      requirements: {
        arch: spec.arch,
        minCpuCores: spec.minCpuCores,
        minMemoryMiB: spec.minMemoryMiB,
        minDiskGiB: spec.minDiskGiB,
        installDisk: spec.installDisk,
        nics: spec.nics.map((n) => n.name),
        serialDevices: spec.serialPorts.map((s) => s.device),
        pciIds,
      },
      apps: appsList,
      installBytes,
    },
  };
}

/**
 * manifest.json: indented JSON, except that each `files` entry is alone on one
 * line in a fixed shape, so that install.sh can read the list with sed.
 */
export function manifestJson(head: Record<string, unknown>, files: { path: string; size: number; sha256: string }[]): Buffer {
  const body = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  const lines = files.map((f) => `    {"path": ${JSON.stringify(f.path)}, "size": ${f.size}, "sha256": "${f.sha256}"}`);
  return Buffer.from(`${body},\n  "files": [\n${lines.join(',\n')}\n  ]\n}\n`);
}
