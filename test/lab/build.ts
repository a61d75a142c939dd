/**
 * `npx tsx test/lab/build.ts`: builds the lab (box image, installer ISOs, OCI
 * fixtures) into the cache, or finds it there, and prints where and how big.
 * The test run does the same through its global setup; CI calls this first
 * so the build shows up as its own step.
 */
import { execFileSync } from 'node:child_process';
import { cacheRoot, ensureBoxImage, ensureInstallerIsos, ensureOciFixtures } from './cache';

const t0 = Date.now();
const image = ensureBoxImage();
const isos = ensureInstallerIsos(image);
const oci = ensureOciFixtures();
const size = execFileSync('du', ['-sh', cacheRoot()], { encoding: 'utf8' }).split('\t')[0];
console.log(`lab ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; cache ${cacheRoot()} holds ${size}`);
console.log(`  box image   ${image.dir}`);
console.log(`  ISOs        ${isos.dir}`);
console.log(`  OCI         ${oci.dir}`);
