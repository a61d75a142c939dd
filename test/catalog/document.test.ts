/**
 * Catalog documents between two stations that imported the same files
 * (so the same digests, under different local ids).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_FORMAT } from '../../main/api/contract';
import { DocumentErrors } from '../../main/catalog';
import { catalogInputs, catalogStation, type CatalogInputs } from './station';

function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    return e as { code: string; text: { en: string; zh: string }; field?: unknown[]; fields?: { path: unknown[] }[] };
  }
  throw new Error('expected a refusal');
}

describe('catalog documents: models, apps and combos move between stations', () => {
  let inputs: CatalogInputs;
  let a: Awaited<ReturnType<typeof catalogStation>>;
  let docText: string;
  beforeAll(async () => {
    inputs = catalogInputs();
    a = await catalogStation(inputs);
    const c = a.combos.create(a.combo({ name: 'line-a', nodeLabels: { zone: 'a' } }));
    a.combos.publish(c.id);
    docText = JSON.stringify(a.catalog.export({ combos: [c.id] }));
  }, 180_000);

  it('exports a combo with the model and apps it uses, referencing artifacts by digest and never by local id', () => {
    const doc = JSON.parse(docText);
    expect(doc.format).toBe(CATALOG_FORMAT);
    expect(doc.models.map((m: { name: string }) => m.name)).toEqual(['gpu-box']);
    expect(doc.apps.map((x: { name: string }) => x.name)).toEqual(['vision-gateway']);
    expect(doc.combos[0].spec.model).toBe('gpu-box');
    expect(doc.combos[0].spec.apps[0].app).toBe('vision-gateway');
    expect(docText).not.toMatch(/"(art|hwm|app|cmb)_[0-9a-f]+"/);
    expect(doc.artifacts.map((x: { kind: string }) => x.kind).sort()).toEqual(['driver', 'image', 'runtime']);
    expect(doc.apps[0].versions[0].spec.containers[0].imageArtifactId).toBe(a.artifacts.get(a.ids.amd).digest);
  });

  it('imports it on a second station under its own ids, then skips every name on a second import', async () => {
    const b = await catalogStation(inputs);
    const r = b.catalog.import(JSON.parse(docText));
    // Station b already has gpu-box and vision-gateway (same fixture names): they are skipped, the combo binds to them.
    expect(r).toEqual({ created: { models: [], apps: [], combos: ['line-a'] }, skipped: { models: ['gpu-box'], apps: ['vision-gateway'], combos: [] } });
    const combo = b.combos.list().find((c) => c.name === 'line-a')!;
    expect(combo.state).toBe('published');
    expect(combo.spec.modelId).toBe(b.gpuModel);
    expect(combo.spec.runtimeArtifactId).toBe(b.ids.k3sX86);
    expect(combo.spec.apps[0]!.appId).toBe(b.vision);
    expect(b.catalog.import(JSON.parse(docText)).skipped.combos).toEqual(['line-a']);
  }, 120_000);

  it('creates models and apps it does not have, with their revisions, versions and states', async () => {
    const b = await catalogStation(inputs);
    const doc = JSON.parse(docText);
    doc.models[0].name = doc.models[0].revisions[0].spec.name = 'gpu-box-2';
    doc.apps[0].name = doc.apps[0].versions[0].spec.name = 'vision-gateway-2';
    doc.combos[0].spec.model = 'gpu-box-2';
    doc.combos[0].spec.apps[0].app = 'vision-gateway-2';
    const r = b.catalog.import(doc);
    expect(r.created).toEqual({ models: ['gpu-box-2'], apps: ['vision-gateway-2'], combos: ['line-a'] });
    const model = b.models.list().find((m) => m.name === 'gpu-box-2')!;
    expect(model.revisions.map((x) => [x.revision, x.state])).toEqual([[1, 'published']]);
    expect(model.revisions[0]!.spec.accelerators[0]!.driverArtifactId).toBe(b.ids.driver);
    const app = b.apps.list().find((x) => x.name === 'vision-gateway-2')!;
    expect(app.versions.map((v) => [v.version, v.state])).toEqual([[1, 'published']]);
    expect(b.combos.list().find((c) => c.name === 'line-a')!.spec.modelId).toBe(model.id);
  }, 120_000);

  it('names the missing artifacts and adds nothing', async () => {
    const b = await catalogStation(inputs);
    const doc = JSON.parse(docText);
    doc.models[0].name = doc.models[0].revisions[0].spec.name = 'needs-driver';
    const driver = doc.artifacts.find((x: { kind: string }) => x.kind === 'driver');
    const fake = `sha256:${'0'.repeat(64)}`;
    doc.models[0].revisions[0].spec.accelerators[0].driverArtifactId = fake;
    driver.digest = fake;
    const e = refusal(() => b.catalog.import(doc));
    expect(e.code).toBe(DocumentErrors.ARTIFACTS_MISSING);
    expect(e.text.en).toMatch(/NVIDIA driver 550\.54\.14 \(x86_64\) \[sha256:000000000000…\]/);
    expect(e.text.zh).toMatch(/请先导入/);
    expect(b.models.list().map((m) => m.name)).not.toContain('needs-driver');
  }, 120_000);

  it('refuses another format, a bad spec (by its path) and a combo whose model is nowhere, all or nothing', async () => {
    const b = await catalogStation(inputs);
    const before = b.models.list().length;
    expect(refusal(() => b.catalog.import({ ...JSON.parse(docText), format: 'edgeforge.catalog/v1' })).code).toBe(DocumentErrors.CATALOG_FORMAT_UNKNOWN);
    const bad = JSON.parse(docText);
    bad.models[0].name = bad.models[0].revisions[0].spec.name = 'bad-box';
    bad.models[0].revisions[0].spec.serialPorts = [
      { device: '/dev/ttyS0', role: 'rs485', baud: 12345, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' },
    ];
    const e = refusal(() => b.catalog.import(bad));
    expect(e.code).toBe(DocumentErrors.CATALOG_DOCUMENT_INVALID);
    expect(e.field).toEqual(['models', 0, 'revisions', 0, 'spec', 'serialPorts', 0, 'baud']);
    const orphan = JSON.parse(docText);
    orphan.models[0].name = orphan.models[0].revisions[0].spec.name = 'new-box';
    orphan.combos[0].name = 'orphan';
    orphan.combos[0].spec.name = 'orphan';
    orphan.combos[0].spec.model = 'nowhere-box';
    const o = refusal(() => b.catalog.import(orphan));
    expect(o.code).toBe(DocumentErrors.CATALOG_REFERENCE_MISSING);
    expect(o.text.en).toMatch(/model "nowhere-box"/);
    // The model that came before the failing combo was rolled back with it.
    expect(b.models.list().length).toBe(before);
    expect(b.models.list().map((m) => m.name)).not.toContain('new-box');
  }, 120_000);

  it('refuses a combo that does not fit its model on the importing station, naming the problem', async () => {
    const b = await catalogStation(inputs);
    const doc = JSON.parse(docText);
    doc.combos[0].spec.model = 'plain-box';
    const e = refusal(() => b.catalog.import(doc));
    expect(e.code).toBe('COMBO_REFUSED');
    expect(e.text.en).toMatch(/^Combo "line-a": .*"plain-box" has no NVIDIA GPU/);
    expect(b.combos.list()).toEqual([]);
  }, 120_000);
});
