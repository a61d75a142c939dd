/**
 * Keeps the station's caches live: one subscription to flash.events for the
 * Station area, folded into the TanStack Query cache that the runs list and
 * the grid read. No polling.
 *
 * Fifty boxes uploading send many events a second; they are gathered and
 * written once per animation frame (the newest event of each box and run
 * wins), so the grid re-renders at most once a frame and only the cards
 * whose box changed. A change of state or step is shown on the next frame;
 * an update that only moves a box's bytes, rate or note is shown at most
 * once a second per box, which is as often as a person reads a rate, and
 * reaches only that box's card (station/progress.ts), not the cache.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { FlashBox, FlashRun } from '../../../main/api/contract';
import { frameBatcher } from '../api/coalesce';
import { useApi } from '../api/context';
import { recount } from './model';
import { boxProgress, boxShape as shape } from './progress';

type RunDetail = { run: FlashRun; boxes: FlashBox[] };

const RECONNECT_MS = 2_000;
const LIST_REFRESH_MS = 2_000;
/** How often an update that only moves progress (bytes, rate, note) reaches the grid. */
export const PROGRESS_MS = 1_000;

/** Subscribes while mounted; returns whether updates are flowing. */
export function useFlashFeed(): boolean {
  const { client, orpc } = useApi();
  const queryClient = useQueryClient();
  const [live, setLive] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    const boxes = new Map<string, FlashBox>();
    const runs = new Map<string, FlashRun>();
    /** Progress-only updates, held until their box's next PROGRESS_MS tick. */
    const progress = new Map<string, FlashBox>();
    /** The shape of each box as last received, and when its progress was last shown. */
    const shapes = new Map<string, string>();
    const shownAt = new Map<string, number>();
    let retry: ReturnType<typeof setTimeout> | null = null;
    let progressTimer: ReturnType<typeof setTimeout> | null = null;
    let listReadAt = 0;

    const flush = () => {
      const now = Date.now();
      for (const box of boxes.keys()) progress.delete(box);
      // Progress due to be shown goes to the box's card alone, not through the cache (station/progress.ts).
      for (const [id, box] of progress)
        if (now - (shownAt.get(id) ?? 0) >= PROGRESS_MS) {
          boxProgress.set(box);
          shownAt.set(id, now);
          progress.delete(id);
        }
      for (const [id, box] of boxes) {
        shownAt.set(id, now);
        boxProgress.set(box);
      }
      if (progress.size > 0) later();
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
    const batch = frameBatcher(flush);
    /** Looks at the held progress again a little later. */
    const later = () => {
      progressTimer ??= setTimeout(() => {
        progressTimer = null;
        batch.schedule();
      }, PROGRESS_MS / 4);
    };
    const onBox = (box: FlashBox) => {
      const next = shape(box);
      const held = boxes.has(box.id);
      if (held || shapes.get(box.id) !== next) {
        boxes.set(box.id, box);
        batch.schedule();
      } else {
        progress.set(box.id, box);
        if (Date.now() - (shownAt.get(box.id) ?? 0) >= PROGRESS_MS) batch.schedule();
        else later();
      }
      shapes.set(box.id, next);
    };

    const subscribe = async () => {
      try {
        const stream = await client.flash.events(undefined, { signal: controller.signal });
        setLive(true);
        // Anything that changed before the stream was open is read afresh.
        void queryClient.invalidateQueries({ queryKey: orpc.flash.key() });
        for await (const event of stream) {
          if (event.type === 'box') onBox(event.box);
          else {
            runs.set(event.run.id, event.run);
            batch.schedule();
          }
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
      batch.cancel();
      if (retry !== null) clearTimeout(retry);
      if (progressTimer !== null) clearTimeout(progressTimer);
    };
  }, [client, orpc, queryClient]);

  return live;
}
