/**
 * Container image importer: docker-archive (`docker save`), OCI image layout
 * as a directory or a tar, multi-arch image indexes.
 *
 * Formats: OCI image-spec v1.1 (image-layout.md, image-index.md,
 * manifest.md, config.md); docker save's manifest.json (Docker image spec
 * v1.2, "Combined Image JSON + Filesystem Changeset Format").
 *
 * One streaming pass reads the archive: every regular file goes into the
 * blob store's staging, hashed on the way, so memory stays flat whatever the
 * image size. Then the small JSON documents are parsed and every digest is
 * checked: OCI blobs against their names, docker layers against the config's
 * rootfs.diff_ids. Each kind of damage gets its own error code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { AppError } from '../api/errors';
import type { Staging } from './blob-store';

export const ImageErrors = {
  NOT_AN_IMAGE_ARCHIVE: 'NOT_AN_IMAGE_ARCHIVE',
  TRUNCATED_ARCHIVE: 'TRUNCATED_ARCHIVE',
  BLOB_DIGEST_MISMATCH: 'BLOB_DIGEST_MISMATCH',
  MANIFEST_MISSING: 'MANIFEST_MISSING',
  BLOB_MISSING: 'BLOB_MISSING',
  PLATFORM_MISMATCH: 'PLATFORM_MISMATCH',
  PLATFORM_CHOICE_REQUIRED: 'PLATFORM_CHOICE_REQUIRED',
  PLATFORM_NOT_IN_INDEX: 'PLATFORM_NOT_IN_INDEX',
  BAD_IMAGE_JSON: 'BAD_IMAGE_JSON',
} as const;

const MT = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
} as const;

const SMALL_JSON_LIMIT = 4 * 1024 * 1024;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export function platformString(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** "linux/arm64/v8", "linux/amd64", "arm64" (os defaults to linux). */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length === 1) return { os: 'linux', architecture: parts[0]! };
  const p: Platform = { os: parts[0]!, architecture: parts[1]! };
  if (parts[2]) p.variant = parts[2];
  return p;
}

function samePlatform(want: Platform, have: Platform): boolean {
  return want.os === have.os && want.architecture === have.architecture && (!want.variant || want.variant === have.variant);
}

export interface ImportedImage {
  /** A reference name: the OCI ref.name annotation or docker RepoTag, else the file name. */
  name: string;
  format: 'docker-archive' | 'oci-layout';
  manifestDigest: string;
  configDigest: string;
  layers: { digest: string; size: number; mediaType: string }[];
  platform: Platform;
  entrypoint: string[] | null;
  cmd: string[] | null;
  exposedPorts: string[];
  env: string[];
  /** Sum of config and layer sizes. */
  size: number;
}

export interface ImageImportResult {
  images: ImportedImage[];
  /** Every blob the images reference (manifests, configs, layers). */
  keep: string[];
  /** Platforms the archive offers, when it holds an index. */
  available: string[];
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

interface Scan {
  /** archive path -> staged digest */
  files: Map<string, string>;
  /** archive path -> symlink target (resolved relative to the link) */
  links: Map<string, string>;
  /** small JSON files by archive path */
  json: Map<string, Buffer>;
}

function err(code: string, en: string, zh: string, file: string): AppError {
  return new AppError(code, { en, zh }, { file });
}

function norm(p: string): string {
  return path.posix.normalize(p.replace(/^\.?\/+/, '')).replace(/^\.\//, '');
}

function parseJson<T>(data: Buffer, what: string, file: string): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch {
    throw err(ImageErrors.BAD_IMAGE_JSON, `${what} in ${file} is not valid JSON.`, `${file} 中的 ${what} 不是有效的 JSON。`, file);
  }
}

function isGzip(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    fs.readSync(fd, b, 0, 2, 0);
    return b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    fs.closeSync(fd);
  }
}

/** Counts bytes read from the source file, for progress. */
function counter(onBytes: (n: number) => void): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      n += chunk.length;
      onBytes(n);
      cb(null, chunk);
    },
  });
}

async function scanTar(file: string, staging: Staging, signal: AbortSignal | undefined, onBytes: (n: number) => void): Promise<Scan> {
  const scan: Scan = { files: new Map(), links: new Map(), json: new Map() };
  const extract = tar.extract();
  let source: Readable = fs.createReadStream(file).pipe(counter(onBytes));
  if (isGzip(file)) source = source.pipe(createGunzip());
  source.on('error', (e) => extract.destroy(e));
  source.pipe(extract);
  let entries = 0;
  try {
    for await (const entry of extract) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      entries++;
      const name = norm(entry.header.name);
      if (entry.header.type === 'file' || entry.header.type === 'contiguous-file') {
        if (
          (entry.header.size ?? 0) <= SMALL_JSON_LIMIT &&
          (name.endsWith('.json') || name === 'oci-layout' || name === 'repositories' || name.startsWith('blobs/'))
        ) {
          // Small files are kept in memory too: manifests and configs are parsed after the pass.
          const chunks: Buffer[] = [];
          for await (const c of entry) chunks.push(c as Buffer);
          const data = Buffer.concat(chunks);
          const blob = staging.putBuffer(data);
          scan.files.set(name, blob.digest);
          if (data.length <= 64 * 1024 && (data[0] === 0x7b || data[0] === 0x5b)) scan.json.set(name, data);
        } else {
          const blob = await staging.put(entry as unknown as Readable, signal);
          scan.files.set(name, blob.digest);
        }
      } else {
        if (entry.header.type === 'symlink' && entry.header.linkname) {
          scan.links.set(name, norm(path.posix.join(path.posix.dirname(name), entry.header.linkname)));
        }
        entry.resume();
      }
    }
  } catch (e) {
    if (signal?.aborted) throw e;
    const msg = (e as Error).message ?? '';
    if (/unexpected end|premature|truncated|unexpected eof/i.test(msg)) {
      throw err(
        ImageErrors.TRUNCATED_ARCHIVE,
        `${file} ends in the middle of a file: the archive is truncated (copied or downloaded incompletely).`,
        `${file} 在某个文件中途结束：归档文件不完整（复制或下载未完成）。`,
        file,
      );
    }
    if (entries === 0) {
      throw err(ImageErrors.NOT_AN_IMAGE_ARCHIVE, `${file} is not a tar archive of a container image.`, `${file} 不是容器镜像的 tar 归档。`, file);
    }
    throw err(ImageErrors.TRUNCATED_ARCHIVE, `${file} could not be read to its end: ${msg}.`, `${file} 无法完整读取：${msg}。`, file);
  }
  if (entries === 0) throw err(ImageErrors.NOT_AN_IMAGE_ARCHIVE, `${file} is empty or not a tar archive.`, `${file} 为空或不是 tar 归档。`, file);
  return scan;
}

async function scanDir(dir: string, staging: Staging, signal: AbortSignal | undefined, onBytes: (n: number) => void): Promise<Scan> {
  const scan: Scan = { files: new Map(), links: new Map(), json: new Map() };
  let done = 0;
  const walk = async (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) {
        const full = path.join(dir, r);
        const size = fs.statSync(full).size;
        const blob = await staging.put(fs.createReadStream(full).pipe(counter((n) => onBytes(done + n))), signal);
        done += size;
        scan.files.set(r, blob.digest);
        if (size <= 64 * 1024) {
          const data = fs.readFileSync(full);
          if (data[0] === 0x7b || data[0] === 0x5b) scan.json.set(r, data);
        }
      }
    }
  };
  await walk('');
  return scan;
}

function configDetails(config: Record<string, unknown>) {
  const c = (config.config ?? {}) as { Entrypoint?: string[] | null; Cmd?: string[] | null; ExposedPorts?: Record<string, unknown>; Env?: string[] };
  return {
    entrypoint: c.Entrypoint ?? null,
    cmd: c.Cmd ?? null,
    exposedPorts: Object.keys(c.ExposedPorts ?? {}),
    env: c.Env ?? [],
    platform: {
      os: String(config.os ?? ''),
      architecture: String(config.architecture ?? ''),
      ...(config.variant ? { variant: String(config.variant) } : {}),
    } as Platform,
  };
}

function fromOciLayout(source: string, scan: Scan, staging: Staging, want: Platform[]): ImageImportResult {
  const blobDigest = (digest: string): string | undefined => {
    const rel = `blobs/${digest.replace(':', '/')}`;
    const staged = scan.files.get(rel);
    if (staged === undefined) return undefined;
    if (staged !== digest) {
      throw err(
        ImageErrors.BLOB_DIGEST_MISMATCH,
        `Blob ${rel} in ${source} does not match its digest: its bytes hash to ${staged}. The image is corrupt.`,
        `${source} 中的数据块 ${rel} 与其摘要不符：实际哈希为 ${staged}。镜像已损坏。`,
        source,
      );
    }
    return staged;
  };
  const readBlob = (d: Descriptor, what: string, code: string = ImageErrors.BLOB_MISSING): Buffer => {
    if (!blobDigest(d.digest)) {
      throw err(
        code,
        `${source} names ${what} ${d.digest}, but that blob is not in the archive.`,
        `${source} 引用了${what === 'manifest' ? '清单' : what} ${d.digest}，但归档中没有该数据块。`,
        source,
      );
    }
    return staging.read(d.digest);
  };

  const index = parseJson<{ manifests?: Descriptor[] }>(scan.json.get('index.json')!, 'index.json', source);
  // Flatten nested indexes into manifest descriptors with platforms.
  const manifests: Descriptor[] = [];
  const keep = new Set<string>();
  const visit = (list: Descriptor[], inherited?: Record<string, string>) => {
    for (const d of list) {
      if (d.mediaType === MT.ociIndex || d.mediaType === MT.dockerList) {
        const nested = parseJson<{ manifests?: Descriptor[] }>(readBlob(d, 'an image index', ImageErrors.MANIFEST_MISSING), 'an image index', source);
        keep.add(d.digest);
        visit(nested.manifests ?? [], { ...inherited, ...d.annotations });
      } else manifests.push({ ...d, annotations: { ...inherited, ...d.annotations } });
    }
  };
  visit(index.manifests ?? []);
  if (manifests.length === 0) {
    throw err(ImageErrors.MANIFEST_MISSING, `${source} has an index.json that lists no image.`, `${source} 的 index.json 中没有任何镜像。`, source);
  }
  const available = manifests.filter((m) => m.platform).map((m) => platformString(m.platform!));
  let chosen = manifests;
  if (manifests.length > 1 && available.length > 0) {
    if (want.length === 0) {
      throw err(
        ImageErrors.PLATFORM_CHOICE_REQUIRED,
        `${source} holds images for several platforms (${available.join(', ')}). Choose which to import.`,
        `${source} 包含多个平台的镜像（${available.join('、')}）。请选择要导入的平台。`,
        source,
      );
    }
    chosen = manifests.filter((m) => m.platform && want.some((w) => samePlatform(w, m.platform!)));
    const missing = want.filter((w) => !manifests.some((m) => m.platform && samePlatform(w, m.platform)));
    if (missing.length > 0) {
      throw err(
        ImageErrors.PLATFORM_NOT_IN_INDEX,
        `${source} has no image for ${missing.map(platformString).join(', ')}; it offers ${available.join(', ')}.`,
        `${source} 中没有 ${missing.map(platformString).join('、')} 的镜像；可选平台为 ${available.join('、')}。`,
        source,
      );
    }
  }

  const images = chosen.map((d) => {
    const manifest = parseJson<{ config: Descriptor; layers: Descriptor[] }>(readBlob(d, 'manifest', ImageErrors.MANIFEST_MISSING), 'a manifest', source);
    const config = parseJson<Record<string, unknown>>(readBlob(manifest.config, 'config'), 'an image config', source);
    const details = configDetails(config);
    if (d.platform && !samePlatform({ os: d.platform.os, architecture: d.platform.architecture }, details.platform)) {
      throw err(
        ImageErrors.PLATFORM_MISMATCH,
        `${source}: the index lists manifest ${d.digest} as ${platformString(d.platform)}, but its image config says ${platformString(details.platform)}.`,
        `${source}：索引将清单 ${d.digest} 标为 ${platformString(d.platform)}，但其镜像配置为 ${platformString(details.platform)}。`,
        source,
      );
    }
    // A config may leave out the variant (arm64/v8); the index then supplies it.
    if (!details.platform.variant && d.platform?.variant) details.platform.variant = d.platform.variant;
    for (const layer of manifest.layers) readBlob(layer, 'layer');
    keep.add(d.digest);
    keep.add(manifest.config.digest);
    for (const l of manifest.layers) keep.add(l.digest);
    const name = d.annotations?.['org.opencontainers.image.ref.name'] ?? path.basename(source).replace(/(\.oci)?(\.tar)?(\.gz)?$/, '');
    return {
      name: d.platform && chosen.length > 1 ? `${name} (${platformString(details.platform)})` : name,
      format: 'oci-layout' as const,
      manifestDigest: d.digest,
      configDigest: manifest.config.digest,
      layers: manifest.layers.map((l) => ({ digest: l.digest, size: staging.get(l.digest)?.size ?? l.size ?? 0, mediaType: l.mediaType ?? MT.ociLayerTar })),
      ...details,
      size: (staging.get(manifest.config.digest)?.size ?? 0) + manifest.layers.reduce((s, l) => s + (staging.get(l.digest)?.size ?? l.size ?? 0), 0),
    };
  });
  return { images, keep: [...keep], available };
}

function fromDockerArchive(source: string, scan: Scan, staging: Staging): ImageImportResult {
  const entries = parseJson<{ Config: string; RepoTags?: string[] | null; Layers: string[] }[]>(scan.json.get('manifest.json')!, 'manifest.json', source);
  const resolve = (p: string): string | undefined => {
    let name = norm(p);
    for (let i = 0; i < 8 && scan.links.has(name); i++) name = scan.links.get(name)!;
    return scan.files.get(name);
  };
  const keep = new Set<string>();
  const images = entries.map((entry) => {
    const configDigest = resolve(entry.Config);
    if (!configDigest) {
      throw err(
        ImageErrors.BLOB_MISSING,
        `${source}: manifest.json names config ${entry.Config}, which is not in the archive.`,
        `${source}：manifest.json 引用了配置 ${entry.Config}，但归档中没有该文件。`,
        source,
      );
    }
    const named = /^([0-9a-f]{64})\.json$/.exec(path.posix.basename(entry.Config));
    if (named && `sha256:${named[1]}` !== configDigest) {
      throw err(
        ImageErrors.BLOB_DIGEST_MISMATCH,
        `${source}: config ${entry.Config} does not match its name; its bytes hash to ${configDigest}.`,
        `${source}：配置 ${entry.Config} 与文件名不符；实际哈希为 ${configDigest}。`,
        source,
      );
    }
    const config = parseJson<Record<string, unknown>>(staging.read(configDigest), 'an image config', source);
    const diffIds = ((config.rootfs as { diff_ids?: string[] } | undefined)?.diff_ids ?? []) as string[];
    if (diffIds.length !== entry.Layers.length) {
      throw err(
        ImageErrors.BLOB_DIGEST_MISMATCH,
        `${source}: the config lists ${diffIds.length} layers but manifest.json lists ${entry.Layers.length}.`,
        `${source}：配置列出 ${diffIds.length} 个层，但 manifest.json 列出 ${entry.Layers.length} 个。`,
        source,
      );
    }
    const layers = entry.Layers.map((p, i) => {
      const digest = resolve(p);
      if (!digest) throw err(ImageErrors.BLOB_MISSING, `${source}: layer ${p} is not in the archive.`, `${source}：归档中没有层 ${p}。`, source);
      if (digest !== diffIds[i]) {
        throw err(
          ImageErrors.BLOB_DIGEST_MISMATCH,
          `${source}: layer ${p} hashes to ${digest}, but the image config expects ${diffIds[i]}. The image is corrupt.`,
          `${source}：层 ${p} 的哈希为 ${digest}，但镜像配置要求 ${diffIds[i]}。镜像已损坏。`,
          source,
        );
      }
      return { digest, size: staging.get(digest)?.size ?? 0, mediaType: MT.ociLayerTar };
    });
    // Keep an OCI manifest for the image, so every stored image has one shape.
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MT.ociManifest,
        config: { mediaType: MT.ociConfig, digest: configDigest, size: staging.get(configDigest)?.size ?? 0 },
        layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      }),
    );
    const manifestDigest = staging.putBuffer(manifest).digest;
    keep.add(manifestDigest);
    keep.add(configDigest);
    for (const l of layers) keep.add(l.digest);
    const details = configDetails(config);
    return {
      name: entry.RepoTags?.[0]?.replace(/^docker\.io\//, '') ?? path.basename(source).replace(/(\.docker)?\.tar(\.gz)?$/, ''),
      format: 'docker-archive' as const,
      manifestDigest,
      configDigest,
      layers,
      ...details,
      size: (staging.get(configDigest)?.size ?? 0) + layers.reduce((s, l) => s + l.size, 0),
    };
  });
  return { images, keep: [...keep], available: [] };
}

export interface ImageImportOptions {
  platforms?: string[];
  signal?: AbortSignal;
  /** Bytes read from the source so far, and the total. */
  onProgress?: (done: number, total: number) => void;
}

function sizeOf(source: string): number {
  const st = fs.statSync(source);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.isFile()) total += fs.statSync(path.join(d, e.name)).size;
    }
  };
  walk(source);
  return total;
}

export async function importImage(source: string, staging: Staging, options: ImageImportOptions = {}): Promise<ImageImportResult> {
  const total = sizeOf(source);
  const progress = (n: number) => options.onProgress?.(Math.min(n, total), total);
  const isDir = fs.statSync(source).isDirectory();
  const scan = isDir ? await scanDir(source, staging, options.signal, progress) : await scanTar(source, staging, options.signal, progress);
  const want = (options.platforms ?? []).map(parsePlatform);
  if (scan.json.has('index.json') && (scan.files.has('oci-layout') || isDir)) return fromOciLayout(source, scan, staging, want);
  if (scan.json.has('manifest.json')) return fromDockerArchive(source, scan, staging);
  if (scan.files.has('oci-layout') || scan.files.has('index.json')) {
    throw err(
      ImageErrors.MANIFEST_MISSING,
      `${source} is an OCI layout whose index.json is missing or unreadable.`,
      `${source} 是 OCI 布局，但缺少 index.json 或无法读取。`,
      source,
    );
  }
  throw err(
    ImageErrors.NOT_AN_IMAGE_ARCHIVE,
    `${source} is neither a docker-archive (no manifest.json) nor an OCI image layout (no oci-layout and index.json).`,
    `${source} 既不是 docker-archive（没有 manifest.json），也不是 OCI 镜像布局（没有 oci-layout 和 index.json）。`,
    source,
  );
}
