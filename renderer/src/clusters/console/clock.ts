/**
 * One ticking clock for every age on screen (table cells, "last synced 3 min
 * ago"): a single interval while anything reads it, and a reader renders
 * again only when its own granularity rolls over.
 */
import { useCallback, useSyncExternalStore } from 'react';
import { formatDuration } from '../../i18n/format';
import type { Lang } from '../../i18n';
import i18next from 'i18next';

const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  timer ??= setInterval(() => listeners.forEach((l) => l()), 1000);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/** Now, in steps of `stepMs`. */
export function useNow(stepMs = 1000): number {
  const snapshot = useCallback(() => Math.floor(Date.now() / stepMs) * stepMs, [stepMs]);
  return useSyncExternalStore(subscribe, snapshot);
}

export function secondsSince(iso: string | null | undefined, now: number): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.max(0, (now - t) / 1000);
}

/** An object's age as a column shows it: a duration under a day, whole days and hours beyond. */
export function formatAge(seconds: number, lang: Lang): string {
  if (seconds < 86_400) return formatDuration(seconds, lang);
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  return i18next.t('clusters.age.days', { days, hours, lng: lang === 'zh' ? 'zh-CN' : 'en' });
}
