import type { Cluster } from '../../../../main/api/contract';

/** Warn this long before a client certificate expires (k3s issues them for a year). */
const WARN_DAYS = 30;
const DAY_MS = 86_400_000;

type Expiry = { state: 'ok' | 'soon' | 'expired'; days: number } | null;

/** How a cluster's credential stands: days left (or since it expired); null when it does not expire or nobody knows. */
export function expiryOf(credential: Cluster['credential'], now = Date.now()): Expiry {
  const at = credential?.expiresAt ? Date.parse(credential.expiresAt) : NaN;
  if (Number.isNaN(at)) return null;
  const days = Math.floor(Math.abs(at - now) / DAY_MS);
  if (at <= now) return { state: 'expired', days };
  return { state: at - now < WARN_DAYS * DAY_MS ? 'soon' : 'ok', days };
}
