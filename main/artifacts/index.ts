export { ArtifactService, ArtifactErrors, IMPORT_KIND, type ImportParams } from './service';
export { artifactsSchema } from './schema';
export { BlobStore } from './blob-store';
export { ImageErrors, importImage, parsePlatform, platformString } from './oci';
export { FileArtifactErrors, elfArch, inspectDriver, inspectRuntime } from './files';
export { LightAppErrors, inspectLightApp } from './lightapp';
