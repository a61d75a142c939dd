import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ComboSpecSchema, ContainerAppSpecSchema, HardwareModelSpecSchema } from '../../main/api/contract';
import { NativeHost, childProcessChannel } from '../../main/native';
import { openRuntime, type Runtime } from '../../main/runtime';
import { ensureOciFixtures } from '../lab/cache';
import { importedId } from '../support/jobs';
import { cliPath, nativeWorkerPath, tempDir } from '../support/tmp';

function cli(home: string, args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    env: { ...process.env, EDGEFORGE_HOME: home, EDGEFORGE_LANG: 'en' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function imported(rt: Runtime, p: string): Promise<string> {
  return importedId(rt.jobs, (await rt.artifacts.startImport({ path: p })).id, p);
}

describe('edgeforge apps and combos', () => {
  it('lists what the API made, and `combos check` names a problem that appeared later, with exit 1', async () => {
    const home = tempDir();
    const oci = ensureOciFixtures().dir;
    // A k3s runtime folder stand-in: a gcc-built ELF carrying a k3s version, the lab's amd64 docker-archive, an install script.
    const k3s = path.join(tempDir(), 'k3s');
    fs.mkdirSync(k3s);
    fs.writeFileSync(path.join(k3s, 'k.c'), 'const char *v = "v1.30.2+k3s1"; int main(void) { return 0; }\n');
    execFileSync('gcc', ['-o', path.join(k3s, 'k3s'), path.join(k3s, 'k.c')]);
    fs.rmSync(path.join(k3s, 'k.c'));
    fs.copyFileSync(path.join(oci, 'app-amd64.docker.tar'), path.join(k3s, 'k3s-airgap-images-amd64.tar'));
    fs.writeFileSync(path.join(k3s, 'install.sh'), '#!/bin/sh\n: "${INSTALL_K3S_SKIP_DOWNLOAD:=true}"\n');

    const rt = openRuntime({
      home,
      native: new NativeHost('child-process', childProcessChannel(nativeWorkerPath)),
      mode: 'owner',
      version: 'test',
      shell: 'cli',
      osLocale: 'en',
    });
    let comboId: string;
    const doc = path.join(tempDir(), 'line-a.catalog.json');
    try {
      const image = await imported(rt, path.join(oci, 'app-amd64.docker.tar'));
      const runtime = await imported(rt, k3s);
      const m = rt.models.create(
        HardwareModelSpecSchema.parse({
          name: 'plain-box',
          os: { family: 'debian', version: '12' },
          arch: 'x86_64',
          minCpuCores: 2,
          minMemoryMiB: 4096,
          minDiskGiB: 32,
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
      // A reader command works beside the running owner.
      const fits = cli(home, ['combos', 'check', comboId]);
      expect(fits.code).toBe(0);
      expect(fits.stdout).toContain('No problems');
      expect(cli(home, ['combos', 'export', comboId, '--out', doc]).code).toBe(0);
      rt.models.retire(m.id, 1);
    } finally {
      await rt.close();
    }
    expect(cli(home, ['apps', 'list']).stdout).toMatch(/container\s+v1 published initial vision-gateway/);
    expect(cli(home, ['combos', 'list']).stdout).toMatch(/draft\s+line-a/);
    const check = cli(home, ['combos', 'check', comboId]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('[model-not-published] modelRevision: Model "plain-box" revision 1 is retired');

    // The exported document goes to a second station: it names what to import first, then brings model, app and combo.
    const home2 = tempDir();
    const missing = cli(home2, ['combos', 'import', doc]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(
      /Import the artifacts this document references first: edgeforge\/fixture-app:amd64 \(linux\/amd64\) \[sha256:[0-9a-f]{12}…\]; k3s v1\.30\.2\+k3s1 \(x86_64\)/,
    );
    expect(cli(home2, ['import', path.join(oci, 'app-amd64.docker.tar')]).code).toBe(0);
    expect(cli(home2, ['import', k3s]).code).toBe(0);
    const done = cli(home2, ['combos', 'import', doc]);
    expect(done.stderr).toBe('');
    expect(done.stdout).toBe(
      'models: created plain-box; skipped (already here) -\napps: created vision-gateway; skipped (already here) -\ncombos: created line-a; skipped (already here) -\n',
    );
    expect(cli(home2, ['combos', 'check', JSON.parse(cli(home2, ['combos', 'list', '--json']).stdout)[0].id]).code).toBe(0);
  }, 180_000);
});
