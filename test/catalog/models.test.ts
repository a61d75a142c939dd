import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardwareModelSpecSchema, type HardwareModelSpecInput } from '../../main/api/contract';
import { toFieldIssues } from '../../main/api/validation';
import { ArtifactService, artifactsSchema } from '../../main/artifacts';
import { catalogSchema, ModelErrors, ModelService } from '../../main/catalog';
import { JobService, jobsSchema } from '../../main/jobs';
import { Store } from '../../main/store';
import { tempDir } from '../support/tmp';

const valid: HardwareModelSpecInput = {
  name: 'edge-box-x1',
  os: { family: 'rocky', version: '9.4' },
  arch: 'x86_64',
  minCpuCores: 4,
  minMemoryMiB: 8192,
  minDiskGiB: 64,
  installDisk: '/dev/sda',
  accelerators: [{ kind: 'nvidia-gpu', count: 1, pciIds: ['10de:2204'] }],
  nics: [
    { name: 'eth0', role: 'wan', addressing: 'dhcp' },
    { name: 'eth1', role: 'cluster', addressing: 'static', address: '10.0.0.11/24', gateway: '10.0.0.1' },
  ],
  serialPorts: [
    { device: '/dev/ttyS0', role: 'console', baud: 115200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none', provisioningConsole: true },
    { device: '/dev/ttyUSB1', role: 'rs485', baud: 4800, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' },
  ],
};

function issues(spec: unknown) {
  const r = HardwareModelSpecSchema.safeParse(spec);
  return r.success ? [] : toFieldIssues(r.error.issues);
}

function patch(mutate: (s: HardwareModelSpecInput) => void): HardwareModelSpecInput {
  const s = structuredClone(valid);
  mutate(s);
  return s;
}

describe('hardware model validation (every rule fails and passes)', () => {
  it('accepts a complete model, x86_64 and aarch64', () => {
    expect(issues(valid)).toEqual([]);
    expect(issues(patch((s) => ((s.arch = 'aarch64'), (s.accelerators = []))))).toEqual([]);
  });

  const cases: [string, (s: HardwareModelSpecInput) => void, (string | number)[], (s: HardwareModelSpecInput) => void][] = [
    ['name with a space', (s) => (s.name = 'edge box'), ['name'], (s) => (s.name = '边缘盒子-1')],
    ['name starting with _', (s) => (s.name = '_box'), ['name'], (s) => (s.name = 'box_1')],
    ['name of 64 characters', (s) => (s.name = 'a'.repeat(64)), ['name'], (s) => (s.name = 'a'.repeat(63))],
    [
      'PCI id not hex vendor:device',
      (s) => (s.accelerators![0]!.pciIds = ['10de-2204']),
      ['accelerators', 0, 'pciIds', 0],
      (s) => (s.accelerators![0]!.pciIds = ['8086:56A0']),
    ],
    [
      'OpenVINO without its device',
      (s) => (s.accelerators = [{ kind: 'openvino', count: 1, pciIds: ['8086:4680'] }]),
      ['accelerators', 0, 'device'],
      (s) => (s.accelerators = [{ kind: 'openvino', device: 'npu', count: 1, pciIds: ['8086:7d1d'] }]),
    ],
    [
      'OpenVINO on aarch64',
      (s) => ((s.arch = 'aarch64'), (s.accelerators = [{ kind: 'openvino', device: 'vpu', count: 1, pciIds: ['8086:6240'] }])),
      ['accelerators', 0, 'kind'],
      (s) => (s.arch = 'x86_64'),
    ],
    ['accelerator count 0', (s) => (s.accelerators![0]!.count = 0), ['accelerators', 0, 'count'], (s) => (s.accelerators![0]!.count = 2)],
    ['baud 1000', (s) => (s.serialPorts![1]!.baud = 1000), ['serialPorts', 1, 'baud'], (s) => (s.serialPorts![1]!.baud = 921600)],
    ['data bits 9', (s) => (s.serialPorts![1]!.dataBits = 9), ['serialPorts', 1, 'dataBits'], (s) => (s.serialPorts![1]!.dataBits = 5)],
    [
      'parity "high"',
      (s) => ((s.serialPorts![1] as { parity: string }).parity = 'high'),
      ['serialPorts', 1, 'parity'],
      (s) => (s.serialPorts![1]!.parity = 'mark'),
    ],
    [
      'stop bits 3',
      (s) => ((s.serialPorts![1] as { stopBits: number }).stopBits = 3),
      ['serialPorts', 1, 'stopBits'],
      (s) => (s.serialPorts![1]!.stopBits = 1.5),
    ],
    [
      'flow control "dtr"',
      (s) => ((s.serialPorts![1] as { flowControl: string }).flowControl = 'dtr'),
      ['serialPorts', 1, 'flowControl'],
      (s) => (s.serialPorts![1]!.flowControl = 'xon-xoff'),
    ],
    ['serial device "ttyS1"', (s) => (s.serialPorts![1]!.device = 'ttyS1'), ['serialPorts', 1, 'device'], (s) => (s.serialPorts![1]!.device = 'COM3')],
    [
      'the same serial device twice',
      (s) => (s.serialPorts![1]!.device = '/dev/ttyS0'),
      ['serialPorts', 1, 'device'],
      (s) => (s.serialPorts![1]!.device = '/dev/ttyS1'),
    ],
    [
      'two provisioning consoles',
      (s) => ((s.serialPorts![1]!.provisioningConsole = true), (s.serialPorts![1]!.role = 'console')),
      ['serialPorts', 1, 'provisioningConsole'],
      (s) => (s.serialPorts![1]!.provisioningConsole = false),
    ],
    [
      'a provisioning console with an RS-485 role',
      (s) => (s.serialPorts![0]!.role = 'rs485'),
      ['serialPorts', 0, 'role'],
      (s) => (s.serialPorts![0]!.role = 'console'),
    ],
    ['the same NIC name twice', (s) => (s.nics![1]!.name = 'eth0'), ['nics', 1, 'name'], (s) => (s.nics![1]!.name = 'enp3s0')],
    ['NIC name of 16 characters', (s) => (s.nics![0]!.name = 'a'.repeat(16)), ['nics', 0, 'name'], (s) => (s.nics![0]!.name = 'a'.repeat(15))],
    ['static NIC without a CIDR', (s) => (s.nics![1]!.address = '10.0.0.11'), ['nics', 1, 'address'], (s) => (s.nics![1]!.address = '10.0.0.11/24')],
    ['gateway not IPv4', (s) => (s.nics![1]!.gateway = '10.0.0'), ['nics', 1, 'gateway'], (s) => (s.nics![1]!.gateway = '10.0.0.254')],
    ['DHCP NIC with an address', (s) => (s.nics![0]!.address = '10.0.0.5/24'), ['nics', 0, 'address'], (s) => (s.nics![0]!.address = null)],
    ['no NIC at all', (s) => (s.nics = []), ['nics'], (s) => (s.nics = [{ name: 'eth0', role: 'mgmt', addressing: 'none' }])],
    ['1 GiB of RAM', (s) => (s.minMemoryMiB = 1024), ['minMemoryMiB'], (s) => (s.minMemoryMiB = 2048)],
    ['8 GiB of disk', (s) => (s.minDiskGiB = 8), ['minDiskGiB'], (s) => (s.minDiskGiB = 16)],
    ['0 CPU cores', (s) => (s.minCpuCores = 0), ['minCpuCores'], (s) => (s.minCpuCores = 1)],
    ['install disk "sda"', (s) => (s.installDisk = 'sda'), ['installDisk'], (s) => (s.installDisk = '/dev/nvme0n1')],
    ['arch "x86"', (s) => ((s as { arch: string }).arch = 'x86'), ['arch'], (s) => (s.arch = 'x86_64')],
    ['OS family "windows"', (s) => ((s.os as { family: string }).family = 'windows'), ['os', 'family'], (s) => (s.os.family = 'openeuler')],
  ];
  it.each(cases)('refuses %s at its field, in both languages, and accepts the fix', (_what, breakIt, pathTo, fixIt) => {
    const broken = patch(breakIt);
    const found = issues(broken);
    expect(found.map((i) => i.path)).toContainEqual(pathTo);
    const issue = found.find((i) => JSON.stringify(i.path) === JSON.stringify(pathTo))!;
    expect(issue.message.en.length).toBeGreaterThan(5);
    expect(issue.message.zh).toMatch(/[\u4e00-\u9fff]/);
    const fixed = patch((s) => {
      breakIt(s);
      fixIt(s);
    });
    expect(issues(fixed)).toEqual([]);
  });
});

function service() {
  const dir = tempDir();
  const store = Store.open(path.join(dir, 'db.sqlite'), [jobsSchema, artifactsSchema, catalogSchema]);
  const jobs = new JobService(store.db);
  const artifacts = new ArtifactService(store.db, path.join(dir, 'blobs'), jobs);
  return { store, models: new ModelService(store.db, artifacts) };
}

describe('hardware model lifecycle', () => {
  it('goes draft → published (frozen) → new revision → retired, with a diff between revisions', () => {
    const { store, models } = service();
    const spec = HardwareModelSpecSchema.parse(valid);
    const m = models.create(spec);
    expect(m.revisions.map((r) => [r.revision, r.state])).toEqual([[1, 'draft']]);
    models.update(m.id, { ...spec, minCpuCores: 8 });
    models.publish(m.id);
    expect(() => models.update(m.id, spec)).toThrow(expect.objectContaining({ code: ModelErrors.MODEL_REVISION_FROZEN }));
    expect(() => models.publish(m.id)).toThrow(expect.objectContaining({ code: ModelErrors.MODEL_NO_DRAFT }));
    models.newRevision(m.id);
    expect(() => models.newRevision(m.id)).toThrow(expect.objectContaining({ code: ModelErrors.MODEL_DRAFT_EXISTS }));
    const changed = {
      ...spec,
      minCpuCores: 8,
      minMemoryMiB: 16384,
      nics: [...spec.nics, { name: 'eth2', role: 'field' as const, addressing: 'none' as const, address: null, gateway: null }],
    };
    models.update(m.id, changed);
    models.publish(m.id);
    models.retire(m.id, 1);
    const after = models.get(m.id);
    expect(after.revisions.map((r) => [r.revision, r.state])).toEqual([
      [1, 'retired'],
      [2, 'published'],
    ]);
    expect(models.diff(m.id, 1, 2)).toEqual([
      { path: 'minMemoryMiB', before: 8192, after: 16384 },
      { path: 'nics[2]', before: null, after: { name: 'eth2', role: 'field', addressing: 'none', address: null, gateway: null } },
    ]);
    expect(() => models.retire(m.id, 1)).toThrow(expect.objectContaining({ code: ModelErrors.MODEL_REVISION_NOT_PUBLISHED }));
    store.close();
  });

  it('refuses a duplicate name and a reference to an artifact that is not there', () => {
    const { store, models } = service();
    const spec = HardwareModelSpecSchema.parse(valid);
    models.create(spec);
    expect(() => models.create(spec)).toThrow(expect.objectContaining({ code: ModelErrors.MODEL_NAME_TAKEN, field: ['name'] }));
    expect(() => models.create({ ...spec, name: 'other', os: { ...spec.os, baseIsoArtifactId: 'art_0123456789abcdef0123' } })).toThrow(
      expect.objectContaining({ code: 'ARTIFACT_NOT_FOUND', field: ['os', 'baseIsoArtifactId'] }),
    );
    store.close();
  });
});
