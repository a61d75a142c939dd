// `npm run build`: the renderer with Vite, the main-side entries with esbuild.
import { build as esbuild } from 'esbuild';
import { rmSync } from 'node:fs';
import { build as vite } from 'vite';

rmSync('dist', { recursive: true, force: true });

await vite({ configFile: 'vite.config.ts', logLevel: 'warn' });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  packages: 'external',
  logLevel: 'warning',
  legalComments: 'none',
};

await esbuild({
  ...common,
  format: 'esm',
  entryPoints: {
    cli: 'main/cli/index.ts',
    electron: 'main/app/electron.ts',
    'native-worker': 'main/native/worker.ts',
  },
  outdir: 'dist/main',
  external: ['electron'],
});

// Sandboxed preloads must be CommonJS and may require only 'electron'.
await esbuild({
  ...common,
  format: 'cjs',
  entryPoints: { preload: 'preload/index.ts' },
  outExtension: { '.js': '.cjs' },
  outdir: 'dist/preload',
  external: ['electron'],
});

console.log('built dist/renderer, dist/main, dist/preload');
