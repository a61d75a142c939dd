/**
 * The headless host's terminal output socket (/terminal-output) and output
 * stream (/terminal-output/stream): checked as /api is, then handed to the
 * native I/O process, which serves them. Against the real host (`edgeforge
 * serve`), its real native process and a real shell.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { TerminalOutputFrame, TerminalOutputHello, TerminalOutputMessage } from '../../main/api/contract';
import { FrameSplitter, frameKind, MESSAGE, readOutputFrame } from '../../renderer/src/terminal/output-frame';
import { connectClient, startHostProcess, type RunningHost, type TestClient } from '../support/host';
import { tempDir } from '../support/tmp';

/** The upgrade's status: 101, or the host's refusal. */
function upgradeStatus(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/terminal-output`, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => undefined);
  });
}

/** The status of a GET of an output stream, with `headers`. */
function streamStatus(port: number, stream: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(`http://127.0.0.1:${port}${stream}`, { headers }, (res) => {
      res.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

/**
 * A window's output connections, read as the output worker reads them
 * (renderer/src/terminal/output-frame.ts): its socket (which names its
 * stream and takes its requests) and its stream; or, with `onSocket`, its
 * socket alone, which then carries the frames. `open()` opens the stream
 * (at once unless `late`). What came, output as `data` events (UTF-8), and
 * a wait for a message that matches.
 */
async function outputSocket(host: RunningHost, how: { onSocket?: boolean; late?: boolean } = {}) {
  const auth = { authorization: `Bearer ${host.token}` };
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/terminal-output`, { headers: auth });
  let hello: (h: TerminalOutputHello) => void;
  const named = new Promise<TerminalOutputHello>((resolve) => (hello = resolve));
  const messages: TerminalOutputMessage[] = [];
  const frames: TerminalOutputFrame[] = [];
  const waiters = new Set<() => void>();
  const splitter = new FrameSplitter();
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const take = (piece: Buffer) => {
    for (const body of splitter.push(new Uint8Array(piece))) {
      if (frameKind(body) === MESSAGE) messages.push(JSON.parse(decoder.decode(new Uint8Array(body, 1))) as TerminalOutputMessage);
      else {
        const f = readOutputFrame(body)!;
        frames.push(f);
        messages.push({ key: f.key, event: { type: 'data', offset: f.offset, data: decoder.decode(f.bytes) } });
      }
    }
    for (const w of waiters) w();
  };
  let binaries = 0;
  ws.on('message', (d: Buffer, binary: boolean) => {
    if (!binary) return hello(JSON.parse(d.toString()) as TerminalOutputHello);
    binaries++;
    take(d);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const { stream } = await named;
  let response: http.IncomingMessage | null = null;
  let streamClosed: Promise<void> = Promise.resolve();
  const open = async () => {
    response = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get(`http://127.0.0.1:${host.port}${stream}`, { headers: auth }, resolve).on('error', reject),
    );
    response.on('data', take);
    const socket = response.socket;
    streamClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  };
  if (how.onSocket) ws.send(JSON.stringify({ type: 'socket' }));
  else if (!how.late) await open();
  const until = (what: string, test: (m: TerminalOutputMessage) => boolean, ms = 10_000) =>
    new Promise<TerminalOutputMessage>((resolve, reject) => {
      const check = () => {
        const hit = messages.find(test);
        if (!hit) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${what} within ${ms} ms; got ${JSON.stringify(messages).slice(0, 400)}`));
      }, ms);
      waiters.add(check);
      check();
    });
  const text = (key: number) => messages.map((m) => ('event' in m && m.key === key && m.event.type === 'data' ? m.event.data : '')).join('');
  return {
    ws,
    stream,
    get response() {
      return response!;
    },
    get streamClosed() {
      return streamClosed;
    },
    get binaries() {
      return binaries;
    },
    open,
    messages,
    frames,
    until,
    text,
    closed,
    send: (r: object) => ws.send(JSON.stringify(r)),
  };
}

/** The pid of the process holding the server's end of a loopback connection (Linux /proc). */
function serverSideOwner(serverPort: number, clientPort: number): number | null {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  const rows = fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1);
  const row = rows.map((r) => r.trim().split(/\s+/)).find((c) => c[1]?.endsWith(`:${hex(serverPort)}`) && c[2]?.endsWith(`:${hex(clientPort)}`));
  const inode = row?.[9];
  if (!inode) return null;
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let fds: string[] = [];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(path.join(`/proc/${pid}/fd`, fd)) === `socket:[${inode}]`) return Number(pid);
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return null;
}

describe('terminal output socket (headless host → native I/O process)', () => {
  let host: RunningHost;
  let client: TestClient;

  beforeAll(async () => {
    host = await startHostProcess(path.join(tempDir(), 'home'));
    ({ client } = await connectClient(host));
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('is refused as /api is: 401 without the token, 403 from a foreign Origin', async () => {
    expect(await upgradeStatus(host.port, {})).toBe(401);
    expect(await upgradeStatus(host.port, { authorization: 'Bearer wrong' })).toBe(401);
    expect(await upgradeStatus(host.port, { authorization: `Bearer ${host.token}`, origin: 'http://evil.example' })).toBe(403);
    expect(await upgradeStatus(host.port, { authorization: `Bearer ${host.token}` })).toBe(101);
    // The stream too; and only a stream a socket has named, once.
    const out = await outputSocket(host);
    try {
      expect(out.response.statusCode).toBe(200);
      expect(out.response.headers['content-type']).toBe('application/octet-stream');
      expect(await streamStatus(host.port, out.stream, {})).toBe(401);
      expect(await streamStatus(host.port, out.stream, { authorization: `Bearer ${host.token}`, origin: 'http://evil.example' })).toBe(403);
      expect(await streamStatus(host.port, out.stream, { authorization: `Bearer ${host.token}` })).toBe(404);
      expect(await streamStatus(host.port, '/terminal-output/stream?id=0123', { authorization: `Bearer ${host.token}` })).toBe(404);
      expect(await streamStatus(host.port, `${out.stream}x`, { authorization: `Bearer ${host.token}` })).toBe(404);
    } finally {
      out.ws.close();
    }
  });

  it('is served by the native I/O process: a session’s state, its replay, live output, and its end when closed', async () => {
    const session = await client.terminal.open({ kind: 'local', shell: '/bin/sh', cols: 80, rows: 24 });
    await client.terminal.write({ id: session.id, data: 'echo before-$((2*3))\r' });
    const out = await outputSocket(host);
    try {
      // Its server end belongs to the native process, not to the station.
      const health = await client.system.nativeHealth();
      expect(health.pid).not.toBeNull();
      expect(serverSideOwner(host.port, (out.ws as unknown as { _socket: { localPort: number } })._socket.localPort)).toBe(health.pid);
      expect(serverSideOwner(host.port, out.response.socket.localPort!)).toBe(health.pid);

      out.send({ type: 'attach', key: 1, id: session.id, from: 0 });
      const first = await out.until('the session', (m) => m.key === 1 && 'event' in m);
      expect('event' in first && first.event.type === 'session' && first.event.session.id).toBe(session.id);
      // What was output before the socket opened comes as the replay.
      await expect.poll(() => out.text(1), { timeout: 10_000 }).toMatch(/before-6/);
      await client.terminal.write({ id: session.id, data: 'echo live-$((6*7))\r' });
      await expect.poll(() => out.text(1), { timeout: 10_000 }).toMatch(/live-42/);
      // Each character once, in order: the offsets follow on.
      let end = 0;
      for (const m of out.messages)
        if ('event' in m && m.event.type === 'data') {
          expect(m.event.offset).toBe(end);
          end += m.event.data.length;
        }

      // A second stream of the same session from an offset: only what follows it.
      out.send({ type: 'attach', key: 2, id: session.id, from: end - 3 });
      await expect.poll(() => out.text(2)).toBe(out.text(1).slice(-3));
      out.send({ type: 'detach', key: 2 });

      // The shell's exit reaches the socket as the session's state; closing the session ends the stream.
      await client.terminal.write({ id: session.id, data: 'exit 3\r' });
      await out.until('the exit', (m) => 'event' in m && m.event.type === 'session' && m.event.session.state === 'exited' && m.event.session.exitCode === 3);
      await client.terminal.close({ id: session.id });
      await out.until('the end', (m) => m.key === 1 && 'end' in m);
      expect(out.messages.some((m) => m.key === 2 && 'end' in m)).toBe(false);
      expect(out.frames.every((f) => f.encoding === 'utf8' && f.chars === new TextDecoder().decode(f.bytes).length)).toBe(true);

      // The window's socket closed: its stream ends too.
      out.ws.close();
      await out.streamClosed;
    } finally {
      out.ws.close();
    }
  });

  it('keeps what a session gives before the window opens its stream, and sends it on the socket to a window that asks', async () => {
    const session = await client.terminal.open({ kind: 'local', shell: '/bin/sh', cols: 80, rows: 24 });
    await client.terminal.write({ id: session.id, data: 'echo early-$((3*3))\r' });
    // Attached before the stream is open: the events wait for it, in order.
    const late = await outputSocket(host, { late: true });
    late.send({ type: 'attach', key: 1, id: session.id, from: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(late.messages).toEqual([]);
    await late.open();
    await late.until('the session', (m) => m.key === 1 && 'event' in m && m.event.type === 'session');
    await expect.poll(() => late.text(1), { timeout: 10_000 }).toMatch(/early-9/);
    late.ws.close();

    // On the socket: the same frames, as binary messages; the stream it named is no longer to be had.
    const on = await outputSocket(host, { onSocket: true });
    on.send({ type: 'attach', key: 2, id: session.id, from: 0 });
    await client.terminal.write({ id: session.id, data: 'echo sock-$((4*4))\r' });
    await expect.poll(() => on.text(2), { timeout: 10_000 }).toMatch(/early-9[\s\S]*sock-16/);
    expect(on.binaries).toBeGreaterThan(1);
    expect(await streamStatus(host.port, on.stream, { authorization: `Bearer ${host.token}` })).toBe(404);
    on.ws.close();
    await client.terminal.close({ id: session.id });
  });

  it('refuses anything but a GET with a stream’s id', async () => {
    const auth = { authorization: `Bearer ${host.token}` };
    const head = await new Promise<number>((resolve, reject) =>
      http
        .request(`http://127.0.0.1:${host.port}/terminal-output/stream?id=${'0'.repeat(32)}`, { method: 'HEAD', headers: auth }, (res) =>
          resolve(res.statusCode ?? 0),
        )
        .on('error', reject)
        .end(),
    );
    expect(head).toBe(405);
    expect(await streamStatus(host.port, '/terminal-output/stream', auth)).toBe(404);
    expect(await streamStatus(host.port, '/terminal-output/stream?id=../../etc', auth)).toBe(404);
  });

  it('ends the socket when the window’s stream goes', async () => {
    const out = await outputSocket(host);
    out.response.destroy();
    expect((await out.closed).code).toBe(1005);
  });

  it('answers a session it does not know with the API’s error in both languages, and closes on a request that is not one', async () => {
    const out = await outputSocket(host);
    out.send({ type: 'attach', key: 7, id: 'trm_0123456789abcdef', from: 0 });
    const refused = await out.until('the refusal', (m) => m.key === 7 && 'error' in m);
    expect('error' in refused && refused.error.code).toBe('TERMINAL_NOT_FOUND');
    expect('error' in refused && refused.error.message.en).toMatch(/There is no terminal session trm_0123456789abcdef/);
    expect('error' in refused && refused.error.message.zh).toMatch(/没有终端会话/);
    out.send({ type: 'attach', key: 8, id: 'not-a-session', from: 0 });
    expect(await out.closed).toEqual({ code: 1008, reason: 'not a terminal output request' });
  });

  it('stops with a window’s output socket open: the socket is closed, not waited for', async () => {
    const other = await startHostProcess(path.join(tempDir(), 'home'));
    const { client: c, ws: api } = await connectClient(other);
    const session = await c.terminal.open({ kind: 'local', shell: '/bin/sh', cols: 80, rows: 24 });
    const out = await outputSocket(other);
    out.send({ type: 'attach', key: 1, id: session.id, from: 0 });
    await out.until('the session', (m) => m.key === 1 && 'event' in m);
    api.close();
    // Node's server waits for the sockets it handed to another process until that process says they are closed.
    const started = Date.now();
    const code = await Promise.race([other.stop(), new Promise<string>((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
    expect({ code, stderr: other.stderr() }).toEqual({ code: 0, stderr: '' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await out.closed).code).toBe(1006);
    await out.streamClosed;
  });

  it('stops after the native process that took a window’s sockets crashed and was started again', async () => {
    const other = await startHostProcess(path.join(tempDir(), 'home'));
    try {
      await crashThenStop(other);
    } finally {
      // Not left running if it does not stop.
      if (other.child.exitCode === null && other.child.signalCode === null) other.child.kill('SIGKILL');
    }
  }, 60_000);
});

async function crashThenStop(other: RunningHost): Promise<void> {
  // A window’s sockets handed to the native process, which is then killed as a crash would; the host then stops.
  const { client: c, ws: api } = await connectClient(other);
  const session = await c.terminal.open({ kind: 'local', shell: '/bin/sh', cols: 80, rows: 24 });
  const out = await outputSocket(other);
  out.send({ type: 'attach', key: 1, id: session.id, from: 0 });
  await out.until('the session', (m) => m.key === 1 && 'event' in m);
  const { pid } = await c.system.nativeHealth();
  process.kill(pid!, 'SIGKILL');
  // Its connections went with it; the station starts another, which is handed no socket.
  expect((await out.closed).code).toBe(1006);
  await expect.poll(async () => (await c.system.nativeHealth()).pid, { timeout: 15_000 }).toSatisfy((p: number | null) => p !== null && p !== pid);
  api.close();
  // Node's server, once it has handed a socket to a process, asks its processes at close; with none left it waited
  // for ever (seen: the host never stopped after a native crash).
  const started = Date.now();
  const code = await Promise.race([other.stop(), new Promise<string>((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
  expect({ code, stderr: other.stderr() }).toEqual({ code: 0, stderr: '' });
  expect(Date.now() - started).toBeLessThan(10_000);
}
