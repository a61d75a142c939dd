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

/**
 * The API error's field-level messages as antd Form field data
 * ({ name: path, errors }), keeping only paths under `within` (the form's
 * fields) and dropping `prefix` (e.g. 'spec' when the form edits input.spec).
 */
export function formFieldErrors(error: unknown, lang: Lang, within: readonly string[], prefix?: string): { name: (string | number)[]; errors: string[] }[] {
  const d = apiErrorData(error);
  if (!d) return [];
  const issues = d.fields?.length ? d.fields : d.field ? [{ path: d.field, message: d.message }] : [];
  return issues
    .map((f) => ({ name: prefix && f.path[0] === prefix ? f.path.slice(1) : f.path, errors: [f.message[lang]] }))
    .filter((f) => f.name.length > 0 && within.includes(String(f.name[0])));
}
