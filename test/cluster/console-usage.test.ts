/**
 * The console's usage figures as the Pods and Nodes views show them
 * (renderer/src/clusters/console/quantity.ts and usage.ts; a pod's limits
 * from renderer/src/clusters/pods/pod.ts): CPU as Kubernetes writes it, a
 * share of a limit and its colour, a pod's figures found by name, and each
 * container's against its own limit, as the pod drawer shows them.
 */
import { describe, expect, it } from 'vitest';
import { formatMillicores } from '../../renderer/src/clusters/console/quantity';
import { containerUsage, percentOf, podUsageIndex, podUsageOf, usageTone, type PodContainer, type PodUsage } from '../../renderer/src/clusters/console/usage';
import { podRow } from '../../renderer/src/clusters/pods/pod';

const Mi = 2 ** 20;
const running = { running: { startedAt: '2025-01-01T00:00:00Z' } };

describe('usage figures', () => {
  it('writes CPU as kubectl top does under a core, and in cores from one', () => {
    expect([0, 0.2, 0.6, 3, 250, 999.4].map(formatMillicores)).toEqual(['0m', '<1m', '1m', '3m', '250m', '999m']);
    expect([999.6, 1000, 1500, 2250, 12_400].map(formatMillicores)).toEqual(['1', '1', '1.5', '2.25', '12']);
  });

  it('gives a share only of a limit there is, amber from 75 % and red from 90 %', () => {
    expect(percentOf(120, 500)).toBe(24);
    expect(percentOf(120, null)).toBeNull();
    expect(percentOf(120, 0)).toBeNull();
    expect([null, 10, 74, 75, 89, 90, 140].map(usageTone)).toEqual([undefined, undefined, undefined, 'warning', 'warning', 'danger', 'danger']);
  });

  it('finds a pod’s figures by namespace and name', () => {
    const index = podUsageIndex([
      { namespace: 'default', name: 'api-1', cpuMillicores: 3, memoryBytes: 1024, containers: [] },
      { namespace: 'plant', name: 'api-1', cpuMillicores: 7, memoryBytes: 2048, containers: [] },
    ]);
    expect(podUsageOf(index, { namespace: 'plant', name: 'api-1' })?.cpuMillicores).toBe(7);
    expect(podUsageOf(index, { namespace: 'default', name: 'api-2' })).toBeNull();
    expect(podUsageOf(null, { namespace: 'default', name: 'api-1' })).toBeNull();
  });

  it('sums a pod’s limits over its containers, and has none when one container has none', () => {
    const pod = (containers: { limits?: Record<string, string> }[]) =>
      podRow({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'default', uid: `u-${Math.random()}` },
        spec: { containers: containers.map((c, i) => ({ name: `c${i}`, ...(c.limits ? { resources: { limits: c.limits } } : {}) })) },
      });
    expect(pod([{ limits: { cpu: '250m', memory: '64Mi' } }, { limits: { cpu: '1', memory: '1Gi' } }]).limits).toEqual({
      cpuMillicores: 1250,
      memoryBytes: 64 * 2 ** 20 + 2 ** 30,
    });
    expect(pod([{ limits: { cpu: '500m' } }, {}]).limits).toEqual({ cpuMillicores: null, memoryBytes: null });
    expect(pod([{ limits: { memory: '128Mi' } }]).limits).toEqual({ cpuMillicores: null, memoryBytes: 128 * 2 ** 20 });
  });
});

describe('usage by container', () => {
  /** A pod whose containers use these figures (millicores, bytes), its totals their sum. */
  const podUsage = (containers: PodUsage['containers']): PodUsage => ({
    namespace: 'default',
    name: 'p',
    cpuMillicores: containers.reduce((n, c) => n + c.cpuMillicores, 0),
    memoryBytes: containers.reduce((n, c) => n + c.memoryBytes, 0),
    containers,
  });

  it('colours each container against its own limit, not the pod’s: amber from 75 %, red from 90 %', () => {
    const containers: PodContainer[] = [
      { name: 'app', init: false, resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } }, state: running },
      { name: 'cache', init: false, resources: { limits: { cpu: '2', memory: '1Gi' } }, state: running },
      { name: 'shell', init: false, state: running },
    ];
    const usage = podUsage([
      { name: 'app', cpuMillicores: 180, memoryBytes: 100 * Mi },
      { name: 'cache', cpuMillicores: 20, memoryBytes: 10 * Mi },
      { name: 'shell', cpuMillicores: 5, memoryBytes: 2 * Mi },
    ]);
    const rows = containerUsage(containers, usage);
    expect(rows.map((r) => r.name)).toEqual(['app', 'cache', 'shell']);
    expect(rows[0]!.cpu).toEqual({ used: 180, request: 100, limit: 200, percent: 90 });
    expect(rows[0]!.memory).toEqual({ used: 100 * Mi, request: 64 * Mi, limit: 128 * Mi, percent: 78 });
    expect(rows[1]!.cpu).toEqual({ used: 20, request: null, limit: 2000, percent: 1 });
    // Without a limit, a figure but no share and no colour.
    expect(rows[2]!.cpu).toEqual({ used: 5, request: null, limit: null, percent: null });
    expect(rows.map((r) => [usageTone(r.cpu.percent), usageTone(r.memory.percent)])).toEqual([
      ['danger', 'warning'],
      [undefined, undefined],
      [undefined, undefined],
    ]);
    // The app container is red, while the pod (app and cache: 200m of 2.2 cores) shows no colour.
    const pod = podRow({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default', uid: 'u-app-cache' },
      spec: { containers: containers.slice(0, 2) },
    });
    expect(pod.limits.cpuMillicores).toBe(2200);
    expect(usageTone(percentOf(180 + 20, pod.limits.cpuMillicores))).toBeUndefined();
  });

  it('turns amber and red at 75 % and 90 % of each container’s own limit', () => {
    const tones = [740, 750, 890, 900, 1200].map((used) => {
      const [row] = containerUsage(
        [{ name: 'app', init: false, resources: { limits: { cpu: '1', memory: '1000' } }, state: running }],
        podUsage([{ name: 'app', cpuMillicores: used, memoryBytes: used }]),
      );
      return [row!.cpu.percent, usageTone(row!.cpu.percent), usageTone(row!.memory.percent)];
    });
    expect(tones).toEqual([
      [74, undefined, undefined],
      [75, 'warning', 'warning'],
      [89, 'warning', 'warning'],
      [90, 'danger', 'danger'],
      [120, 'danger', 'danger'],
    ]);
  });

  it('says why a container has no figure: an init container done, one not running, one not measured yet, or a pod without figures', () => {
    const containers: PodContainer[] = [
      { name: 'migrate', init: true, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { name: 'proxy', init: true, state: running },
      { name: 'app', init: false, state: running },
      { name: 'worker', init: false, state: { waiting: { reason: 'CrashLoopBackOff' } } },
      { name: 'batch', init: false, state: { terminated: { exitCode: 1, reason: 'Error' } } },
      { name: 'late', init: false, state: running },
      { name: 'unknown', init: false },
    ];
    const usage = podUsage([
      { name: 'proxy', cpuMillicores: 4, memoryBytes: 8 * Mi },
      { name: 'app', cpuMillicores: 12, memoryBytes: 32 * Mi },
    ]);
    const rows = containerUsage(containers, usage);
    expect(rows.map((r) => [r.name, r.unmeasured, r.cpu.used, r.memory.used])).toEqual([
      ['migrate', 'init-done', null, null],
      ['proxy', null, 4, 8 * Mi],
      ['app', null, 12, 32 * Mi],
      ['worker', 'not-running', null, null],
      ['batch', 'not-running', null, null],
      ['late', 'not-yet', null, null],
      ['unknown', 'not-yet', null, null],
    ]);
    // No figure has no share and no colour, whatever the limit.
    expect(containerUsage([{ name: 'worker', init: false, resources: { limits: { cpu: '1m' } } }], usage)[0]!.cpu.percent).toBeNull();
    expect(containerUsage(containers, null).map((r) => r.unmeasured)).toEqual(containers.map(() => 'pod'));
  });
});
