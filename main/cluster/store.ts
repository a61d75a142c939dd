/**
 * Clusters the station made or joined boxes into: name, API server address,
 * the join token and the kubeconfig, both sealed in the vault (DESIGN §2,
 * "Secrets"), and which boxes are its nodes.
 */
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Cluster } from '../api/contract';
import { AppError } from '../api/errors';
import type { SecretVault } from '../secrets';
import type { Db, ModuleSchema } from '../store';
import { kubeconfigInfo } from './kubeconfig';

export const clusterSchema: ModuleSchema = {
  module: 'cluster',
  migrations: [
    {
      version: 1,
      name: 'clusters and their nodes',
      up: (db) =>
        db.exec(`
          CREATE TABLE cluster_clusters (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            server TEXT,
            ha INTEGER NOT NULL,
            token BLOB NOT NULL,
            kubeconfig BLOB,
            created_at TEXT NOT NULL
          );
          CREATE TABLE cluster_nodes (
            cluster_id TEXT NOT NULL REFERENCES cluster_clusters(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('server','agent')),
            box_id TEXT,
            address TEXT,
            joined_at TEXT,
            PRIMARY KEY (cluster_id, name)
          );
        `),
    },
    {
      version: 2,
      name: 'imported clusters and the kubeconfig date',
      up: (db) =>
        db.exec(`
          ALTER TABLE cluster_clusters ADD COLUMN source TEXT NOT NULL DEFAULT 'joined' CHECK (source IN ('joined','imported'));
          ALTER TABLE cluster_clusters ADD COLUMN kubeconfig_at TEXT;
        `),
    },
    {
      version: 3,
      name: 'the last known objects of a cluster, for the console offline and after a restart',
      up: (db) =>
        db.exec(`
          CREATE TABLE cluster_cache (
            cluster_id TEXT NOT NULL REFERENCES cluster_clusters(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            data BLOB NOT NULL,
            synced_at TEXT NOT NULL,
            PRIMARY KEY (cluster_id, kind)
          );
        `),
    },
  ],
};

/** What the API server said last about one kind: its objects, and when. */
export interface CachedKind {
  items: Record<string, unknown>[];
  syncedAt: string;
}

export const ClusterStoreErrors = {
  CLUSTER_NOT_FOUND: 'CLUSTER_NOT_FOUND',
  CLUSTER_NAME_TAKEN: 'CLUSTER_NAME_TAKEN',
  CLUSTER_NO_KUBECONFIG: 'CLUSTER_NO_KUBECONFIG',
  CLUSTER_NO_TOKEN: 'CLUSTER_NO_TOKEN',
} as const;

interface Row {
  id: string;
  name: string;
  server: string | null;
  ha: number;
  token: Buffer;
  kubeconfig: Buffer | null;
  created_at: string;
  source: 'joined' | 'imported';
  kubeconfig_at: string | null;
}

export interface ClusterNode {
  name: string;
  role: 'server' | 'agent';
  boxId: string | null;
  address: string | null;
  joinedAt: string | null;
}

export class ClusterStore {
  constructor(
    private readonly db: Db,
    private readonly vault: SecretVault,
  ) {}

  list(): Cluster[] {
    return (this.db.prepare('SELECT * FROM cluster_clusters ORDER BY created_at').all() as Row[]).map((r) => this.toCluster(r));
  }

  get(id: string): Cluster {
    return this.toCluster(this.row(id));
  }

  private nameFree(name: string, field: (string | number)[]): void {
    if (this.db.prepare('SELECT 1 FROM cluster_clusters WHERE name=?').get(name))
      throw new AppError(
        ClusterStoreErrors.CLUSTER_NAME_TAKEN,
        { en: `A cluster named ${name} exists already. Join it, or choose another name.`, zh: `已存在名为 ${name} 的集群。请加入它，或换一个名称。` },
        { field },
      );
  }

  /** A new cluster with a fresh join token (k3s takes any string; 32 random bytes as hex). */
  create(name: string, ha: boolean): Cluster {
    this.nameFree(name, ['join', 'clusterName']);
    const id = `cls_${randomBytes(8).toString('hex')}`;
    const token = randomBytes(32).toString('hex');
    this.db
      .prepare('INSERT INTO cluster_clusters (id, name, server, ha, token, kubeconfig, created_at) VALUES (?, ?, NULL, ?, ?, NULL, ?)')
      .run(id, name, ha ? 1 : 0, this.vault.seal(Buffer.from(token)), new Date().toISOString());
    return this.get(id);
  }

  /**
   * A cluster the station did not make: its kubeconfig (already checked by
   * the caller), and the join token when the user has it, so that boxes can
   * join it too.
   */
  importCluster(name: string, server: string, yaml: string, token: string | null): Cluster {
    this.nameFree(name, ['name']);
    const id = `cls_${randomBytes(8).toString('hex')}`;
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO cluster_clusters (id, name, server, ha, token, kubeconfig, created_at, source, kubeconfig_at)
         VALUES (?, ?, ?, 0, ?, ?, ?, 'imported', ?)`,
      )
      .run(id, name, server, this.vault.seal(Buffer.from(token ?? '')), this.vault.seal(Buffer.from(yaml)), now, now);
    return this.get(id);
  }

  token(id: string): string {
    const r = this.row(id);
    const token = this.vault.open(r.token, `the join token of cluster ${r.name}`).toString('utf8');
    if (!token)
      throw new AppError(
        ClusterStoreErrors.CLUSTER_NO_TOKEN,
        {
          en: `Cluster ${r.name} was imported without its join token, so boxes cannot join it. Import its kubeconfig again with the token (on a k3s server: /var/lib/rancher/k3s/server/token).`,
          zh: `集群 ${r.name} 导入时没有加入令牌，设备无法加入。请连同令牌重新导入其 kubeconfig（k3s 服务器上：/var/lib/rancher/k3s/server/token）。`,
        },
        { field: ['join', 'clusterId'] },
      );
    return token;
  }

  /** The kubeconfig is withdrawn: the station can no longer reach the cluster until one is given again. */
  /** Revoked: the credential goes, and so does what it let the station see. */
  revokeKubeconfig(id: string): Cluster {
    this.row(id);
    this.db.transaction(() => {
      this.db.prepare('UPDATE cluster_clusters SET kubeconfig=NULL, kubeconfig_at=? WHERE id=?').run(new Date().toISOString(), id);
      this.db.prepare('DELETE FROM cluster_cache WHERE cluster_id=?').run(id);
    })();
    return this.get(id);
  }

  /** Keeps a kind's objects (sealed: pod specs carry environment values) for the console's next start. */
  saveCache(id: string, kind: string, cached: CachedKind): void {
    const data = this.vault.seal(gzipSync(Buffer.from(JSON.stringify(cached.items))));
    this.db
      .prepare(
        'INSERT INTO cluster_cache (cluster_id, kind, data, synced_at) VALUES (?, ?, ?, ?) ON CONFLICT (cluster_id, kind) DO UPDATE SET data=excluded.data, synced_at=excluded.synced_at',
      )
      .run(id, kind, data, cached.syncedAt);
  }

  /** The kind's objects as last kept, or null; a copy that cannot be read is dropped (the next list brings it back). */
  loadCache(id: string, kind: string): CachedKind | null {
    const r = this.db.prepare('SELECT data, synced_at FROM cluster_cache WHERE cluster_id=? AND kind=?').get(id, kind) as
      { data: Buffer; synced_at: string } | undefined;
    if (!r) return null;
    try {
      const items = JSON.parse(gunzipSync(this.vault.open(r.data, `the kept ${kind} of a cluster`)).toString('utf8')) as Record<string, unknown>[];
      return { items, syncedAt: r.synced_at };
    } catch {
      this.db.prepare('DELETE FROM cluster_cache WHERE cluster_id=? AND kind=?').run(id, kind);
      return null;
    }
  }

  /** Forgets the cluster: its record, token and kubeconfig (the cluster itself runs on). */
  remove(id: string): Cluster {
    const c = this.get(id);
    this.db.prepare('DELETE FROM cluster_clusters WHERE id=?').run(id);
    return c;
  }

  kubeconfig(id: string): string | null {
    const r = this.row(id);
    return r.kubeconfig ? this.vault.open(r.kubeconfig, `the kubeconfig of cluster ${r.name}`).toString('utf8') : null;
  }

  setKubeconfig(id: string, server: string, yaml: string): void {
    this.row(id);
    this.db
      .prepare('UPDATE cluster_clusters SET server=?, kubeconfig=?, kubeconfig_at=? WHERE id=?')
      .run(server, this.vault.seal(Buffer.from(yaml)), new Date().toISOString(), id);
  }

  nodes(id: string): ClusterNode[] {
    return (
      this.db.prepare('SELECT name, role, box_id, address, joined_at FROM cluster_nodes WHERE cluster_id=? ORDER BY joined_at, name').all(id) as {
        name: string;
        role: 'server' | 'agent';
        box_id: string | null;
        address: string | null;
        joined_at: string | null;
      }[]
    ).map((n) => ({ name: n.name, role: n.role, boxId: n.box_id, address: n.address, joinedAt: n.joined_at }));
  }

  /** Claims a node name for a box; the same box may claim its own name again (a rerun). Returns false when another box has it. */
  claimNode(id: string, name: string, role: 'server' | 'agent', boxId: string): boolean {
    const existing = this.db.prepare('SELECT box_id FROM cluster_nodes WHERE cluster_id=? AND name=?').get(id, name) as { box_id: string | null } | undefined;
    if (existing && existing.box_id !== boxId) return false;
    this.db
      .prepare(
        `INSERT INTO cluster_nodes (cluster_id, name, role, box_id) VALUES (?, ?, ?, ?)
         ON CONFLICT(cluster_id, name) DO UPDATE SET role=excluded.role`,
      )
      .run(id, name, role, boxId);
    return true;
  }

  nodeJoined(id: string, name: string, address: string | null): void {
    this.db.prepare('UPDATE cluster_nodes SET joined_at=?, address=? WHERE cluster_id=? AND name=?').run(new Date().toISOString(), address, id, name);
  }

  /** What the stored kubeconfig says about its credential; a kubeconfig that no longer parses says so. */
  private credential(r: Row): Cluster['credential'] {
    try {
      const info = kubeconfigInfo(this.vault.open(r.kubeconfig!, `the kubeconfig of cluster ${r.name}`).toString('utf8'));
      return { user: info.user, authKind: info.authKind, expiresAt: info.clientCertExpiresAt, subject: info.clientCertSubject };
    } catch {
      // A locked vault, or a kubeconfig that no longer reads: the cluster is listed, its credential is unknown.
      return { user: '', authKind: 'other', expiresAt: null, subject: null };
    }
  }

  private row(id: string): Row {
    const r = this.db.prepare('SELECT * FROM cluster_clusters WHERE id=?').get(id) as Row | undefined;
    if (!r) throw new AppError(ClusterStoreErrors.CLUSTER_NOT_FOUND, { en: `There is no cluster ${id}.`, zh: `不存在集群 ${id}。` }, { field: ['clusterId'] });
    return r;
  }

  private toCluster(r: Row): Cluster {
    return {
      id: r.id,
      name: r.name,
      server: r.server ?? '',
      ha: r.ha === 1,
      nodes: this.nodes(r.id).map((n) => ({ name: n.name, role: n.role, boxId: n.boxId })),
      createdAt: r.created_at,
      source: r.source,
      credential: r.kubeconfig ? this.credential(r) : null,
      kubeconfigAt: r.kubeconfig_at,
    };
  }
}
