/**
 * Editing a cluster from the console in the browser, against the Kubernetes
 * API STAND-IN (test/support/kube-stand-in.ts; no kube-apiserver runs here):
 * a node's taints (each effect, edited, removed, from the keyboard; the label
 * rule said inline in English and Chinese), labels on several checked nodes
 * at once (the labels the kubelet and k3s own refused), and a StatefulSet
 * rolled back to its first revision. What the console did is read back from
 * the API server (the stand-in's store), then seen in the console.
 */
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { api, eventually } from '../cluster/wire';
import { clusterConsoleInBrowser } from '../support/cluster-console-page';
import type { KubeObject, KubeStandIn } from '../support/kube-stand-in';
import { dbStatefulSet, EDGE_NODES_IN_TWO_ZONES, startStandInCluster, type StandInCluster } from '../support/stand-in-cluster';

describe('Clusters in the browser: editing taints, labels and a StatefulSet’s revision', () => {
  vi.setConfig({ testTimeout: 90_000 });
  const { s, pageErrors, dialogOf, fieldErrors, row, still, picture, noOverlay, view, select } = clusterConsoleInBrowser();
  let cluster: StandInCluster;
  let kube: KubeStandIn;

  beforeAll(async () => {
    ({ kube } = cluster = await startStandInCluster(s.host, { kube: { podStartMs: 100, podTerminationMs: 300 }, nodes: EDGE_NODES_IN_TWO_ZONES }));
    const sts = await api(kube, 'POST', '/apis/apps/v1/namespaces/default/statefulsets', { body: dbStatefulSet('registry.local/db:1') });
    expect(sts.status).toBe(201);
    const imported = await cluster.client.clusters.import({ name: 'line-e', kubeconfig: kube.kubeconfig() });
    await s.page.evaluate((id) => (window.location.hash = `#/clusters/${id}/nodes`), imported.id);
    await s.page.locator('[data-testid="nodes-table"][data-count="4"]').waitFor({ timeout: 20_000 });
  }, 120_000);

  afterAll(async () => {
    await cluster?.close();
  });

  const node = (name: string): KubeObject => kube.object('nodes', undefined, name)!;
  const taintText = (t: { key: string; value?: string; effect: string }) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
  const taintsOf = (name: string): string[] => (node(name).spec?.taints ?? []).map(taintText);

  const nth = (scope: Locator, testId: string, i: number) => scope.locator(`input[data-testid="${testId}"]`).nth(i);
  /** Opens a node's dialog with its key, as a person would. */
  const openWithKey = async (key: string, testId: string) => {
    // A key is refused while the console is not online (it says why instead).
    await expect.poll(() => s.page.getByTestId('console-connection').getAttribute('data-state'), { timeout: 20_000 }).toBe('online');
    await s.page.locator('body').press(key);
    const dialog = dialogOf(testId);
    await dialog.waitFor();
    await still();
    return dialog;
  };
  const chooseEffect = async (dialog: Locator, i: number, effect: string) => {
    await dialog.getByTestId('taint-effect').nth(i).click();
    await still();
    await s.page
      .locator('.ant-select-dropdown:visible .ant-select-item-option')
      .filter({ hasText: new RegExp(`^${effect}$`) })
      .click();
    await expect.poll(() => dialog.getByTestId('taint-effect').nth(i).textContent()).toBe(effect);
  };
  const switchLanguage = async (label: '中文' | 'EN', title: string) => {
    await noOverlay();
    await s.page.getByTestId('language-switch').getByText(label).click();
    await expect.poll(() => s.page.getByTestId('area-title').textContent()).toBe(title);
  };

  describe('taints', () => {
    it('adds a taint of each effect and saves them with Enter: the API server holds them, and the Nodes view shows them', async () => {
      await select('nodes-table', 'edge-1');
      const dialog = await openWithKey('t', 'taints-dialog');
      expect(await dialog.textContent()).toContain('Taints of edge-1');
      await dialog.getByTestId('taint-add').click();
      await nth(dialog, 'taint-key', 0).fill('dedicated');
      await nth(dialog, 'taint-value', 0).fill('vision');
      await dialog.getByTestId('taint-add').click();
      await nth(dialog, 'taint-key', 1).fill('example.com/gpu');
      await chooseEffect(dialog, 1, 'PreferNoSchedule');
      await dialog.getByTestId('taint-add').click();
      await nth(dialog, 'taint-key', 2).fill('maintenance');
      await nth(dialog, 'taint-value', 2).fill('planned');
      await chooseEffect(dialog, 2, 'NoExecute');
      // NoSchedule is what a new row starts with.
      expect(await dialog.getByTestId('taint-effect').nth(0).textContent()).toBe('NoSchedule');
      await picture('clusters-taints-add-en');

      await nth(dialog, 'taint-value', 2).press('Enter');
      await dialog.waitFor({ state: 'detached' });
      await eventually(() =>
        expect(taintsOf('edge-1')).toEqual(['dedicated=vision:NoSchedule', 'example.com/gpu:PreferNoSchedule', 'maintenance=planned:NoExecute']),
      );
      expect(node('edge-1').spec.taints[2].timeAdded).toMatch(/^\d{4}-\d\d-\d\dT/);

      // The Nodes view: the count in its row, each taint in the node's details.
      await expect.poll(() => row('nodes-table', 'edge-1').locator('.ant-tag-orange').textContent()).toBe('3');
      await select('nodes-table', 'edge-1');
      await s.page.locator('body').press('Enter');
      const drawer = dialogOf('node-drawer');
      await drawer.waitFor();
      await still();
      for (const t of ['dedicated=vision:NoSchedule', 'example.com/gpu:PreferNoSchedule', 'maintenance=planned:NoExecute'])
        await drawer.locator('.ant-tag-orange').getByText(t, { exact: true }).waitFor();
      await picture('clusters-taints-drawer-en');
      await s.page.keyboard.press('Escape');
      await drawer.waitFor({ state: 'detached' });
    });

    it('cancels with Esc: what was typed is not written', async () => {
      const before = node('edge-1').metadata.resourceVersion;
      await select('nodes-table', 'edge-1');
      const dialog = await openWithKey('t', 'taints-dialog');
      // The node's taints are what the dialog starts from.
      await expect
        .poll(() => dialog.locator('input[data-testid="taint-key"]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)))
        .toEqual(['dedicated', 'example.com/gpu', 'maintenance']);
      await nth(dialog, 'taint-value', 0).fill('changed');
      await nth(dialog, 'taint-value', 0).press('Escape');
      await dialog.waitFor({ state: 'detached' });
      await s.page.waitForTimeout(500);
      expect(node('edge-1').metadata.resourceVersion).toBe(before);
      expect(taintsOf('edge-1')[0]).toBe('dedicated=vision:NoSchedule');
    });

    it('edits one taint and removes another, saved with Enter; a NoExecute taint left alone keeps its time', async () => {
      const added = node('edge-1').spec.taints[2].timeAdded;
      await select('nodes-table', 'edge-1');
      const dialog = await openWithKey('t', 'taints-dialog');
      await nth(dialog, 'taint-value', 0).fill('audio');
      await chooseEffect(dialog, 0, 'PreferNoSchedule');
      // Remove example.com/gpu (the second row).
      await dialog.getByRole('button', { name: 'Remove this taint' }).nth(1).click();
      await expect.poll(() => dialog.locator('input[data-testid="taint-key"]').count()).toBe(2);
      await nth(dialog, 'taint-key', 0).press('Enter');
      await dialog.waitFor({ state: 'detached' });
      await eventually(() => expect(taintsOf('edge-1')).toEqual(['dedicated=audio:PreferNoSchedule', 'maintenance=planned:NoExecute']));
      expect(node('edge-1').spec.taints[1].timeAdded).toBe(added);
      await expect.poll(() => row('nodes-table', 'edge-1').locator('.ant-tag-orange').textContent()).toBe('2');
    });

    it('says inline, in English then in Chinese, what is wrong with a key, a value or a repeated taint, and sends nothing', async () => {
      kube.addNode('edge-5', { taints: [{ key: 'keep', value: 'me', effect: 'NoSchedule' }] });
      await expect.poll(() => s.page.getByTestId('nodes-table').getAttribute('data-count')).toBe('5');
      const before = () => node('edge-5').metadata.resourceVersion;
      const rv = before();
      const texts = {
        en: {
          keyName: 'A taint key has letters, digits, "-", "_" and ".", at most 63 characters, starting and ending with a letter or digit.',
          keyPrefix: 'The prefix before "/" is a DNS subdomain',
          value: 'A taint value is empty, or letters, digits, "-", "_" and ".", at most 63 characters',
          duplicate: 'This key is given twice with the same effect.',
          owned: 'belongs to the node controllers',
        },
        zh: {
          keyName: '污点的键由字母、数字、“-”、“_”和“.”组成，最多 63 个字符，以字母或数字开头和结尾。',
          keyPrefix: '“/”之前的前缀是 DNS 子域名',
          value: '污点的值为空，或由字母、数字、“-”、“_”和“.”组成',
          duplicate: '此键以相同效果重复填写。',
          owned: '归节点控制器所有',
        },
      };
      for (const lang of ['en', 'zh'] as const) {
        if (lang === 'zh') await switchLanguage('中文', '集群');
        const m = texts[lang];
        await select('nodes-table', 'edge-5');
        const dialog = await openWithKey('t', 'taints-dialog');
        const keys = (i: number) => fieldErrors(dialog, 'taint-key').nth(i);
        // Row 0 is the node's own taint; rows 1–3 are typed.
        for (let i = 0; i < 3; i++) await dialog.getByTestId('taint-add').click();
        await nth(dialog, 'taint-key', 1).fill('-dedicated');
        await expect.poll(() => dialog.locator('.ant-form-item-explain-error').allTextContents()).toContain(m.keyName);
        /** Each bad entry follows a good one, so that an error seen is the new entry's, not one left from before. */
        const refused = async (field: 'taint-key' | 'taint-value', text: string, message: string) => {
          await nth(dialog, field, 1).fill(field === 'taint-key' ? 'gpu' : '');
          await expect.poll(() => dialog.locator('.ant-form-item-explain-error').count()).toBe(0);
          await nth(dialog, field, 1).fill(text);
          await expect.poll(() => dialog.locator('.ant-form-item-explain-error').allTextContents()).toEqual([expect.stringContaining(message)]);
          expect(await fieldErrors(dialog, field).count()).toBe(1);
        };
        await refused('taint-key', 'Example.com/gpu', m.keyPrefix);
        await refused('taint-key', 'example..com/gpu', m.keyPrefix);
        await refused('taint-key', 'gpu-', m.keyName);
        await refused('taint-key', 'a/b/c', m.keyName);
        await refused('taint-key', 'g'.repeat(64), m.keyName);
        await nth(dialog, 'taint-key', 1).fill('gpu');
        await refused('taint-value', 'two words', m.value);
        await refused('taint-value', 'x'.repeat(64), m.value);
        await refused('taint-value', '_x', m.value);
        await nth(dialog, 'taint-value', 1).fill('');
        // The same key and effect as the node's own taint: Kubernetes keeps one taint per key and effect.
        await nth(dialog, 'taint-key', 2).fill('keep');
        await nth(dialog, 'taint-key', 3).fill('keep');
        await chooseEffect(dialog, 3, 'NoExecute');
        await dialog.getByTestId('taints-save').click();
        await expect.poll(() => dialog.locator('.ant-form-item-explain-error').allTextContents()).toEqual([m.duplicate]);
        expect(await keys(0).textContent()).toBe(m.duplicate);
        expect(await fieldErrors(dialog, 'taint-key').count()).toBe(1);
        await picture(`clusters-taints-errors-${lang}`);
        // Enter does not send what the rule refuses either.
        await nth(dialog, 'taint-key', 3).press('Enter');
        await s.page.waitForTimeout(500);
        expect(await dialog.isVisible()).toBe(true);
        expect(before()).toBe(rv);

        // What only the API knows: a taint the node controllers own, refused next to its key.
        await nth(dialog, 'taint-key', 2).fill('node.kubernetes.io/unschedulable');
        await dialog.getByTestId('taints-save').click();
        await expect.poll(() => fieldErrors(dialog, 'taint-key').allTextContents()).toEqual([expect.stringContaining(m.owned)]);
        expect(await dialog.getByTestId('taints-error').count()).toBe(0);
        expect(before()).toBe(rv);
        await s.page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });
      }
      await switchLanguage('EN', 'Clusters');
      expect(taintsOf('edge-5')).toEqual(['keep=me:NoSchedule']);
    });
  });

  describe('labels on several nodes', () => {
    const check = async (name: string, on: boolean) => {
      const box = row('nodes-table', name).locator('input[type="checkbox"]');
      if (on) await box.check();
      else await box.uncheck();
    };
    const labels = (name: string) => node(name).metadata.labels ?? {};
    const countOf = (dialog: Locator, key: string) => dialog.locator(`[data-testid="label-row"][data-key="${key}"] td`).nth(2).textContent();

    it('adds a label to three checked nodes at once, then removes it from two of them', async () => {
      await noOverlay();
      for (const n of ['edge-1', 'edge-2', 'edge-3']) await check(n, true);
      await expect.poll(() => s.page.getByTestId('node-labels').textContent()).toContain('Labels of 3 nodes');
      let dialog = await openWithKey('e', 'labels-dialog');
      await expect.poll(() => dialog.textContent()).toContain('edge-1, edge-2, edge-3');
      // What the three carry: zone differs, the rest is common.
      await expect.poll(() => countOf(dialog, 'zone')).toBe('3 / 3');
      await expect.poll(() => dialog.locator('[data-testid="label-row"][data-key="zone"]').textContent()).toContain('(differs between nodes)');
      await dialog.getByTestId('label-add').click();
      await nth(dialog, 'label-key', 0).fill('edgeforge.io/line');
      await nth(dialog, 'label-value', 0).fill('l7');
      await picture('clusters-labels-three-en');
      // Enter in a field saves, as in every dialog of the console.
      await nth(dialog, 'label-value', 0).press('Enter');
      await dialog.waitFor({ state: 'detached' });
      await eventually(() => {
        for (const n of ['edge-1', 'edge-2', 'edge-3']) expect(labels(n)['edgeforge.io/line'], n).toBe('l7');
      });
      expect(labels('edge-4')['edgeforge.io/line']).toBeUndefined();
      // The console sees it on the three: first in their rows (a person's labels come before the kubelet's), then in the dialog.
      for (const n of ['edge-1', 'edge-2', 'edge-3']) await expect.poll(() => row('nodes-table', n).textContent()).toContain('edgeforge.io/line=l7');
      expect(await row('nodes-table', 'edge-4').textContent()).not.toContain('edgeforge.io/line');
      dialog = await openWithKey('e', 'labels-dialog');
      await expect.poll(() => countOf(dialog, 'edgeforge.io/line')).toBe('3 / 3');
      await s.page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });

      await check('edge-2', false);
      await expect.poll(() => s.page.getByTestId('node-labels').textContent()).toContain('Labels of 2 nodes');
      dialog = await openWithKey('e', 'labels-dialog');
      await expect.poll(() => dialog.textContent()).toContain('edge-1, edge-3');
      await dialog.locator('[data-testid="label-row"][data-key="edgeforge.io/line"]').getByTestId('label-remove').click();
      await dialog.getByTestId('labels-save').click();
      await dialog.waitFor({ state: 'detached' });
      await eventually(() => {
        expect(labels('edge-1')['edgeforge.io/line']).toBeUndefined();
        expect(labels('edge-3')['edgeforge.io/line']).toBeUndefined();
      });
      expect(labels('edge-2')['edgeforge.io/line']).toBe('l7');
      expect(labels('edge-1').zone).toBe('a');

      await check('edge-2', true);
      dialog = await openWithKey('e', 'labels-dialog');
      await expect.poll(() => countOf(dialog, 'edgeforge.io/line')).toBe('1 / 3');
      // The dialog follows the watch: a label set elsewhere (another window, kubectl) while it is open shows in it.
      const elsewhere = (value: string | null) =>
        api(kube, 'PATCH', '/api/v1/nodes/edge-1', {
          contentType: 'application/merge-patch+json',
          body: { metadata: { labels: { 'edgeforge.io/line': value } } },
        });
      expect((await elsewhere('l7')).status).toBe(200);
      await expect.poll(() => countOf(dialog, 'edgeforge.io/line')).toBe('2 / 3');
      expect((await elsewhere(null)).status).toBe(200);
      await expect.poll(() => countOf(dialog, 'edgeforge.io/line')).toBe('1 / 3');
      await s.page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    });

    it('refuses, for all three, a label the kubelet and k3s own, set or removed, and changes no node', async () => {
      const nodes = ['edge-1', 'edge-2', 'edge-3'];
      const versions = () => nodes.map((n) => node(n).metadata.resourceVersion);
      const before = versions();
      const dialog = await openWithKey('e', 'labels-dialog');
      expect(await dialog.textContent()).toContain('Labels of 3 nodes');
      await dialog.getByTestId('label-add').click();
      await nth(dialog, 'label-key', 0).fill('edgeforge.io/ok');
      await nth(dialog, 'label-value', 0).fill('yes');
      await dialog.getByTestId('label-add').click();
      await nth(dialog, 'label-key', 1).fill('kubernetes.io/hostname');
      await nth(dialog, 'label-value', 1).fill('box-1');
      await dialog.getByTestId('labels-save').click();
      await expect
        .poll(() => fieldErrors(dialog, 'label-key').allTextContents())
        .toEqual([expect.stringContaining('Label "kubernetes.io/hostname" belongs to the kubelet and k3s')]);
      // Said once, next to the label, not again above the buttons.
      expect(await dialog.getByTestId('labels-error').count()).toBe(0);
      await picture('clusters-labels-protected-en');
      expect(versions()).toEqual(before);

      // Removing one the kubelet set: refused with the reason.
      await dialog.getByRole('button', { name: 'Remove this row' }).nth(1).click();
      await dialog.locator('[data-testid="label-row"][data-key="kubernetes.io/arch"]').getByTestId('label-remove').click();
      await dialog.getByTestId('labels-save').click();
      await expect.poll(() => dialog.getByTestId('labels-error').textContent()).toContain('Label "kubernetes.io/arch" belongs to the kubelet and k3s');
      expect(versions()).toEqual(before);
      for (const n of nodes) {
        expect(labels(n)['edgeforge.io/ok']).toBeUndefined();
        expect(labels(n)['kubernetes.io/arch']).toBe('amd64');
      }
      await s.page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      for (const n of nodes) await check(n, false);
    });
  });

  describe('a StatefulSet rolled back to a revision', () => {
    const crsOf = () => {
      const uid = kube.object('statefulsets', 'default', 'db')!.metadata.uid;
      return kube.objects('controllerrevisions', 'default').filter((cr) => cr.metadata.ownerReferences?.some((o) => o.uid === uid));
    };
    const change = async (image: string, cause: string, mode: string) => {
      const r = await api(kube, 'PATCH', '/apis/apps/v1/namespaces/default/statefulsets/db', {
        contentType: 'application/strategic-merge-patch+json',
        body: {
          metadata: { annotations: { 'kubernetes.io/change-cause': cause } },
          spec: { template: { spec: { containers: [{ name: 'db', image, env: [{ name: 'MODE', value: mode }] }] } } },
        },
      });
      expect(r.status).toBe(200);
    };

    it('lists the revisions of a StatefulSet changed twice, rolls back to revision 1 after choosing it, and the template and revisions are as kubectl leaves them', async () => {
      await eventually(() => expect(crsOf()).toHaveLength(1), 10_000);
      const firstTemplate = structuredClone(kube.object('statefulsets', 'default', 'db')!.spec.template);
      await change('registry.local/db:2', 'db 2', 'two');
      await eventually(() => expect(crsOf()).toHaveLength(2), 10_000);
      await change('registry.local/db:3', 'db 3', 'three');
      await eventually(() => expect(crsOf()).toHaveLength(3), 10_000);
      const one = crsOf().find((cr) => cr.revision === 1)!;

      await view(2, 'workloads');
      await s.page.getByTestId('workload-kind').getByText('StatefulSets', { exact: false }).click();
      await expect.poll(() => s.page.getByTestId('workloads-table').getAttribute('data-count')).toBe('1');
      await select('workloads-table', 'db');
      let dialog = await openWithKey('u', 'rollback-dialog');
      // The test id is on the radio's input; what it says is in the label around it.
      const revision = (n: number) => dialog.locator('label.ant-radio-wrapper').filter({ has: s.page.getByTestId(`revision-${n}`) });
      await revision(1).waitFor();
      expect(await dialog.locator('[data-testid^="revision-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).toEqual([
        'revision-3',
        'revision-2',
        'revision-1',
      ]);
      expect(await revision(3).textContent()).toMatch(/^Revision \d+current/);
      expect(await dialog.getByTestId('revision-3').isDisabled()).toBe(true);
      for (const [n, image, cause] of [
        [1, 'registry.local/db:1', 'db 1'],
        [2, 'registry.local/db:2', 'db 2'],
        [3, 'registry.local/db:3', 'db 3'],
      ] as const) {
        expect(await revision(n).textContent()).toContain(image);
        expect(await revision(n).textContent()).toContain(cause);
      }
      expect(await s.page.getByTestId('rollback-ok').isDisabled()).toBe(true);
      await dialog.getByTestId('revision-1').click();
      await expect.poll(() => s.page.getByTestId('rollback-ok').textContent()).toBe('Roll back to revision 1');
      await picture('clusters-rollback-statefulset-en');
      await s.page.getByTestId('rollback-ok').click();
      await dialog.waitFor({ state: 'detached' });

      // kubectl rollout undo --to-revision=1: revision 1's template, as its ControllerRevision recorded it.
      await eventually(() => expect(kube.object('statefulsets', 'default', 'db')!.spec.template).toEqual(firstTemplate));
      const { $patch: _replace, ...recorded } = (one.data as { spec: { template: Record<string, unknown> } }).spec.template;
      expect(kube.object('statefulsets', 'default', 'db')!.spec.template).toEqual(recorded);
      // The controller gives that ControllerRevision the next number; no new one is made, and the pods follow.
      await eventually(() => expect(Object.fromEntries(crsOf().map((cr) => [cr.metadata.name, cr.revision]))[one.metadata.name]).toBe(4));
      expect(crsOf()).toHaveLength(3);
      await eventually(() => {
        const st = kube.object('statefulsets', 'default', 'db')!.status;
        expect(st).toMatchObject({ updateRevision: one.metadata.name, currentRevision: one.metadata.name, updatedReplicas: 2, readyReplicas: 2 });
      }, 20_000);
      const pods = kube.objects('pods', 'default').filter((p) => p.metadata.name.startsWith('db-'));
      expect(pods.map((p) => p.spec.containers[0].image)).toEqual(['registry.local/db:1', 'registry.local/db:1']);

      await select('workloads-table', 'db');
      dialog = await openWithKey('u', 'rollback-dialog');
      await revision(4).waitFor();
      expect(await dialog.locator('[data-testid^="revision-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).toEqual([
        'revision-4',
        'revision-3',
        'revision-2',
      ]);
      expect(await revision(4).textContent()).toMatch(/^Revision \d+current/);
      expect(await revision(4).textContent()).toContain('registry.local/db:1');
      expect(await revision(4).textContent()).toContain('db 1');
      await picture('clusters-rollback-statefulset-after-en');
      await s.page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    });
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
