/**
 * Vitest global setup: builds (or finds in the cache) the lab's box image,
 * installer ISOs and OCI fixtures before any test runs, and hands their
 * paths to the tests. At teardown it checks that no lab QEMU is left running.
 */
import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { ensureBoxImage, ensureInstallerIsos, ensureOciFixtures, type LabImage, type LabIsos, type OciFixtures } from './cache';

declare module 'vitest' {
  export interface ProvidedContext {
    labImage: LabImage;
    labIsos: LabIsos;
    ociFixtures: OciFixtures;
    labBuildSeconds: number;
  }
}

function labQemuPids(): string[] {
  try {
    return execFileSync('pgrep', ['-f', 'qemu-system-x86_64 -name edgeforge-lab-'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

export default function setup(project: TestProject) {
  const t0 = Date.now();
  const image = ensureBoxImage();
  const isos = ensureInstallerIsos(image);
  const oci = ensureOciFixtures();
  project.provide('labImage', image);
  project.provide('labIsos', isos);
  project.provide('ociFixtures', oci);
  project.provide('labBuildSeconds', (Date.now() - t0) / 1000);
  return () => {
    const left = labQemuPids();
    if (left.length > 0) {
      execFileSync('kill', ['-9', ...left]);
      throw new Error(`lab QEMU processes were left running and have been killed: ${left.join(', ')}`);
    }
  };
}
