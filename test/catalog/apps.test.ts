import { describe, expect, it } from 'vitest';
import { ContainerAppSpecSchema, LightAppSpecSchema, type ContainerAppSpecInput } from '../../main/api/contract';
import { toFieldIssues } from '../../main/api/validation';

const IMG = 'art_0123456789abcdef0123';

const valid: ContainerAppSpecInput = {
  name: 'vision-gateway',
  workload: 'Deployment',
  replicas: 2,
  initContainers: [{ name: 'fetch-models', imageArtifactId: IMG }],
  containers: [
    {
      name: 'api',
      imageArtifactId: IMG,
      ports: [{ containerPort: 8080 }],
      env: [{ name: 'LOG_LEVEL', value: 'info' }],
      volumeMounts: [{ volume: 'models', mountPath: '/models' }],
      gpu: { memoryMiB: 1024, computePercent: 30 },
    },
    { name: 'metrics', imageArtifactId: IMG, ports: [{ containerPort: 9100 }, { containerPort: 8080, protocol: 'UDP' }] },
  ],
  volumes: [{ name: 'models', type: 'hostPath', hostPath: '/var/lib/models' }],
};

function issues(spec: unknown) {
  const r = ContainerAppSpecSchema.safeParse(spec);
  return r.success ? [] : toFieldIssues(r.error.issues);
}
function patch(mutate: (s: ContainerAppSpecInput) => void): ContainerAppSpecInput {
  const s = structuredClone(valid);
  mutate(s);
  return s;
}

describe('container app validation (every rule fails and passes)', () => {
  it('accepts a complete app', () => {
    expect(issues(valid)).toEqual([]);
  });

  const cases: [string, (s: ContainerAppSpecInput) => void, (string | number)[], (s: ContainerAppSpecInput) => void][] = [
    ['a service name of 3 characters', (s) => (s.name = 'abc'), ['name'], (s) => (s.name = 'abcd')],
    ['a service name starting with a digit', (s) => (s.name = '1gateway'), ['name'], (s) => (s.name = 'gateway1')],
    ['an upper-case container name', (s) => (s.containers[0]!.name = 'API'), ['containers', 0, 'name'], (s) => (s.containers[0]!.name = 'api-2')],
    [
      'port 0',
      (s) => (s.containers[0]!.ports![0]!.containerPort = 0),
      ['containers', 0, 'ports', 0, 'containerPort'],
      (s) => (s.containers[0]!.ports![0]!.containerPort = 1),
    ],
    [
      'port 65536',
      (s) => (s.containers[0]!.ports![0]!.containerPort = 65536),
      ['containers', 0, 'ports', 0, 'containerPort'],
      (s) => (s.containers[0]!.ports![0]!.containerPort = 65535),
    ],
    [
      'one container-side port in two containers',
      (s) => (s.containers[1]!.ports![0]!.containerPort = 8080),
      ['containers', 1, 'ports', 0, 'containerPort'],
      (s) => (s.containers[1]!.ports![0]!.containerPort = 8081),
    ],
    ['two containers with one name', (s) => (s.containers[1]!.name = 'api'), ['containers', 1, 'name'], (s) => (s.containers[1]!.name = 'exporter')],
    [
      'an init container named like a container',
      (s) => (s.initContainers![0]!.name = 'api'),
      ['containers', 0, 'name'],
      (s) => (s.initContainers![0]!.name = 'init-api'),
    ],
    [
      'GPU memory not in 256 MiB units',
      (s) => (s.containers[0]!.gpu = { memoryMiB: 1000, computePercent: 30 }),
      ['containers', 0, 'gpu', 'memoryMiB'],
      (s) => (s.containers[0]!.gpu = { memoryMiB: 768, computePercent: 30 }),
    ],
    [
      'GPU memory without a compute %',
      (s) => (s.containers[0]!.gpu = { memoryMiB: 512 }),
      ['containers', 0, 'gpu', 'computePercent'],
      (s) => (s.containers[0]!.gpu = { memoryMiB: 512, computePercent: 100 }),
    ],
    [
      'an env name starting with a digit',
      (s) => (s.containers[0]!.env![0]!.name = '1LEVEL'),
      ['containers', 0, 'env', 0, 'name'],
      (s) => (s.containers[0]!.env![0]!.name = '_LEVEL1'),
    ],
    [
      'an env name with a dash',
      (s) => (s.containers[0]!.env![0]!.name = 'LOG-LEVEL'),
      ['containers', 0, 'env', 0, 'name'],
      (s) => (s.containers[0]!.env![0]!.name = 'LOG_LEVEL'),
    ],
    [
      'a relative mount path',
      (s) => (s.containers[0]!.volumeMounts![0]!.mountPath = 'models'),
      ['containers', 0, 'volumeMounts', 0, 'mountPath'],
      (s) => (s.containers[0]!.volumeMounts![0]!.mountPath = '/srv/models'),
    ],
    [
      'a mount path with ..',
      (s) => (s.containers[0]!.volumeMounts![0]!.mountPath = '/srv/../etc'),
      ['containers', 0, 'volumeMounts', 0, 'mountPath'],
      (s) => (s.containers[0]!.volumeMounts![0]!.mountPath = '/etc/app'),
    ],
    ['a relative hostPath', (s) => (s.volumes![0]!.hostPath = 'var/lib/models'), ['volumes', 0, 'hostPath'], (s) => (s.volumes![0]!.hostPath = '/data/models')],
    [
      'a mount of an undefined volume',
      (s) => (s.containers[0]!.volumeMounts![0]!.volume = 'weights'),
      ['containers', 0, 'volumeMounts', 0, 'volume'],
      (s) => (s.containers[0]!.volumeMounts![0]!.volume = 'models'),
    ],
    ['no container', (s) => (s.containers = []), ['containers'], (s) => (s.containers = [{ name: 'only', imageArtifactId: IMG }])],
    ['a DaemonSet with 3 replicas', (s) => ((s.workload = 'DaemonSet'), (s.replicas = 3)), ['replicas'], (s) => (s.replicas = 1)],
    ['workload "StatefulSet"', (s) => ((s as { workload: string }).workload = 'StatefulSet'), ['workload'], (s) => (s.workload = 'Job')],
    [
      'protocol "SCTP"',
      (s) => ((s.containers[0]!.ports![0] as { protocol: string }).protocol = 'SCTP'),
      ['containers', 0, 'ports', 0, 'protocol'],
      (s) => (s.containers[0]!.ports![0]!.protocol = 'TCP'),
    ],
  ];
  it.each(cases)('refuses %s at its field, in both languages, and accepts the fix', (_what, breakIt, pathTo, fixIt) => {
    const found = issues(patch(breakIt));
    expect(found.map((i) => i.path)).toContainEqual(pathTo);
    const issue = found.find((i) => JSON.stringify(i.path) === JSON.stringify(pathTo))!;
    expect(issue.message.zh).toMatch(/[\u4e00-\u9fff]/);
    expect(
      issues(
        patch((s) => {
          breakIt(s);
          fixIt(s);
        }),
      ),
    ).toEqual([]);
  });

  it('keeps init containers in the order given', () => {
    const spec = ContainerAppSpecSchema.parse(patch((s) => (s.initContainers = ['first', 'second', 'third'].map((name) => ({ name, imageArtifactId: IMG })))));
    expect(spec.initContainers.map((c) => c.name)).toEqual(['first', 'second', 'third']);
  });
});

describe('light app validation', () => {
  const light = { name: 'sensor_reader', packageArtifactId: IMG, startCommand: 'python3 main.py', env: [{ name: 'PORT', value: '/dev/ttyUSB0' }] };
  it.each([
    ['a name of 3 characters', { name: 'abc' }, ['name'], { name: 'abcd' }],
    ['a name with a dash', { name: 'sensor-reader' }, ['name'], { name: 'sensor_reader' }],
    ['a name of 33 characters', { name: 'a'.repeat(33) }, ['name'], { name: 'a'.repeat(32) }],
    ['an empty start command', { startCommand: '  ' }, ['startCommand'], { startCommand: './run' }],
    ['a memory limit of 1 MiB', { memoryLimitMiB: 1 }, ['memoryLimitMiB'], { memoryLimitMiB: 64 }],
  ])('refuses %s and accepts the fix', (_what, broken, pathTo, fixed) => {
    const r = LightAppSpecSchema.safeParse({ ...light, ...broken });
    expect(r.success).toBe(false);
    expect(toFieldIssues(r.error!.issues).map((i) => i.path)).toContainEqual(pathTo);
    expect(LightAppSpecSchema.safeParse({ ...light, ...fixed }).success).toBe(true);
  });
});
