/** Runs one command on a lab box over SSH (ssh2, the product's own SSH library). */
import { Client, type ConnectConfig } from 'ssh2';

export interface SshTarget {
  port: number;
  username: string;
  password?: string;
  privateKey?: string | Buffer;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command`; `stdin`, when given, is streamed into it (e.g. a bundle file). */
export function sshExec(target: SshTarget, command: string, timeoutMs = 30_000, stdin?: NodeJS.ReadableStream): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const timer = setTimeout(() => {
      client.destroy();
      reject(new Error(`ssh ${target.username}@127.0.0.1:${target.port} "${command}" timed out`));
    }, timeoutMs);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      client.end();
      fn();
    };
    client
      .on('ready', () => {
        client.exec(command, (err, stream) => {
          if (err) return done(() => reject(err));
          let stdout = '';
          let stderr = '';
          stream.on('data', (d: Buffer) => (stdout += d.toString()));
          stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          stream.on('close', (code: number | null) => done(() => resolve({ code, stdout, stderr })));
          if (stdin) stdin.pipe(stream);
        });
      })
      .on('error', (e) => done(() => reject(e)));
    const config: ConnectConfig = {
      host: '127.0.0.1',
      port: target.port,
      username: target.username,
      readyTimeout: Math.min(timeoutMs, 20_000),
      keepaliveInterval: 5_000,
      tryKeyboard: false,
    };
    if (target.password !== undefined) config.password = target.password;
    if (target.privateKey !== undefined) config.privateKey = target.privateKey;
    client.connect(config);
  });
}
