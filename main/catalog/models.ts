/**
 * Hardware models (硬件型号) and their revisions.
 *
 * Lifecycle (DESIGN.md §1 step 2): a model starts as a draft revision; publish
 * freezes it; a change makes a new draft revision copied from the latest
 * published one; a published revision can be retired (kept, no longer offered
 * for new combos). Field validation lives in the contract's schema; this
 * module adds the rules that need the store: unique names, and references
 * to artifacts of the right kind.
 */
import { randomBytes } from 'node:crypto';
import { type HardwareModel, type HardwareModelSpec, type SpecChange } from '../api/contract';
import { AppError } from '../api/errors';
import type { ArtifactService } from '../artifacts';
import type { Db } from '../store';
import { diffSpecs } from './diff';

export const ModelErrors = {
  MODEL_NOT_FOUND: 'MODEL_NOT_FOUND',
  MODEL_NAME_TAKEN: 'MODEL_NAME_TAKEN',
  MODEL_REVISION_FROZEN: 'MODEL_REVISION_FROZEN',
  MODEL_NO_DRAFT: 'MODEL_NO_DRAFT',
  MODEL_DRAFT_EXISTS: 'MODEL_DRAFT_EXISTS',
  MODEL_REVISION_NOT_FOUND: 'MODEL_REVISION_NOT_FOUND',
  MODEL_REVISION_NOT_PUBLISHED: 'MODEL_REVISION_NOT_PUBLISHED',
  ARTIFACT_WRONG_KIND: 'ARTIFACT_WRONG_KIND',
} as const;

interface RevRow {
  model_id: string;
  revision: number;
  state: 'draft' | 'published' | 'retired';
  spec: string;
  created_at: string;
  published_at: string | null;
}

export class ModelService {
  constructor(
    private readonly db: Db,
    private readonly artifacts: ArtifactService,
  ) {}

  list(): HardwareModel[] {
    const ids = this.db.prepare('SELECT id FROM catalog_models ORDER BY name').all() as { id: string }[];
    return ids.map((r) => this.get(r.id));
  }

  get(id: string): HardwareModel {
    const m = this.db.prepare('SELECT id, name FROM catalog_models WHERE id = ?').get(id) as { id: string; name: string } | undefined;
    if (!m) throw new AppError(ModelErrors.MODEL_NOT_FOUND, { en: `There is no hardware model ${id}.`, zh: `不存在硬件型号 ${id}。` }, { field: ['id'] });
    const revs = this.db.prepare('SELECT * FROM catalog_model_revisions WHERE model_id = ? ORDER BY revision').all(id) as RevRow[];
    const revisions = revs.map((r) => ({
      revision: r.revision,
      state: r.state,
      spec: JSON.parse(r.spec) as HardwareModelSpec,
      createdAt: r.created_at,
      publishedAt: r.published_at,
    }));
    return { id: m.id, name: m.name, arch: revisions.at(-1)!.spec.arch, revisions };
  }

  private checkReferences(spec: HardwareModelSpec): void {
    const check = (id: string | null, kind: 'iso' | 'driver', path: (string | number)[], what: { en: string; zh: string }) => {
      if (!id) return;
      let a;
      try {
        a = this.artifacts.get(id);
      } catch {
        throw new AppError(
          'ARTIFACT_NOT_FOUND',
          { en: `${what.en} ${id} is not in the artifact store.`, zh: `制品库中没有${what.zh} ${id}。` },
          { field: path },
        );
      }
      if (a.kind !== kind) {
        throw new AppError(
          ModelErrors.ARTIFACT_WRONG_KIND,
          {
            en: `${what.en} must be an artifact of kind ${kind}; "${a.name}" is a ${a.kind}.`,
            zh: `${what.zh}必须是 ${kind} 类型的制品；“${a.name}”是 ${a.kind}。`,
          },
          { field: path },
        );
      }
      if (kind === 'iso' && a.platform && a.platform !== spec.arch) {
        throw new AppError(
          ModelErrors.ARTIFACT_WRONG_KIND,
          {
            en: `The base ISO "${a.name}" is for ${a.platform}, but the model is ${spec.arch}.`,
            zh: `基础 ISO“${a.name}”适用于 ${a.platform}，但型号为 ${spec.arch}。`,
          },
          { field: path },
        );
      }
    };
    check(spec.os.baseIsoArtifactId, 'iso', ['os', 'baseIsoArtifactId'], { en: 'The base ISO', zh: '基础 ISO' });
    spec.accelerators.forEach((acc, i) => check(acc.driverArtifactId, 'driver', ['accelerators', i, 'driverArtifactId'], { en: 'The driver', zh: '驱动' }));
  }

  private nameTaken(name: string, exceptId?: string): void {
    const row = this.db.prepare('SELECT id FROM catalog_models WHERE name = ?').get(name) as { id: string } | undefined;
    if (row && row.id !== exceptId) {
      throw new AppError(
        ModelErrors.MODEL_NAME_TAKEN,
        { en: `A hardware model named "${name}" already exists.`, zh: `已存在名为“${name}”的硬件型号。` },
        { field: ['name'] },
      );
    }
  }

  create(spec: HardwareModelSpec): HardwareModel {
    this.nameTaken(spec.name);
    this.checkReferences(spec);
    const id = `hwm_${randomBytes(8).toString('hex')}`;
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO catalog_models (id, name, created_at) VALUES (?, ?, ?)').run(id, spec.name, now);
      this.db
        .prepare(`INSERT INTO catalog_model_revisions (model_id, revision, state, spec, created_at) VALUES (?, 1, 'draft', ?, ?)`)
        .run(id, JSON.stringify(spec), now);
    })();
    return this.get(id);
  }

  private latest(id: string): RevRow {
    this.get(id);
    return this.db.prepare('SELECT * FROM catalog_model_revisions WHERE model_id = ? ORDER BY revision DESC LIMIT 1').get(id) as RevRow;
  }

  update(id: string, spec: HardwareModelSpec): HardwareModel {
    const last = this.latest(id);
    if (last.state !== 'draft') {
      throw new AppError(ModelErrors.MODEL_REVISION_FROZEN, {
        en: `Revision ${last.revision} is ${last.state} and frozen. Create a new revision to change the model.`,
        zh: `第 ${last.revision} 版已${last.state === 'published' ? '发布' : '停用'}并冻结。如需修改型号，请创建新版本。`,
      });
    }
    this.nameTaken(spec.name, id);
    this.checkReferences(spec);
    this.db.transaction(() => {
      this.db.prepare('UPDATE catalog_model_revisions SET spec = ? WHERE model_id = ? AND revision = ?').run(JSON.stringify(spec), id, last.revision);
      this.db.prepare('UPDATE catalog_models SET name = ? WHERE id = ?').run(spec.name, id);
    })();
    return this.get(id);
  }

  publish(id: string): HardwareModel {
    const last = this.latest(id);
    if (last.state !== 'draft') {
      throw new AppError(ModelErrors.MODEL_NO_DRAFT, {
        en: `There is no draft to publish: revision ${last.revision} is ${last.state}.`,
        zh: `没有可发布的草稿：第 ${last.revision} 版状态为 ${last.state}。`,
      });
    }
    this.checkReferences(JSON.parse(last.spec) as HardwareModelSpec);
    this.db
      .prepare(`UPDATE catalog_model_revisions SET state = 'published', published_at = ? WHERE model_id = ? AND revision = ?`)
      .run(new Date().toISOString(), id, last.revision);
    return this.get(id);
  }

  newRevision(id: string): HardwareModel {
    const last = this.latest(id);
    if (last.state === 'draft') {
      throw new AppError(ModelErrors.MODEL_DRAFT_EXISTS, {
        en: `Revision ${last.revision} is still a draft: edit it, or publish it first.`,
        zh: `第 ${last.revision} 版仍是草稿：请直接编辑，或先发布。`,
      });
    }
    const source = this.db
      .prepare(`SELECT * FROM catalog_model_revisions WHERE model_id = ? AND state = 'published' ORDER BY revision DESC LIMIT 1`)
      .get(id) as RevRow | undefined;
    const spec = (source ?? last).spec;
    this.db
      .prepare(`INSERT INTO catalog_model_revisions (model_id, revision, state, spec, created_at) VALUES (?, ?, 'draft', ?, ?)`)
      .run(id, last.revision + 1, spec, new Date().toISOString());
    return this.get(id);
  }

  retire(id: string, revision: number): HardwareModel {
    const row = this.db.prepare('SELECT * FROM catalog_model_revisions WHERE model_id = ? AND revision = ?').get(id, revision) as RevRow | undefined;
    if (!row)
      throw new AppError(
        ModelErrors.MODEL_REVISION_NOT_FOUND,
        { en: `Model ${id} has no revision ${revision}.`, zh: `型号 ${id} 没有第 ${revision} 版。` },
        { field: ['revision'] },
      );
    if (row.state !== 'published') {
      throw new AppError(
        ModelErrors.MODEL_REVISION_NOT_PUBLISHED,
        {
          en: `Only a published revision can be retired; revision ${revision} is ${row.state}.`,
          zh: `只有已发布的版本可以停用；第 ${revision} 版状态为 ${row.state}。`,
        },
        { field: ['revision'] },
      );
    }
    this.db.prepare(`UPDATE catalog_model_revisions SET state = 'retired' WHERE model_id = ? AND revision = ?`).run(id, revision);
    return this.get(id);
  }

  diff(id: string, from: number, to: number): SpecChange[] {
    const m = this.get(id);
    const spec = (n: number) => {
      const r = m.revisions.find((x) => x.revision === n);
      if (!r)
        throw new AppError(ModelErrors.MODEL_REVISION_NOT_FOUND, { en: `Model "${m.name}" has no revision ${n}.`, zh: `型号“${m.name}”没有第 ${n} 版。` });
      return r.spec;
    };
    return diffSpecs(spec(from), spec(to));
  }

  /** Adds a model with these revisions as they are (a catalog document's import); the caller checked names and specs. */
  insertRevisions(name: string, revisions: { revision: number; state: 'draft' | 'published' | 'retired'; spec: HardwareModelSpec }[]): string {
    const id = `hwm_${randomBytes(8).toString('hex')}`;
    const now = new Date().toISOString();
    this.db.prepare('INSERT INTO catalog_models (id, name, created_at) VALUES (?, ?, ?)').run(id, name, now);
    for (const r of revisions) {
      this.db
        .prepare('INSERT INTO catalog_model_revisions (model_id, revision, state, spec, created_at, published_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, r.revision, r.state, JSON.stringify(r.spec), now, r.state === 'draft' ? null : now);
    }
    return id;
  }

  /** The id of the model with this name, or null. */
  idByName(name: string): string | null {
    return (this.db.prepare('SELECT id FROM catalog_models WHERE name = ?').get(name) as { id: string } | undefined)?.id ?? null;
  }
}
