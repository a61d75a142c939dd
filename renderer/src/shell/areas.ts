export const AREAS = ['catalog', 'bundles', 'station', 'activation', 'clusters', 'terminal', 'jobs', 'settings'] as const;
export type Area = (typeof AREAS)[number];

/** The hash's segments: "#/activation/batches/bat_…" → ["activation", "batches", "bat_…"]. */
export function hashPath(hash: string): string[] {
  return hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
}

export function areaFromHash(hash: string): Area {
  const name = hashPath(hash)[0] ?? '';
  return (AREAS as readonly string[]).includes(name) ? (name as Area) : 'jobs';
}

/** Goes to an area, or to a place inside it ("#/activation/batches/bat_…"). */
export function goTo(area: Area, ...rest: string[]): void {
  window.location.hash = `#/${[area, ...rest].map(encodeURIComponent).join('/')}`;
}
