import { defineConfig } from 'vitest/config';

// Two groups in one run (one summary): the app's tests first, then the QEMU
// lab's, so that booting boxes does not starve the browser tests of the two cores.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll's own default is 1 s: a round trip through the host, the worker and a repaint can take longer on
    // two loaded cores (CI runs lab VMs beside these). A state that never comes still fails, after 15 s.
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
    // Test stations seal their keys with this passphrase (test/support/vault.ts); hosts and CLIs inherit it.
    env: { EDGEFORGE_PASSPHRASE: 'test station passphrase' },
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'app', include: ['test/**/*.test.ts'], exclude: ['test/lab/**'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'lab',
          include: ['test/lab/**/*.test.ts'],
          globalSetup: ['./test/lab/global-setup.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
