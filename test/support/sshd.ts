/**
 * A real OpenSSH sshd on 127.0.0.1 for the SSH transport's tests: its own
 * host key, config and authorized_keys in a temp folder, run in the
 * foreground (-D) as this (root) user. Stopped and restarted on the same
 * port to stand for a reinstalled box.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from './tmp';

export const SSHD = '/usr/sbin/sshd';

export function hasSshd(): boolean {
  return fs.existsSync(SSHD);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface TestSshd {
  port: number;
  dir: string;
  /** The client key sshd accepts for root (OpenSSH PEM). */
  clientKey: string;
  /** `ssh-keygen -lf` of the current host key: "SHA256:…". */
  hostFingerprint(): string;
  /** Stops sshd and starts it again with a new host key (a reinstalled box). */
  rekey(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSshd(opts: { extraConfig?: string[]; keyPassphrase?: string } = {}): Promise<TestSshd> {
  const dir = tempDir();
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = path.join(dir, 'host_ed25519');
  const genHost = () => {
    fs.rmSync(hostKey, { force: true });
    fs.rmSync(`${hostKey}.pub`, { force: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  };
  genHost();
  const clientKeyFile = path.join(dir, 'client_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', opts.keyPassphrase ?? '', '-f', clientKeyFile]);
  fs.copyFileSync(`${clientKeyFile}.pub`, path.join(dir, 'authorized_keys'));
  let port = await freePort();
  const config = path.join(dir, 'sshd_config');
  const writeConfig = () =>
    fs.writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
        'StrictModes no',
        'UsePAM no',
        'PermitRootLogin yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'Subsystem sftp internal-sftp',
        'MaxStartups 100',
        ...(opts.extraConfig ?? []),
        '',
      ].join('\n'),
    );
  writeConfig();
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    for (let i = 0; i < 100; i++) {
      // Up when OpenSSH's banner comes (a connection alone could be another program's listener on the port).
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port });
        s.once('data', (d: Buffer) => {
          s.destroy();
          resolve(d.toString('latin1').startsWith('SSH-2.0-OpenSSH'));
        });
        s.on('error', () => resolve(false));
        s.on('close', () => resolve(false));
      });
      if (up) return;
      if (child.exitCode !== null) throw new Error(`sshd exited: ${err}`);
      await sleep(50);
    }
    throw new Error(`sshd did not listen: ${err}`);
  };
  const stop = async () => {
    const c = child as ChildProcess | null;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await gone;
  };
  // The port was free when probed; something else may have taken it before sshd bound it (then sshd exits saying so).
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (e) {
      if (attempt >= 3 || !/Bind to port|Cannot bind any address|Address already in use/.test(String(e))) throw e;
      port = await freePort();
      writeConfig();
    }
  }
  return {
    port,
    dir,
    clientKey: fs.readFileSync(clientKeyFile, 'utf8'),
    hostFingerprint: () => execFileSync('ssh-keygen', ['-lf', `${hostKey}.pub`], { encoding: 'utf8' }).split(' ')[1]!,
    rekey: async () => {
      await stop();
      genHost();
      await start();
    },
    stop,
  };
}
