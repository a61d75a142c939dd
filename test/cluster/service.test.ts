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
});
