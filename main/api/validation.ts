/**
 * Turns schema issues into field-level errors in both UI languages.
 *
 * zod 4 ships message catalogs per locale; each issue is rendered once with
 * the English and once with the Simplified Chinese catalog. A schema that
 * needs a domain message passes it as `params: { en, zh }` on a refinement.
 */
import * as z from 'zod';
import { AppError, ErrorCodes, type FieldIssue, type LocalizedText } from './errors';

const en = z.locales.en().localeError;
const zh = z.locales.zhCN().localeError;

type IssueLike = { code?: string; message?: string; path?: readonly unknown[]; params?: unknown };

function render(catalog: typeof en, issue: IssueLike): string {
  const out = catalog(issue as Parameters<typeof en>[0]);
  if (typeof out === 'string') return out;
  if (out && typeof out === 'object' && 'message' in out) return String(out.message);
  return issue.message ?? '';
}

function isLocalized(p: unknown): p is LocalizedText {
  return typeof p === 'object' && p !== null && typeof (p as LocalizedText).en === 'string' && typeof (p as LocalizedText).zh === 'string';
}

export function toFieldIssues(issues: readonly IssueLike[]): FieldIssue[] {
  return issues.map((issue) => {
    const path = (issue.path ?? []).map((p) =>
      typeof p === 'object' && p !== null && 'key' in p ? String((p as { key: unknown }).key) : (p as string | number),
    );
    const message = isLocalized(issue.params) ? issue.params : { en: render(en, issue), zh: render(zh, issue) };
    return { path, issue: issue.code ?? 'custom', message };
  });
}

export function inputInvalid(issues: readonly IssueLike[]): AppError {
  const fields = toFieldIssues(issues);
  const first = fields[0];
  const where = first && first.path.length > 0 ? first.path.join('.') : '';
  return new AppError(
    ErrorCodes.INPUT_INVALID,
    {
      en: `Invalid input${where ? ` at "${where}"` : ''}: ${first?.message.en ?? 'unknown problem'}`,
      zh: `输入无效${where ? `（字段“${where}”）` : ''}：${first?.message.zh ?? '未知问题'}`,
    },
    { fields, ...(first && first.path.length > 0 ? { field: first.path } : {}) },
  );
}
