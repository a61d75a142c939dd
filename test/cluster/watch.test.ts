/**
 * The console's live view (ClusterWatch: client-node's list + watch per
 * kind) against the Kubernetes API stand-in: snapshots then batched
 * changes, a dropped watch resumed from its last resourceVersion, a 410
 * relisted, and an unreachable server shown as offline with the last known
 * objects kept, then caught up once it answers again; watch bookmarks
 * keeping a quiet kind's sync time fresh; and the subscriptions following
 * the cluster's credential (replaced: carried on; revoked: ended).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../main/api/errors';
import { ClusterWatch, type WatchEvent } from '../../main/cluster';
import type { WatchCache } from '../../main/cluster/watch';
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

/** The stand-in's kubeconfig with its bearer token instead of the client certificate: another credential for the same cluster. */
const tokenKubeconfig = (k: KubeStandIn, server?: string) =>
  k
    .kubeconfig(server)
    .replace(/^ {4}client-certificate-data: .*\n/m, '')
    .replace(/^ {4}client-key-data: .*$/m, `    token: ${k.token}`);

/** A cache in memory, recording what was kept. */
function memoryCache() {
  const kept = new Map<string, { items: Record<string, unknown>[]; syncedAt: string }>();
  const saves: { key: string; syncedAt: string }[] = [];
  const cache: WatchCache = {
    load: (id, kind) => kept.get(`${id}/${kind}`) ?? null,
    save: (id, kind, c) => {
      kept.set(`${id}/${kind}`, c);
      saves.push({ key: `${id}/${kind}`, syncedAt: c.syncedAt });
    },
  };
  return { cache, kept, saves };
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

  it('gives a kind without objects an empty snapshot, so that a window knows it is empty rather than not listed yet', async () => {
    const watch = new ClusterWatch(() => kube.kubeconfig());
    const v = view();
    const off = watch.subscribe('c-empty', ['statefulsets'], (e) => v.on(e));
    try {
      await until('the empty snapshot', () => v.objects.has('statefulsets'));
      expect(v.names('statefulsets')).toEqual([]);
      expect(v.connection.get('statefulsets')?.connection.state).toBe('online');
    } finally {
      off();
      await watch.close();
    }
  });

  it('refreshes a quiet kind’s sync time from watch bookmarks, telling the window at most once a second, and keeps the newer time', async () => {
    const quiet = await startKubeStandIn({ bookmarkIntervalMs: 50 });
    const { cache, saves } = memoryCache();
    const watch = new ClusterWatch(() => quiet.kubeconfig(), cache);
    const v = view();
    const off = watch.subscribe('c-bookmarks', ['cronjobs'], (e) => v.on(e));
    try {
      await until('online', () => v.connection.get('cronjobs')?.connection.state === 'online');
      const first = v.connection.get('cronjobs')!.connection.lastSyncAt!;
      const told = () => v.events.filter((e) => e.type === 'connection').length;
      const toldBefore = told();
      const t0 = Date.now();
      // Nothing changes in this kind: only bookmarks can say that the server is still in sync.
      await until('a newer sync time', () => (v.connection.get('cronjobs')!.connection.lastSyncAt ?? '') > first);
      expect(v.connection.get('cronjobs')!.connection.state).toBe('online');
      await sleep(2_500);
      const bookmarks = Math.floor((Date.now() - t0) / 50);
      // Twenty bookmarks a second arrive; the window hears of them about once a second (a loaded machine only means fewer).
      expect(told() - toldBefore).toBeGreaterThanOrEqual(1);
      expect(told() - toldBefore).toBeLessThanOrEqual(Math.ceil((Date.now() - t0) / 1000) + 1);
      expect(told() - toldBefore).toBeLessThan(bookmarks);
      expect(v.events.filter((e) => e.type !== 'connection')).toHaveLength(1);
      expect(quiet.requests.filter((r) => r.path === '/apis/batch/v1/cronjobs' && r.query.watch !== 'true')).toHaveLength(1);
      const keptAt = saves.at(-1)!.syncedAt;
      off();
      await watch.close();
      // Stopped: the kept copy carries the last sync time a bookmark gave, though no object changed.
      expect(saves.at(-1)!.syncedAt > keptAt).toBe(true);
    } finally {
      off();
      await watch.close();
      await quiet.close();
    }
  }, 30_000);

  it('carries the subscriptions over to a replaced kubeconfig: the streams go on with the new credential, from what they hold (no new snapshot)', async () => {
    const r = await relay(new URL(kube.url));
    let kubeconfig = kube.kubeconfig(r.url());
    const watch = new ClusterWatch(() => kubeconfig);
    const v = view();
    const ended: AppError[] = [];
    const off = watch.subscribe(
      'c3',
      ['nodes', 'pods'],
      (e) => v.on(e),
      (e) => ended.push(e),
    );
    try {
      await until('both snapshots', () => v.connection.get('nodes')?.connection.state === 'online' && v.objects.has('pods'));
      const snapshots = () => v.events.filter((e) => e.type === 'snapshot').length;
      const before = snapshots();
      const requestsBefore = kube.requests.length;

      // Another credential, another address; the old one's cable is pulled, so only the new one can bring news.
      kubeconfig = tokenKubeconfig(kube);
      const renewing = watch.renew('c3');
      expect(v.connection.get('nodes')?.connection.state).toBe('connecting');
      await renewing;
      await r.cut();
      kube.addNode('edge-after-renew');
      await until('the node added after the renewal', () => v.names('nodes').includes('/edge-after-renew'));
      await until('online again', () => v.connection.get('pods')?.connection.state === 'online');
      expect(snapshots()).toBe(before);
      expect(ended).toEqual([]);
      // Listed and watched with the token. (An old watch that was still starting may have reached the server before the cut.)
      const byToken = (watching: boolean) => () =>
        kube.requests.slice(requestsBefore).some((x) => x.path === '/api/v1/nodes' && (x.query.watch === 'true') === watching && x.auth === 'token');
      await until('a list with the new credential', byToken(false));
      await until('a watch with the new credential', byToken(true));
    } finally {
      off();
      await watch.close();
      await r.close();
    }
  });

  it('ends every subscription to a cluster whose credential is revoked, once, with the reason, and keeps nothing more of it', async () => {
    const { cache, saves } = memoryCache();
    const watch = new ClusterWatch(() => kube.kubeconfig(), cache);
    const v = view();
    const other = view();
    const ended: AppError[] = [];
    const off = watch.subscribe(
      'c4',
      ['nodes', 'pods'],
      (e) => v.on(e),
      (e) => ended.push(e),
    );
    const offOther = watch.subscribe('c5', ['nodes'], (e) => other.on(e));
    try {
      await until('the snapshots', () => v.objects.has('nodes') && v.objects.has('pods') && other.objects.has('nodes'));
      const events = v.events.length;
      const kept = saves.length;
      const reason = new AppError('CLUSTER_CREDENTIAL_REVOKED', { en: 'revoked', zh: '已撤销' });
      await watch.end('c4', reason);
      expect(ended).toEqual([reason]);

      kube.addNode('edge-after-revoke');
      await until('the other cluster told', () => other.names('nodes').includes('/edge-after-revoke'));
      await sleep(300);
      expect(v.events.length).toBe(events);
      expect(saves.slice(kept).filter((x) => x.key.startsWith('c4/'))).toEqual([]);
      off();
      expect(ended).toHaveLength(1);

      // A later subscription starts afresh, with a list of its own.
      const again = view();
      const lists = () => kube.requests.filter((x) => x.path === '/api/v1/nodes' && x.query.watch !== 'true').length;
      const listsBefore = lists();
      const offAgain = watch.subscribe('c4', ['nodes'], (e) => again.on(e));
      await until('a new list', () => lists() > listsBefore && again.names('nodes').includes('/edge-after-revoke'));
      offAgain();
    } finally {
      off();
      offOther();
      await watch.close();
    }
  });
});
