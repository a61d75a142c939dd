/**
 * `edgeforge doctor`: checks the things that make a station work or fail
 * before a technician finds out on a bench of boxes.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DoctorReport } from '../api/contract';
import type { HomeLayout } from '../home';
import type { NativeHost } from '../native';
import type { Store } from '../store';

type Check = DoctorReport['checks'][number];

const GiB = 1024 ** 3;
const LOW_DISK_BYTES = 5 * GiB;

/** External programs EdgeForge uses when present; none is required to run the app. */
const TOOLS: { name: string; why: { en: string; zh: string } }[] = [
  { name: 'tar', why: { en: 'cross-checks bundles', zh: '交叉校验安装包' } },
  { name: 'openssl', why: { en: 'cross-checks signatures', zh: '交叉校验签名' } },
  { name: 'ssh', why: { en: 'manual access to boxes', zh: '手动访问设备' } },
  { name: 'xorriso', why: { en: 'cross-checks ISO bundles', zh: '交叉校验 ISO 安装包' } },
];

export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        /* not here */
      }
    }
  }
  return null;
}

function dataDirCheck(home: HomeLayout): Check {
  const title = { en: 'Data directory', zh: '数据目录' };
  const probe = path.join(home.root, `.doctor-${process.pid}`);
  try {
    fs.writeFileSync(probe, 'ok');
    fs.rmSync(probe);
  } catch (e) {
    return {
      id: 'data-dir',
      status: 'fail',
      title,
      detail: { en: `${home.root} is not writable: ${(e as Error).message}`, zh: `${home.root} 不可写：${(e as Error).message}` },
    };
  }
  try {
    const st = fs.statfsSync(home.root);
    const free = st.bavail * st.bsize;
    const gib = (free / GiB).toFixed(1);
    if (free < LOW_DISK_BYTES) {
      return {
        id: 'data-dir',
        status: 'warn',
        title,
        detail: {
          en: `${home.root} is writable but only ${gib} GiB is free; bundle builds need room.`,
          zh: `${home.root} 可写，但仅剩 ${gib} GiB；构建安装包需要空间。`,
        },
      };
    }
    return { id: 'data-dir', status: 'ok', title, detail: { en: `${home.root} is writable, ${gib} GiB free`, zh: `${home.root} 可写，剩余 ${gib} GiB` } };
  } catch {
    return { id: 'data-dir', status: 'ok', title, detail: { en: `${home.root} is writable`, zh: `${home.root} 可写` } };
  }
}

function databaseCheck(store: Store): Check {
  const title = { en: 'Database integrity', zh: '数据库完整性' };
  const verdict = store.integrity();
  const versions = store
    .versions()
    .map((v) => `${v.module} v${v.version}`)
    .join(', ');
  return verdict === 'ok'
    ? { id: 'database', status: 'ok', title, detail: { en: `integrity_check ok; schema ${versions}`, zh: `integrity_check 通过；结构 ${versions}` } }
    : { id: 'database', status: 'fail', title, detail: { en: `integrity_check: ${verdict}`, zh: `integrity_check：${verdict}` } };
}

async function nativeCheck(native: NativeHost): Promise<Check[]> {
  const h = await native.health();
  const where = h.kind === 'utility-process' ? { en: 'utility process', zh: '实用工具进程' } : { en: 'worker process', zh: '工作进程' };
  if (h.error) {
    return [{ id: 'native-host', status: 'fail', title: { en: `Native I/O ${where.en}`, zh: `原生 I/O ${where.zh}` }, detail: h.error }];
  }
  return h.modules.map((m) => ({
    id: `native-${m.name}`,
    status: m.ok ? 'ok' : 'fail',
    title: { en: `Native module ${m.name}`, zh: `原生模块 ${m.name}` },
    detail: m.ok
      ? { en: `v${m.version ?? '?'} loads in the ${where.en} (pid ${h.pid})`, zh: `v${m.version ?? '?'} 可在${where.zh}中加载（pid ${h.pid}）` }
      : { en: `does not load: ${m.error}`, zh: `无法加载：${m.error}` },
  }));
}

function toolChecks(): Check[] {
  return TOOLS.map(({ name, why }) => {
    const found = findOnPath(name);
    return {
      id: `tool-${name}`,
      status: found ? 'ok' : 'warn',
      title: { en: `Tool ${name}`, zh: `工具 ${name}` },
      detail: found
        ? { en: `${found} (${why.en})`, zh: `${found}（${why.zh}）` }
        : { en: `not found on PATH; optional (${why.en})`, zh: `PATH 中未找到；可选（${why.zh}）` },
    };
  });
}

export async function runDoctor(home: HomeLayout, store: Store, native: NativeHost): Promise<DoctorReport> {
  const checks: Check[] = [dataDirCheck(home), databaseCheck(store), ...(await nativeCheck(native)), ...toolChecks()];
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}
