/** The AppError a promise is refused with; anything else (or no refusal) fails the test. */
import { AppError } from '../../main/api/errors';

export async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}
