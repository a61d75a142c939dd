import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContainerAppSpecSchema, LightAppSpecSchema } from '../../main/api/contract';
import { ArtifactService, artifactsSchema } from '../../main/artifacts';
import { AppErrors, AppService, catalogSchema } from '../../main/catalog';
import { JobService, jobsSchema } from '../../main/jobs';
import { Store } from '../../main/store';
import { ensureOciFixtures } from '../lab/cache';
import { importedId } from '../support/jobs';
import { tempDir } from '../support/tmp';

// Parsed Kubernetes YAML is free-form; the assertions below give it shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = Record<string, any>;

let oci: string;
beforeAll(() => {
  oci = ensureOciFixtures().dir;
}, 300_000);

async function station() {
  const dir = tempDir();
  const store = Store.open(path.join(dir, 'db.sqlite'), [jobsSchema, artifactsSchema, catalogSchema]);
  const jobs = new JobService(store.db);
  const artifacts = new ArtifactService(store.db, path.join(dir, 'blobs'), jobs);
  const imported = async (p: string) => importedId(jobs, (await artifacts.startImport({ path: p })).id, p);
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

describe('rendering a container app to Kubernetes manifests', () => {
  it('writes the workload, its Service, ConfigMaps and Secrets, each valid against the Kubernetes schemas', async () => {
    const { apps, amd } = await station();
    const { parseAllDocuments } = await import('yaml');
    const a = apps.create(
      'container',
      ContainerAppSpecSchema.parse({
        name: 'vision-gateway',
        workload: 'Deployment',
        replicas: 2,
        nodeSelector: { 'node-type': 'gpu' },
        initContainers: [{ name: 'prepare', imageArtifactId: amd, command: ['/app/run.sh'] }],
        containers: [
          {
            name: 'api',
            imageArtifactId: amd,
            ports: [{ containerPort: 8080 }, { containerPort: 5683, protocol: 'UDP', hostPort: 5683 }],
            env: [{ name: 'LOG_LEVEL', value: 'info' }],
            volumeMounts: [
              { volume: 'config', mountPath: '/etc/app' },
              { volume: 'creds', mountPath: '/run/creds', readOnly: true },
              { volume: 'dev', mountPath: '/dev/ttyUSB0' },
              { volume: 'scratch', mountPath: '/tmp/work' },
            ],
            resources: { cpuMillicores: 500, memoryMiB: 256 },
            gpu: { memoryMiB: 1024, computePercent: 30 },
          },
        ],
        volumes: [
          { name: 'config', type: 'configMap', data: { 'app.yaml': 'level: info\n' } },
          { name: 'creds', type: 'secret', data: { token: 's3cret' } },
          { name: 'dev', type: 'hostPath', hostPath: '/dev/ttyUSB0' },
          { name: 'scratch', type: 'emptyDir' },
        ],
      }),
    );
    const r = apps.render(a.id);
    expect(r.kinds).toEqual(['ConfigMap', 'Secret', 'Deployment', 'Service']);
    expect(apps.render(a.id).yaml).toBe(r.yaml); // the same version renders the same bytes
    const docs = parseAllDocuments(r.yaml).map((d) => d.toJS() as Manifest);
    const dep = docs.find((d) => d.kind === 'Deployment')!;
    expect(dep.metadata).toMatchObject({
      name: 'vision-gateway',
      namespace: 'edgeforge',
      labels: { 'app.kubernetes.io/managed-by': 'edgeforge', 'app.kubernetes.io/version': '1' },
    });
    expect(dep.spec.replicas).toBe(2);
    const pod = dep.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ 'node-type': 'gpu' });
    expect(pod.initContainers[0]).toMatchObject({ name: 'prepare', command: ['/app/run.sh'], imagePullPolicy: 'Never' });
    expect(pod.containers[0].image).toBe('edgeforge/fixture-app:amd64');
    expect(pod.containers[0].resources.limits).toEqual({ cpu: '500m', memory: '256Mi', 'edgeforge.io/vcuda-memory': '4', 'edgeforge.io/vcuda-core': '30' });
    expect(pod.volumes).toEqual([
      { name: 'config', configMap: { name: 'vision-gateway-config' } },
      { name: 'creds', secret: { secretName: 'vision-gateway-creds' } },
      { name: 'dev', hostPath: { path: '/dev/ttyUSB0' } },
      { name: 'scratch', emptyDir: {} },
    ]);
    const svc = docs.find((d) => d.kind === 'Service')!;
    expect(svc.spec.ports).toEqual([
      { name: 'tcp-8080', port: 8080, targetPort: 8080, protocol: 'TCP' },
      { name: 'udp-5683', port: 5683, targetPort: 5683, protocol: 'UDP' },
    ]);
  });

  it('renders a DaemonSet without replicas and a Job that never restarts, with the reference retry count', async () => {
    const { apps, amd } = await station();
    const ds = apps.create(
      'container',
      ContainerAppSpecSchema.parse({ name: 'node-agent', workload: 'DaemonSet', containers: [{ name: 'agent', imageArtifactId: amd }] }),
    );
    expect(apps.render(ds.id).kinds).toEqual(['DaemonSet']);
    const job = apps.create(
      'container',
      ContainerAppSpecSchema.parse({ name: 'calibrate', workload: 'Job', containers: [{ name: 'once', imageArtifactId: amd }] }),
    );
    const { parseAllDocuments } = await import('yaml');
    const [doc] = parseAllDocuments(apps.render(job.id).yaml).map((d) => d.toJS() as Manifest);
    expect(doc).toMatchObject({ kind: 'Job', spec: { completions: 1, parallelism: 1, backoffLimit: 6, template: { spec: { restartPolicy: 'Never' } } } });
  });
});
