/**
 * Importers for the single-file artifacts: NVIDIA driver installers (.run),
 * OpenVINO runtime archives, and the k3s cluster runtime (its binary, air-gap
 * image archive and install script, given as one folder).
 *
 * What is read from the files, not trusted from their names alone:
 *   - ELF e_machine (System V ABI, gABI "ELF header"): 0x3E x86_64, 0xB7 aarch64;
 *   - NVIDIA's .run is a makeself archive: a shell header with a `label=`;
 *   - the k3s binary carries its version string (vX.Y.Z+k3sN);
 *   - an air-gap archive in docker-archive form carries each image's architecture.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { Transform } from 'node:stream';
import tar from 'tar-stream';
import { Decompress } from 'fzstd';
import { AppError } from '../api/errors';

export const FileArtifactErrors = {
  DRIVER_NOT_RECOGNIZED: 'DRIVER_NOT_RECOGNIZED',
  DRIVER_NAME_MISMATCH: 'DRIVER_NAME_MISMATCH',
  RUNTIME_INCOMPLETE: 'RUNTIME_INCOMPLETE',
  RUNTIME_ARCH_MISMATCH: 'RUNTIME_ARCH_MISMATCH',
  RUNTIME_VERSION_UNKNOWN: 'RUNTIME_VERSION_UNKNOWN',
} as const;

export type CpuArch = 'x86_64' | 'aarch64';

const ARCH_ALIASES: Record<string, CpuArch> = { x86_64: 'x86_64', amd64: 'x86_64', aarch64: 'aarch64', arm64: 'aarch64' };

function err(code: string, en: string, zh: string, file: string): AppError {
  return new AppError(code, { en, zh }, { file });
}

function head(file: string, bytes: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(bytes);
    const n = fs.readSync(fd, b, 0, bytes, 0);
    return b.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** The arch named by an ELF header's e_machine, 'other' for another machine, null if not ELF. */
export function elfMachine(h: Buffer): CpuArch | 'other' | null {
  if (h.length < 20 || h.toString('latin1', 0, 4) !== '\x7fELF') return null;
  const machine = h[5] === 2 ? h.readUInt16BE(18) : h.readUInt16LE(18);
  return machine === 0x3e ? 'x86_64' : machine === 0xb7 ? 'aarch64' : 'other';
}

export function elfArch(file: string): CpuArch | 'other' | null {
  return elfMachine(head(file, 20));
}

/** Streams a file looking for the first match of a pattern (matches up to 64 bytes long). */
export async function findInFile(file: string, pattern: RegExp): Promise<string | null> {
  let carry = '';
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    const text = carry + (chunk as Buffer).toString('latin1');
    const m = pattern.exec(text);
    if (m) return m[0];
    carry = text.slice(-64);
  }
  return null;
}

export interface DriverInfo {
  driver: 'nvidia' | 'openvino';
  version: string;
  arch: CpuArch;
  name: string;
}

const NVIDIA_NAME = /^NVIDIA-Linux-(x86_64|aarch64)-(\d+\.\d+(?:\.\d+)?)\.run$/;
const OPENVINO_NAME = /^l_openvino_toolkit_([a-z0-9]+)_(\d{4}\.\d+\.\d+(?:\.[0-9a-f.]+)?)_(x86_64|arm64|aarch64)\.(tgz|tar\.gz)$/;

export function isDriverFile(file: string): boolean {
  const base = path.basename(file);
  return NVIDIA_NAME.test(base) || OPENVINO_NAME.test(base) || (base.endsWith('.run') && head(file, 2).toString() === '#!');
}

/** The regular files of a .tar.gz, each with its first `headBytes` bytes, streamed. */
export async function tarGzEntries(file: string, headBytes = 0): Promise<{ name: string; head: Buffer }[]> {
  const out: { name: string; head: Buffer }[] = [];
  const extract = tar.extract();
  fs.createReadStream(file)
    .pipe(createGunzip())
    .on('error', (e) => extract.destroy(e))
    .pipe(extract);
  for await (const entry of extract) {
    const name = entry.header.name.replace(/^\.\//, '');
    if (entry.header.type !== 'file') {
      entry.resume();
      continue;
    }
    const parts: Buffer[] = [];
    let got = 0;
    for await (const c of entry) {
      if (got < headBytes) parts.push((c as Buffer).subarray(0, headBytes - got));
      got += (c as Buffer).length;
    }
    out.push({ name, head: Buffer.concat(parts) });
  }
  return out;
}

export async function inspectDriver(file: string): Promise<DriverInfo> {
  const base = path.basename(file);
  const nv = NVIDIA_NAME.exec(base);
  if (nv || base.endsWith('.run')) {
    const text = head(file, 64 * 1024).toString('latin1');
    if (!text.startsWith('#!') || !/makeself/i.test(text)) {
      throw err(
        FileArtifactErrors.DRIVER_NOT_RECOGNIZED,
        `${base} is not an NVIDIA driver installer: it has no makeself header.`,
        `${base} 不是 NVIDIA 驱动安装程序：没有 makeself 文件头。`,
        file,
      );
    }
    const label = /label="[^"]*?NVIDIA[^"]*?(x86_64|aarch64)\s+(\d+\.\d+(?:\.\d+)?)"/.exec(text);
    if (!nv && !label) {
      throw err(
        FileArtifactErrors.DRIVER_NOT_RECOGNIZED,
        `${base} is a makeself archive but not an NVIDIA driver.`,
        `${base} 是 makeself 归档，但不是 NVIDIA 驱动。`,
        file,
      );
    }
    const arch = (label?.[1] ?? nv![1]) as CpuArch;
    const version = label?.[2] ?? nv![2]!;
    if (nv && label && (nv[1] !== label[1] || nv[2] !== label[2])) {
      throw err(
        FileArtifactErrors.DRIVER_NAME_MISMATCH,
        `${base} is named for ${nv[1]} ${nv[2]}, but its header says ${label[1]} ${label[2]}.`,
        `${base} 的文件名表示 ${nv[1]} ${nv[2]}，但文件头为 ${label[1]} ${label[2]}。`,
        file,
      );
    }
    return { driver: 'nvidia', version, arch, name: `NVIDIA driver ${version} (${arch})` };
  }
  const ov = OPENVINO_NAME.exec(base);
  if (ov) {
    let names: string[];
    try {
      names = (await tarGzEntries(file)).map((e) => e.name);
    } catch (e) {
      throw err(
        FileArtifactErrors.DRIVER_NOT_RECOGNIZED,
        `${base} cannot be read as a .tar.gz: ${(e as Error).message}.`,
        `${base} 无法作为 .tar.gz 读取：${(e as Error).message}。`,
        file,
      );
    }
    if (!names.some((n) => n.endsWith('setupvars.sh'))) {
      throw err(
        FileArtifactErrors.DRIVER_NOT_RECOGNIZED,
        `${base} has no setupvars.sh: it is not an OpenVINO runtime archive.`,
        `${base} 中没有 setupvars.sh：不是 OpenVINO 运行时归档。`,
        file,
      );
    }
    const arch = ARCH_ALIASES[ov[3]!]!;
    return { driver: 'openvino', version: ov[2]!, arch, name: `OpenVINO runtime ${ov[2]} (${ov[1]}, ${arch})` };
  }
  throw err(FileArtifactErrors.DRIVER_NOT_RECOGNIZED, `${base} is not a recognised driver package.`, `${base} 不是可识别的驱动包。`, file);
}

export interface RuntimeFiles {
  binary: string;
  images: string;
  installScript: string;
}

export interface RuntimeInfo {
  runtime: 'k3s';
  version: string;
  arch: CpuArch;
  files: RuntimeFiles;
  /** Image architectures read from the air-gap archive, when it is a (gzipped) docker-archive. */
  imageArchitectures: string[];
}

export function isRuntimeFolder(dir: string): boolean {
  if (!fs.statSync(dir).isDirectory()) return false;
  const names = fs.readdirSync(dir);
  return names.some((n) => /^k3s(-arm64|-amd64)?$/.test(n)) && names.some((n) => /^k3s-airgap-images-/.test(n));
}

/** A streaming zstd decompressor (Node 20's zlib has none; fzstd is pure JS). */
function zstdDecompressor(): Transform {
  const decompress = new Decompress((data) => t.push(Buffer.from(data)));
  const t: Transform = new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        decompress.push(chunk);
        done();
      } catch (e) {
        done(e as Error);
      }
    },
    flush(done) {
      try {
        decompress.push(new Uint8Array(0), true);
        done();
      } catch (e) {
        done(e as Error);
      }
    },
  });
  return t;
}

async function airgapArchitectures(file: string): Promise<string[]> {
  const extract = tar.extract();
  let src: NodeJS.ReadableStream = fs.createReadStream(file);
  if (file.endsWith('.gz')) src = src.pipe(createGunzip());
  if (file.endsWith('.zst')) src = src.pipe(zstdDecompressor());
  src.on('error', (e: Error) => extract.destroy(e));
  src.pipe(extract);
  const json = new Map<string, string>();
  for await (const entry of extract) {
    const name = entry.header.name.replace(/^\.\//, '');
    if (name.endsWith('.json') && (entry.header.size ?? 0) < 1 << 20) {
      const parts: Buffer[] = [];
      for await (const c of entry) parts.push(c as Buffer);
      json.set(name, Buffer.concat(parts).toString('utf8'));
    } else entry.resume();
  }
  const manifest = json.get('manifest.json');
  if (!manifest) return [];
  return (JSON.parse(manifest) as { Config: string }[]).map((m) =>
    String((JSON.parse(json.get(m.Config) ?? '{}') as { architecture?: string }).architecture ?? '?'),
  );
}

export async function inspectRuntime(dir: string): Promise<RuntimeInfo> {
  const names = fs.readdirSync(dir);
  const pick = (re: RegExp) => names.find((n) => re.test(n));
  const binary = pick(/^k3s(-arm64|-amd64)?$/);
  const images = pick(/^k3s-airgap-images-(amd64|arm64)\.tar(\.gz|\.zst)?$/);
  const script = pick(/^(install\.sh|k3s-install\.sh)$/);
  const missing = [!binary && 'the k3s binary', !images && 'k3s-airgap-images-<arch>.tar[.gz|.zst]', !script && 'install.sh'].filter(Boolean);
  if (missing.length > 0) {
    throw err(
      FileArtifactErrors.RUNTIME_INCOMPLETE,
      `${dir} lacks ${missing.join(', ')}. A k3s runtime folder holds the binary, its air-gap image archive and its install script.`,
      `${dir} 缺少 ${missing.join('、')}。k3s 运行时文件夹应包含二进制、离线镜像归档和安装脚本。`,
      dir,
    );
  }
  const binPath = path.join(dir, binary!);
  const arch = elfArch(binPath);
  if (arch !== 'x86_64' && arch !== 'aarch64') {
    throw err(
      FileArtifactErrors.RUNTIME_ARCH_MISMATCH,
      `${binary} is not an x86_64 or aarch64 ELF executable.`,
      `${binary} 不是 x86_64 或 aarch64 的 ELF 可执行文件。`,
      binPath,
    );
  }
  const version = await findInFile(binPath, /v\d+\.\d+\.\d+\+k3s\d+/);
  if (!version) {
    throw err(
      FileArtifactErrors.RUNTIME_VERSION_UNKNOWN,
      `${binary} carries no k3s version string (vX.Y.Z+k3sN): it is not a k3s binary.`,
      `${binary} 中没有 k3s 版本字符串（vX.Y.Z+k3sN）：不是 k3s 二进制。`,
      binPath,
    );
  }
  const imagesArch = ARCH_ALIASES[/-(amd64|arm64)\./.exec(images!)![1]!]!;
  if (imagesArch !== arch) {
    throw err(
      FileArtifactErrors.RUNTIME_ARCH_MISMATCH,
      `The k3s binary is ${arch}, but ${images} is for ${imagesArch}.`,
      `k3s 二进制为 ${arch}，但 ${images} 适用于 ${imagesArch}。`,
      path.join(dir, images!),
    );
  }
  const imageArchitectures = await airgapArchitectures(path.join(dir, images!));
  const wrong = imageArchitectures.filter((a) => ARCH_ALIASES[a] !== arch);
  if (wrong.length > 0) {
    throw err(
      FileArtifactErrors.RUNTIME_ARCH_MISMATCH,
      `${images} holds ${wrong.length} image(s) for ${[...new Set(wrong)].join(', ')}, not ${arch}.`,
      `${images} 中有 ${wrong.length} 个镜像适用于 ${[...new Set(wrong)].join('、')}，而非 ${arch}。`,
      path.join(dir, images!),
    );
  }
  const scriptPath = path.join(dir, script!);
  const scriptText = head(scriptPath, 256 * 1024).toString('utf8');
  if (!scriptText.startsWith('#!') || !/INSTALL_K3S_/.test(scriptText)) {
    throw err(
      FileArtifactErrors.RUNTIME_INCOMPLETE,
      `${script} is not the k3s install script (no INSTALL_K3S_ settings).`,
      `${script} 不是 k3s 安装脚本（没有 INSTALL_K3S_ 设置）。`,
      scriptPath,
    );
  }
  return { runtime: 'k3s', version, arch, files: { binary: binPath, images: path.join(dir, images!), installScript: scriptPath }, imageArchitectures };
}
