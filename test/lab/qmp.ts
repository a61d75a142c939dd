/**
 * A minimal QMP client (QEMU Machine Protocol, docs/interop/qmp-spec):
 * JSON objects over a Unix socket; a greeting, qmp_capabilities, then one
 * {"execute"} at a time answered by {"return"} or {"error"}, with
 * asynchronous {"event"} objects in between.
 */
import net from 'node:net';

export class Qmp {
  private buffer = '';
  private waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line) this.onMessage(JSON.parse(line) as Record<string, unknown>);
      }
    });
    socket.on('close', () => {
      for (const w of this.waiting.splice(0)) w.reject(new Error('QMP socket closed'));
    });
  }

  private onMessage(m: Record<string, unknown>) {
    if ('QMP' in m) return;
    if ('event' in m) return; // asynchronous events: none is needed yet
    const w = this.waiting.shift();
    if (!w) return;
    if ('error' in m) w.reject(new Error(`QMP error: ${JSON.stringify(m.error)}`));
    else w.resolve(m.return);
  }

  static async connect(path: string, timeoutMs = 10_000): Promise<Qmp> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(path, () => resolve(s));
          s.once('error', reject);
        });
        const qmp = new Qmp(socket);
        await qmp.execute('qmp_capabilities');
        return qmp;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
