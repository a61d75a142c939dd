export const AREAS = ['catalog', 'bundles', 'station', 'activation', 'clusters', 'terminal', 'jobs', 'settings'] as const;
export type Area = (typeof AREAS)[number];

export function areaFromHash(hash: string): Area {
  const name = hash.replace(/^#\/?/, '');
  return (AREAS as readonly string[]).includes(name) ? (name as Area) : 'jobs';
}
