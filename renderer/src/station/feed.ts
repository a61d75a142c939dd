/**
 * Keeps the station's caches live: one subscription to flash.events for the
 * Station area, folded into the TanStack Query cache that the runs list and
 * the grid read. No polling.
 *
 * Fifty boxes uploading send many events a second; they are gathered and
 * written once per animation frame (the newest event of each box and run
 * wins), so the grid re-renders at most once a frame and only the cards
 * whose box changed.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { FlashBox, FlashRun } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { recount } from './model';

type RunDetail = { run: FlashRun; boxes: FlashBox[] };

const RECONNECT_MS = 2_000;
const LIST_REFRESH_MS = 2_000;

/** Subscribes while mounted; returns whether updates are flowing. */
export function useFlashFeed(): boolean {
  const { client, orpc } = useApi();
  const queryClient = useQueryClient();
  const [live, setLive] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    const boxes = new Map<string, FlashBox>();
    const runs = new Map<string, FlashRun>();
    let frame: number | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let listReadAt = 0;

    const flush = () => {
      frame = null;
      const runList = orpc.flash.runs.queryKey();
      if (runs.size > 0) {
        const changed = [...runs.values()];
        runs.clear();
        queryClient.setQueryData<FlashRun[]>(runList, (old) => {
          if (!old) return old;
          const next = old.slice();
          for (const run of changed) {
            const i = next.findIndex((r) => r.id === run.id);
            if (i === -1) next.unshift(run);
            else next[i] = run;
          }
          return next;
        });
        for (const run of changed)
          queryClient.setQueryData<RunDetail>(orpc.flash.run.queryKey({ input: { id: run.id } }), (old) =>
            old ? { ...old, run: recount(run, old.boxes) } : old,
          );
      }
      if (boxes.size > 0) {
        const byRun = new Map<string, FlashBox[]>();
        for (const box of boxes.values()) byRun.set(box.runId, [...(byRun.get(box.runId) ?? []), box]);
        boxes.clear();
        let listStale = false;
        for (const [runId, changed] of byRun) {
          const out: { run?: FlashRun } = {};
          queryClient.setQueryData<RunDetail>(orpc.flash.run.queryKey({ input: { id: runId } }), (old) => {
            if (!old) return old;
            const list = old.boxes.slice();
            let added = false;
            for (const box of changed) {
              const i = list.findIndex((b) => b.id === box.id);
              if (i === -1) {
                list.push(box);
                added = true;
              } else list[i] = box;
            }
            if (added) list.sort((a, b) => a.position - b.position);
            out.run = recount(old.run, list);
            return { run: out.run, boxes: list };
          });
          const run = out.run;
          if (run) queryClient.setQueryData<FlashRun[]>(runList, (old) => old?.map((r) => (r.id === runId ? run : r)));
          else listStale = true;
        }
        // A run whose boxes are not in the cache: its row in the list is read again, at most every few seconds.
        if (listStale && Date.now() - listReadAt > LIST_REFRESH_MS) {
          listReadAt = Date.now();
          void queryClient.invalidateQueries({ queryKey: runList });
        }
      }
    };
    const schedule = () => {
      frame ??= requestAnimationFrame(flush);
    };

    const subscribe = async () => {
      try {
        const stream = await client.flash.events(undefined, { signal: controller.signal });
        setLive(true);
        // Anything that changed before the stream was open is read afresh.
        void queryClient.invalidateQueries({ queryKey: orpc.flash.key() });
        for await (const event of stream) {
          if (event.type === 'box') boxes.set(event.box.id, event.box);
          else runs.set(event.run.id, event.run);
          schedule();
        }
      } catch {
        // Reconnects below; the shell reports a lost connection on its own.
      }
      if (controller.signal.aborted) return;
      setLive(false);
      retry = setTimeout(() => void subscribe(), RECONNECT_MS);
    };
    void subscribe();

    return () => {
      controller.abort();
      if (frame !== null) cancelAnimationFrame(frame);
      if (retry !== null) clearTimeout(retry);
    };
  }, [client, orpc, queryClient]);

  return live;
}
