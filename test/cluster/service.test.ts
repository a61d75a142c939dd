/**
 * The console's clusters (ClusterService over ClusterStore): kubeconfigs
 * imported, replaced and revoked, sealed in the vault, and the connection
 * state asked of the API server (the Kubernetes API stand-in, since no real
 * one runs here).
 */
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterWatchEvent } from '../../main/api/contract';
import { ClusterService, ClusterStore, clusterSchema } from '../../main/cluster';
import { Store } from '../../main/store';
import { refusal } from '../support/refusal';
import { STAND_IN_K3S_VERSION, startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { tempDir } from '../support/tmp';
import { unlockedVault } from '../support/vault';

let kube: KubeStandIn;
let other: KubeStandIn;
beforeAll(async () => {
  [kube, other] = await Promise.all([startKubeStandIn(), startKubeStandIn()]);
});
afterAll(async () => Promise.all([kube?.close(), other?.close()]));

function station() {
  const dir = tempDir();
  const db = Store.open(path.join(dir, 'station.db'), [clusterSchema]).db;
  const store = new ClusterStore(db, unlockedVault(path.join(dir, 'keys')));
  return { db, store, clusters: new ClusterService(store) };
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('clusters in the console', () => {
  it('imports a kubeconfig sealed, with its credential and expiry, and finds the cluster online with its version', async () => {
    const { db, clusters } = station();
    const c = clusters.import({ name: 'line-3', kubeconfig: kube.kubeconfig() });
    expect(c).toMatchObject({ name: 'line-3', source: 'imported', server: kube.url, ha: false, nodes: [] });
    expect(c.credential).toMatchObject({ authKind: 'client-cert' });
    expect(c.credential!.expiresAt).toBe(new Date(new X509Certificate(kube.clientCertPem).validTo).toISOString());
    expect(c.credential!.subject).toContain('system:admin');
    const sealed = db.prepare('SELECT kubeconfig FROM cluster_clusters').get() as { kubeconfig: Buffer };
    expect(sealed.kubeconfig.toString('latin1')).not.toContain('apiVersion');
    const st = await clusters.status(c.id);
    expect(st).toMatchObject({ id: c.id, state: 'online', version: STAND_IN_K3S_VERSION, problem: null });
  });

  it('refuses a kubeconfig that is not one, and a name in use, naming what is wrong', async () => {
    const { clusters } = station();
    const bad = await refusal(Promise.resolve().then(() => clusters.import({ name: 'line-4', kubeconfig: 'apiVersion: v1\nkind: Config\nclusters: [' })));
    expect(bad.code).toBe('KUBECONFIG_INVALID');
    expect(bad.text.en).toMatch(/not valid YAML/);
    clusters.import({ name: 'line-4', kubeconfig: kube.kubeconfig() });
    const taken = await refusal(Promise.resolve().then(() => clusters.import({ name: 'line-4', kubeconfig: kube.kubeconfig() })));
    expect(taken.code).toBe('CLUSTER_NAME_TAKEN');
    expect(taken.field).toEqual(['name']);
  });

  it('tells offline and refused credentials apart, and a revoked kubeconfig until one is given again', async () => {
    const { clusters, store } = station();
    const gone = clusters.import({ name: 'gone', kubeconfig: kube.kubeconfig(`https://127.0.0.1:${await closedPort()}`) });
    const off = await clusters.status(gone.id);
    expect(off.state).toBe('offline');
    expect(off.problem!.en).toContain('ECONNREFUSED');
    expect(off.problem!.zh).not.toBe(off.problem!.en);

    // A client certificate another cluster issued: the server refuses it (401).
    const b64 = (x: string) => Buffer.from(x).toString('base64');
    const foreign = kube.kubeconfig().replace(b64(kube.clientCertPem), b64(other.clientCertPem)).replace(b64(kube.clientKeyPem), b64(other.clientKeyPem));
    const refused = clusters.import({ name: 'refused', kubeconfig: foreign });
    expect((await clusters.status(refused.id)).state).toBe('unauthorized');

    const revoked = clusters.revokeKubeconfig(refused.id);
    expect(revoked.credential).toBeNull();
    expect((await clusters.status(refused.id)).state).toBe('no-credential');
    expect((await refusal(Promise.resolve().then(() => clusters.kubeconfig(refused.id)))).code).toBe('CLUSTER_NO_KUBECONFIG');
    const replaced = clusters.replaceKubeconfig(refused.id, kube.kubeconfig());
    expect(replaced.credential?.authKind).toBe('client-cert');
    expect((await clusters.status(refused.id)).state).toBe('online');

    // Imported without its join token: boxes cannot join it, and the refusal says where the token is.
    const noToken = await refusal(Promise.resolve().then(() => store.token(refused.id)));
    expect(noToken.code).toBe('CLUSTER_NO_TOKEN');
    expect(noToken.text.en).toContain('/var/lib/rancher/k3s/server/token');
    const withToken = clusters.import({ name: 'with-token', kubeconfig: kube.kubeconfig(), token: 'K10abc::server:secret' });
    expect(store.token(withToken.id)).toBe('K10abc::server:secret');

    expect(clusters.remove(gone.id).name).toBe('gone');
    expect(clusters.list().map((c) => c.name)).toEqual(['refused', 'with-token']);
  });

  it('keeps what the server said last across a restart of the app: shown at once with its age, sealed, and dropped when the credential is revoked', async () => {
    const dir = tempDir();
    const open = () => {
      const db = Store.open(path.join(dir, 'station.db'), [clusterSchema]).db;
      const store = new ClusterStore(db, unlockedVault(path.join(dir, 'keys')));
      return { db, store, clusters: new ClusterService(store) };
    };
    const own = await startKubeStandIn();
    own.seed({ nodes: 4, pods: 20, namespaces: 2 });
    const first = open();
    const c = first.clusters.import({ name: 'kept', kubeconfig: own.kubeconfig() });
    const events = async (svc: ClusterService, until: (e: ClusterWatchEvent[]) => boolean) => {
      const ac = new AbortController();
      const seen: ClusterWatchEvent[] = [];
      const timer = setTimeout(() => ac.abort(), 15_000);
      for await (const e of svc.watch(c.id, ['nodes', 'pods'], ac.signal)) {
        seen.push(e);
        if (until(seen)) break;
      }
      clearTimeout(timer);
      return seen;
    };
    const snapshots = (seen: ClusterWatchEvent[]) => seen.filter((e): e is ClusterWatchEvent & { type: 'snapshot' } => e.type === 'snapshot');
    const live = await events(first.clusters, (seen) => snapshots(seen).length === 2);
    expect(
      snapshots(live)
        .map((e) => e.items.length)
        .sort((a, b) => a - b),
    ).toEqual([4, 20]);
    const syncedAt = (live.filter((e) => e.type === 'connection').at(-1) as { connection: { lastSyncAt: string } }).connection.lastSyncAt;
    // Kept sealed: no pod name in the clear.
    const rows = first.db.prepare('SELECT kind, data FROM cluster_cache ORDER BY kind').all() as { kind: string; data: Buffer }[];
    expect(rows.map((r) => r.kind)).toEqual(['nodes', 'pods']);
    expect(rows.every((r) => !r.data.toString('latin1').includes('default'))).toBe(true);
    await first.clusters.close();
    first.db.close();

    // The app starts again with the API server gone: the last known objects come at once, with when they were synced.
    await own.close();
    const second = open();
    const t0 = Date.now();
    const offline = await events(second.clusters, (seen) => snapshots(seen).length === 2);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(
      snapshots(offline)
        .map((e) => e.items.length)
        .sort((a, b) => a - b),
    ).toEqual([4, 20]);
    const conn = offline.find((e) => e.type === 'connection') as { connection: { state: string; lastSyncAt: string } };
    expect(conn.connection.state).toBe('connecting');
    expect(conn.connection.lastSyncAt).not.toBeNull();
    expect(Date.parse(conn.connection.lastSyncAt)).toBeLessThanOrEqual(Date.parse(syncedAt) + 1_000);

    // Revoking the credential drops what it let the station see.
    second.clusters.revokeKubeconfig(c.id);
    expect(second.db.prepare('SELECT COUNT(*) AS n FROM cluster_cache').get()).toEqual({ n: 0 });
    await second.clusters.close();
    second.db.close();
  });
});
