/**
 * A TCP relay to a loopback server that can be cut (a pulled cable) and
 * restored on the same port: the cluster watch and console tests take the
 * Kubernetes API stand-in offline and back with it.
 */
import net from 'node:net';

export async function tcpRelay(target: URL) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const listen = async () => {
    server = net.createServer((c) => {
      const up = net.connect(Number(target.port), target.hostname);
      sockets.add(c).add(up);
      c.pipe(up).pipe(c);
      const gone = () => {
        c.destroy();
        up.destroy();
      };
      c.on('error', gone).on('close', gone);
      up.on('error', gone).on('close', gone);
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    port = (server!.address() as net.AddressInfo).port;
  };
  await listen();
  return {
    url: () => `https://127.0.0.1:${port}`,
    cut: async () => {
      const closed = new Promise<void>((r) => server!.close(() => r()));
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closed;
    },
    restore: listen,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (server?.listening ? server.close(() => r()) : r()));
    },
  };
}
