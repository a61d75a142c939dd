import { ORPCError } from '@orpc/client';
import type { ApiErrorData } from '../../../main/api/errors';
import type { Lang } from '../i18n';

/** The API's structured error, if that is what was thrown. */
export function apiErrorData(error: unknown): ApiErrorData | null {
  if (error instanceof ORPCError) {
    const d = error.data as ApiErrorData | undefined;
    if (d && typeof d === 'object' && typeof d.code === 'string' && d.message) return d;
  }
  return null;
}

export function errorText(error: unknown, lang: Lang, fallback: string): string {
  const d = apiErrorData(error);
  return d ? d.message[lang] : fallback;
}

/** Field-level messages for a form, keyed by the field path joined with '.'. */
export function fieldErrors(error: unknown, lang: Lang): Record<string, string> {
  const d = apiErrorData(error);
  const out: Record<string, string> = {};
  if (!d) return out;
  const fields = (d as ApiErrorData & { fields?: { path: (string | number)[]; message: { en: string; zh: string } }[] }).fields;
  for (const f of fields ?? []) out[f.path.join('.')] = f.message[lang];
  if (d.field && !out[d.field.join('.')]) out[d.field.join('.')] = d.message[lang];
  return out;
}
