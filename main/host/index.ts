export { startHost, isLoopback, type HostOptions, type HostServer } from './server';
export { CONTENT_SECURITY_POLICY } from './csp';
