import type { SpecChange } from '../api/contract';

/** Every leaf that differs between two specs, by JSON path (arrays by index). */
export function diffSpecs(before: unknown, after: unknown, at = ''): SpecChange[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const isObj = (v: unknown) => typeof v === 'object' && v !== null;
  if (isObj(before) && isObj(after) && Array.isArray(before) === Array.isArray(after)) {
    const keys = new Set([...Object.keys(before as object), ...Object.keys(after as object)]);
    return [...keys].flatMap((k) =>
      diffSpecs((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k], Array.isArray(before) ? `${at}[${k}]` : at ? `${at}.${k}` : k),
    );
  }
  return [{ path: at || '(root)', before: before ?? null, after: after ?? null }];
}
