/**
 * A session's attach stream (terminal.attach from offset 0): its state
 * first, then its output replayed from the station's buffer (so a reloaded
 * window or a tab opened again shows the screen it had), then live output
 * and state changes, until the view unmounts. Read by the output worker
 * (output.ts) off the page's thread where it can be, else on the page.
 */
import { useEffect, useRef } from 'react';
import type { TerminalEvent, TerminalSession } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { attachOutput } from './output';

export interface AttachHandlers {
  session(session: TerminalSession): void;
  /** Output from `offset`, each character exactly once and in order. */
  data(offset: number, data: string): void;
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
      } else {
        const stop = e.offset + e.data.length;
        if (stop <= end) return;
        ref.current.data(Math.max(e.offset, end), e.offset >= end ? e.data : e.data.slice(end - e.offset));
        end = stop;
      }
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
      error: (e) => {
        if (!controller.signal.aborted) ref.current.gone(e);
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
