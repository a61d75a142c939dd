export { hashFileJob, HASH_FILE_KIND, DiagnosticsErrors } from './hash-file';
