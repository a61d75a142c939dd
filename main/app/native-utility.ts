/**
 * The desktop app's native I/O process: an Electron utility process (the
 * VS Code pty-host model), reached through a transferred MessagePortMain.
 */
import { MessageChannelMain, utilityProcess } from 'electron';
import type { ChannelFactory } from '../native';

export function utilityProcessChannel(entry: string): ChannelFactory {
  return () => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'EdgeForge native I/O', stdio: 'inherit' });
    const { port1, port2 } = new MessageChannelMain();
    child.postMessage({ type: 'connect' }, [port2]);
    port1.start();
    return {
      get pid() {
        return child.pid ?? null;
      },
      send: (m, onFailed) => {
        try {
          port1.postMessage(m);
        } catch (e) {
          onFailed(e as Error);
        }
      },
      onMessage: (l) => port1.on('message', (e) => l(e.data)),
      onExit: (l) => child.on('exit', (code) => l(code)),
      kill: () => {
        child.kill();
      },
    };
  };
}
