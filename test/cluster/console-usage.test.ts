/**
 * The console's usage figures as the Pods and Nodes views show them
 * (renderer/src/clusters/console/quantity.ts and usage.ts; a pod's limits
 * from renderer/src/clusters/pods/pod.ts): CPU as Kubernetes writes it, a
 * share of a limit and its colour, and a pod's figures found by name.
 */
import { describe, expect, it } from 'vitest';
import { formatMillicores } from '../../renderer/src/clusters/console/quantity';
import { percentOf, podUsageIndex, podUsageOf, usageTone } from '../../renderer/src/clusters/console/usage';
import { podRow } from '../../renderer/src/clusters/pods/pod';

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
      { namespace: 'default', name: 'api-1', cpuMillicores: 3, memoryBytes: 1024 },
      { namespace: 'plant', name: 'api-1', cpuMillicores: 7, memoryBytes: 2048 },
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
