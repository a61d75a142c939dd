export { FlashService, FlashErrors, FLASH_BOX_KIND, type FlashDeps } from './flash';
export { HostKeySnapshot, KnownHosts, hostKeyFingerprint, hostKeyType, type HostKeyStore, type KnownHost } from './known-hosts';
export { compareWithModel, parseProbe, probeBox, PROBE_SCRIPT, ProbeErrors } from './probe';
export { provisionSchema } from './schema';
export type { ExecOptions, ExecResult, RemoteShell, UploadOptions } from './shell';
export { LEGACY_ALGORITHMS, SshErrors, SshShell, sha256File, type SshAlgorithms, type SshTarget } from './ssh';
