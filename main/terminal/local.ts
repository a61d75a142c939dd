/**
 * The local shell: a pseudo-terminal from node-pty (ConPTY on Windows,
 * forkpty elsewhere), in the native I/O process.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { IPty, spawn as ptySpawn } from 'node-pty';
import { AppError } from '../api/errors';
import { TerminalErrors } from './errors';
import type { TerminalSink, TerminalTransport } from './transport';

// node-pty is CommonJS with a native binding; required, not imported, so that the ESM bundle loads it as Node does.
const require = createRequire(import.meta.url);

/** The shells this station offers, the login shell first. */
export function localShells(): { path: string; name: string }[] {
  const found: string[] = [];
  const add = (p: string | undefined) => {
    if (p && !found.includes(p) && fs.existsSync(p)) found.push(p);
  };
  if (process.platform === 'win32') {
    const root = process.env.SystemRoot ?? 'C:\\Windows';
    add(path.join(root, 'System32', 'WindowsPowerShell', 'v1.0', 'powershell.exe'));
    add(process.env.ComSpec ?? path.join(root, 'System32', 'cmd.exe'));
  } else {
    add(process.env.SHELL);
    let listed: string[] = [];
    try {
      listed = fs
        .readFileSync('/etc/shells', 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.startsWith('/'));
    } catch {
      listed = [];
    }
    for (const p of ['/bin/bash', '/bin/zsh', ...listed, '/bin/sh']) add(p);
  }
  return found.map((p) => ({ path: p, name: path.basename(p) }));
}

export function openLocal(spec: { shell: string; args: string[]; cwd: string; cols: number; rows: number }, sink: TerminalSink): TerminalTransport {
  if (!fs.existsSync(spec.shell))
    throw new AppError(
      TerminalErrors.SHELL_MISSING,
      { en: `The shell ${spec.shell} does not exist on this station.`, zh: `本工作站上不存在 shell ${spec.shell}。` },
      { field: ['shell'] },
    );
  const cwd = fs.existsSync(spec.cwd) ? spec.cwd : os.homedir();
  let pty: IPty;
  try {
    const { spawn } = require('node-pty') as { spawn: typeof ptySpawn };
    pty = spawn(spec.shell, spec.args, {
      name: 'xterm-256color',
      cols: spec.cols,
      rows: spec.rows,
      cwd,
      env: { ...process.env, TERM: 'xterm-256color', COLORTERM: 'truecolor' } as Record<string, string>,
    });
  } catch (e) {
    throw new AppError(TerminalErrors.SPAWN_FAILED, {
      en: `Could not start ${spec.shell}: ${(e as Error).message}`,
      zh: `无法启动 ${spec.shell}：${(e as Error).message}`,
    });
  }
  pty.onData((d) => sink.data(d));
  pty.onExit(({ exitCode, signal }) => {
    const how = signal
      ? { en: `The shell ended (signal ${signal}).`, zh: `shell 已结束（信号 ${signal}）。` }
      : { en: `The shell exited with status ${exitCode}.`, zh: `shell 已退出，状态码 ${exitCode}。` };
    sink.ended(how, exitCode);
  });
  sink.opened();
  return {
    title: path.basename(spec.shell),
    target: spec.shell,
    write: (data) => pty.write(data),
    resize: (cols, rows) => pty.resize(cols, rows),
    pause: () => pty.pause(),
    resume: () => pty.resume(),
    close: async () => {
      try {
        pty.kill();
      } catch {
        // Already gone.
      }
    },
  };
}
