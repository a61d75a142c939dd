import { useSyncExternalStore } from 'react';
import { hashPath } from './areas';

function subscribe(cb: () => void) {
  window.addEventListener('hashchange', cb);
  return () => window.removeEventListener('hashchange', cb);
}

/** The current hash, kept in step with the address bar (back/forward, links, goTo). */
export function useHash(): string {
  return useSyncExternalStore(subscribe, () => window.location.hash);
}

/** The hash's segments below the area: for "#/activation/batches/bat_…", ["batches", "bat_…"]. */
export function useAreaPath(): string[] {
  return hashPath(useHash()).slice(1);
}
