/**
 * `npm run bench [hash|import|bundle ...]`: EdgeForge against the standard tool, in
 * the same run. Prints figures and ratios; it is not a test.
 */
import { preflight } from './common';
import { benchActivation } from './activation';
import { benchBundle } from './bundle';
import { benchClusterConsole } from './cluster-console';
import { benchHash } from './hash';
import { benchImport } from './import';
import { benchSerial } from './serial';
import { benchSftp } from './sftp';
import { benchStationGrid } from './station-grid';
import { benchTerminal } from './terminal';

const all: Record<string, () => void> = {
  hash: benchHash,
  import: benchImport,
  bundle: benchBundle,
  activation: benchActivation,
  sftp: benchSftp,
  serial: benchSerial,
  'station-grid': benchStationGrid,
  terminal: benchTerminal,
  'cluster-console': benchClusterConsole,
};
const chosen = process.argv.slice(2);
preflight();
for (const name of chosen.length ? chosen : Object.keys(all)) {
  const fn = all[name];
  if (!fn) {
    console.error(`unknown benchmark "${name}"; choose from ${Object.keys(all).join(', ')}`);
    process.exit(2);
  }
  fn();
}
