/**
 * A session's attach stream (terminal.attach from offset 0): its state
 * first, then its output replayed from the station's buffer (so a reloaded
 * window or a tab opened again shows the screen it had), then live output
 * and state changes, until the view unmounts. Read by the output worker
 * (output.ts) off the page's thread where it can be, else on the page.
 */
import { useEffect, useRef } from 'react';
import type { TerminalEvent, TerminalOutputFrame, TerminalSession } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { apiErrorData } from '../api/errors';
import { attachOutput } from './output';

export interface AttachHandlers {
  session(session: TerminalSession): void;
  /**
   * Output from `offset` to `end` (characters), each character exactly once and in order: as text (a `bytes`
   * session's text has one character per byte), or as the bytes the screen is given (the output stream's frames).
   */
  data(offset: number, end: number, output: string | Uint8Array): void;
  /** Output older than the station's replay buffer was dropped (characters from..to). */
  gap(from: number, to: number): void;
  /** The stream failed (the session was closed elsewhere, the station restarted). */
  gone(error: unknown): void;
}

export function useAttach(id: string, handlers: AttachHandlers): void {
  const { client } = useApi();
  const ref = useRef(handlers);
  useEffect(() => {
    ref.current = handlers;
  });
  useEffect(() => {
    const controller = new AbortController();
    let end = 0;
    const deliver = (e: TerminalEvent) => {
      if (e.type === 'session') ref.current.session(e.session);
      else if (e.type === 'gap') {
        ref.current.gap(e.from, e.to);
        end = Math.max(end, e.to);
      } else text(e.offset, e.data);
    };
    const text = (offset: number, data: string) => {
      const stop = offset + data.length;
      if (stop <= end) return;
      ref.current.data(Math.max(offset, end), stop, offset >= end ? data : data.slice(end - offset));
      end = stop;
    };
    const frame = (f: TerminalOutputFrame): void => {
      const stop = f.offset + f.chars;
      if (stop <= end) return;
      // Output this view already has: cut by characters (never expected: a stream starts where the last one stopped).
      if (f.offset < end)
        return f.encoding === 'bytes'
          ? frame({ ...f, offset: end, chars: stop - end, bytes: f.bytes.subarray(end - f.offset) })
          : text(f.offset, new TextDecoder('utf-8', { ignoreBOM: true }).decode(f.bytes));
      ref.current.data(f.offset, stop, f.bytes);
      end = stop;
    };
    // On the page's thread: where the output worker cannot be used, or on from where it stopped.
    const onPage = async (from: number) => {
      try {
        const stream = await client.terminal.attach({ id, from }, { signal: controller.signal });
        for await (const e of stream) {
          // An event already on its way when the view went away must not reach the next view's screen.
          if (controller.signal.aborted) break;
          deliver(e);
        }
      } catch (e) {
        if (!controller.signal.aborted) ref.current.gone(e);
      }
    };
    const detach = attachOutput(id, 0, {
      event: (e) => {
        if (!controller.signal.aborted) deliver(e);
      },
      frame: (f) => {
        if (!controller.signal.aborted) frame(f);
      },
      error: (e) => {
        if (controller.signal.aborted) return;
        // The native process does not know the session (it was started again after a crash): the station may still
        // have it, ended, with the reason to show; else its attach fails the same way.
        if (apiErrorData(e)?.code === 'TERMINAL_NOT_FOUND') void onPage(end);
        else ref.current.gone(e);
      },
      unavailable: () => {
        if (!controller.signal.aborted) void onPage(end);
      },
    });
    if (!detach) void onPage(0);
    return () => {
      controller.abort();
      detach?.();
    };
  }, [client, id]);
}
