/**
 * A box's progress (bytes, rate, ETA, the running step's note) changes many
 * times a second while nothing else about it does. Those updates go here,
 * not into the query cache: only the card (or drawer) showing that box
 * renders again, not the run view and its fifty cards. A change of state or
 * step still goes through the cache (station/feed.ts).
 */
import { useCallback, useSyncExternalStore } from 'react';
import type { FlashBox } from '../../../main/api/contract';

/** What counts as a change of state: anything but progress. */
export function boxShape(box: FlashBox): string {
  return [
    box.state,
    box.step,
    box.seat,
    box.serial,
    box.nodeName,
    box.hostKey?.fingerprint,
    box.error?.code,
    ...box.steps.map((s) => `${s.state}${s.attempts}`),
  ].join('|');
}

class BoxProgress {
  private readonly latest = new Map<string, FlashBox>();
  private readonly listeners = new Map<string, Set<() => void>>();

  set(box: FlashBox): void {
    this.latest.set(box.id, box);
    for (const l of this.listeners.get(box.id) ?? []) l();
  }

  get(id: string): FlashBox | undefined {
    return this.latest.get(id);
  }

  subscribe(id: string, listener: () => void): () => void {
    const set = this.listeners.get(id) ?? new Set();
    set.add(listener);
    this.listeners.set(id, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(id);
    };
  }
}

export const boxProgress = new BoxProgress();

/** The box with its newest progress, as long as that progress belongs to the box's current state and step. */
export function useLiveBox(box: FlashBox): FlashBox {
  const subscribe = useCallback((l: () => void) => boxProgress.subscribe(box.id, l), [box.id]);
  const live = useSyncExternalStore(subscribe, () => boxProgress.get(box.id));
  return live && live !== box && boxShape(live) === boxShape(box) ? live : box;
}
