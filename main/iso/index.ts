export { IsoReader, IsoFormatError, SECTOR, type BootEntry, type IsoEntry, type VolumeInfo } from './reader';
export { FatImage, FatError } from './fat';
export { inspectIso, looksLikeIso, IsoErrors, type BootConfig, type InstallerFamily, type IsoInspection } from './inspect';
