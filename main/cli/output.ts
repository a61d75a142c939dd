/**
 * How the CLI speaks: human text by default (in the OS language), one JSON
 * document with --json, and the documented exit codes (docs/cli.md).
 */
import { AppError, type ApiErrorData, type LocalizedText } from '../api/errors';
import { HOME_LOCKED } from '../home';
import { StoreErrors } from '../store';

export const ExitCode = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  HOME_LOCKED: 3,
  DATABASE: 4,
  NOT_FOUND: 5,
  INTERRUPTED: 130,
} as const;

export function cliLanguage(env: NodeJS.ProcessEnv = process.env): 'en' | 'zh' {
  const pick = env.EDGEFORGE_LANG ?? env.LC_ALL ?? env.LC_MESSAGES ?? env.LANG ?? Intl.DateTimeFormat().resolvedOptions().locale;
  return pick.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function say(text: LocalizedText): string {
  return text[cliLanguage()];
}

export function exitCodeFor(error: ApiErrorData): number {
  if (error.code === HOME_LOCKED) return ExitCode.HOME_LOCKED;
  if (Object.values(StoreErrors).includes(error.code as never)) return ExitCode.DATABASE;
  if (error.code.endsWith('_INVALID') || error.code.endsWith('NOT_ABSOLUTE')) return ExitCode.USAGE;
  if (error.code.endsWith('NOT_FOUND')) return ExitCode.NOT_FOUND;
  return ExitCode.FAILED;
}

export function errorData(e: unknown): ApiErrorData {
  if (e instanceof AppError) return e.toData();
  return { code: 'INTERNAL', message: { en: (e as Error)?.message ?? String(e), zh: (e as Error)?.message ?? String(e) } };
}

/** Prints an error the way the chosen output mode wants, and returns its exit code. */
export function reportError(e: unknown, json: boolean): number {
  const data = errorData(e);
  if (json) process.stdout.write(JSON.stringify({ ok: false, error: data }) + '\n');
  else process.stderr.write(`error ${data.code}: ${say(data.message)}\n`);
  return exitCodeFor(data);
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
