/**
 * The terminal's sessions, all real: node-pty shells, OpenSSH's sshd on
 * loopback and serial lines made of socat pty pairs, each session living in
 * the native I/O worker process (dist/main/native-worker.js) and reached
 * through TerminalService as the API reaches it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TerminalEvent, TerminalOpen, TerminalSession } from '../../main/api/contract';
import { TerminalOpenSchema } from '../../main/api/contract';
import { NativeHost, childProcessChannel } from '../../main/native';
import { KnownHosts, provisionSchema } from '../../main/provision';
import { Store } from '../../main/store';
import { FLOW, TerminalService } from '../../main/terminal';
import { Cable, hasSocat } from '../provision/serial/consoles';
import { outputSettled } from '../support/output-settled';
import { refusal } from '../support/refusal';
import { hasSshd, startSshd, type TestSshd } from '../support/sshd';
import { nativeWorkerPath, tempDir } from '../support/tmp';

let native: NativeHost;
let knownHosts: KnownHosts;
let terminal: TerminalService;

beforeAll(() => {
  native = new NativeHost('child-process', childProcessChannel(nativeWorkerPath));
  const store = Store.open(path.join(tempDir(), 'station.db'), [provisionSchema]);
  knownHosts = new KnownHosts(store.db);
  terminal = new TerminalService({
    native,
    knownHosts,
    flash: {
      sshAccess: () => {
        throw new Error('no flashed boxes in this test');
      },
    },
    // Pod sessions: test/terminal/pod-exec.test.ts.
    clusters: {
      kubeconfig: () => {
        throw new Error('no clusters in this test');
      },
      list: () => [],
      onCredentialEnded: () => () => false,
    },
  });
});
afterAll(async () => {
  await terminal.closeAll();
  native.dispose();
});
afterEach(async () => terminal.closeAll());

const open = (input: Record<string, unknown>) => terminal.open(TerminalOpenSchema.parse(input) as TerminalOpen);

/** A window on a session: collects its output, acknowledges it when told to (as xterm's write callback does). */
function watch(id: string, opts: { from?: number; ack?: boolean } = {}) {
  const controller = new AbortController();
  const w = {
    text: '',
    chars: 0,
    /** How many data events brought it. */
    pieces: 0,
    end: opts.from ?? 0,
    gaps: [] as { from: number; to: number }[],
    session: null as TerminalSession | null,
    ack: opts.ack ?? true,
    stop: () => controller.abort(),
  };
  void (async () => {
    try {
      for await (const e of terminal.attach(id, opts.from ?? 0, controller.signal) as AsyncGenerator<TerminalEvent>) {
        if (e.type === 'data') {
          expect(e.offset).toBe(w.end);
          w.text += e.data;
          w.chars += e.data.length;
          w.pieces++;
          w.end = e.offset + e.data.length;
          if (w.ack) terminal.ack(id, w.end);
        } else if (e.type === 'gap') {
          w.gaps.push({ from: e.from, to: e.to });
          w.end = e.to;
        } else w.session = e.session;
      }
    } catch {
      // The session was closed.
    }
  })();
  return w;
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('local shell (node-pty in the native process)', () => {
  it('runs commands, resizes the pty, and reports the exit status when the shell ends', async () => {
    const s = await open({ kind: 'local', shell: '/bin/sh', cols: 80, rows: 24 });
    expect(s.state).toBe('open');
    expect(s.kind).toBe('local');
    const w = watch(s.id);
    await terminal.write(s.id, 'echo $((6*7))-marker\r');
    await until('the command output', () => /42-marker/.test(w.text));
    await terminal.resize(s.id, 123, 37);
    await terminal.write(s.id, 'stty size\r');
    await until('the new size', () => /37 123/.test(w.text));
    await terminal.write(s.id, 'exit 3\r');
    await until('the exit', () => w.session?.state === 'exited');
    expect(w.session!.exitCode).toBe(3);
    expect(w.session!.status?.en).toBe('The shell exited with status 3.');
    const e = await refusal(terminal.write(s.id, 'echo again\r'));
    expect(e.code).toBe('TERMINAL_ENDED');
    w.stop();
  });

  it('refuses a shell that is not one of the station’s, naming the field', async () => {
    const e = await refusal(open({ kind: 'local', shell: '/usr/bin/python3' }));
    expect(e.code).toBe('TERMINAL_SHELL_MISSING');
    expect(e.field).toEqual(['shell']);
    expect(terminal.shells().length).toBeGreaterThan(0);
  });

  it('pauses a flood of output while the window has not caught up, and loses nothing once it acknowledges', async () => {
    const s = await open({ kind: 'local', shell: '/bin/sh' });
    const w = watch(s.id, { ack: false });
    const total = 20_000_000;
    // 20 MB of 'x' then a marker; the pty turns nothing into anything else for these characters.
    await terminal.write(s.id, `stty -echo; head -c ${total} /dev/zero | tr '\\0' x; echo; echo END-$((1+1))-FLOOD\r`);
    await until('the first output', () => w.chars > FLOW.highWater);
    await outputSettled(w);
    const held = w.chars;
    // Held near the high-water mark: one chunk over it at most, plus what was in flight between the processes.
    expect(held).toBeLessThan(FLOW.highWater + 2 * FLOW.chunkChars + 64 * 1024);
    await sleep(500);
    expect(w.chars).toBe(held);
    // The window catches up: everything arrives, in order, none lost.
    w.ack = true;
    terminal.ack(s.id, w.end);
    await until('the end of the flood', () => w.text.includes('END-2-FLOOD'), 120_000);
    // One unbroken run of them (the typed command's own `x` is elsewhere).
    expect(Math.max(...(w.text.match(/x+/g) ?? ['']).map((r) => r.length))).toBe(total);
    // Gathered into large chunks, not one message per pty read of a few KB (which capped a flood at about 6 MB/s);
    // how they are cut is test/terminal/flow.test.ts's.
    expect(w.chars / w.pieces).toBeGreaterThan(8_000);
    w.stop();
  }, 180_000);

  it('keeps a session while no window is attached, and replays what the window missed', async () => {
    const s = await open({ kind: 'local', shell: '/bin/sh' });
    const first = watch(s.id);
    await terminal.write(s.id, 'echo one-$((1+0))\r');
    await until('one', () => first.text.includes('one-1'));
    const seen = first.end;
    first.stop();
    // The window is gone (a reload): the shell keeps running and its output is kept.
    await terminal.write(s.id, 'echo two-$((1+1))\r');
    await until('the output while detached', () => terminal.list().find((x) => x.id === s.id)!.offset > seen + 10);
    await sleep(200);
    const again = watch(s.id, { from: seen });
    await until('the replay', () => again.text.includes('two-2'));
    expect(again.text).not.toContain('one-1');
    const whole = watch(s.id, { from: 0 });
    await until('the whole replay', () => whole.text.includes('two-2'));
    expect(whole.text).toContain('one-1');
    expect(terminal.list().map((x) => x.id)).toContain(s.id);
    // Closing the session ends every window's stream.
    const ended = (async () => {
      for await (const _e of terminal.attach(s.id, 0)) {
        // Drained until the end.
      }
      return 'ended';
    })();
    await terminal.close(s.id);
    expect(await Promise.race([ended, sleep(3000).then(() => 'still open')])).toBe('ended');
    again.stop();
    whole.stop();
  });

  it('marks every session ended when the native process dies, and opens new ones after its restart', async () => {
    const s = await open({ kind: 'local', shell: '/bin/sh' });
    native.crashForTest();
    await until('the session ended', () => terminal.list().find((x) => x.id === s.id)?.state === 'exited');
    expect(terminal.list().find((x) => x.id === s.id)!.status?.en).toMatch(/native I\/O process stopped/);
    await sleep(500);
    const t = await open({ kind: 'local', shell: '/bin/sh' });
    const w = watch(t.id);
    await terminal.write(t.id, 'echo back-$((2*2))\r');
    await until('the new session', () => w.text.includes('back-4'));
    w.stop();
  });
});

describe.skipIf(!hasSshd())('SSH session (ssh2 in the native process, a real sshd)', () => {
  let sshd: TestSshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => sshd?.stop());

  it('logs in with a key, trusts the host on first use into the station’s store, runs a shell with the pty size, and refuses a changed key', async () => {
    const s = await open({ kind: 'ssh', host: '127.0.0.1', port: sshd.port, username: 'root', privateKey: sshd.clientKey, cols: 90, rows: 20 });
    expect(s.hostKey).toEqual({ fingerprint: sshd.hostFingerprint(), firstUse: true });
    expect(knownHosts.get('127.0.0.1', sshd.port)?.fingerprint).toBe(sshd.hostFingerprint());
    const w = watch(s.id);
    await terminal.write(s.id, 'stty size; echo ssh-$((3*5))\r');
    await until('the remote output', () => /20 90/.test(w.text) && /ssh-15/.test(w.text));
    await terminal.write(s.id, 'exit 4\r');
    await until('the remote exit', () => w.session?.state === 'exited');
    expect(w.session!.exitCode).toBe(4);
    w.stop();

    const known = await open({ kind: 'ssh', host: '127.0.0.1', port: sshd.port, username: 'root', privateKey: sshd.clientKey });
    expect(known.hostKey?.firstUse).toBe(false);
    await terminal.close(known.id);

    const old = sshd.hostFingerprint();
    await sshd.rekey();
    const e = await refusal(open({ kind: 'ssh', host: '127.0.0.1', port: sshd.port, username: 'root', privateKey: sshd.clientKey }));
    expect(e.code).toBe('SSH_HOSTKEY_CHANGED');
    expect(e.text.en).toContain(old);
    expect(e.text.en).toContain(sshd.hostFingerprint());
    // The user's explicit re-trust of exactly the new key.
    const retrusted = await open({
      kind: 'ssh',
      host: '127.0.0.1',
      port: sshd.port,
      username: 'root',
      privateKey: sshd.clientKey,
      retrustFingerprint: sshd.hostFingerprint(),
    });
    expect(retrusted.state).toBe('open');
    expect(knownHosts.get('127.0.0.1', sshd.port)?.fingerprint).toBe(sshd.hostFingerprint());
  });

  it('names a refused login', async () => {
    const e = await refusal(open({ kind: 'ssh', host: '127.0.0.1', port: sshd.port, username: 'root', password: 'wrong' }));
    expect(e.code).toBe('SSH_AUTH_FAILED');
  });
});

describe.skipIf(!hasSocat())('serial console (serialport in the native process, socat pty pairs)', () => {
  const cables: Cable[] = [];
  afterEach(async () => {
    for (const c of cables.splice(0)) await c.stop();
  });

  it('talks to a shell on the line with the chosen newline, carries bytes one per character, survives a replug, and frees the port', async () => {
    const dir = tempDir();
    const cable = await Cable.start({ boxCommand: '/bin/sh -i', path: path.join(dir, 'ttyUSB0') });
    cables.push(cable);
    const s = await open({ kind: 'serial', path: path.join(dir, 'ttyUSB0'), baud: 115200, newline: 'cr' });
    expect(s.encoding).toBe('bytes');
    expect(s.target).toBe(`${path.join(dir, 'ttyUSB0')} 115200 8N1`);
    const w = watch(s.id);
    await terminal.write(s.id, 'printf "\\303\\251-%s\\n" $((7*6))\r');
    // é is two bytes on the line, two characters here: the renderer decodes UTF-8 (and shows them in the hex view).
    await until('the output', () => w.text.includes('\u00c3\u00a9-42'));
    // Newline mode: Enter sends CR LF now. The box's tty stops turning CR into NL (-icrnl), so that `od` shows what arrived;
    // the comments absorb the CR left at the end of each command line.
    await terminal.write(s.id, 'stty -icrnl; echo icrnl-$((0+1))-off\r');
    await until('stty done', () => w.text.includes('icrnl-1-off'));
    await terminal.setNewline(s.id, 'crlf');
    await terminal.write(s.id, 'read l; printf %s "$l" | od -An -c | tr -s " " #\r');
    await sleep(300);
    await terminal.write(s.id, 'abc\r');
    await until('the bytes the box read', () => / a b c \\r/.test(w.text)).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(w.text.slice(-300))}`);
    });
    await terminal.write(s.id, 'stty icrnl; echo icrnl-$((0+1))-on #\r');
    await until('stty done', () => w.text.includes('icrnl-1-on'));
    await terminal.setNewline(s.id, 'cr');

    await cable.unplug();
    await until('reconnecting', () => w.session?.state === 'reconnecting');
    expect(w.session!.status?.en).toMatch(/Waiting for .*ttyUSB0 to come back/);
    await cable.plug();
    await until('reconnected', () => w.session?.state === 'open', 10_000);
    await terminal.write(s.id, 'echo after-$((5+5))\r');
    await until('output after the replug', () => w.text.includes('after-10'));

    expect(await terminal.closeSerial(path.join(dir, 'ttyUSB0'))).toBe(true);
    expect(terminal.list().some((x) => x.id === s.id)).toBe(false);
    // The port is free: it opens again at once.
    const again = await open({ kind: 'serial', path: path.join(dir, 'ttyUSB0') });
    expect(again.state).toBe('open');
    w.stop();
  }, 60_000);
});
