/**
 * The console's live view (ClusterWatch: client-node's list + watch per
 * kind) against the Kubernetes API stand-in: snapshots then batched
 * changes, a dropped watch resumed from its last resourceVersion, a 410
 * relisted, and an unreachable server shown as offline with the last known
 * objects kept, then caught up once it answers again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterWatch, type WatchEvent } from '../../main/cluster';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { tcpRelay as relay } from '../support/relay';

let kube: KubeStandIn;
beforeAll(async () => {
  kube = await startKubeStandIn();
  kube.seed({ nodes: 3, pods: 12, namespaces: 2 });
});
afterAll(async () => kube?.close());

/** What a window would hold: objects by namespace/name per kind, and each kind's connection. */
function view() {
  const v = {
    objects: new Map<string, Map<string, Record<string, unknown>>>(),
    connection: new Map<string, WatchEvent & { type: 'connection' }>(),
    events: [] as WatchEvent[],
    names(kind: string) {
      return [...(v.objects.get(kind)?.keys() ?? [])].sort();
    },
    on(e: WatchEvent) {
      v.events.push(e);
      const key = (o: Record<string, unknown>) => {
        const m = o.metadata as { namespace?: string; name: string };
        return `${m.namespace ?? ''}/${m.name}`;
      };
      if (e.type === 'connection') v.connection.set(e.kind, e);
      else if (e.type === 'snapshot') v.objects.set(e.kind, new Map(e.items.map((o) => [key(o), o])));
      else {
        const m = v.objects.get(e.kind) ?? new Map();
        for (const o of e.upserts) m.set(key(o), o);
        for (const d of e.deletes) m.delete(`${d.namespace ?? ''}/${d.name}`);
        v.objects.set(e.kind, m);
      }
    },
  };
  return v;
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('ClusterWatch', () => {
  it('gives each kind its snapshot, then batched changes; a dropped watch resumes from the last resourceVersion without listing again', async () => {
    const watch = new ClusterWatch(() => kube.kubeconfig());
    const v = view();
    const off = watch.subscribe('c1', ['nodes', 'pods'], (e) => v.on(e));
    try {
      await until('both snapshots', () => v.names('nodes').length === 3 && v.names('pods').length === 12);
      expect(v.connection.get('nodes')?.connection.state).toBe('online');
      const pod = [...v.objects.get('pods')!.values()][0]!;
      expect((pod.metadata as Record<string, unknown>).managedFields).toBeUndefined();

      kube.addNode('edge-extra');
      await until('the new node', () => v.names('nodes').includes('/edge-extra'));
      kube.setNodeReady('edge-extra', false, { reason: 'KubeletNotReady' });
      await until('the node NotReady', () => {
        const n = v.objects.get('nodes')!.get('/edge-extra') as { status?: { conditions?: { type: string; status: string }[] } };
        return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False') ?? false;
      });

      // The watch connection is reset: the next watch starts from the resourceVersion last seen, without a new list.
      const lists = () => kube.requests.filter((r) => r.path === '/api/v1/nodes' && r.query.watch !== 'true').length;
      const listsBefore = lists();
      const watchesBefore = kube.requests.filter((r) => r.path === '/api/v1/nodes' && r.query.watch === 'true').length;
      kube.dropWatches('reset');
      await until('a new watch', () => kube.requests.filter((r) => r.path === '/api/v1/nodes' && r.query.watch === 'true').length > watchesBefore);
      const resumed = kube.requests.filter((r) => r.path === '/api/v1/nodes' && r.query.watch === 'true').at(-1)!;
      expect(Number(resumed.query.resourceVersion)).toBeGreaterThan(0);
      expect(lists()).toBe(listsBefore);
      const client = new KubeConfig();
      client.loadFromString(kube.kubeconfig());
      await client.makeApiClient(CoreV1Api).deleteNode({ name: 'edge-extra' });
      await until('the deleted node gone', () => !v.names('nodes').includes('/edge-extra'));

      expect(v.names('nodes')).toHaveLength(3);
    } finally {
      off();
      await watch.close();
    }
  });

  it('shows an unreachable server as offline with the last known objects and their age, then catches up once it answers (listing again on 410 Gone)', async () => {
    const r = await relay(new URL(kube.url));
    const watch = new ClusterWatch(() => kube.kubeconfig(r.url()));
    const v = view();
    const off = watch.subscribe('c2', ['nodes'], (e) => v.on(e));
    try {
      await until('the snapshot', () => v.connection.get('nodes')?.connection.state === 'online' && v.names('nodes').length >= 3);
      const known = v.names('nodes');
      await r.cut();
      await until('offline', () => v.connection.get('nodes')?.connection.state === 'offline', 20_000).catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(v.connection.get('nodes'))}`);
      });
      const offline = v.connection.get('nodes')!.connection;
      expect(offline.problem?.en).toBeTruthy();
      expect(offline.problem?.zh).not.toBe(offline.problem?.en);
      expect(offline.lastSyncAt).not.toBeNull();
      // What the server said last is still there, for the window and for a window that opens now.
      expect(v.names('nodes')).toEqual(known);
      const late = view();
      const offLate = watch.subscribe('c2', ['nodes'], (e) => late.on(e));
      expect(late.names('nodes')).toEqual(known);
      expect(late.connection.get('nodes')?.connection.state).toBe('offline');
      offLate();

      // Changes while offline, and the history they are in compacted away: the resumed watch gets 410 Gone and lists again.
      const lists = () => kube.requests.filter((x) => x.path === '/api/v1/nodes' && x.query.watch !== 'true').length;
      const listsBefore = lists();
      // A time-out says what the watch last reported and what it last asked the server.
      const explain = (e: Error) => {
        const asked = kube.requests.filter((x) => x.path === '/api/v1/nodes').slice(-4);
        throw new Error(`${e.message}: ${JSON.stringify(v.connection.get('nodes'))} ${JSON.stringify(asked.map((x) => [x.query, x.status]))}`);
      };
      kube.addNode('edge-while-offline');
      kube.compact();
      await r.restore();
      await until('online again', () => v.connection.get('nodes')?.connection.state === 'online', 40_000).catch(explain);
      await until('the change made while offline', () => v.names('nodes').includes('/edge-while-offline'), 20_000).catch(explain);
      expect(lists()).toBeGreaterThan(listsBefore);
    } finally {
      off();
      await watch.close();
    }
  }, 90_000);
});
