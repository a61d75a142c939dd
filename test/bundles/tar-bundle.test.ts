/**
 * Batches and tar bundles, checked with the real tools: GNU tar, openssl,
 * sha256sum, skopeo (on the images archive).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchCreateInputSchema } from '../../main/api/contract';
import { planBundle } from '../../main/bundles';
import { checkSpace, writeTarBundle } from '../../main/bundles/tar-bundle';
import { bundleServices, catalogInputs, catalogStation } from '../catalog/station';
import { jobEnded } from '../support/jobs';
import { tempDir } from '../support/tmp';

async function bundleStation() {
  const s = await catalogStation(catalogInputs());
  const services = bundleServices(s);
  const combo = s.combos.create(s.combo({ name: 'line-a' }));
  s.combos.publish(combo.id);
  return { ...s, ...services, comboId: combo.id };
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('batches', () => {
  let s: Awaited<ReturnType<typeof bundleStation>>;
  beforeAll(async () => {
    s = await bundleStation();
  }, 180_000);

  it('makes a batch of a published combo with a serial range and a license that openssl verifies', () => {
    const b = s.batches.create(BatchCreateInputSchema.parse({ comboId: s.comboId, quantity: 250, serialPrefix: 'LA-', serialDigits: 5 }));
    expect(b).toMatchObject({ comboName: 'line-a', modelName: 'gpu-box', modelRevision: 1, quantity: 250, firstSerial: 'LA-00001', lastSerial: 'LA-00250' });
    const lic = s.batches.licenseFiles(b.id);
    const d = tempDir();
    fs.writeFileSync(path.join(d, 'pub.pem'), s.keys.get(lic.keyId).publicKeyPem);
    fs.writeFileSync(path.join(d, 'sig'), lic.signature);
    const r = spawnSync('openssl', ['dgst', '-sha256', '-verify', path.join(d, 'pub.pem'), '-signature', path.join(d, 'sig')], {
      input: Buffer.concat([Buffer.from('edgeforge.batch.license.v1\n'), lic.license]),
    });
    expect(r.stdout.toString()).toContain('Verified OK');
    expect(JSON.parse(lic.license.toString())).toMatchObject({
      format: 'edgeforge.license/v1',
      batch: b.id,
      quantity: 250,
      serial: { prefix: 'LA-', digits: 5 },
    });
  });

  it.each([
    ['a quantity of 0', { quantity: 0 }, ['quantity'], 'from 1 to 1,000,000'],
    ['a quantity over 1,000,000', { quantity: 1_000_001 }, ['quantity'], 'from 1 to 1,000,000'],
    ['too few serial digits for the quantity', { quantity: 1000, serialDigits: 3 }, ['serialDigits'], '3 digits cannot number 1000 seats; use at least 4'],
    ['a lowercase serial prefix', { serialPrefix: 'la' }, ['serialPrefix'], 'capital letters'],
  ])('refuses %s at the schema, by field', (_w, over, field, message) => {
    const r = BatchCreateInputSchema.safeParse({ comboId: s.comboId, quantity: 10, serialPrefix: 'LA', ...over });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(field);
    expect(JSON.stringify(r.error!.issues[0])).toContain(message);
  });

  it('refuses a batch of a draft combo', () => {
    const draft = s.combos.create(s.combo({ name: 'still-draft' }));
    expect(() => s.batches.create(BatchCreateInputSchema.parse({ comboId: draft.id, quantity: 1, serialPrefix: 'X' }))).toThrow(
      expect.objectContaining({ code: 'COMBO_NOT_PUBLISHED', field: ['comboId'] }),
    );
  });
});

describe('tar bundle', () => {
  let s: Awaited<ReturnType<typeof bundleStation>>;
  let batchId: string;
  let built: string;
  beforeAll(async () => {
    s = await bundleStation();
    batchId = s.batches.create(BatchCreateInputSchema.parse({ comboId: s.comboId, quantity: 10, serialPrefix: 'LA' })).id;
    const job = await s.bundles.startBuild({ batchId, tar: true, iso: false, zstd: false, outDir: null });
    const done = await jobEnded(s.jobs, job.id);
    expect(done.error ?? null).toBeNull();
    built = (done.result as { outputs: { file: string }[] }).outputs[0]!.file;
  }, 180_000);

  it('is a tar that GNU tar lists: one top folder, root:root, the batch time, the layout of docs/bundle-format.md', () => {
    const list = execFileSync('tar', ['--numeric-owner', '-tvf', built]).toString().trim().split('\n');
    const names = list.map((l) => l.split(/\s+/).at(-1)!);
    const root = `edgeforge-${batchId}/`;
    expect(names.filter((n) => !n.startsWith(root))).toEqual([]);
    expect(list.filter((l) => !/^\S+ 0\/0\s/.test(l))).toEqual([]);
    const files = names.filter((n) => !n.endsWith('/')).map((n) => n.slice(root.length));
    const blobs = files.filter((f) => f.startsWith('images/oci/blobs/'));
    const image = s.artifacts.get(s.ids.amd).metadata as { layers: unknown[] };
    expect(blobs.length).toBe(2 + image.layers.length); // the image's manifest, config and layers
    expect(blobs.every((b) => /^images\/oci\/blobs\/sha256\/[0-9a-f]{64}$/.test(b))).toBe(true);
    expect(files.filter((f) => !f.startsWith('images/oci/blobs/'))).toEqual([
      'install.sh',
      'qr.awk',
      'runtime/k3s',
      'runtime/k3s-airgap-images-amd64.tar',
      'runtime/install.sh',
      'drivers/NVIDIA-Linux-x86_64-550.54.14.run',
      'images/oci/oci-layout',
      'images/oci/index.json',
      'manifests/vision-gateway.yaml',
      'bundle.env',
      'station.pub.pem',
      'license.json',
      'license.json.sig',
      'manifest.json',
      'manifest.json.sig',
    ]);
    const created = s.batches.get(batchId).createdAt;
    const stamp = new Date(Math.floor(Date.parse(created) / 1000) * 1000);
    expect(execFileSync('tar', ['--full-time', '--utc', '-tvf', built]).toString()).toContain(stamp.toISOString().slice(0, 19).replace('T', ' '));
    expect(s.batches.get(batchId).outputs[0]).toMatchObject({ kind: 'tar', file: built, sha256: sha256(built), size: fs.statSync(built).size, present: true });
  });

  it('extracts with GNU tar; the manifest signature verifies with openssl and every file matches its sha256 (sha256sum -c)', () => {
    const d = tempDir();
    execFileSync('tar', ['-xf', built, '-C', d]);
    const root = path.join(d, `edgeforge-${batchId}`);
    const manifest = fs.readFileSync(path.join(root, 'manifest.json'));
    const verify = spawnSync(
      'openssl',
      ['dgst', '-sha256', '-verify', path.join(root, 'station.pub.pem'), '-signature', path.join(root, 'manifest.json.sig')],
      {
        input: Buffer.concat([Buffer.from('edgeforge.bundle.manifest.v1\n'), manifest]),
      },
    );
    expect(verify.stdout.toString()).toContain('Verified OK');
    // The one-line-per-file form install.sh reads with sed.
    const sums = manifest
      .toString()
      .split('\n')
      .map((l) => /^ {4}\{"path": "([^"]+)", "size": (\d+), "sha256": "([0-9a-f]{64})"\},?$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => `${m[3]}  ${m[1]}`);
    expect(sums.length).toBe(
      execFileSync('tar', ['-tf', built])
        .toString()
        .trim()
        .split('\n')
        .filter((n) => !n.endsWith('/')).length - 2,
    );
    fs.writeFileSync(path.join(d, 'SUMS'), sums.join('\n') + '\n');
    expect(execFileSync('sha256sum', ['-c', path.join(d, 'SUMS')], { cwd: root }).toString()).not.toContain('FAILED');
    const doc = JSON.parse(manifest.toString());
    expect(doc).toMatchObject({ format: 'edgeforge.bundle/v1', requirements: { arch: 'x86_64', nics: ['eth0'], pciIds: ['10de:2204'] } });
    expect(fs.readFileSync(path.join(root, 'bundle.env'), 'utf8')).toContain("EF_DRIVERS='NVIDIA-Linux-x86_64-550.54.14.run'");
    expect(fs.statSync(path.join(root, 'install.sh')).mode & 0o777).toBe(0o755);
    expect(fs.readFileSync(path.join(root, 'manifests/vision-gateway.yaml'), 'utf8')).toContain('kind: Deployment');
  });

  it('carries the images as one OCI image layout that skopeo reads, and the archive install.sh packs from it too', () => {
    const d = tempDir();
    execFileSync('tar', ['-xf', built, '-C', d, `edgeforge-${batchId}/images/oci`]);
    const layout = path.join(d, `edgeforge-${batchId}`, 'images', 'oci');
    const raw = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', `oci:${layout}:edgeforge/fixture-app:amd64`]).toString());
    expect(raw.layers.length).toBeGreaterThan(0);
    // What install.sh does on the box: one tar of the layout, for k3s's images folder.
    const archive = path.join(d, 'edgeforge-images.oci.tar');
    execFileSync('tar', ['-cf', archive, '-C', layout, '.']);
    const cfg = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `oci-archive:${archive}:edgeforge/fixture-app:amd64`]).toString());
    expect(cfg.architecture).toBe('amd64');
  });

  it('is byte-for-byte the same when built again from the same inputs', async () => {
    const again = await s.bundles.startBuild({ batchId, tar: true, iso: false, zstd: false, outDir: tempDir() });
    const done = await jobEnded(s.jobs, again.id);
    const second = (done.result as { outputs: { file: string }[] }).outputs[0]!.file;
    expect(second).not.toBe(built);
    expect(sha256(second)).toBe(sha256(built));
  });

  it('with zstd, gives a .tar.zst that zstd and GNU tar read back to the same archive', async () => {
    const job = await s.bundles.startBuild({ batchId, tar: true, iso: false, zstd: true, outDir: tempDir() });
    const done = await jobEnded(s.jobs, job.id);
    const zst = (done.result as { outputs: { file: string }[] }).outputs[0]!.file;
    expect(zst.endsWith('.tar.zst')).toBe(true);
    const plain = execFileSync('zstd', ['-dc', zst], { maxBuffer: 1 << 30 });
    expect(createHash('sha256').update(plain).digest('hex')).toBe(sha256(built));
  });

  it('refuses, before writing anything, when the folder cannot hold it', () => {
    const d = tempDir();
    expect(() => checkSpace(d, Number.MAX_SAFE_INTEGER)).toThrow(expect.objectContaining({ code: 'BUNDLE_NO_SPACE', field: ['outDir'] }));
  });

  it('refuses an ISO bundle for a model without a base ISO, and a relative output folder, up front, naming the field', async () => {
    await expect(s.bundles.startBuild({ batchId, tar: true, iso: true, zstd: false, outDir: null })).rejects.toMatchObject({
      code: 'BUNDLE_NO_BASE_ISO',
      field: ['iso'],
    });
    await expect(s.bundles.startBuild({ batchId, tar: true, iso: false, zstd: false, outDir: 'out' })).rejects.toMatchObject({ field: ['outDir'] });
  });

  it('leaves nothing behind when cancelled mid-way', async () => {
    // 64 MiB more in the plan, so that the build is still running at its first progress report.
    const plan = planBundle(s.deps, batchId);
    plan.entries.push({ path: 'runtime/filler', mode: 0o644, size: 64 * 1024 * 1024, source: { kind: 'bytes', data: Buffer.alloc(64 * 1024 * 1024, 7) } });
    const out = tempDir();
    const ac = new AbortController();
    const p = writeTarBundle(plan, s.keys, path.join(out, 'b.tar'), ac.signal, (done) => done > 0 && ac.abort(new Error('cancelled')));
    await expect(p).rejects.toThrow('cancelled');
    expect(fs.readdirSync(out)).toEqual([]);
  });
});
