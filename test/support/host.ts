/**
 * Starts the real headless host (`edgeforge serve --json`) as a child
 * process on a free loopback port, for API and browser tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createORPCClient } from '@orpc/client';
import { RPCLink } from '@orpc/client/websocket';
import type { ContractRouterClient } from '@orpc/contract';
import { WebSocket } from 'ws';
import type { ApiContract } from '../../main/api/contract';

// Not from ./tmp, which registers test hooks: the benches start hosts too.
const cliPath = path.resolve(import.meta.dirname, '..', '..', 'bin', 'edgeforge.js');

export interface RunningHost {
  child: ChildProcess;
  url: string;
  openUrl: string;
  port: number;
  token: string;
  home: string;
  stderr: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startHostProcess(home: string, extraArgs: string[] = []): Promise<RunningHost> {
  const child = spawn(process.execPath, [cliPath, 'serve', '--port', '0', '--json', ...extraArgs], {
    env: { ...process.env, EDGEFORGE_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`host exited with ${code} before listening: ${err}`)));
  });
  const info = JSON.parse(line) as { url: string; openUrl: string; port: number };
  const token = new URL(info.openUrl).searchParams.get('token')!;
  return {
    child,
    ...info,
    token,
    home,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export type TestClient = ContractRouterClient<ApiContract>;

/** An API client over the host's WebSocket, as a non-browser caller with the token. */
export async function connectClient(host: RunningHost, headers: Record<string, string> = {}): Promise<{ client: TestClient; ws: WebSocket }> {
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`, { headers: { authorization: `Bearer ${host.token}`, ...headers } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return { client: createORPCClient(new RPCLink({ websocket: ws as never })), ws };
}
