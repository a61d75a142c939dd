/**
 * Serial consoles for the serial transport's tests, on real pseudo-terminal
 * pairs made by socat: EdgeForge opens one end (a symlink at a path we
 * choose, as udev makes /dev/serial/by-id/…), and a real /bin/sh, bash or a
 * login flow runs on the other end's tty, with job control, so Ctrl-C and
 * `stty` behave as on a box's console.
 *
 * Two stand-ins, named as such:
 *   - login-stand-in.sh: what getty + login show on a console ("box login: ",
 *     "Password: " with echo off, "Login incorrect"), then a shell;
 *   - Cable: the serial cable with a USB-serial adapter that can be pulled
 *     and plugged back. The box's console (socat + shell) keeps running while
 *     the adapter's tty device (one end of a socat pty pair) comes and goes;
 *     a relay in this process carries the bytes between the pair's other end
 *     and the box, and can damage one byte on the way to the box (line
 *     noise) or hold both directions to a baud rate (for the bench).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tty from 'node:tty';
import { setTimeout as sleep } from 'node:timers/promises';

export const LINE = { baud: 115200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' } as const;

export function hasSocat(): boolean {
  return ['/usr/bin/socat', '/bin/socat', '/usr/local/bin/socat'].some((p) => fs.existsSync(p));
}

export function hasLrzsz(): boolean {
  return ['/usr/bin/rz', '/bin/rz', '/usr/local/bin/rz'].some((p) => fs.existsSync(p));
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function track(c: ChildProcess): ChildProcess {
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = once(c, 'exit');
  c.kill('SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(3_000, false)]);
  if (!done) {
    c.kill('SIGKILL');
    await exited;
  }
}

async function waitFor(what: string, timeoutMs: number, test: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** socat's EXEC: side for a box's console: its own pty, a session with that pty as controlling tty, stderr on it too. */
function consoleSide(command: string): string {
  return `EXEC:${command},pty,stderr,setsid,ctty,sane`;
}

export interface PtyConsole {
  /** The tty EdgeForge opens. */
  path: string;
  stop(): Promise<void>;
}

/** A console whose other end runs `command` (words split by socat, no shell quoting). */
export async function ptyConsole(dir: string, command: string, opts: { name?: string; silent?: boolean } = {}): Promise<PtyConsole> {
  const link = path.join(dir, opts.name ?? 'ttyUSB0');
  // A silent console echoes nothing either: no process reads it and the tty's own echo is off.
  const far = opts.silent ? `EXEC:${command},pty,raw,echo=0` : consoleSide(command);
  const child = track(spawn('socat', [`pty,raw,echo=0,link=${link}`, far], { stdio: 'ignore' }));
  await waitFor(`socat's pty at ${link}`, 5_000, () => fs.existsSync(link));
  return {
    path: link,
    stop: async () => {
      await stopChild(child);
      fs.rmSync(link, { force: true });
    },
  };
}

/**
 * Writes the getty + login stand-in; it accepts one user and password, runs `sh -i` with a prompt of its own, and asks again after logout.
 * With `slowRetry`, an empty name is refused as login(1) does after a failed attempt: "Login incorrect" after its failure delay,
 * here 4 s (Debian's 3 s, on a slow box); with `slowRetry: { respawn }`, the next login prompt comes that many seconds after
 * "Login incorrect", as from a getty that systemd starts again once login has exited.
 * With `passwordFlush` (seconds: the first attempt, then the others), the password prompt behaves as PAM's on a slow box:
 * echo goes off with TCSAFLUSH that long after the prompt is printed, and whatever was typed before is thrown away.
 * With `askOnInput`, the first login prompt is printed only once a line is waiting (the wake-up line feed), which is then read
 * as the name: as a getty that prints its prompt just as the wake-up arrives. 'echo-first': the tty echoes the line feed before
 * the prompt is printed; 'prompt-first': the prompt is out before the line feed's echo (a getty that echoes itself). Run it
 * with bash (it peeks at the input with `read -t 0`).
 * Every name or password refused (but the empty name) is counted in the file `refused`.
 * With `noPassword`, the user gets a shell without a password prompt, after a "Permission denied" from the profile.
 */
export function loginStandIn(
  dir: string,
  user: string,
  password: string,
  o: {
    slowRetry?: boolean | { respawn: number };
    passwordFlush?: [number, number];
    askOnInput?: 'echo-first' | 'prompt-first';
    /** The user logs in without a password, and the profile complains ("Permission denied") before the shell's prompt. */
    noPassword?: boolean;
  } = {},
): string {
  const file = path.join(dir, 'login-stand-in.sh');
  fs.writeFileSync(
    file,
    [
      '#!/bin/sh',
      '# A console login as getty and login show it; the real one runs on the QEMU lab box.',
      '# Ctrl-C at the prompt starts it over, as systemd starts getty again.',
      'trap \'printf "\\n"\' INT',
      'printf "\\nDebian GNU/Linux 12 box ttyS0\\n\\n"',
      '# Set only when the first name was read before the loop (askOnInput), never from the environment.',
      'first=',
      ...(o.askOnInput
        ? [
            '# The first prompt waits for a line to be there, then reads it as the name.',
            ...(o.askOnInput === 'prompt-first' ? ['stty -echo'] : []),
            'until read -t 0; do sleep 0.05; done',
            'printf "box login: "',
            'IFS= read -r u',
            ...(o.askOnInput === 'prompt-first' ? ['stty echo', 'printf "%s\\n" "$u"'] : []),
            'first=1',
          ]
        : []),
      'while :; do',
      '  if [ -z "$first" ]; then',
      '  printf "box login: "',
      '  # For a test that must know the prompt is out before it types (the file is made again at each prompt).',
      `  : > '${path.join(dir, 'prompted')}'`,
      '  IFS= read -r u || continue',
      '  fi',
      '  first=',
      ...(o.slowRetry
        ? [`  [ -n "$u" ] || { sleep 4; printf "\\nLogin incorrect\\n"; sleep ${typeof o.slowRetry === 'object' ? o.slowRetry.respawn : 0}; continue; }`]
        : ['  # An empty name gets the prompt again, as from agetty and login.', '  [ -n "$u" ] || continue']),
      ...(o.noPassword
        ? [
            `  if [ "$u" = '${user}' ]; then`,
            '    printf "Last login: Sun Nov 22 10:00:00 UTC 2026 on ttyS0\\n-sh: /etc/profile.d/site.sh: Permission denied\\n"',
            '    env PS1="box:~$ " /bin/sh -i',
            '    continue',
            '  fi',
          ]
        : []),
      '  printf "Password: "',
      ...(o.passwordFlush
        ? [
            '  attempt=$((${attempt:-0}+1))',
            `  if [ "$attempt" -eq 1 ]; then sleep ${o.passwordFlush[0]}; else sleep ${o.passwordFlush[1]}; fi`,
            '  # TCSAFLUSH: what was typed before echo went off is gone.',
            '  stty -echo -icanon min 0 time 0; cat > /dev/null; stty icanon',
          ]
        : []),
      '  stty -echo; IFS= read -r p || { stty echo; continue; }; stty echo; printf "\\n"',
      `  if [ "$u" = '${user}' ] && [ "$p" = '${password}' ]; then`,
      '    printf "Last login: Sun Nov 22 10:00:00 UTC 2026 on ttyS0\\n"',
      '    env PS1="box:~# " /bin/sh -i',
      '    # Logged out: back to the login prompt, as getty is started again.',
      '    continue',
      '  fi',
      `  echo "$u" >> '${path.join(dir, 'refused')}'`,
      '  sleep 1',
      '  printf "\\nLogin incorrect\\n"',
      'done',
      '',
    ].join('\n'),
  );
  return file;
}

/** A folder of links to every program in /usr/bin and /bin but the given ones: a PATH for a box that lacks them. */
export function pathWithout(dir: string, missing: string[]): string {
  const bin = path.join(dir, 'bin-without-' + missing.join('-'));
  fs.mkdirSync(bin, { recursive: true });
  for (const from of ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(from);
    } catch {
      continue;
    }
    for (const n of names) {
      if (missing.includes(n) || fs.existsSync(path.join(bin, n))) continue;
      fs.symlinkSync(path.join(from, n), path.join(bin, n));
    }
  }
  return bin;
}

/** What a Pacer holds back when its queue is full: a socket or a tty stream. */
interface Source {
  pause(): unknown;
  resume(): unknown;
}

/**
 * One direction of a UART: bytes go out at most bytesPerSecond, released
 * every 10 ms in order, and the sender is held back (its socket paused, so
 * the tty's buffer fills and the writer gets EAGAIN) once a UART-sized
 * buffer is full.
 */
class Pacer {
  private queue: Buffer[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | null = null;
  private last = Date.now();
  private credit = 0;
  private source: Source | null = null;
  private static readonly HIGH = 4096;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly out: (b: Buffer) => void,
  ) {}

  push(b: Buffer, from: Source): void {
    this.queue.push(b);
    this.queued += b.length;
    if (this.queued > Pacer.HIGH) {
      this.source = from;
      from.pause();
    }
    if (!this.timer) {
      this.last = Date.now();
      this.credit = 0;
      this.timer = setInterval(() => this.tick(), 10);
    }
  }

  private tick(): void {
    const now = Date.now();
    this.credit += ((now - this.last) * this.bytesPerSecond) / 1000;
    this.last = now;
    while (this.queue.length && this.credit >= 1) {
      const head = this.queue[0]!;
      const n = Math.min(head.length, Math.floor(this.credit));
      this.out(head.subarray(0, n));
      this.credit -= n;
      this.queued -= n;
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
    }
    if (this.source && this.queued <= Pacer.HIGH / 2) {
      this.source.resume();
      this.source = null;
    }
    if (!this.queue.length) {
      clearInterval(this.timer!);
      this.timer = null;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.queue = [];
    this.queued = 0;
    this.source = null;
  }
}

export interface CableOptions {
  /** The box's console program (socat EXEC words). */
  boxCommand: string;
  /** Where the adapter's tty appears while plugged. */
  path: string;
  /** Hold each direction to this many bytes per second (a UART's characters per second). */
  bytesPerSecond?: number;
}

export class Cable {
  private box: net.Socket | null = null;
  private adapter: { reader: tty.ReadStream; writer: tty.WriteStream } | null = null;
  private adapterProcess: ChildProcess | null = null;
  private boxProcess: ChildProcess | null = null;
  private toBoxCount = 0;
  private unplugging: Promise<void> | null = null;
  private damageAt: number | null = null;
  private readonly toBox: Pacer | null;
  private readonly toHost: Pacer | null;

  private constructor(
    private readonly o: CableOptions,
    private readonly boxServer: net.Server,
  ) {
    const rate = o.bytesPerSecond;
    this.toBox = rate ? new Pacer(rate, (b) => this.box?.write(b)) : null;
    this.toHost = rate ? new Pacer(rate, (b) => this.adapter?.writer.write(b)) : null;
  }

  static async start(o: CableOptions): Promise<Cable> {
    const boxServer = net.createServer();
    boxServer.listen(0, '127.0.0.1');
    await once(boxServer, 'listening');
    const cable = new Cable(o, boxServer);
    boxServer.on('connection', (sock) => cable.boxConnected(sock));
    const port = (boxServer.address() as net.AddressInfo).port;
    cable.boxProcess = track(spawn('socat', [`TCP:127.0.0.1:${port}`, consoleSide(o.boxCommand)], { stdio: 'ignore' }));
    await waitFor('the box end of the cable', 5_000, () => cable.box !== null);
    await cable.plug();
    return cable;
  }

  private boxConnected(sock: net.Socket): void {
    sock.setNoDelay(true);
    this.box = sock;
    sock.on('data', (d: Buffer) => {
      if (this.toHost) this.toHost.push(d, sock);
      else this.adapter?.writer.write(d);
    });
    sock.on('error', () => undefined);
  }

  private fromAdapter(d: Buffer, from: Source): void {
    const start = this.toBoxCount;
    this.toBoxCount += d.length;
    if (this.damageAt !== null && this.damageAt >= start && this.damageAt < this.toBoxCount) {
      d = Buffer.from(d);
      // Another printable character, as a noisy line most often makes: a damaged control character would do more (^C).
      const i = this.damageAt - start;
      d[i] = d[i] === 0x41 ? 0x42 : 0x41;
      this.damageAt = null;
    }
    if (this.toBox) this.toBox.push(d, from);
    else this.box?.write(d);
  }

  /** Damages the byte that is the n-th (from 0) to go towards the box from now on. */
  damageToBox(n: number): void {
    this.damageAt = this.toBoxCount + n;
  }

  /**
   * The adapter goes in: its tty appears at the path. socat makes it as one
   * end of a pty pair whose other end the relay reads, so between EdgeForge
   * and the pacing there are only tty buffers, a few KiB, as in a UART.
   */
  async plug(): Promise<void> {
    await this.unplugging;
    if (this.adapterProcess) return;
    const inner = `${this.o.path}.relay`;
    this.adapterProcess = track(spawn('socat', [`pty,raw,echo=0,link=${this.o.path}`, `pty,raw,echo=0,link=${inner}`], { stdio: 'ignore' }));
    await waitFor('the adapter tty', 5_000, () => fs.existsSync(this.o.path) && fs.existsSync(inner));
    const reader = new tty.ReadStream(fs.openSync(inner, fs.constants.O_RDWR | fs.constants.O_NOCTTY));
    reader.setRawMode(true);
    const writer = new tty.WriteStream(fs.openSync(inner, fs.constants.O_RDWR | fs.constants.O_NOCTTY));
    reader.on('data', (d: Buffer) => this.fromAdapter(d, reader));
    reader.on('error', () => undefined);
    writer.on('error', () => undefined);
    this.adapter = { reader, writer };
  }

  /** The adapter is pulled: its tty goes away (as the kernel removes /dev/ttyUSB0) and bytes from the box fall on the floor. */
  unplug(): Promise<void> {
    this.unplugging = this.pull();
    return this.unplugging;
  }

  private async pull(): Promise<void> {
    const a = this.adapter;
    this.adapter = null;
    a?.reader.destroy();
    a?.writer.destroy();
    const p = this.adapterProcess;
    this.adapterProcess = null;
    if (p) await stopChild(p);
    fs.rmSync(this.o.path, { force: true });
    fs.rmSync(`${this.o.path}.relay`, { force: true });
    // What was on the wire is lost with the adapter.
    this.toBox?.stop();
    this.toHost?.stop();
  }

  async stop(): Promise<void> {
    await this.unplug();
    if (this.boxProcess) await stopChild(this.boxProcess);
    this.box?.destroy();
    this.boxServer.close();
  }
}
