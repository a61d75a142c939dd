/**
 * Catalog documents: models, apps and combos moved between stations as one
 * versioned JSON document (format CATALOG_FORMAT in the contract).
 *
 * Local ids mean nothing on another station, so a document references
 * artifacts by digest and a combo names its model and apps. An import checks
 * the whole document first (structure, every spec, every artifact present),
 * then adds it in one transaction in dependency order: models, apps, combos.
 * A name already here is skipped, never overwritten; a combo is checked
 * against its model like any other combo.
 */
import {
  CATALOG_FORMAT,
  CatalogDocumentSchema,
  ComboSpecSchema,
  ContainerAppSpecSchema,
  HardwareModelSpecSchema,
  LightAppSpecSchema,
  type ArtifactKind,
  type CatalogDocument,
  type CatalogExportInput,
  type CatalogImportResult,
  type ComboSpec,
  type ContainerAppSpec,
  type HardwareModelSpec,
  type LightAppSpec,
} from '../api/contract';
import { AppError } from '../api/errors';
import { inputInvalid } from '../api/validation';
import type { ArtifactService } from '../artifacts';
import type { Db } from '../store';
import type { AppKind, AppService } from './apps';
import type { ComboService } from './combos';
import type { ModelService } from './models';

export const DocumentErrors = {
  CATALOG_DOCUMENT_INVALID: 'CATALOG_DOCUMENT_INVALID',
  CATALOG_FORMAT_UNKNOWN: 'CATALOG_FORMAT_UNKNOWN',
  ARTIFACTS_MISSING: 'ARTIFACTS_MISSING',
  CATALOG_REFERENCE_MISSING: 'CATALOG_REFERENCE_MISSING',
} as const;

type Json = Record<string, unknown>;
/** Maps one artifact reference (an id one way, a digest the other) to its counterpart. */
type RefMap = (kind: ArtifactKind, ref: string, path: (string | number)[]) => string;

/** The artifact fields of each kind of spec, mapped through `map`; the spec is copied, not changed. */
function mapModelRefs(spec: Json, map: RefMap): Json {
  const s = structuredClone(spec) as { os?: { baseIsoArtifactId?: string | null }; accelerators?: { driverArtifactId?: string | null }[] };
  if (s.os?.baseIsoArtifactId) s.os.baseIsoArtifactId = map('iso', s.os.baseIsoArtifactId, ['os', 'baseIsoArtifactId']);
  s.accelerators?.forEach((a, i) => {
    if (a.driverArtifactId) a.driverArtifactId = map('driver', a.driverArtifactId, ['accelerators', i, 'driverArtifactId']);
  });
  return s as Json;
}
function mapAppRefs(kind: AppKind, spec: Json, map: RefMap): Json {
  const s = structuredClone(spec) as {
    packageArtifactId?: string;
    containers?: { imageArtifactId?: string }[];
    initContainers?: { imageArtifactId?: string }[];
  };
  if (kind === 'light') {
    if (s.packageArtifactId) s.packageArtifactId = map('lightapp', s.packageArtifactId, ['packageArtifactId']);
    return s as Json;
  }
  for (const list of ['initContainers', 'containers'] as const) {
    s[list]?.forEach((c, i) => {
      if (c.imageArtifactId) c.imageArtifactId = map('image', c.imageArtifactId, [list, i, 'imageArtifactId']);
    });
  }
  return s as Json;
}

const prefixed = (issues: readonly { path: PropertyKey[]; message: string; code?: string; params?: unknown }[], prefix: (string | number)[]) =>
  issues.map((i) => ({ ...i, path: [...prefix, ...i.path] }));

function invalid(issues: Parameters<typeof inputInvalid>[0]): AppError {
  const e = inputInvalid(issues);
  return new AppError(
    DocumentErrors.CATALOG_DOCUMENT_INVALID,
    { en: `The catalog document is not valid: ${e.text.en}`, zh: `目录文档无效：${e.text.zh}` },
    { ...(e.field ? { field: e.field } : {}), ...(e.fields ? { fields: e.fields } : {}) },
  );
}

export class CatalogDocuments {
  constructor(
    private readonly db: Db,
    private readonly models: ModelService,
    private readonly apps: AppService,
    private readonly combos: ComboService,
    private readonly artifacts: ArtifactService,
  ) {}

  /** The chosen definitions (a list given for any kind chooses), or everything. Combos bring their models and apps. */
  export(input: CatalogExportInput = {}): CatalogDocument {
    const chosen = input.models !== undefined || input.apps !== undefined || input.combos !== undefined;
    const combos = chosen ? (input.combos ?? []).map((id) => this.combos.get(id)) : this.combos.list();
    const modelIds = new Set(chosen ? (input.models ?? []) : this.models.list().map((m) => m.id));
    const appIds = new Set(chosen ? (input.apps ?? []) : this.apps.list().map((a) => a.id));
    for (const c of combos) {
      modelIds.add(c.spec.modelId);
      for (const pin of c.spec.apps) appIds.add(pin.appId);
    }
    const artifacts = new Map<string, CatalogDocument['artifacts'][number]>();
    const toDigest: RefMap = (_kind, id) => {
      const a = this.artifacts.get(id);
      artifacts.set(`${a.kind} ${a.digest}`, { kind: a.kind, digest: a.digest, name: a.name, platform: a.platform });
      return a.digest;
    };
    const models = [...modelIds].map((id) => this.models.get(id));
    const apps = [...appIds].map((id) => this.apps.get(id));
    const doc: CatalogDocument = {
      format: CATALOG_FORMAT,
      exportedAt: new Date().toISOString(),
      artifacts: [],
      models: models.map((m) => ({
        name: m.name,
        revisions: m.revisions.map((r) => ({ revision: r.revision, state: r.state, spec: mapModelRefs(r.spec as unknown as Json, toDigest) })),
      })),
      apps: apps.map((a) => ({
        name: a.name,
        kind: a.kind,
        versions: a.versions.map((v) => ({
          version: v.version,
          state: v.state,
          change: v.change,
          spec: mapAppRefs(a.kind, v.spec as unknown as Json, toDigest),
        })),
      })),
      combos: combos.map((c) => {
        const { modelId, runtimeArtifactId, apps: pins, ...rest } = c.spec;
        return {
          name: c.name,
          state: c.state,
          spec: {
            ...rest,
            model: this.models.get(modelId).name,
            runtimeArtifactId: toDigest('runtime', runtimeArtifactId, ['runtimeArtifactId']),
            apps: pins.map(({ appId, ...pin }) => ({ app: this.apps.get(appId).name, ...pin })),
          },
        };
      }),
    };
    doc.artifacts = [...artifacts.values()].sort((a, b) => a.name.localeCompare(b.name));
    return doc;
  }

  /** Adds every definition of the document whose name is not here yet; all or nothing. */
  import(document: unknown): CatalogImportResult {
    const format = (document as { format?: unknown } | null)?.format;
    if (typeof format === 'string' && format !== CATALOG_FORMAT) {
      throw new AppError(
        DocumentErrors.CATALOG_FORMAT_UNKNOWN,
        {
          en: `This document is in format "${format}"; this EdgeForge reads "${CATALOG_FORMAT}". Export it again from a current station.`,
          zh: `此文档格式为“${format}”；本版本 EdgeForge 读取“${CATALOG_FORMAT}”。请在当前版本的工作站上重新导出。`,
        },
        { field: ['format'] },
      );
    }
    const parsed = CatalogDocumentSchema.safeParse(document);
    if (!parsed.success) throw invalid(parsed.error.issues);
    const doc = parsed.data;

    // Every artifact reference must resolve to an artifact of the right kind here.
    const missing = new Map<string, string>();
    const toId: RefMap = (kind, digest) => {
      const local = this.artifacts.findByDigest(kind, digest);
      if (local) return local.id;
      const named = doc.artifacts.find((a) => a.kind === kind && a.digest === digest);
      missing.set(
        `${kind} ${digest}`,
        `${named ? `${named.name}${named.platform && !named.name.includes(named.platform) ? ` (${named.platform})` : ''}` : kind} [${digest.slice(0, 19)}…]`,
      );
      return 'art_00000000000000000000';
    };

    const issues: Parameters<typeof inputInvalid>[0][number][] = [];
    const models = doc.models.map((m, i) => ({
      name: m.name,
      revisions: m.revisions.map((r, j) => {
        const spec = HardwareModelSpecSchema.safeParse(mapModelRefs(r.spec, toId));
        if (!spec.success) issues.push(...prefixed(spec.error.issues, ['models', i, 'revisions', j, 'spec']));
        else if (spec.data.name !== m.name) issues.push({ path: ['models', i, 'name'], message: `The name differs from its spec's (${spec.data.name}).` });
        return { revision: r.revision, state: r.state, spec: spec.data as HardwareModelSpec };
      }),
    }));
    const apps = doc.apps.map((a, i) => ({
      name: a.name,
      kind: a.kind,
      versions: a.versions.map((v, j) => {
        const schema = a.kind === 'container' ? ContainerAppSpecSchema : LightAppSpecSchema;
        const spec = schema.safeParse(mapAppRefs(a.kind, v.spec, toId));
        if (!spec.success) issues.push(...prefixed(spec.error.issues, ['apps', i, 'versions', j, 'spec']));
        return { version: v.version, state: v.state, change: v.change, spec: spec.data as ContainerAppSpec | LightAppSpec };
      }),
    }));
    const comboRuntime = doc.combos.map((c) => (typeof c.spec.runtimeArtifactId === 'string' ? toId('runtime', c.spec.runtimeArtifactId, []) : null));
    if (issues.length > 0) throw invalid(issues);
    if (missing.size > 0) {
      throw new AppError(DocumentErrors.ARTIFACTS_MISSING, {
        en: `Import the artifacts this document references first: ${[...missing.values()].join('; ')}.`,
        zh: `请先导入该文档引用的制品：${[...missing.values()].join('；')}。`,
      });
    }

    const result: CatalogImportResult = { created: { models: [], apps: [], combos: [] }, skipped: { models: [], apps: [], combos: [] } };
    this.db.transaction(() => {
      for (const m of models) {
        if (this.models.idByName(m.name)) result.skipped.models.push(m.name);
        else {
          this.models.insertRevisions(m.name, m.revisions);
          result.created.models.push(m.name);
        }
      }
      for (const a of apps) {
        if (this.apps.idByName(a.name)) result.skipped.apps.push(a.name);
        else {
          this.apps.insertVersions(a.name, a.kind, a.versions);
          result.created.apps.push(a.name);
        }
      }
      doc.combos.forEach((c, i) => {
        if (this.combos.idByName(c.name)) return void result.skipped.combos.push(c.name);
        const spec = this.comboSpec(c.name, c.spec, comboRuntime[i] ?? null, i);
        try {
          this.combos.insert(spec, c.state);
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          throw new AppError(
            e.code,
            { en: `Combo "${c.name}": ${e.text.en}`, zh: `一体机“${c.name}”：${e.text.zh}` },
            {
              field: ['combos', i, 'spec', ...(e.field ?? [])],
              ...(e.fields ? { fields: e.fields.map((f) => ({ ...f, path: ['combos', i, 'spec', ...f.path] })) } : {}),
            },
          );
        }
        result.created.combos.push(c.name);
      });
    })();
    return result;
  }

  /** A document combo's spec with local ids for its model, apps and runtime. */
  private comboSpec(name: string, raw: Json, runtimeId: string | null, i: number): ComboSpec {
    const where = ['combos', i, 'spec'];
    const notHere = (what: { en: string; zh: string }, field: (string | number)[]) =>
      new AppError(
        DocumentErrors.CATALOG_REFERENCE_MISSING,
        {
          en: `Combo "${name}" uses ${what.en}, which is neither in the document nor on this station.`,
          zh: `一体机“${name}”使用了${what.zh}，该文档和本工作站中都没有。`,
        },
        { field: [...where, ...field] },
      );
    const modelName = typeof raw.model === 'string' ? raw.model : '';
    const modelId = this.models.idByName(modelName);
    if (!modelId) throw notHere({ en: `model "${modelName}"`, zh: `型号“${modelName}”` }, ['model']);
    const pins = Array.isArray(raw.apps) ? (raw.apps as Json[]) : [];
    const apps = pins.map((pin, j) => {
      const { app, ...rest } = pin;
      const appId = this.apps.idByName(String(app));
      if (!appId) throw notHere({ en: `app "${String(app)}"`, zh: `应用“${String(app)}”` }, ['apps', j, 'app']);
      return { appId, ...rest };
    });
    const { model: _model, ...rest } = raw;
    const spec = ComboSpecSchema.safeParse({ ...rest, modelId, runtimeArtifactId: runtimeId, apps });
    if (!spec.success) throw invalid(prefixed(spec.error.issues, where));
    return spec.data;
  }
}
