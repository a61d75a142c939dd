export * from './contract';
export * from './errors';
export { inputInvalid, toFieldIssues } from './validation';
export { rpcHandlerOptions, toApiError, type ErrorLogger } from './rpc';
