/**
 * The serial transport for flashing boxes: ports, the console shell (login,
 * commands, uploads, reconnect), transfer estimates and the network
 * bootstrap. docs/provisioning-serial.md describes how it works.
 */
export { listSerialPorts, type SerialPortInfo, type SerialPortList } from './ports';
export { openSerialShell, freePort, SerialShell, type SerialShellOptions, type SerialShellState } from './session';
export type { SerialLineSettings } from './line';
export type { SerialUploadOptions, SerialUploadResult } from './upload';
export { estimateTransferSeconds, serialTransferAdvice, frameBits, lineCharsPerSecond, type SerialTransferAdvice, type SerialTransferMethod } from './estimate';
export { bootstrapNetwork, type NetworkBootstrap } from './bootstrap';
export { SerialErrors, describeLine, type SerialErrorCode } from './errors';
