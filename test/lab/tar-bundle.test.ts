/**
 * A tar bundle built by EdgeForge (not a test-side one), copied to a lab box
 * over SSH and installed with its install.sh: the images and manifests land
 * where k3s takes them, and the (stand-in) k3s install script was called
 * air-gapped with the right variables. The station issue adds the real
 * flashing; here it is plain ssh.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Lab, type Box } from './lab';
import { labBundleStation } from './lab-station';
import { sshExec } from './ssh';

describe('a tar bundle installs on a lab box over SSH', { timeout: 600_000 }, () => {
  let lab: Lab;
  let box: Box;
  let bundle: string;
  let batchId: string;
  const root = () => ({ port: box.sshPort, username: 'root', privateKey: fs.readFileSync(inject('labImage').key) });

  beforeAll(async () => {
    const station = await labBundleStation({ quantity: 3 });
    batchId = station.batchId;
    bundle = station.bundle;
    const s = station.s;
    s.store.close();
    lab = await Lab.create(inject('labImage'));
    box = await lab.start({ name: 'tar-bundle', accelerator: true, memoryMiB: 2048, diskGiB: 20 });
    await box.waitReady(180_000);
  }, 300_000);

  afterAll(async () => {
    await lab?.dispose();
  });

  it('installs: verified, preflight passed, driver run, k3s air-gapped, images and manifests in place, installed awaiting activation', async () => {
    const put = await sshExec(root(), 'cat > /root/bundle.tar && tar -xf /root/bundle.tar -C /root && ls /root', 60_000, fs.createReadStream(bundle));
    expect(put.code, put.stderr).toBe(0);
    expect(put.stdout).toContain(`edgeforge-${batchId}`);
    const r = await sshExec(root(), `cd /root/edgeforge-${batchId} && sh install.sh`, 300_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const done = r.stdout.split('\n').filter((l) => /^EDGEFORGE-BUNDLE .* state=done/.test(l));
    expect(done.map((l) => /name=(\w+)/.exec(l)![1])).toEqual(
      ['verify', 'preflight', 'space', 'drivers', 'runtime', 'images', 'lightapps', 'identity'].filter((n) => n !== 'lightapps'),
    );
    const k = await sshExec(
      root(),
      'cat /var/lib/edgeforge-test/k3s-install.env; tar -tf /var/lib/rancher/k3s/agent/images/edgeforge-images.oci.tar | sort | head -3; ls /var/lib/rancher/k3s/agent/images/; grep -h "replicas:" /var/lib/rancher/k3s/server/manifests/vision-gateway.yaml; cat /etc/edgeforge/state',
    );
    expect(k.stdout).toContain('INSTALL_K3S_SKIP_DOWNLOAD=true');
    expect(k.stdout).toContain('INSTALL_K3S_SKIP_ENABLE=true');
    expect(k.stdout).toContain('INSTALL_K3S_SKIP_START=true');
    expect(k.stdout).toContain('INSTALL_K3S_VERSION=v1.30.2+k3s1');
    expect(k.stdout).toMatch(/\.\/\n\.\/blobs\/\n\.\/blobs\/sha256\//);
    expect(k.stdout).toContain('k3s-airgap-images-amd64.tar');
    expect(k.stdout).toContain('replicas: 2'); // the combo's override
    expect(k.stdout.trim().split('\n').at(-1)).toBe('installed-awaiting-activation');
  });

  it('refuses the same bundle once one byte of a stored image changed, before installing anything more', async () => {
    const blob = (await sshExec(root(), `ls /root/edgeforge-${batchId}/images/oci/blobs/sha256 | head -1`)).stdout.trim();
    const f = `/root/edgeforge-${batchId}/images/oci/blobs/sha256/${blob}`;
    await sshExec(root(), `printf 'X' | dd of=${f} bs=1 seek=10 conv=notrunc status=none`);
    const r = await sshExec(root(), `cd /root/edgeforge-${batchId} && sh install.sh`, 120_000);
    expect(r.code).toBe(11);
    expect(`${r.stdout}${r.stderr}`).toContain(`images/oci/blobs/sha256/${blob}`);
  });
});
