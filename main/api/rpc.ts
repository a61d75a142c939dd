/**
 * What both transports share when they serve the router: the mapping from
 * thrown errors to structured API errors.
 *
 * - AppError          -> ORPCError(code) carrying ApiErrorData
 * - input ValidationError -> INPUT_INVALID with per-field issues (en + zh)
 * - anything else     -> INTERNAL, logged here, no stack sent
 *
 * Also for errors an event stream raises while it runs (a watch whose
 * credential is gone, a log the kubelet refuses), not only before it starts.
 */
import { mapEventIterator } from '@orpc/client';
import { ORPCError, ValidationError, type Context } from '@orpc/server';
import type { StandardRPCHandlerOptions } from '@orpc/server/standard';
import { AppError, ErrorCodes, internalErrorData, type ApiErrorData } from './errors';
import { inputInvalid } from './validation';

const STATUS: Record<string, number> = {
  [ErrorCodes.INPUT_INVALID]: 400,
  [ErrorCodes.NOT_FOUND]: 404,
  [ErrorCodes.CONFLICT]: 409,
  [ErrorCodes.INTERNAL]: 500,
};

function toORPC(data: ApiErrorData, cause?: unknown): ORPCError<string, ApiErrorData> {
  return new ORPCError(data.code, {
    status: STATUS[data.code] ?? 400,
    message: data.message.en,
    data,
    cause,
  });
}

export type ErrorLogger = (error: unknown) => void;

export function toApiError(error: unknown, log: ErrorLogger): ORPCError<string, ApiErrorData> {
  if (error instanceof AppError) return toORPC(error.toData(), error);
  if (error instanceof ORPCError) {
    if (error.code === 'BAD_REQUEST' && error.cause instanceof ValidationError) {
      return toORPC(inputInvalid(error.cause.issues as never).toData(), error.cause);
    }
    if (error.data && typeof error.data === 'object' && 'message' in error.data) return error as ORPCError<string, ApiErrorData>;
  }
  log(error);
  return toORPC(internalErrorData(), error);
}

/** Handler options for oRPC's RPCHandler, whichever adapter serves it. */
export function rpcHandlerOptions<T extends Context>(log: ErrorLogger): StandardRPCHandlerOptions<T> {
  return {
    clientInterceptors: [
      async ({ next }) => {
        let out;
        try {
          out = await next();
        } catch (error) {
          throw toApiError(error, log);
        }
        if (typeof out !== 'object' || out === null || !(Symbol.asyncIterator in out)) return out;
        return mapEventIterator(out as unknown as AsyncIterator<unknown>, {
          value: async (v) => v,
          error: async (error) => toApiError(error, log),
        }) as typeof out;
      },
    ],
  };
}
