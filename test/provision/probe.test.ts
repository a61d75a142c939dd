/**
 * The hardware probe script run by this machine's own /bin/sh (a real
 * /proc and /sys), and the comparison with hardware models built from what
 * it found: a model this machine meets passes every check; each way a model
 * can ask for more is named.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HardwareModelSpecSchema, type HardwareModelSpec } from '../../main/api/contract';
import { compareWithModel, parseProbe, PROBE_SCRIPT } from '../../main/provision/probe';

const hw = parseProbe(execFileSync('/bin/sh', ['-c', PROBE_SCRIPT], { encoding: 'utf8' }));

function modelFor(over: Partial<HardwareModelSpec> = {}): HardwareModelSpec {
  const disk = [...hw.disks].sort((a, b) => b.sizeBytes - a.sizeBytes)[0];
  return HardwareModelSpecSchema.parse({
    name: 'this-machine',
    os: { family: 'debian', version: '12' },
    arch: hw.arch === 'aarch64' ? 'aarch64' : 'x86_64',
    minCpuCores: 1,
    minMemoryMiB: 2048,
    minDiskGiB: 16,
    installDisk: disk ? `/dev/${disk.name}` : '/dev/sda',
    nics: hw.nics.slice(0, 1).map((n) => ({ name: n.name, role: 'wan', addressing: 'dhcp' })),
    ...over,
  });
}

describe('hardware probe', () => {
  it('reads arch, CPU, RAM, disks, NICs and DMI from /proc and /sys as the kernel reports them', () => {
    expect(hw.arch).toBe(execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());
    expect(hw.cpuCores).toBe(Number(execFileSync('nproc', { encoding: 'utf8' }).trim()));
    const memKib = Number(/MemTotal:\s+(\d+)/.exec(execFileSync('cat', ['/proc/meminfo'], { encoding: 'utf8' }))![1]);
    expect(hw.memoryMiB).toBe(Math.floor(memKib / 1024));
    expect(hw.nics.length).toBeGreaterThan(0);
    for (const n of hw.nics) expect(n.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$|^$/);
    expect(hw.nics.find((n) => n.name === 'lo')).toBeUndefined();
  });

  it('refuses output cut short', () => {
    const full = execFileSync('/bin/sh', ['-c', PROBE_SCRIPT], { encoding: 'utf8' });
    expect(() => parseProbe(full.split('\n').slice(0, 4).join('\n'))).toThrow(/did not finish/);
  });

  it.skipIf(hw.memoryMiB < 2048 || !hw.disks.some((d) => d.sizeBytes >= 16 * 1024 ** 3))('passes every check of a model this machine meets', () => {
    const checks = compareWithModel(hw, modelFor());
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('names each shortfall: arch, cores, RAM (with the 90% tolerance), disk, NIC, serial port, accelerator, label serial', () => {
    const other = hw.arch === 'x86_64' ? 'aarch64' : 'x86_64';
    const checks = compareWithModel(
      hw,
      modelFor({
        arch: other,
        minCpuCores: hw.cpuCores + 1,
        minMemoryMiB: Math.ceil((hw.memoryMiB + 1) / 0.9) + 1,
        installDisk: '/dev/nvme9n9',
        nics: [
          { name: 'eth0', role: 'wan', addressing: 'dhcp', address: null, gateway: null },
          { name: 'fieldbus7', role: 'field', addressing: 'none', address: null, gateway: null },
        ],
        serialPorts: [
          { device: '/dev/ttyUSB9', role: 'rs485', baud: 9600, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none', provisioningConsole: false },
        ],
        accelerators: [{ kind: 'nvidia-gpu', device: null, count: 2, pciIds: ['10de:2204'], driverArtifactId: null }],
      }),
      'NOT-THIS-ONE',
    );
    const bad = Object.fromEntries(checks.filter((c) => !c.ok).map((c) => [c.check, c]));
    expect(Object.keys(bad)).toEqual(
      expect.arrayContaining(['arch', 'cpu', 'memory', 'disk', 'nic fieldbus7', 'serial /dev/ttyUSB9', 'pci 10de:2204', 'label serial']),
    );
    expect(bad.arch!.message.en).toBe(`CPU architecture ${hw.arch}; the model needs ${other}.`);
    expect(bad.disk!.message.en).toMatch(/^Install disk \/dev\/nvme9n9 is missing; the box has /);
    expect(bad['pci 10de:2204']!.message.zh).toContain('需要 2 个');
    expect(bad['label serial']!.message.en).toContain('NOT-THIS-ONE');
    // 90% of the minimum is what the kernel must show: just above it fails, at it passes.
    const at = compareWithModel(hw, modelFor({ minMemoryMiB: Math.max(2048, Math.floor(hw.memoryMiB / 0.9)) })).find((c) => c.check === 'memory')!;
    expect(at.ok).toBe(hw.memoryMiB >= Math.floor(Math.max(2048, Math.floor(hw.memoryMiB / 0.9)) * 0.9));
  });
});
