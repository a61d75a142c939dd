/**
 * Keeps the Terminal area's session list live from terminal.events: a
 * session opened elsewhere (another window, the cluster console's Shell)
 * gets its tab, one closed elsewhere loses it, each state change lands in
 * the list's cache. No polling, no refetch per event.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { TerminalSession } from '../../../main/api/contract';
import { useApi } from '../api/context';

/** How long after a dropped stream the feed subscribes again. */
const RECONNECT_MS = 2_000;

export function useTerminalFeed(): void {
  const { client, orpc } = useApi();
  const queryClient = useQueryClient();
  useEffect(() => {
    const controller = new AbortController();
    const listKey = orpc.terminal.sessions.queryKey();
    let retry: ReturnType<typeof setTimeout> | null = null;
    const subscribe = async () => {
      try {
        const stream = await client.terminal.events(undefined, { signal: controller.signal });
        // What changed before the stream was open is read afresh, once.
        void queryClient.invalidateQueries({ queryKey: listKey });
        for await (const e of stream) {
          if (e.type === 'session')
            queryClient.setQueryData<TerminalSession[]>(listKey, (old) =>
              old ? (old.some((s) => s.id === e.session.id) ? old.map((s) => (s.id === e.session.id ? e.session : s)) : [...old, e.session]) : old,
            );
          else queryClient.setQueryData<TerminalSession[]>(listKey, (old) => old?.filter((s) => s.id !== e.id));
        }
      } catch {
        // Subscribes again below; the shell reports a lost connection on its own.
      }
      if (!controller.signal.aborted) retry = setTimeout(() => void subscribe(), RECONNECT_MS);
    };
    void subscribe();
    return () => {
      controller.abort();
      if (retry !== null) clearTimeout(retry);
    };
  }, [client, orpc, queryClient]);
}
