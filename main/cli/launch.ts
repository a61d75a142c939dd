/**
 * `npm start`: the desktop app where Electron's binary is present or can be
 * fetched; the headless host, said in one line, where it cannot (as on
 * machines that cannot reach Electron's download host).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { builtPaths } from '../runtime/paths';
import { ExitCode, say } from './output';

const FETCH_TIMEOUT_MS = 5 * 60_000;

/** Resolves Electron's binary, letting the electron package fetch it on first run. */
export function findElectron(): { path: string } | { reason: string } {
  // The electron package's main module returns the binary's path and
  // downloads it first when it is missing; run it in a child so a failed
  // download cannot take this process with it.
  const r = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], {
    cwd: builtPaths.appRoot,
    encoding: 'utf8',
    timeout: FETCH_TIMEOUT_MS,
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' },
  });
  const out = r.stdout?.trim() ?? '';
  if (r.status === 0 && out && fs.existsSync(out)) return { path: out };
  const lines = `${r.stderr ?? ''}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const reason = lines.find((l) => /Error|error:/.test(l)) ?? lines[0] ?? (r.error ? r.error.message : `exit ${r.status}`);
  return { reason: reason.replace(/^Error:\s*/, '').slice(0, 160) };
}

export async function launchDesktop(fallback: () => Promise<number>): Promise<number> {
  if (process.env.EDGEFORGE_HEADLESS === '1') {
    process.stdout.write(say({ en: 'EDGEFORGE_HEADLESS=1: starting the headless host.\n', zh: 'EDGEFORGE_HEADLESS=1：启动无界面主机。\n' }));
    return fallback();
  }
  const found = findElectron();
  if ('reason' in found) {
    process.stdout.write(
      say({
        en: `Electron's binary is missing and could not be fetched (${found.reason}); starting the headless host instead.\n`,
        zh: `缺少 Electron 程序且无法下载（${found.reason}）；改为启动无界面主机。\n`,
      }),
    );
    return fallback();
  }
  const child = spawn(found.path, [builtPaths.appRoot], { stdio: 'inherit' });
  return new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(signal ? ExitCode.INTERRUPTED : (code ?? ExitCode.OK)));
    child.on('error', () => resolve(ExitCode.FAILED));
  });
}
