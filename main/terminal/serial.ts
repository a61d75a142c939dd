/**
 * A serial console, in the native process: the port opened with the
 * model's line settings (the flashing station's SerialLine), output carried
 * one character per byte (the renderer decodes UTF-8 and draws the hex
 * view), and a re-plugged USB-serial adapter reconnected by polling its
 * device path (DESIGN §3b "Serial").
 */
import { SerialLine, type SerialLineSettings } from '../provision/serial/line';
import type { AppError } from '../api/errors';
import type { TerminalSink, TerminalTransport } from './transport';

const REPLUG_POLL_MS = 500;

export async function openSerial(spec: { path: string; settings: SerialLineSettings }, sink: TerminalSink): Promise<TerminalTransport> {
  const line = new SerialLine(spec.path, spec.settings);
  const attach = async () => {
    await line.open();
    line.setTap((chunk) => sink.data(chunk.toString('latin1')));
  };
  await attach();
  let closed = false;
  let poll: ReturnType<typeof setTimeout> | null = null;
  line.on('disconnect', (e: AppError) => {
    if (closed) return;
    sink.reconnecting({
      en: `${e.text.en} Waiting for ${spec.path} to come back…`,
      zh: `${e.text.zh} 正在等待 ${spec.path} 重新出现…`,
    });
    const retry = () => {
      poll = null;
      if (closed) return;
      attach().then(
        () => sink.opened(),
        () => (poll = setTimeout(retry, REPLUG_POLL_MS)),
      );
    };
    poll = setTimeout(retry, REPLUG_POLL_MS);
  });
  sink.opened();
  return {
    title: spec.path.replace(/^\/dev\//, ''),
    target: `${spec.path} ${spec.settings.baud} ${spec.settings.dataBits}${spec.settings.parity[0]!.toUpperCase()}${spec.settings.stopBits}`,
    // Input is text typed or pasted: its UTF-8 bytes go on the line.
    write: (data) => void line.write(Buffer.from(data, 'utf8')).catch(() => undefined),
    // A serial line has no window size.
    resize: () => undefined,
    // A UART's output cannot be held back without losing it; a serial line is far slower than the screen anyway.
    pause: () => undefined,
    resume: () => undefined,
    close: async () => {
      closed = true;
      if (poll) clearTimeout(poll);
      await line.close();
      sink.ended({ en: `${spec.path} was closed and is free.`, zh: `${spec.path} 已关闭并释放。` }, null);
    },
  };
}
