/** The AppError a promise is refused with; anything else (or no refusal) fails the test. */
import { ORPCError } from '@orpc/client';
import { AppError, type ApiErrorData } from '../../main/api/errors';

export async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

/** The API error a call through the host's API is refused with (ORPCError's data: code, both languages, field); anything else fails the test. */
export async function apiRefusal(p: Promise<unknown>): Promise<ApiErrorData> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ORPCError) return (e as ORPCError<string, ApiErrorData>).data!;
    throw e;
  }
  throw new Error('expected the call to fail');
}
