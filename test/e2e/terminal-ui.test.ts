/**
 * The Terminal area in the browser, all real: local shells (node-pty in the
 * host's native I/O process), an OpenSSH sshd on loopback, and a serial
 * console on a socat pty pair with a shell on the far end (the Cable, which
 * can be unplugged and plugged back).
 *
 * The screen is read as a screen reader reads it: each session's "screen
 * reader mode" is switched on (its toolbar button), and xterm then keeps the
 * visible lines in its accessibility tree (`.xterm-accessibility-tree >
 * div`, textContent, so a hidden tab reads too), whichever renderer draws
 * them. Chromium here has no GPU (--disable-gpu): it would emulate WebGL in
 * software, which the app declines (failIfMajorPerformanceCaveat) for the
 * DOM renderer; the first test checks that, and on a machine with a GPU
 * makes WebGL lose its context (WEBGL_lose_context) to check the fallback.
 */
import path from 'node:path';
import type { Locator, Page, Response, WebSocket } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cable, hasSocat } from '../provision/serial/consoles';
import { appInBrowser, shot } from '../support/browser';
import { hasSshd, startSshd, type TestSshd } from '../support/sshd';
import { chooseInDialog, newSessionDialog, openNewSession } from '../support/terminal-dialog';
import { tempDir } from '../support/tmp';

describe('Terminal in the browser', () => {
  const pageErrors: string[] = [];
  const offOrigin: string[] = [];
  const s = appInBrowser((page, host) => {
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(`http://127.0.0.1:${host.port}/`) && !u.startsWith(`ws://127.0.0.1:${host.port}/`) && !u.startsWith('data:')) offOrigin.push(u);
    });
  });
  let sshd: TestSshd | null = null;
  let cable: Cable | null = null;
  let serialPath = '';

  beforeAll(async () => {
    if (hasSshd()) sshd = await startSshd();
    if (hasSocat()) {
      serialPath = path.join(tempDir(), 'ttyUSB0');
      cable = await Cable.start({ boxCommand: '/bin/sh -i', path: serialPath });
    }
    await s.page.getByTestId('nav-terminal').click();
    await s.page.getByTestId('terminal-page').waitFor();
  }, 60_000);

  afterAll(async () => {
    await cable?.stop();
    await sshd?.stop();
  });

  const activeView = () => s.page.locator('[data-testid^="terminal-view-"][data-active="true"]');
  /** The screen's lines (xterm's DOM renderer draws spaces as no-break spaces). */
  const lines = async (view: Locator = activeView(), rows?: string) => {
    const from = rows ?? ((await view.locator('.xterm-accessibility-tree').count()) ? '.xterm-accessibility-tree > div' : '.xterm-rows > div');
    return (await view.locator(from).allTextContents()).map((l) => l.replace(/\u00a0/g, ' ').trimEnd());
  };
  const screen = async (view?: Locator) => (await lines(view)).join('\n');
  const waitFor = (re: RegExp, view?: Locator, timeout = 15_000) => expect.poll(() => screen(view), { timeout }).toMatch(re);
  /** Types into the shown session: xterm's own input receives the keys, as a person's typing. */
  const type = async (text: string) => {
    await activeView().locator('.xterm-helper-textarea').focus();
    await s.page.keyboard.type(text);
    await s.page.keyboard.press('Enter');
  };
  /** The DOM renderer's rows are the lines; under WebGL, screen reader mode is switched on for them. */
  const readable = async () => {
    if ((await activeView().getByTestId('terminal-renderer').getAttribute('data-renderer')) === 'dom') return;
    await activeView().getByTestId('terminal-screen-reader').click();
    await activeView().locator('.xterm-accessibility-tree').waitFor({ state: 'attached' });
  };
  const tabs = () => s.page.locator('[data-testid^="terminal-tab-trm_"]');
  const tabIds = async () => (await tabs().evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.replace('terminal-tab-', '')))) as string[];
  const activeId = async () => (await activeView().getAttribute('data-testid'))!.replace('terminal-view-', '');
  const dialog = () => newSessionDialog(s.page);
  const openDialog = () => openNewSession(s.page);
  const choose = (label: string, within?: string) => chooseInDialog(s.page, label, within);
  /** Opens a local shell with the preselected (login) shell; resolves its session id. */
  const openLocal = async (reader = true) => {
    const before = await tabIds();
    await openDialog();
    await expect.poll(() => dialog().getByTestId('terminal-shell').textContent()).toContain('login shell');
    // The keyboard is in the form (on the kind), where Enter opens the session.
    await expect
      .poll(() =>
        dialog()
          .getByTestId('terminal-kind')
          .evaluate((el) => el.contains(document.activeElement)),
      )
      .toBe(true);
    await s.page.keyboard.press('Enter');
    await dialog().waitFor({ state: 'detached' });
    await expect.poll(async () => (await tabIds()).length, { timeout: 10_000 }).toBe(before.length + 1);
    const id = (await tabIds()).find((x) => !before.includes(x))!;
    await expect.poll(() => s.page.getByTestId(`terminal-tab-${id}`).getAttribute('data-state'), { timeout: 10_000 }).toBe('open');
    await expect.poll(activeId).toBe(id);
    if (reader) await readable();
    return id;
  };
  const settled = async () => {
    await s.page.mouse.move(0, 0);
    for (const sel of ['.ant-message-notice', '.ant-modal-confirm', '.ant-tooltip:visible'])
      await expect.poll(() => s.page.locator(sel).count(), { timeout: 10_000 }).toBe(0);
    await s.page.waitForTimeout(300);
  };

  it('starts empty, with the keys it takes from the shell written under the screen', async () => {
    await s.page.getByTestId('terminal-empty').waitFor();
    expect(await s.page.getByTestId('terminal-keys').textContent()).toContain('Ctrl+Shift+T new session');
    await s.page.screenshot({ path: shot('terminal-empty-en') });
  });

  it('opens a local shell, runs a command, gives the pty the screen’s size, finds text, and closes after confirmation', async () => {
    const id = await openLocal();
    await type('echo $((6*7))-ok');
    await waitFor(/^42-ok$/m);
    await settled();
    await s.page.screenshot({ path: shot('terminal-local-en') });

    // No GPU here: the DOM renderer draws. With one, WebGL draws until its context is lost (as on a GPU reset),
    // then the DOM renderer takes over and draws the same screen.
    const renderer = () => activeView().getByTestId('terminal-renderer').getAttribute('data-renderer');
    if (!process.env.EDGEFORGE_TEST_GPU) expect(await renderer()).toBe('dom');
    if ((await renderer()) === 'webgl') {
      await activeView()
        .locator('.xterm-screen canvas')
        .evaluateAll((canvases) => {
          for (const c of canvases) (c as HTMLCanvasElement).getContext('webgl2')?.getExtension('WEBGL_lose_context')?.loseContext();
        });
      // xterm waits 3 s for the context to come back before it gives up on it.
      await expect.poll(renderer, { timeout: 10_000 }).toBe('dom');
    }
    await expect.poll(async () => (await lines(activeView(), '.xterm-rows > div')).includes('42-ok')).toBe(true);
    // The DOM renderer's rows in a compositing layer of their own (terminal.css): a flood re-rasterises them, not the page.
    expect(
      await activeView()
        .locator('.xterm-rows')
        .evaluate((el) => getComputedStyle(el).willChange),
    ).toBe('transform');

    // A smaller window: the screen is fitted again and the pty told its new size.
    const sizeText = () => activeView().getByTestId('terminal-size').textContent();
    const before = await sizeText();
    await s.page.setViewportSize({ width: 1100, height: 700 });
    await expect.poll(sizeText).not.toBe(before);
    await s.page.waitForTimeout(600);
    const [cols, rows] = (await sizeText())!.split('×').map(Number);
    expect(cols).toBeGreaterThan(40);
    await type('clear; stty size');
    await expect.poll(async () => (await lines()).some((l) => l.trim() === `${rows} ${cols}`)).toBe(true);
    await s.page.setViewportSize({ width: 1400, height: 900 });
    await type('echo $((6*7))-ok');

    // Find: Ctrl+Shift+F, Enter for the next match, Esc gives the keys back to the shell.
    await s.page.keyboard.press('Control+Shift+F');
    const search = s.page.getByTestId('terminal-search-input');
    await expect.poll(() => search.evaluate((el) => el === document.activeElement)).toBe(true);
    await s.page.keyboard.type('42-ok');
    await s.page.keyboard.press('Enter');
    await expect.poll(() => s.page.getByTestId('terminal-search-count').textContent()).toMatch(/^\d+ of [1-9]\d*$/);
    await s.page.screenshot({ path: shot('terminal-search-en') });
    // The match is selected: its text is drawn over the selection's colour, not hidden under it (the rows' own layer,
    // terminal.css). Pixels of the match's five cells that are not the selection's colour: the glyphs.
    const row = activeView().locator('.xterm-rows > div').filter({ hasText: '42-ok' }).last();
    const box = (await row.boundingBox())!;
    const cell = box.width / Number((await sizeText())!.split('×')[0]);
    const png = PNG.sync.read(await s.page.screenshot({ clip: { x: box.x, y: box.y, width: Math.round(cell * 5), height: box.height } }));
    const colours = new Map<number, number>();
    for (let i = 0; i < png.data.length; i += 4) {
      const c = png.data.readUInt32BE(i);
      colours.set(c, (colours.get(c) ?? 0) + 1);
    }
    const pixels = png.data.length / 4;
    const background = Math.max(...colours.values());
    expect((pixels - background) / pixels).toBeGreaterThan(0.05);
    await s.page.keyboard.press('Escape');
    await s.page.getByTestId('terminal-search').waitFor({ state: 'detached' });
    await expect
      .poll(() =>
        activeView()
          .locator('.xterm-helper-textarea')
          .evaluate((el) => el === document.activeElement),
      )
      .toBe(true);

    // Ctrl+Shift+W asks first: the shell would be hung up.
    await s.page.keyboard.press('Control+Shift+W');
    const confirm = s.page.locator('.ant-modal-confirm');
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain('The shell is hung up');
    await s.page.screenshot({ path: shot('terminal-close-confirm-en') });
    await expect
      .poll(
        async () => {
          const ok = s.page.getByTestId('terminal-close-confirm');
          if (await ok.count()) await ok.click({ timeout: 1_000 }).catch(() => undefined);
          return s.page.getByTestId(`terminal-tab-${id}`).count();
        },
        { timeout: 10_000, interval: 500 },
      )
      .toBe(0);
    await s.page.getByTestId('terminal-empty').waitFor();
  });

  let kept = '';
  it('brings a running session back after a reload, with its screen replayed, and still takes keys', async () => {
    kept = await openLocal();
    await type('echo before-$((2+3))');
    await waitFor(/^before-5$/m);
    await s.page.reload();
    await s.page.getByTestId(`terminal-tab-${kept}`).waitFor();
    await expect.poll(activeId).toBe(kept);
    await readable();
    await waitFor(/^before-5$/m);
    await type('echo after-$((3+4))');
    await waitFor(/^after-7$/m);
  });

  it('reads the output in its own worker, off the page’s thread, and on the page when the worker cannot start', async () => {
    // Each WebSocket the page opens (its worker's too), in order, with the frames it received that carry a marker;
    // and the answers to the output streams the worker asked for (a fetch: its body cannot be read while it streams).
    const sockets: string[][] = [];
    const urls: string[] = [];
    const streams: string[] = [];
    const onResponse = (r: Response) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith('/terminal-output')) streams.push(`${url.pathname} ${r.status()} ${r.headers()['content-type']}`);
    };
    s.page.on('response', onResponse);
    const onSocket = (ws: WebSocket) => {
      const frames: string[] = [];
      sockets.push(frames);
      urls.push(new URL(ws.url()).pathname);
      ws.on('framereceived', (f) => {
        if (typeof f.payload === 'string' && /worker-20|page-25|refused-49|nostream-64/.test(f.payload)) frames.push(f.payload);
      });
    };
    s.page.on('websocket', onSocket);
    const reloadTo = async (id: string) => {
      sockets.length = 0;
      urls.length = 0;
      streams.length = 0;
      await s.page.reload();
      await s.page.getByTestId(`terminal-tab-${id}`).waitFor();
      await expect.poll(activeId).toBe(id);
      await readable();
    };
    try {
      // The session the test before kept over its reload, or one of its own when run alone.
      kept ||= await openLocal();
      await reloadTo(kept);
      await type('echo worker-$((4*5))');
      await waitFor(/^worker-20$/m);
      expect(s.page.workers().some((w) => /output-worker/.test(w.url()))).toBe(true);
      // The page's own connection (opened first) carried the keys; the worker's output socket only named its stream, and
      // the output came on that stream, the native process's streamed response. One check, so that a failure shows it all.
      expect({ urls, streams, carried: sockets.map((frames) => frames.some((f) => f.includes('worker-20'))) }).toEqual({
        urls: ['/api', '/terminal-output'],
        streams: ['/terminal-output/stream 200 application/octet-stream'],
        carried: [false, false],
      });

      // A worker that cannot load (here: its script is not served): the page reads the output itself.
      await s.page.route('**/output-worker-*.js', (r) => r.fulfill({ status: 404, body: '' }));
      await reloadTo(kept);
      await type('echo page-$((5*5))');
      await waitFor(/^page-25$/m);
      expect(sockets.length).toBe(1);
      expect(sockets[0]!.some((f) => f.includes('page-25'))).toBe(true);

      // A worker that starts but never answers (here: a script that ignores the page): given up after 10 s, the page reads.
      await s.page.unroute('**/output-worker-*.js');
      await s.page.route('**/output-worker-*.js', (r) => r.fulfill({ status: 200, contentType: 'text/javascript', body: 'onmessage = () => {};' }));
      sockets.length = 0;
      await s.page.reload();
      await s.page.getByTestId(`terminal-tab-${kept}`).waitFor();
      await expect.poll(activeId).toBe(kept);
      await expect.poll(() => s.page.workers().some((w) => /output-worker/.test(w.url()))).toBe(true);
      await waitFor(/^page-25$/m, activeView(), 20_000);
      await readable();
      await type('echo $((6*6))-silent');
      await waitFor(/^36-silent$/m);

      // The output socket refused (as when the native process cannot take it): the worker gives up, the page reads through /api.
      // The real worker, its socket sent to a path the host refuses.
      await s.page.unroute('**/output-worker-*.js');
      await s.page.route('**/output-worker-*.js', async (r) => {
        const real = await (await r.fetch()).text();
        const refused = `{ const Real = self.WebSocket; self.WebSocket = class extends Real { constructor(u, p) { super(String(u) + '-refused', p); } }; }\n`;
        await r.fulfill({ status: 200, contentType: 'text/javascript', body: refused + real });
      });
      await reloadTo(kept);
      await type('echo refused-$((7*7))');
      // At once, not after the 10 s a silent worker is given.
      await waitFor(/^refused-49$/m, activeView(), 5_000);
      expect(urls).toEqual(['/api', '/terminal-output-refused']);
      expect(sockets[0]!.some((f) => f.includes('refused-49'))).toBe(true);

      // The output stream not given (here: answered with a page, not a stream): the page reads through /api.
      await s.page.unroute('**/output-worker-*.js');
      await s.page.route('**/terminal-output/stream?*', (r) =>
        r.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><p>not a stream</p>' }),
      );
      await reloadTo(kept);
      await type('echo nostream-$((8*8))');
      await waitFor(/^nostream-64$/m, activeView(), 5_000);
      await expect.poll(() => streams.length).toBe(1);
      expect({ urls, streams, carried: sockets.map((frames) => frames.some((f) => f.includes('nostream-64'))) }).toEqual({
        urls: ['/api', '/terminal-output'],
        streams: ['/terminal-output/stream 200 text/html'],
        carried: [true, false],
      });
    } finally {
      s.page.off('websocket', onSocket);
      s.page.off('response', onResponse);
      await s.page.unroute('**/terminal-output/stream?*');
      await s.page.unroute('**/output-worker-*.js');
    }
  });

  it('shares the browser’s connections to the host: three windows stream their output, the next one reads it on its socket', async () => {
    kept ||= await openLocal();
    // This window afresh, so that it holds a stream (the test before left it reading on the page).
    const own = s.page.waitForResponse((r) => new URL(r.url()).pathname === '/terminal-output/stream', { timeout: 15_000 });
    await s.page.reload();
    await s.page.getByTestId(`terminal-tab-${kept}`).waitFor();
    await expect.poll(activeId).toBe(kept);
    await readable();
    expect((await own).status()).toBe(200);
    // Each window's way for its output: its stream (a long request, of which a browser keeps six per host), or its socket.
    const ways: string[] = [];
    const pages: Page[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const p = await s.page.context().newPage();
        pages.push(p);
        let way = '';
        p.on('response', (r) => {
          if (new URL(r.url()).pathname === '/terminal-output/stream') way ||= `stream ${r.status()}`;
        });
        p.on('websocket', (ws) => {
          if (new URL(ws.url()).pathname === '/terminal-output')
            ws.on('framereceived', (f) => {
              if (typeof f.payload !== 'string') way ||= 'socket';
            });
        });
        await p.goto(`${s.host.url}#/terminal/${kept}`);
        await p.getByTestId(`terminal-view-${kept}`).locator('.xterm-rows').waitFor();
        await expect.poll(() => way, { timeout: 10_000 }).not.toBe('');
        ways.push(way);
      }
      // This window holds the first of the three.
      expect(ways).toEqual(['stream 200', 'stream 200', 'socket']);
      await type('echo shared-$((9*9))');
      for (const p of pages)
        await expect
          .poll(async () => (await p.getByTestId(`terminal-view-${kept}`).locator('.xterm-rows > div').allTextContents()).join('\n').replace(/\u00a0/g, ' '), {
            timeout: 15_000,
          })
          .toMatch(/^shared-81 *$/m);
      // The windows' ordinary requests still get a connection.
      expect(await pages[2]!.evaluate(() => fetch('/index.html', { cache: 'no-store' }).then((r) => r.status))).toBe(200);
      // A window closed gives its slot back: the next one streams again.
      await pages.shift()!.close();
      const next = await s.page.context().newPage();
      pages.push(next);
      const streamed = next.waitForResponse((r) => new URL(r.url()).pathname === '/terminal-output/stream', { timeout: 15_000 });
      await next.goto(`${s.host.url}#/terminal/${kept}`);
      expect((await streamed).status()).toBe(200);
    } finally {
      for (const p of pages) await p.close();
    }
  });

  it('stays responsive while a session floods its screen, and loses none of it', async () => {
    const flood = await openLocal(false);
    // When xterm draws the flood's rows: during a flood the window draws about every 50 ms (renderer/src/terminal/pacing.ts),
    // where xterm alone draws at every animation frame in which output came. Rows are the DOM renderer's (WebGL draws on
    // a canvas): this headless Chromium has no GPU, so the DOM renderer is what the app picks here.
    const dom = (await activeView().getByTestId('terminal-renderer').getAttribute('data-renderer')) === 'dom';
    if (dom)
      await activeView()
        .locator('.xterm-rows')
        .evaluate((rows) => {
          const draws: number[] = [];
          (window as unknown as { floodDraws: number[] }).floodDraws = draws;
          new MutationObserver(() => draws.push(performance.now())).observe(rows, { childList: true, subtree: true, characterData: true });
        });
    // The page's CPU slowed four times (DevTools' throttling) while the flood lasts, as on a slower laptop: the window
    // falls behind the output, which is when it paces its drawing (a fast machine keeps up with much of a flood, and
    // draws what it keeps up with at once).
    const cdp = await s.page.context().newCDPSession(s.page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    try {
      await type("head -c 20000000 /dev/zero | tr '\\0' x; echo DONE-$((1+1))");
      // While the flood runs (seconds at the terminal's rate): another tab is shown at a click, and its shell answers.
      // A frozen window would take far longer than 5 s; the bench (bench/terminal.ts) measures the click itself.
      await s.page.waitForTimeout(300);
      const started = Date.now();
      await s.page.getByTestId(`terminal-tab-${kept}`).click({ timeout: 5_000 });
      await expect.poll(activeId, { timeout: 5_000 }).toBe(kept);
      expect(Date.now() - started).toBeLessThan(5_000);
      await type('echo alive-$((4+4))');
      await waitFor(/^alive-8$/m, activeView(), 10_000);
      await s.page.getByTestId(`terminal-tab-${flood}`).click({ timeout: 5_000 });
      await expect.poll(activeId, { timeout: 5_000 }).toBe(flood);
      // Under WebGL the lines are read in screen reader mode, switched on once the flood is through: xterm hands a
      // screen reader every character printed, which the flood would drown.
      if ((await activeView().getByTestId('terminal-renderer').getAttribute('data-renderer')) === 'webgl') {
        const { connectClient } = await import('../support/host');
        const { client, ws } = await connectClient(s.host);
        await expect
          .poll(async () => (await client.terminal.sessions()).find((x) => x.id === flood)!.offset, { timeout: 120_000, interval: 1_000 })
          .toBeGreaterThan(20_000_000);
        ws.close();
        await activeView().getByTestId('terminal-screen-reader').click();
      }
      // The x's run on to the marker (tr prints no newline): full lines of them above it.
      await waitFor(/^x*DONE-2$/m, activeView(), 120_000);
    } finally {
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
      await cdp.detach();
    }
    // Paced: half the gaps between two draws of the flood at least 70 ms (held 50 ms, then a frame of the slowed page;
    // 102–108 ms seen). Without the pacer, under the same throttling: 44 ms on the median.
    if (dom) {
      const gaps = await s.page.evaluate(() => {
        const d = (window as unknown as { floodDraws: number[] }).floodDraws;
        return d
          .slice(1)
          .map((t, i) => t - d[i]!)
          .sort((a, b) => a - b);
      });
      expect(gaps.length).toBeGreaterThan(5);
      expect(gaps[Math.floor(gaps.length / 2)]).toBeGreaterThanOrEqual(70);
    }
    const [cols] = (await activeView().getByTestId('terminal-size').textContent())!.split('×').map(Number);
    const xs = (await lines()).filter((l) => /^x+$/.test(l));
    expect(xs.length).toBeGreaterThan(5);
    expect(xs.every((l) => l.length === cols)).toBe(true);
    await settled();
    await s.page.screenshot({ path: shot('terminal-flood-en') });
    // Ctrl+PageUp / Ctrl+PageDown go round the tabs.
    await s.page.keyboard.press('Control+PageUp');
    await expect.poll(activeId).toBe(kept);
    await s.page.keyboard.press('Control+PageDown');
    await expect.poll(activeId).toBe(flood);
  }, 180_000);

  it('fast-forwards a flood of lines when the screen falls behind, and the screen and its scrollback are what they would be', async () => {
    await openLocal(false);
    const rows = Number((await activeView().getByTestId('terminal-size').textContent())!.split('×')[1]);
    // This page's CPU slowed four times (DevTools' throttling), as on a slower laptop: the screen falls behind the flood.
    const cdp = await s.page.context().newCDPSession(s.page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    try {
      // 1.5 million numbered lines, 19.5 MB.
      await type('seq -f "line %07.0f" 1 1500000; echo FLOOD-$((2+3))');
      await waitFor(/^FLOOD-5$/m, activeView(), 150_000);
    } finally {
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
      await cdp.detach();
    }
    const skipped = Number(await activeView().locator('[data-fast-forwarded]').getAttribute('data-fast-forwarded'));
    expect(skipped).toBeGreaterThan(1_000_000);
    // The screen ends with the flood's last lines, one after the other.
    const shown = (await lines()).filter((l) => /^line \d{7}$/.test(l)).map((l) => Number(l.slice(5)));
    expect(shown.length).toBeGreaterThan(rows - 5);
    expect(shown.at(-1)).toBe(1_500_000);
    expect(shown.every((n, i) => i === 0 || n === shown[i - 1]! + 1)).toBe(true);
    // The buffer holds the last 10,000 + rows rows (the scrollback and the screen), the marker and the prompt among
    // them, as if every line had been parsed: found by the search, the first line kept and not the one before it, and
    // a hundred lines in the middle all there.
    const first = 1_500_000 - (10_000 + rows - 2) + 1;
    const count = async (query: string) => {
      await s.page.keyboard.press('Control+Shift+F');
      const input = s.page.getByTestId('terminal-search-input');
      await input.fill(query);
      await s.page.keyboard.press('Enter');
      await expect.poll(() => s.page.getByTestId('terminal-search-count').textContent()).toMatch(/of|No match/);
      const text = (await s.page.getByTestId('terminal-search-count').textContent())!;
      await s.page.keyboard.press('Escape');
      await s.page.getByTestId('terminal-search').waitFor({ state: 'detached' });
      return text === 'No match' ? 0 : Number(/of (\d+)$/.exec(text)![1]);
    };
    await settled();
    await s.page.screenshot({ path: shot('terminal-fast-forward-en') });
    expect(await count(`line ${String(first).padStart(7, '0')}`)).toBe(1);
    expect(await count(`line ${String(first - 1).padStart(7, '0')}`)).toBe(0);
    expect(await count('line 14950')).toBe(100);
  }, 240_000);

  it.skipIf(!hasSshd())(
    'logs in over SSH with a pasted key, shows the host key trusted on first use, and handles a changed key',
    async () => {
      const connect = async () => {
        await openDialog();
        await choose('SSH');
        await dialog().getByTestId('terminal-ssh-host').fill('127.0.0.1');
        await dialog().getByTestId('terminal-ssh-port').fill(String(sshd!.port));
        await dialog().getByTestId('terminal-ssh-user').fill('root');
        await choose('Private key', 'terminal-ssh-auth');
        await dialog().getByTestId('terminal-ssh-key').fill(sshd!.clientKey);
      };
      const before = await tabIds();
      await connect();
      await s.page.screenshot({ path: shot('terminal-new-ssh-en') });
      await dialog().getByTestId('terminal-ssh-user').press('Enter');
      await dialog().waitFor({ state: 'detached', timeout: 30_000 });
      const id = (await tabIds()).find((x) => !before.includes(x))!;
      await expect.poll(activeId).toBe(id);
      await readable();
      expect(await activeView().getByTestId('terminal-fingerprint').textContent()).toBe(sshd!.hostFingerprint());
      expect(await activeView().getByTestId('terminal-first-use').textContent()).toBe('first use');
      expect(await activeView().getByTestId('terminal-status-target').textContent()).toContain(`127.0.0.1:${sshd!.port}`);
      await type('whoami');
      await waitFor(/^root$/m);
      await settled();
      await s.page.screenshot({ path: shot('terminal-ssh-en') });

      // The box is reinstalled: a new host key. Both fingerprints are shown; trusting the new one is explicit.
      const old = sshd!.hostFingerprint();
      await sshd!.rekey();
      await connect();
      await dialog().getByTestId('terminal-new-open').click();
      const changed = dialog().getByTestId('terminal-hostkey-changed');
      await changed.waitFor({ timeout: 30_000 });
      expect(await changed.textContent()).toContain(old);
      expect(await changed.textContent()).toContain(sshd!.hostFingerprint());
      expect(await dialog().getByTestId('terminal-retrust-fingerprint').inputValue()).toBe(sshd!.hostFingerprint());
      await s.page.screenshot({ path: shot('terminal-ssh-hostkey-changed-en') });
      await dialog().getByTestId('terminal-retrust').click();
      await s.page.getByTestId('terminal-retrust-confirm').click();
      await dialog().waitFor({ state: 'detached', timeout: 30_000 });
      await expect.poll(activeId).not.toBe(id);
      await readable();
      expect(await activeView().getByTestId('terminal-fingerprint').textContent()).toBe(sshd!.hostFingerprint());
      await type('echo ssh-$((3*5))');
      await waitFor(/^ssh-15$/m);
    },
    90_000,
  );

  it.skipIf(!hasSocat())(
    'talks to a serial console, shows its bytes in hex, rides out an unplugged cable, and frees the port',
    async () => {
      await openDialog();
      await choose('Serial console');
      const manual = dialog().getByTestId('terminal-serial-manual');
      await expect.poll(async () => (await manual.count()) + (await dialog().getByTestId('terminal-serial-path').count())).toBeGreaterThan(0);
      if (await manual.count()) await manual.click();
      await dialog().getByTestId('terminal-serial-path').fill(serialPath);
      await s.page.screenshot({ path: shot('terminal-new-serial-en') });
      await dialog().getByTestId('terminal-serial-path').press('Enter');
      await dialog().waitFor({ state: 'detached' });
      const id = await activeId();
      await readable();
      expect(await activeView().getByTestId('terminal-status-target').textContent()).toBe(`${serialPath} 115200 8N1`);
      await type('echo serial-$((6+7))');
      await waitFor(/^serial-13\r?$/m);

      await activeView().getByTestId('terminal-hex-toggle').click();
      const hexBytes = async () =>
        (await activeView().getByTestId('terminal-hex-dump').textContent())!
          .split('\n')
          .map((l) => l.slice(10, 59).replace(/\s+/g, ''))
          .join('');
      // "serial-13" as the line carried it.
      await expect.poll(hexBytes).toContain(Buffer.from('serial-13').toString('hex'));
      await settled();
      await s.page.screenshot({ path: shot('terminal-serial-hex-en') });

      await cable!.unplug();
      await expect.poll(() => s.page.getByTestId(`terminal-tab-${id}`).getAttribute('data-state'), { timeout: 10_000 }).toBe('reconnecting');
      expect(await activeView().getByTestId('terminal-banner').textContent()).toMatch(/Waiting for .*ttyUSB0 to come back/);
      await s.page.screenshot({ path: shot('terminal-serial-reconnecting-en') });
      await cable!.plug();
      await expect.poll(() => s.page.getByTestId(`terminal-tab-${id}`).getAttribute('data-state'), { timeout: 10_000 }).toBe('open');
      await type('echo back-$((5+5))');
      await waitFor(/^back-10\r?$/m);

      await activeView().getByTestId('terminal-free-port').click();
      // Clicked again if the first click fell while the confirmation was still zooming in.
      const freeIt = s.page.getByTestId('terminal-free-confirm');
      await freeIt.waitFor();
      await expect
        .poll(
          async () => {
            if (await freeIt.count()) await freeIt.click({ timeout: 1_000 }).catch(() => undefined);
            return s.page.getByTestId(`terminal-tab-${id}`).count();
          },
          { timeout: 10_000, interval: 500 },
        )
        .toBe(0);
      await s.page
        .locator('.ant-message-notice')
        .filter({ hasText: `${serialPath} is free.` })
        .waitFor();
    },
    60_000,
  );

  it('shows the station’s field errors on the form, in English and then in Chinese', async () => {
    await openDialog();
    await choose('SSH');
    await dialog().getByTestId('terminal-ssh-user').fill('root');
    await dialog().getByTestId('terminal-ssh-user').press('Enter');
    const hostError = dialog()
      .locator('.ant-form-item')
      .filter({ has: s.page.getByTestId('terminal-ssh-host') })
      .locator('.ant-form-item-explain-error');
    await expect.poll(() => hostError.textContent()).toBe('Give the host to connect to, or pick a flashed box.');
    await s.page.screenshot({ path: shot('terminal-validation-en') });
    // The language changes with the dialog open (the header is behind its mask): the error follows.
    await s.page.getByTestId('language-switch').getByText('中文').dispatchEvent('click');
    await expect.poll(() => hostError.textContent()).toBe('请填写要连接的主机，或选择一台已刷机的设备。');
    await s.page.screenshot({ path: shot('terminal-validation-zh') });
    await s.page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });
    await settled();
    await s.page.screenshot({ path: shot('terminal-local-zh') });
    await s.page.getByTestId('theme-switch').getByText('深色').click();
    await s.page.waitForTimeout(300);
    await s.page.screenshot({ path: shot('terminal-local-zh-dark') });
    await s.page.getByTestId('theme-switch').getByText('浅色').click();
    await s.page.getByTestId('language-switch').getByText('EN').click();
  });

  // Last: the crash ends every session of this window.
  it('streams a new session’s output again after the native I/O process crashed and was restarted', async () => {
    const { connectClient } = await import('../support/host');
    const { client, ws } = await connectClient(s.host);
    const streams: string[] = [];
    const onResponse = (r: Response) => {
      if (new URL(r.url()).pathname === '/terminal-output/stream') streams.push(`${r.status()} ${r.headers()['content-type']}`);
    };
    try {
      const old = await openLocal();
      const { pid } = await client.system.nativeHealth();
      expect(pid).not.toBeNull();
      s.page.on('response', onResponse);
      process.kill(pid!, 'SIGKILL');
      // The session lived in that process: its tab says it is gone (read on the page: the worker's connection went with it).
      await expect.poll(() => s.page.getByTestId(`terminal-tab-${old}`).getAttribute('data-state'), { timeout: 15_000 }).toBe('exited');
      await expect.poll(() => activeView().getByTestId('terminal-banner').textContent()).toContain('The native I/O process stopped unexpectedly');
      // The station starts the process again.
      await expect.poll(async () => (await client.system.nativeHealth()).pid, { timeout: 15_000 }).toSatisfy((p: number | null) => p !== null && p !== pid);
      // A session opened a moment later (the page waits 1 s after a lost connection) streams through a new worker.
      await s.page.waitForTimeout(1_500);
      const id = await openLocal();
      await expect.poll(activeId).toBe(id);
      await type('echo again-$((9*9))');
      await waitFor(/^again-81$/m);
      expect(streams).toEqual(['200 application/octet-stream']);
      // Away and back: the old tab reads again, through the new worker; the native process does not know that session,
      // the station does, and it still says why it ended.
      await s.page.getByTestId('nav-settings').click();
      await s.page.getByTestId('nav-terminal').click();
      await s.page.getByTestId(`terminal-tab-${id}`).waitFor();
      await s.page.getByTestId(`terminal-tab-${old}`).click();
      await expect.poll(activeId).toBe(old);
      await expect.poll(() => activeView().getByTestId('terminal-banner').textContent()).toContain('The native I/O process stopped unexpectedly');
      expect(await s.page.getByTestId(`terminal-tab-${old}`).getAttribute('data-state')).toBe('exited');
      await s.page.getByTestId(`terminal-tab-${id}`).click();
      await expect.poll(activeId).toBe(id);
      await settled();
      await s.page.screenshot({ path: shot('terminal-after-native-crash-en') });
    } finally {
      s.page.off('response', onResponse);
      ws.close();
    }
  });

  it('fetched nothing from any other origin and raised no page errors', () => {
    expect(offOrigin).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
