/**
 * The error model every procedure speaks.
 *
 * A service throws an AppError with a stable code, a message a technician can
 * act on in both UI languages, and the field or file it is about. The
 * transports turn it into a structured API error; the renderer shows
 * message[lang]. Stack traces never cross the API.
 */

export interface LocalizedText {
  en: string;
  zh: string;
}

export interface FieldIssue {
  /** Path of the offending field inside the input, e.g. ["nics", 2, "name"]. */
  path: (string | number)[];
  /** The validator's issue code (zod's codes: too_big, invalid_type, ...). */
  issue: string;
  message: LocalizedText;
}

export interface ApiErrorData {
  code: string;
  message: LocalizedText;
  /** The field the error is about, when there is one. */
  field?: (string | number)[];
  /** The file the error is about, when there is one. */
  file?: string;
  /** Per-field issues, for INPUT_INVALID. */
  fields?: FieldIssue[];
}

export class AppError extends Error {
  readonly code: string;
  readonly text: LocalizedText;
  readonly field?: (string | number)[];
  readonly file?: string;
  readonly fields?: FieldIssue[];

  constructor(code: string, text: LocalizedText, options: { field?: (string | number)[]; file?: string; fields?: FieldIssue[]; cause?: unknown } = {}) {
    super(text.en, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.text = text;
    if (options.field) this.field = options.field;
    if (options.file) this.file = options.file;
    if (options.fields) this.fields = options.fields;
  }

  toData(): ApiErrorData {
    const data: ApiErrorData = { code: this.code, message: this.text };
    if (this.field) data.field = this.field;
    if (this.file) data.file = this.file;
    if (this.fields) data.fields = this.fields;
    return data;
  }
}

/** Codes shared by several modules. Module-specific codes live with their module. */
export const ErrorCodes = {
  INPUT_INVALID: 'INPUT_INVALID',
  INTERNAL: 'INTERNAL',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
} as const;

export function internalErrorData(): ApiErrorData {
  return {
    code: ErrorCodes.INTERNAL,
    message: {
      en: 'An internal error occurred. The details were written to the application log.',
      zh: '发生内部错误。详细信息已写入应用日志。',
    },
  };
}
