import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ComboSpecSchema, ContainerAppSpecSchema, HardwareModelSpecSchema } from '../../main/api/contract';
import { NativeHost, childProcessChannel } from '../../main/native';
import { openRuntime } from '../../main/runtime';
import { catalogInputs } from '../catalog/station';
import { importedId } from '../support/jobs';
import { cliPath, nativeWorkerPath, tempDir } from '../support/tmp';

function cli(home: string, args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    env: { ...process.env, EDGEFORGE_HOME: home, EDGEFORGE_LANG: 'en' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('edgeforge batch and bundle', () => {
  it('creates a batch of a published combo, refuses a bad quantity by name, and builds its tar bundle with --json', async () => {
    const home = tempDir();
    const inputs = catalogInputs();
    const rt = openRuntime({
      home,
      native: new NativeHost('child-process', childProcessChannel(nativeWorkerPath)),
      mode: 'owner',
      version: 'test',
      shell: 'cli',
      osLocale: 'en',
    });
    let comboId: string;
    try {
      const imp = async (p: string) => importedId(rt.jobs, (await rt.artifacts.startImport({ path: p })).id, p);
      const image = await imp(inputs.amd);
      const runtime = await imp(inputs.k3sX86);
      const m = rt.models.create(
        HardwareModelSpecSchema.parse({
          name: 'plain-box',
          os: { family: 'debian', version: '12' },
          arch: 'x86_64',
          minCpuCores: 1,
          minMemoryMiB: 2048,
          minDiskGiB: 16,
          installDisk: '/dev/vda',
          nics: [{ name: 'eth0', role: 'wan', addressing: 'dhcp' }],
        }),
      );
      rt.models.publish(m.id);
      const a = rt.apps.create(
        'container',
        ContainerAppSpecSchema.parse({ name: 'vision-gateway', workload: 'Deployment', containers: [{ name: 'api', imageArtifactId: image }] }),
      );
      rt.apps.publish(a.id);
      comboId = rt.combos.create(
        ComboSpecSchema.parse({ name: 'line-a', modelId: m.id, modelRevision: 1, runtimeArtifactId: runtime, apps: [{ appId: a.id, version: 1 }] }),
      ).id;
      rt.combos.publish(comboId);
    } finally {
      await rt.close();
    }
    const bad = cli(home, ['batch', 'create', comboId, '--quantity', '0', '--prefix', 'LA-']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('The quantity is a whole number from 1 to 1,000,000.');

    const made = cli(home, ['batch', 'create', comboId, '--quantity', '500', '--prefix', 'LA-', '--digits', '4', '--json']);
    expect(made.stderr).toBe('');
    const batch = JSON.parse(made.stdout);
    expect(batch).toMatchObject({ quantity: 500, firstSerial: 'LA-0001', lastSerial: 'LA-0500' });
    expect(cli(home, ['batch', 'list']).stdout).toMatch(new RegExp(`${batch.id}\\s+500 seats  LA-0001…LA-0500  line-a \\(plain-box r1\\)`));

    const out = tempDir();
    const build = cli(home, ['bundle', 'build', batch.id, '--out', out, '--json']);
    expect(build.code, build.stderr).toBe(0);
    const job = JSON.parse(build.stdout);
    expect(job.state).toBe('succeeded');
    const file = job.result.outputs[0].file;
    expect(path.dirname(file)).toBe(out);
    expect(fs.statSync(file).size).toBe(job.result.outputs[0].size);
    expect(execFileSync('tar', ['-tf', file]).toString()).toContain(`edgeforge-${batch.id}/manifest.json.sig`);
    expect(cli(home, ['batch', 'show', batch.id]).stdout).toContain(`sha256 ${job.result.outputs[0].sha256}`);
    const iso = cli(home, ['bundle', 'build', batch.id, '--iso']);
    expect(iso.code).not.toBe(0);
    expect(iso.stderr).toContain('has no base installer ISO, so no ISO bundle can be made');
  }, 180_000);
});
