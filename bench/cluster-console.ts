/**
 * cluster-console: how the cluster console copes with a large cluster.
 *
 * The API server is the Kubernetes API stand-in (test/support/kube-stand-in,
 * no real one can run here) seeded with 500 nodes and 5,000 pods. EdgeForge:
 * the headless host (`edgeforge serve`), the cluster imported through the
 * API, the built renderer's console in Debian's Chromium (headless, the e2e
 * flags). Everything between is real: client-node's list + watch in the
 * host, the batched watch stream over the WebSocket, the console's object
 * store and its virtualised table.
 *
 * 1. Time to first render: from opening `#/clusters/<id>/pods` until the
 *    table shows its rows and counts 5,000 pods (and the same for 500 nodes).
 *    The standard tool, in the same run: what `kubectl get pods -A` does, a
 *    list of every pod through client-node formatted as its table and
 *    written to /dev/null (kubectl itself is not available here).
 * 2. Event rate: the stand-in modifies pods at a rising rate (churn), 12 s
 *    per step, while the pods view is open; per step, the page's long tasks
 *    (≥ 50 ms) and frame times. The figure is the highest rate with no long
 *    task.
 *
 * Run: `npm run bench -- cluster-console` (after `npm run build`).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../test/support/chromium';
import { childBench } from './common';
import { connectClient, startHostProcess } from '../test/support/host';
import { startKubeStandIn } from '../test/support/kube-stand-in';

const NODES = 500;
const PODS = 5_000;
const RATES = [50, 200, 500, 1_000, 2_000];
const STEP_MS = 12_000;

const MEASURE = `(() => {
  const b = { longtasks: [], frames: [] };
  window.__efBench = b;
  new PerformanceObserver((l) => { for (const e of l.getEntries()) b.longtasks.push({ start: e.startTime, duration: e.duration }); }).observe({ type: 'longtask', buffered: true });
  let last = 0;
  const tick = (t) => { if (last) b.frames.push([t, t - last]); last = t; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
})();`;

interface Figures {
  longtasks: { start: number; duration: number }[];
  frames: [number, number][];
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : 0;
};

/** What `kubectl get pods -A` does: list every pod, then print its table. */
async function kubectlLike(kubeconfig: string): Promise<number> {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  const t0 = process.hrtime.bigint();
  const list = await kc.makeApiClient(CoreV1Api).listPodForAllNamespaces();
  const now = Date.now();
  const rows = list.items.map((p) => {
    const cs = p.status?.containerStatuses ?? [];
    const ready = `${cs.filter((c) => c.ready).length}/${cs.length}`;
    const restarts = cs.reduce((n, c) => n + c.restartCount, 0);
    const age = Math.round((now - new Date(p.metadata?.creationTimestamp ?? now).getTime()) / 60_000);
    return [p.metadata?.namespace, p.metadata?.name, ready, p.status?.phase, restarts, `${age}m`].join('   ');
  });
  fs.writeFileSync('/dev/null', ['NAMESPACE   NAME   READY   STATUS   RESTARTS   AGE', ...rows].join('\n'));
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Opens a console view and times it until its table counts `want` objects and shows rows. */
async function firstRender(page: Page, url: string, want: number): Promise<number> {
  const t0 = Date.now();
  await page.goto(url);
  const wanted = want.toLocaleString('en-US');
  for (;;) {
    const count =
      (await page
        .getByTestId('console-count')
        .textContent({ timeout: 120_000 })
        .catch(() => '')) ?? '';
    const rows = await page.locator('.ant-table-tbody .ant-table-row, .ant-table-tbody-virtual .ant-table-row').count();
    if ((count.includes(wanted) || count.includes(String(want))) && rows > 0) return Date.now() - t0;
    if (Date.now() - t0 > 180_000) throw new Error(`the console never counted ${want} (it says "${count}", ${rows} rows)`);
    await sleep(20);
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeforge-bench-console-'));
  const chromium = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim();
  console.log(`cluster-console: ${NODES} nodes and ${PODS.toLocaleString('en-US')} pods (Kubernetes API stand-in), ${chromium}, headless, 1400×900`);
  console.log(`  2 cores; load average ${os.loadavg()[0]!.toFixed(2)} before`);
  const kube = await startKubeStandIn();
  kube.seed({ nodes: NODES, pods: PODS, namespaces: 10 });
  // A new station seals the kubeconfig with its passphrase (as the tests' hosts do).
  process.env.EDGEFORGE_PASSPHRASE ||= 'bench station passphrase';
  const host = await startHostProcess(path.join(dir, 'home'));
  let browser: Browser | null = null;
  try {
    const { client, ws } = await connectClient(host);
    const cluster = await client.clusters.import({ name: 'bench', kubeconfig: kube.kubeconfig() });
    const standard = [await kubectlLike(kube.kubeconfig()), await kubectlLike(kube.kubeconfig()), await kubectlLike(kube.kubeconfig())].sort(
      (a, b) => a - b,
    )[0]!;

    browser = await launchChromium();
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' })).newPage();
    await page.addInitScript(MEASURE);
    const base = host.openUrl;
    // A first load of the app itself (scripts, fonts) so that the timings below are the console's.
    await page.goto(`${base}#/jobs`);
    await page.getByTestId('nav').waitFor({ timeout: 60_000 });
    const pods = await firstRender(page, `${base}#/clusters/${cluster.id}/pods`, PODS);
    const nodes = await firstRender(page, `${base}#/clusters/${cluster.id}/nodes`, NODES);
    // Again with the host's watch already running (a second window, or coming back to the view).
    const podsWarm = await firstRender(page, `${base}#/clusters/${cluster.id}/pods`, PODS);
    console.log(
      `  first render of ${PODS.toLocaleString('en-US')} pods: ${pods} ms (cold: the host lists them first), ${podsWarm} ms (warm); ${NODES} nodes: ${nodes} ms`,
    );
    console.log(
      `  kubectl get pods -A (client-node list + table, no drawing): ${standard.toFixed(0)} ms; ratio EdgeForge cold/kubectl-like ${(pods / standard).toFixed(2)}`,
    );

    // Event rate, with the pods view open.
    await sleep(2_000);
    let absorbed = 0;
    for (const rate of RATES) {
      const from = await page.evaluate(() => performance.now());
      const churn = kube.churn({ eventsPerSecond: rate, kind: 'pods' });
      await sleep(STEP_MS);
      churn.stop();
      const to = await page.evaluate(() => performance.now());
      const f = (await page.evaluate(() => (window as unknown as { __efBench: Figures }).__efBench)) as Figures;
      const long = f.longtasks.filter((l) => l.start >= from && l.start <= to);
      const frames = f.frames.filter(([t]) => t >= from && t <= to).map(([, d]) => d);
      console.log(
        `  ${String(rate).padStart(5)} pod changes/s for ${STEP_MS / 1000} s (${churn.emitted} made): ${long.length} long tasks ≥ 50 ms${long.length ? `, longest ${Math.round(Math.max(...long.map((l) => l.duration)))} ms` : ''}; frames p50 ${pct(frames, 50).toFixed(1)} ms, p95 ${pct(frames, 95).toFixed(1)} ms, max ${Math.round(Math.max(0, ...frames))} ms`,
      );
      if (long.length === 0) absorbed = rate;
      await sleep(2_000);
    }
    console.log(`  event rate absorbed without a long task: ${absorbed ? `${absorbed} pod changes/s` : 'none of the rates tried'}`);
    ws.close();
  } finally {
    await browser?.close().catch(() => undefined);
    await host.stop();
    await kube.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const benchClusterConsole = childBench('cluster-console', import.meta.url, main);
