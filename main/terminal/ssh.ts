/**
 * An SSH login shell to a box, in the native process: the flashing
 * station's own connection code (main/provision/ssh.ts: algorithms,
 * keep-alives, errors) and its known-hosts store, of which the service hands
 * over this host's entry; a first-use or re-trusted key goes back to the
 * service to be recorded.
 */
import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import { HostKeySnapshot, type KnownHost } from '../provision/known-hosts';
import { SshShell, type SshTarget } from '../provision/ssh';
import type { TerminalSink, TerminalTransport } from './transport';
import type { WorkerOpened } from './protocol';

export async function openSsh(
  spec: {
    target: SshTarget;
    known: { host: string; port: number; key: string | null; entry: KnownHost | null };
    retrustFingerprint?: string;
    cols: number;
    rows: number;
  },
  sink: TerminalSink,
): Promise<{ transport: TerminalTransport; opened: WorkerOpened }> {
  const snapshot = new HostKeySnapshot({ ...spec.known, key: spec.known.key ? Buffer.from(spec.known.key, 'base64') : null });
  const shell = await SshShell.connect(spec.target, {
    knownHosts: snapshot,
    hostKeyPolicy: 'tofu',
    ...(spec.retrustFingerprint ? { retrustFingerprint: spec.retrustFingerprint } : {}),
    keepaliveIntervalMs: 10_000,
  });
  let stream: ClientChannel;
  try {
    stream = await shell.shell({ cols: spec.cols, rows: spec.rows });
  } catch (e) {
    await shell.close();
    throw e;
  }
  const out = new StringDecoder('utf8');
  const err = new StringDecoder('utf8');
  stream.on('data', (b: Buffer) => sink.data(out.write(b)));
  stream.stderr.on('data', (b: Buffer) => sink.data(err.write(b)));
  let exitCode: number | null = null;
  let signal: string | null = null;
  stream.on('exit', (code: number | null, sig?: string) => {
    exitCode = typeof code === 'number' ? code : null;
    signal = sig ?? null;
  });
  let ended = false;
  const end = (status: { en: string; zh: string }) => {
    if (ended) return;
    ended = true;
    sink.ended(status, exitCode);
  };
  stream.on('close', () => {
    void shell.close();
    end(
      signal
        ? { en: `The remote shell ended (signal ${signal}).`, zh: `远程 shell 已结束（信号 ${signal}）。` }
        : exitCode !== null
          ? { en: `The remote shell exited with status ${exitCode}.`, zh: `远程 shell 已退出，状态码 ${exitCode}。` }
          : { en: 'The remote shell closed.', zh: '远程 shell 已关闭。' },
    );
  });
  shell.onEnd((reason) => {
    if (reason !== 'closed') end({ en: `The connection to ${shell.label} was lost: ${reason}.`, zh: `与 ${shell.label} 的连接已断开：${reason}。` });
  });
  sink.opened();
  return {
    transport: {
      title: `${spec.target.username}@${spec.target.host}`,
      target: shell.label,
      write: (data) => {
        stream.write(data);
      },
      resize: (cols, rows) => {
        stream.setWindow(rows, cols, 0, 0);
      },
      pause: () => stream.pause(),
      resume: () => stream.resume(),
      close: async () => {
        stream.close();
        await shell.close();
      },
    },
    opened: {
      hostKey: shell.hostKey,
      record: snapshot.recorded ? { kind: snapshot.recorded.kind, key: snapshot.recorded.blob.toString('base64') } : null,
    },
  };
}
