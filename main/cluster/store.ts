/**
 * Clusters the station made or joined boxes into: name, API server address,
 * the join token and the kubeconfig, both sealed in the vault (DESIGN §2,
 * "Secrets"), and which boxes are its nodes.
 */
import { randomBytes } from 'node:crypto';
import type { Cluster } from '../api/contract';
import { AppError } from '../api/errors';
import type { SecretVault } from '../secrets';
import type { Db, ModuleSchema } from '../store';

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
  ],
};

export const ClusterStoreErrors = {
  CLUSTER_NOT_FOUND: 'CLUSTER_NOT_FOUND',
  CLUSTER_NAME_TAKEN: 'CLUSTER_NAME_TAKEN',
  CLUSTER_NO_KUBECONFIG: 'CLUSTER_NO_KUBECONFIG',
} as const;

interface Row {
  id: string;
  name: string;
  server: string | null;
  ha: number;
  token: Buffer;
  kubeconfig: Buffer | null;
  created_at: string;
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

  /** A new cluster with a fresh join token (k3s takes any string; 32 random bytes as hex). */
  create(name: string, ha: boolean): Cluster {
    if (this.db.prepare('SELECT 1 FROM cluster_clusters WHERE name=?').get(name))
      throw new AppError(
        ClusterStoreErrors.CLUSTER_NAME_TAKEN,
        { en: `A cluster named ${name} exists already. Join it, or choose another name.`, zh: `已存在名为 ${name} 的集群。请加入它，或换一个名称。` },
        { field: ['join', 'clusterName'] },
      );
    const id = `cls_${randomBytes(8).toString('hex')}`;
    const token = randomBytes(32).toString('hex');
    this.db
      .prepare('INSERT INTO cluster_clusters (id, name, server, ha, token, kubeconfig, created_at) VALUES (?, ?, NULL, ?, ?, NULL, ?)')
      .run(id, name, ha ? 1 : 0, this.vault.seal(Buffer.from(token)), new Date().toISOString());
    return this.get(id);
  }

  token(id: string): string {
    return this.vault.open(this.row(id).token, `the join token of cluster ${id}`).toString('utf8');
  }

  kubeconfig(id: string): string | null {
    const r = this.row(id);
    return r.kubeconfig ? this.vault.open(r.kubeconfig, `the kubeconfig of cluster ${r.name}`).toString('utf8') : null;
  }

  setKubeconfig(id: string, server: string, yaml: string): void {
    this.row(id);
    this.db.prepare('UPDATE cluster_clusters SET server=?, kubeconfig=? WHERE id=?').run(server, this.vault.seal(Buffer.from(yaml)), id);
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
    };
  }
}
