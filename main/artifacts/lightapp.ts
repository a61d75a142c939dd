/**
 * Light apps (边缘轻应用): a script or binary package for Python, Node.js or C,
 * as .tar.gz or .zip. The declared language must fit what the package holds,
 * and a C package's ELF executables must all be of its declared arch
 * (reference: an app whose CPU arch does not match cannot be assigned).
 * Entries are listed by streaming; nothing but ELF headers is read from them.
 */
import path from 'node:path';
import yauzl from 'yauzl';
import { AppError } from '../api/errors';
import { elfMachine, tarGzEntries } from './files';

export const LightAppErrors = {
  LIGHTAPP_NOT_AN_ARCHIVE: 'LIGHTAPP_NOT_AN_ARCHIVE',
  LIGHTAPP_LANGUAGE_MISMATCH: 'LIGHTAPP_LANGUAGE_MISMATCH',
  LIGHTAPP_ARCH_REQUIRED: 'LIGHTAPP_ARCH_REQUIRED',
  LIGHTAPP_ARCH_MISMATCH: 'LIGHTAPP_ARCH_MISMATCH',
} as const;

export type LightAppLanguage = 'python' | 'nodejs' | 'c';

export interface LightAppInfo {
  language: LightAppLanguage;
  arch: 'x86_64' | 'aarch64' | null;
  format: 'tar.gz' | 'zip';
  entries: number;
  elf: { path: string; arch: string }[];
}

interface Entry {
  name: string;
  elfArch: string | null;
}

async function firstBytes(stream: NodeJS.ReadableStream, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  for await (const c of stream) {
    const b = c as Buffer;
    if (got < n) parts.push(b.subarray(0, n - got));
    got += b.length;
  }
  return Buffer.concat(parts);
}

async function tarEntries(file: string): Promise<Entry[]> {
  return (await tarGzEntries(file, 20)).map((e) => ({ name: e.name, elfArch: elfMachine(e.head) }));
}

function zipEntries(file: string): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('cannot open'));
      const out: Entry[] = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(out));
      zip.on('entry', (e: yauzl.Entry) => {
        if (e.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(e, (e2, stream) => {
          if (e2 || !stream) return reject(e2 ?? new Error('cannot read entry'));
          void firstBytes(stream, 20).then((h) => {
            out.push({ name: e.fileName, elfArch: elfMachine(h) });
            zip.readEntry();
          }, reject);
        });
      });
      zip.readEntry();
    });
  });
}

export async function inspectLightApp(file: string, language: LightAppLanguage, arch: 'x86_64' | 'aarch64' | null): Promise<LightAppInfo> {
  const base = path.basename(file);
  const format = /\.zip$/i.test(base) ? 'zip' : /\.(tar\.gz|tgz)$/i.test(base) ? 'tar.gz' : null;
  const e = (code: string, en: string, zh: string) => new AppError(code, { en, zh }, { file });
  if (!format) throw e(LightAppErrors.LIGHTAPP_NOT_AN_ARCHIVE, `${base}: a light app is a .tar.gz or a .zip.`, `${base}：轻应用须为 .tar.gz 或 .zip。`);
  let entries: Entry[];
  try {
    entries = format === 'zip' ? await zipEntries(file) : await tarEntries(file);
  } catch (x) {
    throw e(
      LightAppErrors.LIGHTAPP_NOT_AN_ARCHIVE,
      `${base} cannot be read as a ${format}: ${(x as Error).message}.`,
      `${base} 无法作为 ${format} 读取：${(x as Error).message}。`,
    );
  }
  const has = (re: RegExp) => entries.some((x) => re.test(x.name));
  const elf = entries.filter((x) => x.elfArch).map((x) => ({ path: x.name, arch: x.elfArch! }));
  if (language === 'python' && !has(/\.py$/)) {
    throw e(LightAppErrors.LIGHTAPP_LANGUAGE_MISMATCH, `${base} holds no .py file, so it is not a Python app.`, `${base} 中没有 .py 文件，不是 Python 应用。`);
  }
  if (language === 'nodejs' && !has(/(^|\/)package\.json$|\.(c|m)?js$/)) {
    throw e(
      LightAppErrors.LIGHTAPP_LANGUAGE_MISMATCH,
      `${base} holds no package.json or .js file, so it is not a Node.js app.`,
      `${base} 中没有 package.json 或 .js 文件，不是 Node.js 应用。`,
    );
  }
  if (language === 'c') {
    if (!arch)
      throw e(
        LightAppErrors.LIGHTAPP_ARCH_REQUIRED,
        'A C light app needs its CPU architecture (x86_64 or aarch64).',
        'C 语言轻应用需要指定 CPU 架构（x86_64 或 aarch64）。',
      );
    if (elf.length === 0)
      throw e(
        LightAppErrors.LIGHTAPP_LANGUAGE_MISMATCH,
        `${base} holds no ELF executable, so it is not a C app.`,
        `${base} 中没有 ELF 可执行文件，不是 C 语言应用。`,
      );
    const wrong = elf.filter((x) => x.arch !== arch);
    if (wrong.length > 0) {
      throw e(
        LightAppErrors.LIGHTAPP_ARCH_MISMATCH,
        `${wrong[0]!.path} in ${base} is built for ${wrong[0]!.arch}, not ${arch}.`,
        `${base} 中的 ${wrong[0]!.path} 为 ${wrong[0]!.arch} 构建，而非 ${arch}。`,
      );
    }
  }
  return { language, arch: language === 'c' ? arch : null, format, entries: entries.length, elf };
}
