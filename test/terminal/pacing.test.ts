/**
 * The adaptive frame rate for floods (renderer/src/terminal/pacing.ts), in
 * real xterm.js in Debian's Chromium: a flood written through the pacer is
 * drawn less often than the same flood written straight to xterm, its last
 * line is drawn as soon as it is parsed, output that comes alone is drawn
 * at once, a program's own synchronized update is never ended by it, and a
 * sequence of the program's cut between two chunks stays whole. First, the
 * pacer's reading of where xterm's parser is after a piece of output.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW } from '../../main/terminal/protocol';
import { afterOutput, FLOOD_FRAME_MS, type ParserState } from '../../renderer/src/terminal/pacing';
import { pacerPage } from '../support/pacer-page';

/** What a flood measured in the page gives back. */
interface Flood {
  seconds: number;
  renders: number;
  /** The screen's last line as drawn two frames after the last chunk was parsed. */
  drawnLast: string;
  /** xterm's synchronized output mode two frames after the flood. */
  held: boolean;
  /** How long after the last chunk was parsed the screen was no longer held (ms). */
  releaseMs: number;
  /** The pacer held the screen at some point during the flood. */
  everHeld: boolean;
  /** The buffer's last lines, as xterm holds them. */
  tail: string[];
}

describe("afterOutput: where xterm's parser is after a piece of output", () => {
  const cases: [string, ParserState, string, ParserState][] = [
    ['plain text', 'ground', 'line 1\r\nline 2', 'ground'],
    ['a finished SGR', 'ground', 'a\x1b[31mred\x1b[0m', 'ground'],
    ['an ESC at the end', 'ground', 'text\x1b', 'escape'],
    ['a CSI cut after its introducer', 'ground', 'text\x1b[', 'csi'],
    ['a CSI cut in its parameters', 'ground', 'text\x1b[?2026;3', 'csi'],
    ['the rest of a CSI', 'csi', '1mRED\x1b[0m and more', 'ground'],
    ['the rest of a CSI, then plain text', 'csi', '1m plain', 'ground'],
    ['a charset designation cut short', 'ground', 'x\x1b(', 'intermediate'],
    ['a charset designation', 'ground', 'x\x1b(B', 'ground'],
    ['an OSC title cut short', 'ground', 'x\x1b]0;my ti', 'osc'],
    ['an OSC ended by BEL', 'ground', 'x\x1b]0;my title\x07after', 'ground'],
    ['an OSC ended by ST', 'ground', 'x\x1b]8;;http://h/\x1b\\link', 'ground'],
    ['the rest of an OSC', 'osc', 'tle\x07 text', 'ground'],
    ['more of an OSC', 'osc', 'still the title', 'osc'],
    ['a DCS (sixel) cut short', 'ground', 'x\x1bPq#0;2;0;0;0#0~~@@', 'string'],
    ['more of a DCS', 'string', '~~~~~~~~@@@@', 'string'],
    ['the end of a DCS', 'string', '~~@@\x1b\\done', 'ground'],
    ['an APC cut short', 'ground', '\x1b_Gf=100;AAAA', 'string'],
    ['a C1 CSI cut short', 'ground', 'x\u009b3', 'csi'],
    ['a C1 CSI finished', 'ground', 'x\u009b31mred', 'ground'],
    ['a C1 ST ending a DCS', 'string', 'payload\u009c', 'ground'],
    ['a non-ASCII character inside a CSI', 'ground', '\x1b[3\u00e9', 'unknown'],
    ['plain text after an unknown state', 'unknown', 'more text', 'unknown'],
    ['a finished sequence after an unknown state', 'unknown', '\x1b[0m text', 'ground'],
    ['a degree sign (0xC2 0xB0 in UTF-8) is no C1', 'csi', '1m 20\u00b0C', 'ground'],
    ['a no-break space after a cut CSI', 'ground', '\u00a0\x1b[3', 'csi'],
  ];
  it.each(cases)('%s', (_name, before, data, after) => {
    // Text as the station's API gives it, and bytes as the output stream gives them (UTF-8).
    expect(afterOutput(before, data)).toBe(after);
    expect(afterOutput(before, new TextEncoder().encode(data))).toBe(after);
  });
});

describe('FramePacer in xterm.js', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ({ browser, page } = await pacerPage('<div id="screen"></div>'));
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
        // The pacer's release is parsed right after the last chunk: well before xterm's own limit of a second.
        const released = performance.now();
        while (term.modes.synchronizedOutputMode && performance.now() - released < 2000) await frames(1);
        const releaseMs = performance.now() - released;
        await frames(2);
        const rows = drawn();
        return { seconds, renders: renders0, releaseMs, drawnLast: rows[rows.length - 1] ?? '', held: term.modes.synchronizedOutputMode, everHeld, tail: tail(3) };
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
      expect(f.releaseMs).toBeLessThan(500);
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
      // Six chunks of about 100 KB, all queued at once: the pacer's marks come between them.
      const chunk = 'x'.repeat(159) + '\\r\\n';
      const piece = chunk.repeat(600);
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

  it("keeps a program's sequences whole when a chunk ends inside one", async () => {
    const r = (await page.evaluate(`(async () => {
      fresh();
      await frames(2);
      const titles = [];
      term.onTitleChange((t) => titles.push(t));
      let everHeld = false;
      const lines = 'plain ' + 'abcdefghij'.repeat(7) + '\\r\\n';
      // 30 chunks of 300 lines: all of it stays in the scrollback (10,000 lines).
      const body = lines.repeat(300);
      // Every third chunk ends inside a CSI, every third inside an OSC title; the next chunk finishes it.
      const chunks = [];
      for (let i = 0; i < 30; i++) {
        const head = i % 3 === 2 ? '1mRED-' + i + '\\x1b[0m\\r\\n' : i % 3 === 0 && i > 0 ? 'end' + i + '\\x07\\r\\n' : '';
        const tail = i % 3 === 1 ? '\\x1b[3' : i % 3 === 2 ? '\\x1b]0;title-' : '';
        chunks.push(head + body + tail);
      }
      await new Promise((done) => {
        let left = chunks.length;
        for (const c of chunks) pacer.write(c, () => { everHeld ||= pacer.isHolding; if (--left === 0) done(); });
      });
      const b = term.buffer.active;
      const stray = [], red = [];
      for (let y = 0; y < b.length; y++) {
        const line = b.getLine(y);
        const text = line.translateToString(true);
        if (/1mRED|^end\\d|\\[3/.test(text)) stray.push(text);
        if (text.startsWith('RED-')) red.push(line.getCell(0).getFgColor());
      }
      return { everHeld, stray: stray.slice(0, 3), red, titles: [...new Set(titles)] };
    })()`)) as { everHeld: boolean; stray: string[]; red: number[]; titles: string[] };
    // Held between the clean chunks; no ESC of the pacer's inside the program's sequences, which would print their rest.
    expect(r.everHeld).toBe(true);
    expect(r.stray).toEqual([]);
    expect(r.red).toHaveLength(10);
    expect(r.red.every((c) => c === 1)).toBe(true);
    expect(r.titles.sort()).toEqual(
      ['title-end12', 'title-end15', 'title-end18', 'title-end21', 'title-end24', 'title-end27', 'title-end3', 'title-end6', 'title-end9'].sort(),
    );
  });

  it("hands the screen to a program's own synchronized update begun during a paced flood, and paces again after it", async () => {
    const r = (await page.evaluate(`(async () => {
      fresh();
      // The pacing alone: 15,000 queued lines would otherwise be fast-forwarded down to the 11,000 kept.
      pacer.fastForward = false;
      await frames(2);
      const lines = 'x'.repeat(159) + '\\r\\n';
      const body = lines.repeat(600);
      const at = [];
      const modes = [];
      const holding = [];
      await new Promise((done) => {
        // 60 chunks: on a fast machine the 9 after the program's update parsed within one frame, before the frame that
        // lets the pacer hold again.
        let left = 60;
        for (let i = 0; i < 60; i++) {
          // The program begins its update at the start of chunk 10 and ends it in chunk 15.
          const chunk = i === 10 ? '\\x1b[?2026h' + body : i === 15 ? body + '\\x1b[?2026l' + body : body;
          pacer.write(chunk, () => { at[i] = renders.length; modes[i] = term.modes.synchronizedOutputMode; holding[i] = pacer.isHolding; if (--left === 0) done(); });
        }
      });
      return { at, modes, holding };
    })()`)) as { at: number[]; modes: boolean[]; holding: boolean[] };
    // The pacer held before the program's update (chunks 1–9) and again after it (16–59).
    expect(r.holding.slice(1, 10)).toContain(true);
    expect(r.holding.slice(16)).toContain(true);
    // From chunk 10 to 14: the program's update, never ended by the pacer and never drawn in the middle.
    expect(r.modes.slice(10, 15)).toEqual([true, true, true, true, true]);
    expect(r.holding.slice(10, 15)).toEqual([false, false, false, false, false]);
    expect(r.at[14]).toBe(r.at[10]);
  });
});
