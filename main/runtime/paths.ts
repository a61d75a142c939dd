/**
 * Where the built pieces are, seen from the bundled code in dist/main/.
 * Only meaningful once built; tests running from sources pass paths in.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const builtPaths = {
  nativeWorker: path.join(here, 'native-worker.js'),
  renderer: path.join(here, '..', 'renderer'),
  preload: path.join(here, '..', 'preload', 'preload.cjs'),
  appRoot: path.join(here, '..', '..'),
};
