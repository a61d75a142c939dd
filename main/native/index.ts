export { NativeHost, childProcessChannel, type ChannelFactory, type NativeChannel, type NativeKind } from './host';
export type { NativeReady, NativeRequest, NativeResponse } from './protocol';
