/**
 * The adaptive frame rate for floods (renderer/src/terminal/pacing.ts), in
 * real xterm.js in Debian's Chromium: a flood written through the pacer is
 * drawn less often than the same flood written straight to xterm, its last
 * line is drawn as soon as it is parsed, output that comes alone is drawn
 * at once, and a program's own synchronized update is never ended by it.
 */
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW } from '../../main/terminal/protocol';
import { FLOOD_FRAME_MS } from '../../renderer/src/terminal/pacing';
import { launchChromium } from '../support/chromium';

const root = path.resolve(import.meta.dirname, '../..');

/** What a flood measured in the page gives back. */
interface Flood {
  seconds: number;
  renders: number;
  /** The screen's last line as drawn two frames after the last chunk was parsed. */
  drawnLast: string;
  /** xterm's synchronized output mode two frames after the flood. */
  held: boolean;
  /** The pacer held the screen at some point during the flood. */
  everHeld: boolean;
  /** The buffer's last lines, as xterm holds them. */
  tail: string[];
}

describe('FramePacer in xterm.js', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const pacer = await build({
      entryPoints: [path.join(root, 'renderer/src/terminal/pacing.ts')],
      bundle: true,
      format: 'iife',
      globalName: 'Pacing',
      write: false,
      target: 'es2022',
    });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await page.setContent('<!doctype html><body style="margin:0"><div id="screen"></div></body>');
    await page.addStyleTag({ path: path.join(root, 'node_modules/@xterm/xterm/css/xterm.css') });
    await page.addScriptTag({ path: path.join(root, 'node_modules/@xterm/xterm/lib/xterm.js') });
    await page.addScriptTag({ content: pacer.outputFiles[0]!.text });
    // A fresh screen and pacer for each test, with every render's time.
    await page.evaluate(`globalThis.fresh = () => {
      globalThis.term?.dispose();
      const term = new Terminal({ cols: 160, rows: 45, fontSize: 13, scrollback: 10000 });
      term.open(document.getElementById('screen'));
      globalThis.term = term;
      globalThis.pacer = new Pacing.FramePacer(term);
      globalThis.renders = [];
      term.onRender(() => globalThis.renders.push(performance.now()));
    };
    globalThis.frames = (n) => new Promise((done) => { const f = () => (--n <= 0 ? done() : requestAnimationFrame(f)); requestAnimationFrame(f); });
    globalThis.drawn = () => [...document.querySelectorAll('.xterm-rows > div')].map((r) => r.textContent.trimEnd()).filter(Boolean);
    globalThis.tail = (n) => { const b = term.buffer.active; const out = []; for (let y = Math.max(0, b.length - n); y < b.length; y++) out.push(b.getLine(y).translateToString(true)); return out.filter(Boolean); };`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** `mb` MB of lines ending in a numbered last line, written in the app's chunks and window, paced or straight to xterm. */
  const flood = (mb: number, paced: boolean): Promise<Flood> =>
    page.evaluate(
      `(async () => {
        fresh();
        await frames(2);
        let block = '';
        for (let i = 0; block.length < 1 << 20; i++) block += 'line ' + i + ' ' + 'abcdefghij'.repeat(7) + '\\r\\n';
        const total = block.length * ${mb};
        const last = 'END-OF-FLOOD ${mb}';
        let everHeld = false;
        const t0 = performance.now();
        renders.length = 0;
        await new Promise((done) => {
          let sent = 0, written = 0;
          const more = () => {
            while (sent < total && sent - written < ${FLOW.highWater}) {
              const o = sent % block.length;
              let piece = block.slice(o, o + Math.min(${FLOW.chunkChars}, block.length - o, total - sent));
              sent += piece.length;
              if (sent >= total) piece += last;
              const n = piece.length;
              const cb = () => { everHeld ||= pacer.isHolding; written += n; if (written >= total + last.length) done(); else more(); };
              if (${paced}) pacer.write(piece, cb); else term.write(piece, cb);
            }
          };
          more();
        });
        const seconds = (performance.now() - t0) / 1000;
        const renders0 = renders.length;
        await frames(2);
        const rows = drawn();
        return { seconds, renders: renders0, drawnLast: rows[rows.length - 1] ?? '', held: term.modes.synchronizedOutputMode, everHeld, tail: tail(3) };
      })()`,
    ) as Promise<Flood>;

  it('draws a flood at most about once per FLOOD_FRAME_MS, and its last line as soon as it is parsed', async () => {
    const straight = await flood(20, false);
    const paced = await flood(20, true);
    const rate = (f: Flood) => f.renders / f.seconds;
    // Held for FLOOD_FRAME_MS at a time, then one frame drawn: at most 1000 / FLOOD_FRAME_MS frames a second.
    expect(paced.everHeld).toBe(true);
    expect(rate(paced)).toBeLessThanOrEqual(1000 / FLOOD_FRAME_MS + 2);
    // xterm alone draws at every animation frame while it parses (about one per chunk here).
    expect(rate(straight)).toBeGreaterThan(rate(paced) * 1.5);
    for (const f of [straight, paced]) {
      // Nothing held once the flood is parsed: the end is on the screen two frames later (xterm's own limit is 1 s).
      expect(f.held).toBe(false);
      expect(f.drawnLast).toBe('END-OF-FLOOD 20');
      // The pacer's mode changes leave nothing in the buffer: the lines are the output's.
      expect(f.tail.at(-1)).toBe('END-OF-FLOOD 20');
      expect(f.tail.at(-2)).toMatch(/^line \d+ (abcdefghij){7}$/);
    }
  }, 120_000);

  it('draws output that comes while nothing is queued at once', async () => {
    const r = (await page.evaluate(`(async () => {
      fresh();
      await frames(2);
      const seen = [];
      for (const word of ['one', 'two', 'three']) {
        await new Promise((done) => pacer.write(word + '\\r\\n', () => { seen.push(pacer.isHolding); done(); }));
        await frames(2);
        seen.push(drawn().includes(word));
      }
      return seen;
    })()`)) as boolean[];
    expect(r).toEqual([false, true, false, true, false, true]);
  });

  it("never ends a program's own synchronized update, even when a flood comes inside it", async () => {
    const r = (await page.evaluate(`(async () => {
      fresh();
      await frames(2);
      const modes = [];
      let renderedInside = -1;
      await new Promise((done) => pacer.write('\\x1b[?2026hPROGRAM-BEGIN\\r\\n', done));
      const inside = renders.length;
      // About 3 MB in the app's chunks, all queued at once: the pacer's marks come between them.
      const chunk = 'x'.repeat(159) + '\\r\\n';
      const piece = chunk.repeat(Math.floor(${FLOW.chunkChars} / chunk.length));
      await new Promise((done) => {
        let left = 6;
        for (let i = 0; i < 6; i++) pacer.write(piece, () => { modes.push(term.modes.synchronizedOutputMode); if (--left === 0) done(); });
      });
      await frames(3);
      renderedInside = renders.length - inside;
      const heldBefore = term.modes.synchronizedOutputMode;
      const drawnBefore = drawn().some((l) => l.startsWith('PROGRAM-') || /^x+$/.test(l));
      await new Promise((done) => pacer.write('PROGRAM-END\\x1b[?2026l', done));
      await frames(2);
      return { modes, renderedInside, heldBefore, drawnBefore, heldAfter: term.modes.synchronizedOutputMode, drawnAfter: drawn().at(-1) === 'PROGRAM-END' && drawn().some((l) => /^x{159}$/.test(l)) };
    })()`)) as { modes: boolean[]; renderedInside: number; heldBefore: boolean; drawnBefore: boolean; heldAfter: boolean; drawnAfter: boolean };
    // Held from the program's ?2026h to its ?2026l (xterm's own limit is 1 s; this takes a fraction of it).
    expect(r.modes).toEqual([true, true, true, true, true, true]);
    expect(r.renderedInside).toBe(0);
    expect(r.heldBefore).toBe(true);
    expect(r.drawnBefore).toBe(false);
    expect(r.heldAfter).toBe(false);
    expect(r.drawnAfter).toBe(true);
  });
});
