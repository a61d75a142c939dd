/**
 * A session's attach stream (terminal.attach from offset 0): its state
 * first, then its output replayed from the station's buffer (so a reloaded
 * window or a tab opened again shows the screen it had), then live output
 * and state changes, until the view unmounts.
 */
import { useEffect, useRef } from 'react';
import type { TerminalSession } from '../../../main/api/contract';
import { useApi } from '../api/context';

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
    void (async () => {
      try {
        const stream = await client.terminal.attach({ id, from: 0 }, { signal: controller.signal });
        for await (const e of stream) {
          // An event already on its way when the view went away must not reach the next view's screen.
          if (controller.signal.aborted) break;
          if (e.type === 'session') ref.current.session(e.session);
          else if (e.type === 'gap') {
            ref.current.gap(e.from, e.to);
            end = Math.max(end, e.to);
          } else {
            const stop = e.offset + e.data.length;
            if (stop <= end) continue;
            ref.current.data(Math.max(e.offset, end), e.offset >= end ? e.data : e.data.slice(end - e.offset));
            end = stop;
          }
        }
      } catch (e) {
        if (!controller.signal.aborted) ref.current.gone(e);
      }
    })();
    return () => controller.abort();
  }, [client, id]);
}
