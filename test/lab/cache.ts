/**
 * Builds the lab's artifacts once and caches them, keyed by a hash of their
 * inputs (the build scripts and every file they copy), so CI and developers
 * rebuild only when an input changes.
 *
 * Cache root: EDGEFORGE_LAB_CACHE, else $XDG_CACHE_HOME/edgeforge-lab, else
 * ~/.cache/edgeforge-lab. Each artifact set lives in <kind>-<hash>/ and is
 * complete only once its ".complete" marker exists; builds go to a temp
 * folder that is renamed into place, under a lock so that parallel test
 * workers build once.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const labDir = path.dirname(new URL(import.meta.url).pathname);
const imageDir = path.join(labDir, 'image');

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EDGEFORGE_LAB_CACHE) return path.resolve(env.EDGEFORGE_LAB_CACHE);
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'edgeforge-lab');
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** sha256 over the named inputs' relative paths, modes and contents, plus extra strings. */
export function inputHash(inputs: string[], extra: string[] = []): string {
  const h = createHash('sha256');
  for (const input of inputs) {
    const files = fs.statSync(input).isDirectory() ? filesUnder(input) : [input];
    for (const f of files) {
      h.update(path.relative(labDir, f)).update('\0');
      h.update(String(fs.statSync(f).mode & 0o111 ? 'x' : '-')).update('\0');
      h.update(fs.readFileSync(f)).update('\0');
    }
  }
  for (const e of extra) h.update(e).update('\0');
  return h.digest('hex').slice(0, 16);
}

function withLock<T>(lockDir: string, fn: () => T): T {
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = 0;
      try {
        holder = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
      } catch {
        /* being written */
      }
      let alive = true;
      try {
        if (holder) process.kill(holder, 0);
      } catch {
        alive = false;
      }
      if (!alive) fs.rmSync(lockDir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`lab cache lock ${lockDir} held too long by ${holder}`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Returns <root>/<kind>-<hash>, building it with `build(tmpDir)` if it is not complete. */
export function cached(kind: string, hash: string, build: (dir: string) => void): string {
  const root = cacheRoot();
  fs.mkdirSync(root, { recursive: true });
  const dir = path.join(root, `${kind}-${hash}`);
  const marker = path.join(dir, '.complete');
  if (fs.existsSync(marker)) return dir;
  return withLock(path.join(root, `${kind}.lock`), () => {
    if (fs.existsSync(marker)) return dir;
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    const t0 = Date.now();
    build(tmp);
    fs.writeFileSync(path.join(tmp, '.complete'), JSON.stringify({ builtAt: new Date().toISOString(), seconds: (Date.now() - t0) / 1000 }));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
    // Older builds of the same kind are dead weight.
    for (const e of fs.readdirSync(root)) {
      if (e.startsWith(`${kind}-`) && e !== path.basename(dir)) fs.rmSync(path.join(root, e), { recursive: true, force: true });
    }
    return dir;
  });
}

function runScript(script: string, args: string[]): void {
  const r = spawnSync('bash', [script, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${path.basename(script)} failed with exit ${r.status}`);
}

export interface LabImage {
  dir: string;
  baseQcow2: string;
  kernel: string;
  initrd: string;
  key: string;
  rootfsTarGz: string;
}

export interface LabIsos {
  dir: string;
  /** grub-mkrescue: GRUB for BIOS and UEFI, hybrid. */
  grub: string;
  /** isolinux for BIOS, GRUB in an El Torito EFI image for UEFI, hybrid. */
  isolinux: string;
}

export interface OciFixtures {
  dir: string;
}

function suiteKey(): string[] {
  return [process.env.LAB_DEBIAN_SUITE ?? 'bookworm', process.env.LAB_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian'];
}

export function boxImageHash(): string {
  return inputHash([path.join(imageDir, 'build-box.sh'), path.join(imageDir, 'rootfs-overlay')], suiteKey());
}

export function ensureBoxImage(): LabImage {
  const dir = cached('box', boxImageHash(), (tmp) => runScript(path.join(imageDir, 'build-box.sh'), [tmp]));
  return {
    dir,
    baseQcow2: path.join(dir, 'base.qcow2'),
    kernel: path.join(dir, 'vmlinuz'),
    initrd: path.join(dir, 'initrd'),
    key: path.join(dir, 'lab_ed25519'),
    rootfsTarGz: path.join(dir, 'rootfs.tar.gz'),
  };
}

export function ensureInstallerIsos(box: LabImage): LabIsos {
  const hash = inputHash([path.join(imageDir, 'build-iso.sh'), path.join(imageDir, 'installer')], [boxImageHash()]);
  const dir = cached('iso', hash, (tmp) => runScript(path.join(imageDir, 'build-iso.sh'), [box.dir, tmp]));
  return { dir, grub: path.join(dir, 'base-grub.iso'), isolinux: path.join(dir, 'base-isolinux.iso') };
}

export function ensureOciFixtures(): OciFixtures {
  const ociDir = path.join(labDir, 'oci');
  const dir = cached('oci', inputHash([ociDir]), (tmp) => runScript(path.join(ociDir, 'build-fixtures.sh'), [tmp]));
  return { dir };
}
