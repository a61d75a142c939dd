/** A lab box's serial line seen from the host: its pty opened with serialport, and waiting for text on it. */
import { SerialPort } from 'serialport';

export function expectOn(port: SerialPort, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      port.off('data', onData);
      reject(new Error(`serial: ${pattern} not seen within ${timeoutMs} ms; got ${JSON.stringify(seen.slice(-300))}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      seen += d.toString('latin1');
      if (pattern.test(seen)) {
        clearTimeout(timer);
        port.off('data', onData);
        resolve(seen);
      }
    };
    port.on('data', onData);
  });
}

export function openPort(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}

export function closePort(port: SerialPort): Promise<void> {
  return new Promise<void>((r) => port.close(() => r()));
}
