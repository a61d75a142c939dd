/**
 * One box activating, as its own OS process, for the concurrency and crash
 * tests: it opens the data directory exactly as the CLI does (openRuntime,
 * which also releases reservations left by dead processes), waits for the
 * start signal (after saying it is ready), then reserves, pauses a random few milliseconds (so that a
 * SIGKILL lands anywhere, including between reserve and spend), and
 * completes. On success it writes its reply atomically to <out>/<box>.json.
 *
 *   node worker.js <home> <request-code> <box-name> <out-dir> <go-file> <max-pause-ms>
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseRequest } from '../../main/licensing';
import { NativeHost } from '../../main/native';
import { openRuntime } from '../../main/runtime';

const [home, code, box, out, go, maxPause] = process.argv.slice(2) as [string, string, string, string, string, string];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const rt = openRuntime({
  home,
  native: new NativeHost('child-process', () => {
    throw new Error('no native process in this worker');
  }),
  mode: 'reader',
  version: 'test',
  shell: 'cli',
  osLocale: 'en',
});
fs.writeFileSync(path.join(out, `${box}.ready`), '');
while (!fs.existsSync(go)) await sleep(2);
const request = parseRequest(code);
try {
  const r = rt.activation.reserve(request);
  await sleep(Math.random() * Number(maxPause));
  const a = rt.activation.complete(r, request);
  const file = path.join(out, `${box}.json`);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify({ box, seat: a.seat, reactivation: a.reactivation, certificate: a.certificate }));
  fs.renameSync(`${file}.tmp`, file);
  process.exitCode = 0;
} catch (e) {
  process.stdout.write(JSON.stringify({ box, error: (e as { code?: string }).code ?? String(e) }));
  process.exitCode = 3;
}
await rt.close();
