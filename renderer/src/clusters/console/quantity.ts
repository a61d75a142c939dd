/**
 * Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity):
 * a number with a decimal (k, M, G, T, P, E; m for thousandths) or binary
 * (Ki, Mi, Gi, Ti, Pi, Ei) suffix, or an exponent (1e3).
 */
const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The quantity's value (cores for CPU, bytes for memory), or null when it is absent or malformed. */
export function parseQuantity(q: unknown): number | null {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return null;
  const m = /^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim());
  if (!m) return null;
  return Number(m[1]) * SUFFIX[m[2] ?? '']!;
}

/** Cores as a person reads them: 4, 0.5, 0.25. */
export function formatCores(cores: number): string {
  return cores >= 10 ? String(Math.round(cores)) : String(Math.round(cores * 100) / 100);
}

/** CPU as Kubernetes writes it (kubectl top, resources.requests): millicores under a core ("250m", "<1m"), cores from one ("1.5"). */
export function formatMillicores(millicores: number): string {
  if (millicores > 0 && millicores < 0.5) return '<1m';
  return Math.round(millicores) >= 1000 ? formatCores(millicores / 1000) : `${Math.round(millicores)}m`;
}
