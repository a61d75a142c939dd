/**
 * pods/{name}/exec over WebSocket, the Kubernetes channel protocol
 * (k8s.io/apimachinery/pkg/util/httpstream/wsstream, the kubelet's
 * cri/streaming/remotecommand, KEP-4006 for v5):
 *   - subprotocols v5.channel.k8s.io (kube-apiserver's stream translator),
 *     v4.channel.k8s.io and v4.base64.channel.k8s.io (the kubelet's); the
 *     first the client offers that the server supports wins, and an offer
 *     with none of them is refused with 403 Forbidden and an empty body, as
 *     golang.org/x/net/websocket refuses a failed handshake. The kubelet also
 *     accepts the pre-v4 "channel.k8s.io" and "base64.channel.k8s.io" and no
 *     subprotocol at all; the stand-in does not.
 *   - each binary message is one channel byte and the data: 0 stdin, 1
 *     stdout, 2 stderr, 3 error (a metav1.Status as JSON, then the
 *     connection closes), 4 resize ({"Width":…,"Height":…}); base64 variant:
 *     text messages, the channel as an ASCII digit, the data in base64.
 *   - first an empty message on the lowest writable channel (stdout, else
 *     stderr, else error), as the kubelet sends to say the streams are open.
 *   - v5 only: a client message [255, channel] closes that stream (stdin).
 *   - the final status: {"metadata":{},"status":"Success"}, or for an exit
 *     code N≠0 {"metadata":{},"status":"Failure","message":"command
 *     terminated with non-zero exit code: …","reason":"NonZeroExitCode",
 *     "details":{"causes":[{"reason":"ExitCode","message":"N"}]}}.
 *   - ping frames are answered with pongs (the ws library does it).
 *
 * The "container" is a real process on this machine: the command runs in a
 * per-pod working directory, under node-pty when tty=true (so resizes are
 * real), else with pipes; with tty, stderr is merged into stdout, as the
 * kubelet bypasses stderr for a tty. Closing the WebSocket kills the
 * process (the kubelet leaves it running).
 */
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type * as NodePty from 'node-pty';
import type { IPty } from 'node-pty';
import type { WebSocket } from 'ws';

// node-pty is CommonJS with a native binding; required, as main/terminal/local.ts does.
const require = createRequire(import.meta.url);

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io'];

let served: readonly string[] = EXEC_PROTOCOLS;

/**
 * Narrows the subprotocols exec accepts, to play an older server (before
 * Kubernetes 1.30 kube-apiserver has no v5); no argument restores them all.
 * Process-wide: every stand-in of the test file.
 */
export function serveExecProtocols(protocols: readonly string[] = EXEC_PROTOCOLS): void {
  served = protocols;
}

/** The subprotocol the server picks from the client's offer (in the client's order), or null. */
export function negotiate(offer: string | undefined): string | null {
  const offered = (offer ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return offered.find((p) => served.includes(p)) ?? null;
}

export interface ExecRequest {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  cwd: string;
  env: Record<string, string>;
}

/** PATH lookup, so that a missing command fails as the runtime fails it instead of inside a forked pty. */
function resolveCommand(cmd: string, env: Record<string, string>): string | null {
  const ok = (p: string) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) return ok(cmd) ? cmd : null;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) if (dir && ok(path.join(dir, cmd))) return path.join(dir, cmd);
  return null;
}

export function runExec(ws: WebSocket, protocol: string, x: ExecRequest, onProcess?: (pid: number) => void): void {
  const base64 = protocol.includes('base64');
  const v5 = protocol.startsWith('v5.');
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    if (base64) ws.send(`${channel}${data.toString('base64')}`);
    else ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  const finish = (status: Record<string, unknown>) => {
    send(3, Buffer.from(JSON.stringify(status)));
    ws.close(1000);
  };
  const stderr = x.stderr && !x.tty;
  send(x.stdout ? 1 : stderr ? 2 : 3, Buffer.alloc(0));

  const file = resolveCommand(x.command[0] ?? '', x.env);
  if (!file) {
    const msg = `error executing command in container: failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: ${JSON.stringify(x.command[0] ?? '')}: executable file not found in $PATH: unknown`;
    return finish({
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: ${msg}`,
      reason: 'InternalError',
      details: { causes: [{ message: msg }] },
      code: 500,
    });
  }
  const exited = (code: number) =>
    finish(
      code === 0
        ? { metadata: {}, status: 'Success' }
        : {
            metadata: {},
            status: 'Failure',
            message: `command terminated with non-zero exit code: error executing command [${x.command.join(' ')}], exit code ${code}`,
            reason: 'NonZeroExitCode',
            details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
          },
    );

  let pty: IPty | undefined;
  let child: ChildProcess | undefined;
  let done = false;
  if (x.tty) {
    const { spawn } = require('node-pty') as typeof NodePty;
    pty = spawn(file, x.command.slice(1), { name: 'xterm', cols: 80, rows: 24, cwd: x.cwd, env: { ...x.env, TERM: 'xterm' } });
    onProcess?.(pty.pid);
    pty.onData((d) => x.stdout && send(1, Buffer.from(d)));
    pty.onExit(({ exitCode, signal }) => {
      done = true;
      // Output the pty still holds is delivered before the status.
      setTimeout(() => exited(signal ? 128 + signal : exitCode), 30);
    });
  } else {
    child = spawnChild(file, x.command.slice(1), { cwd: x.cwd, env: x.env, stdio: ['pipe', 'pipe', 'pipe'] });
    if (child.pid) onProcess?.(child.pid);
    child.stdout!.on('data', (d: Buffer) => x.stdout && send(1, d));
    child.stderr!.on('data', (d: Buffer) => stderr && send(2, d));
    child.stdin!.on('error', () => undefined);
    if (!x.stdin) child.stdin!.end();
    child.on('close', (code, signal) => {
      done = true;
      exited(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 9) : 9));
    });
    child.on('error', (e) => {
      done = true;
      finish({ metadata: {}, status: 'Failure', message: `Internal error occurred: ${e.message}`, reason: 'InternalError', code: 500 });
    });
  }

  ws.on('message', (raw: Buffer | string, isBinary: boolean) => {
    let channel: number;
    let data: Buffer;
    const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as string);
    if (base64 && !isBinary) {
      channel = buf[0]! - 48;
      data = Buffer.from(buf.subarray(1).toString('utf8'), 'base64');
    } else {
      channel = buf[0]!;
      data = buf.subarray(1);
    }
    if (v5 && channel === 255) {
      if (data[0] === 0) {
        if (pty) pty.write('\x04');
        else child?.stdin?.end();
      }
      return;
    }
    if (channel === 0 && x.stdin) {
      if (pty) pty.write(data.toString('utf8'));
      else child?.stdin?.write(data);
    } else if (channel === 4 && pty) {
      for (const line of data.toString('utf8').split(/\n|(?<=\})(?=\{)/)) {
        if (!line.trim()) continue;
        try {
          const size = JSON.parse(line) as { Width?: number; Height?: number };
          if (size.Width && size.Height) pty.resize(size.Width, size.Height);
        } catch {
          // A resize message that is not JSON is ignored, as the kubelet's decoder stops at it.
        }
      }
    }
  });
  ws.on('close', () => {
    if (done) return;
    if (pty) pty.kill('SIGHUP');
    else child?.kill('SIGKILL');
  });
}
