#!/usr/bin/env node
// Entry of the `edgeforge` command. The CLI is bundled into dist/ by `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/main/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('EdgeForge is not built yet: run "npm run build" first.\n');
  process.exit(2);
}
const { main } = await import(cli);
await main(process.argv);
