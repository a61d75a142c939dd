/**
 * Appliance combos (软硬一体机): a hardware model revision, pinned app
 * versions, a cluster runtime, node labels and per-app overrides.
 *
 * Nothing that cannot run on the model is accepted (DESIGN.md §1 step 4).
 * `check()` returns every problem, each naming the offending image, app or
 * field; create, update and publish refuse while any remains.
 */
import { randomBytes } from 'node:crypto';
import type { ComboSpec, ContainerAppSpec, LightAppSpec } from '../api/contract';
import { AppError, type LocalizedText } from '../api/errors';
import type { ArtifactService } from '../artifacts';
import type { Db, Migration } from '../store';
import type { AppService } from './apps';
import type { ModelService } from './models';

export const combosMigration: Migration = {
  version: 3,
  name: 'appliance combos',
  up: (db) =>
    db.exec(`
      CREATE TABLE catalog_combos (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN ('draft','published')),
        spec TEXT NOT NULL,
        created_at TEXT NOT NULL,
        published_at TEXT
      );
    `),
};

export const ComboErrors = {
  COMBO_REFUSED: 'COMBO_REFUSED',
  COMBO_NOT_FOUND: 'COMBO_NOT_FOUND',
  COMBO_NAME_TAKEN: 'COMBO_NAME_TAKEN',
  COMBO_FROZEN: 'COMBO_FROZEN',
} as const;

export interface ComboProblem {
  rule: string;
  field: (string | number)[];
  message: LocalizedText;
}

export interface Combo {
  id: string;
  name: string;
  state: 'draft' | 'published';
  spec: ComboSpec;
  createdAt: string;
  publishedAt: string | null;
}

/** OCI platform "linux/arm64/v8" or an ELF arch, as the model's arch. */
function archOf(platform: string | null): string | null {
  if (!platform) return null;
  const arch = platform.includes('/') ? platform.split('/')[1]! : platform;
  return ({ amd64: 'x86_64', x86_64: 'x86_64', arm64: 'aarch64', aarch64: 'aarch64' } as Record<string, string>)[arch] ?? arch;
}

const p = (rule: string, field: (string | number)[], en: string, zh: string): ComboProblem => ({ rule, field, message: { en, zh } });

export class ComboService {
  constructor(
    private readonly db: Db,
    private readonly models: ModelService,
    private readonly apps: AppService,
    private readonly artifacts: ArtifactService,
  ) {}

  /** Every reason this combo cannot run on its model, each with the field it is about. */
  check(spec: ComboSpec): ComboProblem[] {
    const problems: ComboProblem[] = [];
    let model;
    try {
      model = this.models.get(spec.modelId);
    } catch {
      return [p('model-missing', ['modelId'], `There is no hardware model ${spec.modelId}.`, `不存在硬件型号 ${spec.modelId}。`)];
    }
    const rev = model.revisions.find((r) => r.revision === spec.modelRevision);
    if (!rev)
      return [
        p(
          'model-revision-missing',
          ['modelRevision'],
          `Model "${model.name}" has no revision ${spec.modelRevision}.`,
          `型号“${model.name}”没有第 ${spec.modelRevision} 版。`,
        ),
      ];
    if (rev.state !== 'published') {
      problems.push(
        p(
          'model-not-published',
          ['modelRevision'],
          `Model "${model.name}" revision ${rev.revision} is ${rev.state}; a combo takes a published revision.`,
          `型号“${model.name}”第 ${rev.revision} 版状态为 ${rev.state}；一体机只能使用已发布的版本。`,
        ),
      );
    }
    const arch = rev.spec.arch;
    const hasGpu = rev.spec.accelerators.some((a) => a.kind === 'nvidia-gpu');
    rev.spec.accelerators.forEach((a, i) => {
      if (!a.driverArtifactId) {
        problems.push(
          p(
            'accelerator-without-driver',
            ['modelRevision'],
            `Model "${model.name}" declares accelerator ${i + 1} (${a.kind}) with no driver artifact; add its driver to the model.`,
            `型号“${model.name}”声明的第 ${i + 1} 个加速卡（${a.kind}）没有驱动制品；请在型号中添加驱动。`,
          ),
        );
      }
    });

    // The runtime: a k3s artifact of the model's arch.
    try {
      const rt = this.artifacts.get(spec.runtimeArtifactId);
      if (rt.kind !== 'runtime')
        problems.push(
          p('runtime-kind', ['runtimeArtifactId'], `"${rt.name}" is a ${rt.kind}, not a cluster runtime.`, `“${rt.name}”是 ${rt.kind}，不是集群运行时。`),
        );
      else if (archOf(rt.platform) !== arch)
        problems.push(
          p(
            'runtime-arch',
            ['runtimeArtifactId'],
            `The runtime "${rt.name}" is for ${rt.platform}, but the model is ${arch}.`,
            `运行时“${rt.name}”适用于 ${rt.platform}，但型号为 ${arch}。`,
          ),
        );
    } catch {
      problems.push(
        p(
          'runtime-missing',
          ['runtimeArtifactId'],
          `The runtime ${spec.runtimeArtifactId} is not in the artifact store.`,
          `制品库中没有运行时 ${spec.runtimeArtifactId}。`,
        ),
      );
    }

    const hostPorts = new Map<string, string>();
    const services = new Map<string, number>();
    spec.apps.forEach((pin, i) => {
      let app;
      try {
        app = this.apps.get(pin.appId);
      } catch {
        problems.push(p('app-missing', ['apps', i, 'appId'], `There is no application ${pin.appId}.`, `不存在应用 ${pin.appId}。`));
        return;
      }
      const v = app.versions.find((x) => x.version === pin.version);
      if (!v) {
        problems.push(
          p(
            'app-version-missing',
            ['apps', i, 'version'],
            `Application "${app.name}" has no version ${pin.version}.`,
            `应用“${app.name}”没有第 ${pin.version} 版。`,
          ),
        );
        return;
      }
      if (v.state !== 'published')
        problems.push(
          p(
            'app-not-published',
            ['apps', i, 'version'],
            `Application "${app.name}" version ${v.version} is a draft; pin a published version.`,
            `应用“${app.name}”第 ${v.version} 版是草稿；请选择已发布的版本。`,
          ),
        );
      if (services.has(app.name))
        problems.push(
          p(
            'service-clash',
            ['apps', i, 'appId'],
            `Application "${app.name}" is in the combo twice; its service name would clash.`,
            `应用“${app.name}”在一体机中出现两次，服务名称会冲突。`,
          ),
        );
      services.set(app.name, i);
      if (app.kind === 'light') {
        const pkg = (v.spec as LightAppSpec).packageArtifactId;
        try {
          const a = this.artifacts.get(pkg);
          if (a.platform && archOf(a.platform) !== arch)
            problems.push(
              p(
                'lightapp-arch',
                ['apps', i, 'appId'],
                `Light app "${app.name}" is built for ${a.platform}, but the model is ${arch}.`,
                `轻应用“${app.name}”为 ${a.platform} 构建，但型号为 ${arch}。`,
              ),
            );
        } catch {
          problems.push(
            p(
              'artifact-missing',
              ['apps', i, 'appId'],
              `Light app "${app.name}" references a package that is no longer stored.`,
              `轻应用“${app.name}”引用的程序包已不在制品库中。`,
            ),
          );
        }
        return;
      }
      const cs = v.spec as ContainerAppSpec;
      [...cs.initContainers, ...cs.containers].forEach((c) => {
        try {
          const img = this.artifacts.get(c.imageArtifactId);
          if (archOf(img.platform) !== arch) {
            problems.push(
              p(
                'image-arch',
                ['apps', i, 'appId'],
                `Image "${img.name}" of app "${app.name}" (container ${c.name}) is ${img.platform}, but the model is ${arch}.`,
                `应用“${app.name}”的镜像“${img.name}”（容器 ${c.name}）为 ${img.platform}，但型号为 ${arch}。`,
              ),
            );
          }
        } catch {
          problems.push(
            p(
              'artifact-missing',
              ['apps', i, 'appId'],
              `App "${app.name}" (container ${c.name}) references an image that is no longer stored.`,
              `应用“${app.name}”（容器 ${c.name}）引用的镜像已不在制品库中。`,
            ),
          );
        }
        if (c.gpu && !hasGpu) {
          problems.push(
            p(
              'gpu-without-gpu',
              ['apps', i, 'appId'],
              `App "${app.name}" (container ${c.name}) requests a GPU share, but model "${model.name}" has no NVIDIA GPU.`,
              `应用“${app.name}”（容器 ${c.name}）申请了 GPU 份额，但型号“${model.name}”没有 NVIDIA GPU。`,
            ),
          );
        }
        for (const port of c.ports) {
          const host = port.hostPort ?? (cs.hostNetwork ? port.containerPort : null);
          if (host === null) continue;
          const key = `${host}/${port.protocol}`;
          const other = hostPorts.get(key);
          if (other && other !== app.name) {
            problems.push(
              p(
                'host-port-clash',
                ['apps', i, 'appId'],
                `App "${app.name}" and app "${other}" both use host port ${key}.`,
                `应用“${app.name}”与应用“${other}”都使用主机端口 ${key}。`,
              ),
            );
          }
          hostPorts.set(key, app.name);
        }
      });
    });
    return problems;
  }

  private refuse(problems: ComboProblem[]): never {
    const first = problems[0]!;
    throw new AppError(
      ComboErrors.COMBO_REFUSED,
      {
        en: problems.length === 1 ? first.message.en : `${first.message.en} (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})`,
        zh: problems.length === 1 ? first.message.zh : `${first.message.zh}（另有 ${problems.length - 1} 个问题）`,
      },
      { field: first.field, fields: problems.map((x) => ({ path: x.field, issue: x.rule, message: x.message })) },
    );
  }

  list(): Combo[] {
    return (this.db.prepare('SELECT id FROM catalog_combos ORDER BY name').all() as { id: string }[]).map((r) => this.get(r.id));
  }

  get(id: string): Combo {
    const r = this.db.prepare('SELECT * FROM catalog_combos WHERE id = ?').get(id) as
      { id: string; name: string; state: 'draft' | 'published'; spec: string; created_at: string; published_at: string | null } | undefined;
    if (!r) throw new AppError(ComboErrors.COMBO_NOT_FOUND, { en: `There is no appliance combo ${id}.`, zh: `不存在软硬一体机 ${id}。` }, { field: ['id'] });
    return { id: r.id, name: r.name, state: r.state, spec: JSON.parse(r.spec) as ComboSpec, createdAt: r.created_at, publishedAt: r.published_at };
  }

  private nameTaken(name: string, exceptId?: string): void {
    const row = this.db.prepare('SELECT id FROM catalog_combos WHERE name = ?').get(name) as { id: string } | undefined;
    if (row && row.id !== exceptId) {
      throw new AppError(
        ComboErrors.COMBO_NAME_TAKEN,
        { en: `An appliance combo named "${name}" already exists.`, zh: `已存在名为“${name}”的软硬一体机。` },
        { field: ['name'] },
      );
    }
  }

  create(spec: ComboSpec): Combo {
    return this.get(this.insert(spec, 'draft'));
  }

  /** Adds a combo after every check (create, and a catalog document's import). */
  insert(spec: ComboSpec, state: 'draft' | 'published'): string {
    this.nameTaken(spec.name);
    const problems = this.check(spec);
    if (problems.length > 0) this.refuse(problems);
    const id = `cmb_${randomBytes(8).toString('hex')}`;
    const now = new Date().toISOString();
    this.db
      .prepare(`INSERT INTO catalog_combos (id, name, state, spec, created_at, published_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(id, spec.name, state, JSON.stringify(spec), now, state === 'published' ? now : null);
    return id;
  }

  /** Edits a draft combo; a published one is frozen (copy it into a new combo instead). */
  update(id: string, spec: ComboSpec): Combo {
    const c = this.get(id);
    if (c.state !== 'draft') {
      throw new AppError(ComboErrors.COMBO_FROZEN, {
        en: `Combo "${c.name}" is published and frozen. Copy it into a new combo to change it.`,
        zh: `一体机“${c.name}”已发布并冻结。如需修改，请复制为新的一体机。`,
      });
    }
    this.nameTaken(spec.name, id);
    const problems = this.check(spec);
    if (problems.length > 0) this.refuse(problems);
    this.db.prepare('UPDATE catalog_combos SET name = ?, spec = ? WHERE id = ?').run(spec.name, JSON.stringify(spec), id);
    return this.get(id);
  }

  /** Removes a draft combo; a published one may have batches and stays. */
  remove(id: string): void {
    const c = this.get(id);
    if (c.state !== 'draft') {
      throw new AppError(ComboErrors.COMBO_FROZEN, {
        en: `Combo "${c.name}" is published; it stays so that its batches keep their definition.`,
        zh: `一体机“${c.name}”已发布；为保证其批次的定义不变，不能删除。`,
      });
    }
    this.db.prepare('DELETE FROM catalog_combos WHERE id = ?').run(id);
  }

  publish(id: string): Combo {
    const c = this.get(id);
    if (c.state !== 'draft') throw new AppError(ComboErrors.COMBO_FROZEN, { en: `Combo "${c.name}" is already published.`, zh: `一体机“${c.name}”已发布。` });
    const problems = this.check(c.spec);
    if (problems.length > 0) this.refuse(problems);
    this.db.prepare(`UPDATE catalog_combos SET state = 'published', published_at = ? WHERE id = ?`).run(new Date().toISOString(), id);
    return this.get(id);
  }

  /** The id of the combo with this name, or null. */
  idByName(name: string): string | null {
    return (this.db.prepare('SELECT id FROM catalog_combos WHERE name = ?').get(name) as { id: string } | undefined)?.id ?? null;
  }
}
