/**
 * Applications (容器应用 and 轻应用) and their versions.
 *
 * Versions follow the reference's rules: a version is edited, then published
 * (frozen). A new version copies the latest published one and is either an
 * **upgrade** (anything may change) or a **patch** (only images may change);
 * a patch that changes more is refused with the first field it changed.
 * Field rules are the contract's schemas; here are the rules that need the
 * store: unique names, and references to artifacts of the right kind.
 */
import { randomBytes } from 'node:crypto';
import { ContainerAppSpecSchema, LightAppSpecSchema, type ContainerAppSpec, type LightAppSpec, type SpecChange } from '../api/contract';
import { AppError } from '../api/errors';
import { inputInvalid } from '../api/validation';
import type { ArtifactService } from '../artifacts';
import type { Db, Migration } from '../store';
import { diffSpecs } from './diff';
import { renderContainerApp } from './render';

export const appsMigration: Migration = {
  version: 2,
  name: 'applications and their versions',
  up: (db) =>
    db.exec(`
      CREATE TABLE catalog_apps (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('container','light')),
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
      );
      CREATE TABLE catalog_app_versions (
        app_id TEXT NOT NULL REFERENCES catalog_apps(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('draft','published')),
        change TEXT NOT NULL CHECK (change IN ('initial','patch','upgrade')),
        spec TEXT NOT NULL,
        created_at TEXT NOT NULL,
        published_at TEXT,
        PRIMARY KEY (app_id, version)
      );
    `),
};

export const AppErrors = {
  APP_NOT_FOUND: 'APP_NOT_FOUND',
  APP_NAME_TAKEN: 'APP_NAME_TAKEN',
  APP_VERSION_FROZEN: 'APP_VERSION_FROZEN',
  APP_NO_DRAFT: 'APP_NO_DRAFT',
  APP_DRAFT_EXISTS: 'APP_DRAFT_EXISTS',
  APP_PATCH_TOO_WIDE: 'APP_PATCH_TOO_WIDE',
  APP_ARTIFACT_WRONG_KIND: 'APP_ARTIFACT_WRONG_KIND',
} as const;

export type AppKind = 'container' | 'light';
type Spec = ContainerAppSpec | LightAppSpec;

export interface AppVersion {
  version: number;
  state: 'draft' | 'published';
  change: 'initial' | 'patch' | 'upgrade';
  spec: Spec;
  createdAt: string;
  publishedAt: string | null;
}

export interface Application {
  id: string;
  kind: AppKind;
  name: string;
  versions: AppVersion[];
}

interface VersionRow {
  version: number;
  state: 'draft' | 'published';
  change: 'initial' | 'patch' | 'upgrade';
  spec: string;
  created_at: string;
  published_at: string | null;
}

/** Paths a patch version may change: the images of containers and init containers. */
const PATCHABLE = /^(containers|initContainers)\[\d+\]\.imageArtifactId$/;

export class AppService {
  constructor(
    private readonly db: Db,
    private readonly artifacts: ArtifactService,
  ) {}

  list(): Application[] {
    return (this.db.prepare('SELECT id FROM catalog_apps ORDER BY name').all() as { id: string }[]).map((r) => this.get(r.id));
  }

  get(id: string): Application {
    const app = this.db.prepare('SELECT id, kind, name FROM catalog_apps WHERE id = ?').get(id) as { id: string; kind: AppKind; name: string } | undefined;
    if (!app) throw new AppError(AppErrors.APP_NOT_FOUND, { en: `There is no application ${id}.`, zh: `不存在应用 ${id}。` }, { field: ['id'] });
    const rows = this.db.prepare('SELECT * FROM catalog_app_versions WHERE app_id = ? ORDER BY version').all(id) as VersionRow[];
    return {
      ...app,
      versions: rows.map((r) => ({
        version: r.version,
        state: r.state,
        change: r.change,
        spec: JSON.parse(r.spec) as Spec,
        createdAt: r.created_at,
        publishedAt: r.published_at,
      })),
    };
  }

  private checkArtifacts(kind: AppKind, spec: Spec): void {
    const refs: [string, (string | number)[], 'image' | 'lightapp'][] =
      kind === 'container'
        ? [
            ...(spec as ContainerAppSpec).initContainers.map(
              (c, i) => [c.imageArtifactId, ['initContainers', i, 'imageArtifactId'], 'image'] as [string, (string | number)[], 'image'],
            ),
            ...(spec as ContainerAppSpec).containers.map(
              (c, i) => [c.imageArtifactId, ['containers', i, 'imageArtifactId'], 'image'] as [string, (string | number)[], 'image'],
            ),
          ]
        : [[(spec as LightAppSpec).packageArtifactId, ['packageArtifactId'], 'lightapp']];
    for (const [id, field, want] of refs) {
      let a;
      try {
        a = this.artifacts.get(id);
      } catch {
        throw new AppError('ARTIFACT_NOT_FOUND', { en: `Artifact ${id} is not in the artifact store.`, zh: `制品库中没有制品 ${id}。` }, { field });
      }
      if (a.kind !== want) {
        throw new AppError(
          AppErrors.APP_ARTIFACT_WRONG_KIND,
          {
            en: `"${a.name}" is a ${a.kind}; this field takes a ${want === 'image' ? 'container image' : 'light-app package'}.`,
            zh: `“${a.name}”是 ${a.kind}；此字段需要${want === 'image' ? '容器镜像' : '轻应用包'}。`,
          },
          { field },
        );
      }
    }
  }

  create(kind: AppKind, spec: Spec): Application {
    if (this.db.prepare('SELECT 1 FROM catalog_apps WHERE name = ?').get(spec.name)) {
      throw new AppError(
        AppErrors.APP_NAME_TAKEN,
        { en: `An application named "${spec.name}" already exists.`, zh: `已存在名为“${spec.name}”的应用。` },
        { field: ['name'] },
      );
    }
    this.checkArtifacts(kind, spec);
    const id = `app_${randomBytes(8).toString('hex')}`;
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO catalog_apps (id, kind, name, created_at) VALUES (?, ?, ?, ?)').run(id, kind, spec.name, now);
      this.db
        .prepare(`INSERT INTO catalog_app_versions (app_id, version, state, change, spec, created_at) VALUES (?, 1, 'draft', 'initial', ?, ?)`)
        .run(id, JSON.stringify(spec), now);
    })();
    return this.get(id);
  }

  private latest(id: string): VersionRow {
    this.get(id);
    return this.db.prepare('SELECT * FROM catalog_app_versions WHERE app_id = ? ORDER BY version DESC LIMIT 1').get(id) as VersionRow;
  }

  update(id: string, spec: Spec): Application {
    const app = this.get(id);
    const last = this.latest(id);
    if (last.state !== 'draft') {
      throw new AppError(AppErrors.APP_VERSION_FROZEN, {
        en: `Version ${last.version} is published and frozen. Make a new version (patch or upgrade) to change the app.`,
        zh: `第 ${last.version} 版已发布并冻结。如需修改应用，请新建版本（补丁或升级）。`,
      });
    }
    if (spec.name !== app.name) {
      throw new AppError(
        AppErrors.APP_VERSION_FROZEN,
        { en: 'An application keeps its name across versions.', zh: '应用在各版本间保持名称不变。' },
        { field: ['name'] },
      );
    }
    this.checkArtifacts(app.kind, spec);
    if (last.change === 'patch') {
      const base = app.versions.filter((v) => v.state === 'published').at(-1)!;
      const wider = diffSpecs(base.spec, spec).find((c) => !PATCHABLE.test(c.path));
      if (wider) {
        throw new AppError(
          AppErrors.APP_PATCH_TOO_WIDE,
          {
            en: `A patch version may change images only, but "${wider.path}" changed. Make an upgrade version instead.`,
            zh: `补丁版本只能修改镜像，但“${wider.path}”发生了变化。请改为新建升级版本。`,
          },
          {
            field: wider.path
              .replace(/\[(\d+)\]/g, '.$1')
              .split('.')
              .map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
          },
        );
      }
    }
    this.db.prepare('UPDATE catalog_app_versions SET spec = ? WHERE app_id = ? AND version = ?').run(JSON.stringify(spec), id, last.version);
    return this.get(id);
  }

  /** Edits the draft with a spec checked against the app's kind (the API takes it untyped). */
  updateUnchecked(id: string, raw: unknown): Application {
    const schema = this.get(id).kind === 'container' ? ContainerAppSpecSchema : LightAppSpecSchema;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const e = inputInvalid(parsed.error.issues.map((i) => ({ ...i, path: ['spec', ...i.path] })));
      throw e;
    }
    return this.update(id, parsed.data);
  }

  publish(id: string): Application {
    const last = this.latest(id);
    if (last.state !== 'draft')
      throw new AppError(AppErrors.APP_NO_DRAFT, {
        en: `There is no draft to publish: version ${last.version} is published.`,
        zh: `没有可发布的草稿：第 ${last.version} 版已发布。`,
      });
    this.db
      .prepare(`UPDATE catalog_app_versions SET state = 'published', published_at = ? WHERE app_id = ? AND version = ?`)
      .run(new Date().toISOString(), id, last.version);
    return this.get(id);
  }

  newVersion(id: string, change: 'patch' | 'upgrade'): Application {
    const last = this.latest(id);
    if (last.state === 'draft')
      throw new AppError(AppErrors.APP_DRAFT_EXISTS, {
        en: `Version ${last.version} is still a draft: edit it, or publish it first.`,
        zh: `第 ${last.version} 版仍是草稿：请直接编辑，或先发布。`,
      });
    this.db
      .prepare(`INSERT INTO catalog_app_versions (app_id, version, state, change, spec, created_at) VALUES (?, ?, 'draft', ?, ?, ?)`)
      .run(id, last.version + 1, change, last.spec, new Date().toISOString());
    return this.get(id);
  }

  /** Adds an app with these versions as they are (a catalog document's import); the caller checked names and specs. */
  insertVersions(
    name: string,
    kind: AppKind,
    versions: { version: number; state: 'draft' | 'published'; change: 'initial' | 'patch' | 'upgrade'; spec: Spec }[],
  ): string {
    const id = `app_${randomBytes(8).toString('hex')}`;
    const now = new Date().toISOString();
    this.db.prepare('INSERT INTO catalog_apps (id, kind, name, created_at) VALUES (?, ?, ?, ?)').run(id, kind, name, now);
    for (const v of versions) {
      this.db
        .prepare('INSERT INTO catalog_app_versions (app_id, version, state, change, spec, created_at, published_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(id, v.version, v.state, v.change, JSON.stringify(v.spec), now, v.state === 'draft' ? null : now);
    }
    return id;
  }

  /** The id of the app with this name, or null. */
  idByName(name: string): string | null {
    return (this.db.prepare('SELECT id FROM catalog_apps WHERE name = ?').get(name) as { id: string } | undefined)?.id ?? null;
  }

  /** Kubernetes manifests (YAML) for a container app version, checked against the Kubernetes schemas; a combo's overrides apply. */
  render(
    id: string,
    version?: number,
    namespace = 'edgeforge',
    overrides: { replicas: number | null; env: { name: string; value: string }[] } = { replicas: null, env: [] },
  ): { yaml: string; kinds: string[] } {
    const app = this.get(id);
    if (app.kind !== 'container') {
      throw new AppError('APP_NOT_RENDERABLE', {
        en: `"${app.name}" is a light app; it runs as a service, not as Kubernetes objects.`,
        zh: `“${app.name}”是轻应用，以系统服务运行，不生成 Kubernetes 对象。`,
      });
    }
    const v = version === undefined ? app.versions.at(-1)! : app.versions.find((x) => x.version === version);
    if (!v)
      throw new AppError(
        AppErrors.APP_NOT_FOUND,
        { en: `Application "${app.name}" has no version ${version}.`, zh: `应用“${app.name}”没有第 ${version} 版。` },
        { field: ['version'] },
      );
    const imageRef = (artifactId: string) => {
      const a = this.artifacts.get(artifactId);
      return /[:@]/.test(a.name.split('/').at(-1)!) ? a.name : `${a.name}@${a.digest}`;
    };
    const r = renderContainerApp(v.spec as ContainerAppSpec, {
      version: v.version,
      namespace,
      imageRef,
      replicas: overrides.replicas,
      extraEnv: overrides.env,
    });
    return { yaml: r.yaml, kinds: r.objects.map((o) => (o as { kind: string }).kind) };
  }

  diff(id: string, from: number, to: number): SpecChange[] {
    const app = this.get(id);
    const spec = (n: number) => {
      const v = app.versions.find((x) => x.version === n);
      if (!v) throw new AppError(AppErrors.APP_NOT_FOUND, { en: `Application "${app.name}" has no version ${n}.`, zh: `应用“${app.name}”没有第 ${n} 版。` });
      return v.spec;
    };
    return diffSpecs(spec(from), spec(to));
  }
}
