/**
 * Appliance combo rules, on a station with real imports (test/catalog/station.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ComboSpecSchema } from '../../main/api/contract';
import { ComboErrors } from '../../main/catalog';
import { catalogInputs, catalogStation } from './station';

function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    return e as { code: string; text: { en: string; zh: string }; fields: { issue: string; path: unknown[]; message: { en: string } }[] };
  }
  throw new Error('expected a refusal');
}

describe('appliance combos: nothing that cannot run on the model is accepted', () => {
  let s: Awaited<ReturnType<typeof catalogStation>>;
  beforeAll(async () => {
    s = await catalogStation(catalogInputs());
  }, 120_000);

  it('accepts a combo whose images, GPU request, driver and runtime fit the model, and publishes it', () => {
    const c = s.combos.create(s.combo({ nodeLabels: { 'node-type': 'gpu', 'edgeforge.io/line': 'a' } }));
    expect(s.combos.publish(c.id).state).toBe('published');
  });

  it.each([
    [
      'an arm64 image on an x86_64 model',
      (x: typeof s) => x.combo({ name: 'c1', apps: [{ appId: x.armOnly, version: 1, overrides: { replicas: null, env: [] } }] }),
      'image-arch',
      /Image "app" of app "arm-sensor".*linux\/arm64.*x86_64/,
    ],
    [
      'a GPU request on a model without a GPU',
      (x: typeof s) => x.combo({ name: 'c2', modelId: x.plainModel }),
      'gpu-without-gpu',
      /"vision-gateway".*GPU share.*"plain-box" has no NVIDIA GPU/,
    ],
    [
      'an accelerator without a driver artifact',
      (x: typeof s) => x.combo({ name: 'c3', modelId: x.noDriverModel }),
      'accelerator-without-driver',
      /"gpu-no-driver" declares accelerator 1 \(nvidia-gpu\) with no driver/,
    ],
    [
      'a runtime of the wrong arch',
      (x: typeof s) => x.combo({ name: 'c4', runtimeArtifactId: x.ids.k3sArm }),
      'runtime-arch',
      /runtime "k3s v1\.30\.2\+k3s1 \(aarch64\)" is for aarch64, but the model is x86_64/,
    ],
    [
      'two apps on one host port',
      (x: typeof s) =>
        x.combo({
          name: 'c5',
          apps: [
            { appId: x.vision, version: 1, overrides: { replicas: null, env: [] } },
            { appId: x.web, version: 1, overrides: { replicas: null, env: [] } },
          ],
        }),
      'host-port-clash',
      /"web-console" and app "vision-gateway" both use host port 8080\/TCP/,
    ],
    [
      'one app twice (a service-name clash)',
      (x: typeof s) =>
        x.combo({
          name: 'c6',
          apps: [
            { appId: x.vision, version: 1, overrides: { replicas: null, env: [] } },
            { appId: x.vision, version: 1, overrides: { replicas: null, env: [] } },
          ],
        }),
      'service-clash',
      /"vision-gateway" is in the combo twice/,
    ],
    [
      'a draft app version',
      (x: typeof s) => x.combo({ name: 'c7', apps: [{ appId: x.draftApp, version: 1, overrides: { replicas: null, env: [] } }] }),
      'app-not-published',
      /"draft-app" version 1 is a draft/,
    ],
  ])('refuses %s, naming what is wrong', (_what, make, rule, message) => {
    const e = refusal(() => s.combos.create(make(s)));
    expect(e.code).toBe(ComboErrors.COMBO_REFUSED);
    const problem = e.fields.find((f) => f.issue === rule);
    expect(problem, JSON.stringify(e.fields)).toBeDefined();
    expect(problem!.message.en).toMatch(message);
    expect(e.text.zh).toMatch(/[\u4e00-\u9fff]/);
  });

  it('refuses bad node labels at the schema, by label', () => {
    const r = ComboSpecSchema.safeParse({ ...s.combo({}), nodeLabels: { '-bad': 'x', ok: 'also-ok', good: '-bad-value' } });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path)).toEqual([
      ['nodeLabels', '-bad'],
      ['nodeLabels', 'good'],
    ]);
  });

  it('edits a draft (re-checked, names unique), removes a draft, and keeps a published combo frozen', () => {
    const draft = s.combos.create(s.combo({ name: 'edit-me' }));
    expect(s.combos.update(draft.id, s.combo({ name: 'edited', nodeLabels: { zone: 'b' } })).spec.nodeLabels).toEqual({ zone: 'b' });
    expect(refusal(() => s.combos.update(draft.id, s.combo({ name: 'edited', modelId: s.plainModel }))).code).toBe(ComboErrors.COMBO_REFUSED);
    expect(s.combos.get(draft.id).spec.modelId).toBe(s.gpuModel);
    const other = s.combos.create(s.combo({ name: 'other-draft' }));
    expect(refusal(() => s.combos.update(other.id, s.combo({ name: 'edited' }))).code).toBe(ComboErrors.COMBO_NAME_TAKEN);
    s.combos.remove(other.id);
    expect(refusal(() => s.combos.get(other.id)).code).toBe(ComboErrors.COMBO_NOT_FOUND);
    const published = s.combos.publish(draft.id);
    expect(refusal(() => s.combos.update(published.id, s.combo({ name: 'edited' }))).code).toBe(ComboErrors.COMBO_FROZEN);
    expect(refusal(() => s.combos.remove(published.id)).code).toBe(ComboErrors.COMBO_FROZEN);
    expect(s.combos.get(published.id).state).toBe('published');
  });
});
