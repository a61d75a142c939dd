import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContainerAppSpecSchema, LightAppSpecSchema } from '../../main/api/contract';
import { ArtifactService, artifactsSchema } from '../../main/artifacts';
import { AppErrors, AppService, catalogSchema } from '../../main/catalog';
import { JobService, jobsSchema } from '../../main/jobs';
import { Store } from '../../main/store';
import { ensureOciFixtures } from '../lab/cache';
import { tempDir } from '../support/tmp';

let oci: string;
beforeAll(() => {
  oci = ensureOciFixtures().dir;
}, 300_000);

async function station() {
  const dir = tempDir();
  const store = Store.open(path.join(dir, 'db.sqlite'), [jobsSchema, artifactsSchema, catalogSchema]);
  const jobs = new JobService(store.db);
  const artifacts = new ArtifactService(store.db, path.join(dir, 'blobs'), jobs);
  const imported = async (p: string) => {
    const job = await artifacts.startImport({ path: p });
    for (;;) {
      const j = jobs.get(job.id);
      if (j.state === 'succeeded') return (j.result as { artifacts: { id: string }[] }).artifacts[0]!.id;
      if (j.state !== 'queued' && j.state !== 'running') throw new Error(`import failed: ${j.error?.code}`);
      await sleep(10);
    }
  };
  const amd = await imported(path.join(oci, 'app-amd64.docker.tar'));
  const arm = await imported(path.join(oci, 'app-arm64.oci'));
  return { apps: new AppService(store.db, artifacts), amd, arm };
}

describe('application versions', () => {
  it('publishes, then takes a patch that changes only images, and refuses a patch that changes more', async () => {
    const { apps, amd, arm } = await station();
    const spec = ContainerAppSpecSchema.parse({
      name: 'vision-gateway',
      workload: 'Deployment',
      containers: [{ name: 'api', imageArtifactId: amd, ports: [{ containerPort: 8080 }] }],
    });
    const app = apps.create('container', spec);
    apps.publish(app.id);
    expect(() => apps.update(app.id, spec)).toThrow(expect.objectContaining({ code: AppErrors.APP_VERSION_FROZEN }));
    apps.newVersion(app.id, 'patch');
    const wider = { ...spec, replicas: 3 };
    expect(() => apps.update(app.id, wider)).toThrow(expect.objectContaining({ code: AppErrors.APP_PATCH_TOO_WIDE, field: ['replicas'] }));
    const imageOnly = { ...spec, containers: [{ ...spec.containers[0]!, imageArtifactId: arm }] };
    apps.update(app.id, imageOnly);
    apps.publish(app.id);
    expect(apps.diff(app.id, 1, 2)).toEqual([{ path: 'containers[0].imageArtifactId', before: amd, after: arm }]);
    apps.newVersion(app.id, 'upgrade');
    apps.update(app.id, { ...imageOnly, replicas: 3 });
    expect(apps.get(app.id).versions.map((v) => [v.version, v.change, v.state])).toEqual([
      [1, 'initial', 'published'],
      [2, 'patch', 'published'],
      [3, 'upgrade', 'draft'],
    ]);
  });

  it('refuses a duplicate name, an unknown artifact, and an artifact of the wrong kind, naming the field', async () => {
    const { apps, amd } = await station();
    const spec = ContainerAppSpecSchema.parse({ name: 'vision-gateway', workload: 'Job', containers: [{ name: 'once', imageArtifactId: amd }] });
    apps.create('container', spec);
    expect(() => apps.create('container', spec)).toThrow(expect.objectContaining({ code: AppErrors.APP_NAME_TAKEN, field: ['name'] }));
    expect(() =>
      apps.create('container', { ...spec, name: 'other-app', containers: [{ ...spec.containers[0]!, imageArtifactId: 'art_00000000000000000000' }] }),
    ).toThrow(expect.objectContaining({ code: 'ARTIFACT_NOT_FOUND', field: ['containers', 0, 'imageArtifactId'] }));
    const light = LightAppSpecSchema.parse({ name: 'sensor_reader', packageArtifactId: amd, startCommand: 'python3 main.py' });
    expect(() => apps.create('light', light)).toThrow(expect.objectContaining({ code: AppErrors.APP_ARTIFACT_WRONG_KIND, field: ['packageArtifactId'] }));
  });
});
