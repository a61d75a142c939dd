import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';

interface Fixtures {
  images: { name: string; arch: string; dockerArchive: string; ociDir: string; ociTar: string; manifest: string }[];
  multiArch: { ociDir: string; ociTar: string; platforms: string[] };
  sharedBaseLayer: { ociDir: string; refs: string[] };
  broken: { truncated: string; layerDigestMismatch: string; missingManifest: string; archMismatch: string };
}

const dir = () => inject('ociFixtures').dir;
const fixtures = (): Fixtures => JSON.parse(fs.readFileSync(path.join(dir(), 'fixtures.json'), 'utf8')) as Fixtures;
const skopeo = (...args: string[]) => JSON.parse(execFileSync('skopeo', args, { encoding: 'utf8' })) as Record<string, unknown>;
const skopeoFails = (...args: string[]) => {
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  expect(r.status).not.toBe(0);
  return r.stderr;
};

describe('OCI fixtures (made by umoci and skopeo)', () => {
  it('has amd64 and arm64 images as docker-archive, OCI directory and OCI tar, with entrypoint, ports and env', () => {
    for (const img of fixtures().images) {
      const docker = skopeo('inspect', `docker-archive:${path.join(dir(), img.dockerArchive)}`);
      expect(docker.Architecture).toBe(img.arch);
      const config = skopeo('inspect', '--config', `oci:${path.join(dir(), img.ociDir)}:app`) as {
        architecture: string;
        os: string;
        config: Record<string, unknown>;
      };
      expect(config).toMatchObject({ architecture: img.arch, os: 'linux' });
      expect(config.config).toMatchObject({ Entrypoint: ['/app/run.sh'], ExposedPorts: { '8080/tcp': {} } });
      expect(config.config.Env).toContain(`ARCH=${img.arch}`);
      const listing = execFileSync('tar', ['-tf', path.join(dir(), img.ociTar)], { encoding: 'utf8' });
      expect(listing).toMatch(/\.\/index\.json/);
      expect(listing).toContain(`blobs/sha256/${img.manifest.replace('sha256:', '')}`);
    }
  });

  it('has a multi-arch image index with linux/amd64 and linux/arm64/v8', () => {
    const index = skopeo('inspect', '--raw', `oci:${path.join(dir(), fixtures().multiArch.ociDir)}:app`) as {
      mediaType: string;
      manifests: { platform: { os: string; architecture: string; variant?: string } }[];
    };
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.manifests.map((m) => [m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/'))).toEqual(
      fixtures().multiArch.platforms,
    );
  });

  it('has two images that share their base layer', () => {
    const layout = path.join(dir(), fixtures().sharedBaseLayer.ociDir);
    const [a, b] = fixtures().sharedBaseLayer.refs.map((ref) => skopeo('inspect', `oci:${layout}:${ref}`).Layers as string[]);
    expect(a![0]).toBe(b![0]);
    expect(a![1]).not.toBe(b![1]);
  });

  it('has broken fixtures that a real tool refuses, each for its own reason', () => {
    const f = fixtures().broken;
    expect(skopeoFails('inspect', `docker-archive:${path.join(dir(), f.truncated)}`)).toMatch(/manifest\.json|unexpected EOF/);
    expect(skopeoFails('copy', `oci:${path.join(dir(), f.layerDigestMismatch)}:app`, `dir:${path.join(dir(), '..', `copy-${process.pid}`)}`)).toMatch(
      /Digest did not match/,
    );
    fs.rmSync(path.join(dir(), '..', `copy-${process.pid}`), { recursive: true, force: true });
    expect(skopeoFails('inspect', `oci:${path.join(dir(), f.missingManifest)}:app`)).toMatch(/no such file/);
    // The index says arm64, the image config says amd64.
    const layout = path.join(dir(), f.archMismatch);
    const index = skopeo('inspect', '--raw', `oci:${layout}:app`) as { manifests: { digest: string; platform: { architecture: string } }[] };
    const first = index.manifests[0]!;
    expect(first.platform.architecture).toBe('arm64');
    const manifest = JSON.parse(fs.readFileSync(path.join(layout, 'blobs', 'sha256', first.digest.slice(7)), 'utf8')) as { config: { digest: string } };
    const config = JSON.parse(fs.readFileSync(path.join(layout, 'blobs', 'sha256', manifest.config.digest.slice(7)), 'utf8')) as { architecture: string };
    expect(config.architecture).toBe('amd64');
  });
});
