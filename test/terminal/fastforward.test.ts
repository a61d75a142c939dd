/**
 * Fast-forward through floods of plain text (renderer/src/terminal/
 * fastforward.ts, and the pacer that applies it). The reading of the text
 * first; then the claim that matters, in real xterm.js in Debian's
 * Chromium: a flood written through the pacer, with part of it
 * fast-forwarded, leaves the buffer exactly as the same flood written
 * straight to xterm does, cell by cell (characters, widths, colours,
 * styles, wrapped rows), with the same cursor, attributes and view. And no
 * fast-forward where something could depend on the text: margins, the
 * alternate screen, a view scrolled back, a selection, other sequences.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributesAfter, endsInsideCharacter, planFastForward, scanPlain } from '../../renderer/src/terminal/fastforward';
import { pacerPage } from '../support/pacer-page';

describe('scanPlain: how much of a piece is plain text', () => {
  it.each([
    ['text and line ends', 'a\tb\r\nc\r\n', 8, 2],
    ['colours and styles', '\x1b[1;31mred\x1b[0m \x1b[38;2;1;2;3mtrue\x1b[38:5:100m\x1b[m\r\n', 48, 1],
    ['a cursor movement', 'ab\r\n\x1b[Hc\r\n', 4, 1],
    ['a private SGR-like sequence (XTMODKEYS)', 'x\r\n\x1b[>4;2m', 3, 1],
    ['a title', 'x\r\n\x1b]0;t\x07', 3, 1],
    ['a bell', 'x\ny\x07z\n', 3, 1],
    ['a backspace', 'x\r\n\x08', 3, 1],
    ['a C1 control', 'x\r\n\u009b2J', 3, 1],
    ['an SGR cut at the end of the piece', 'x\r\n\x1b[3', 3, 1],
    ['wide characters, emoji and accents', '漢字 🙂 é\r\n', 9, 1],
  ])('%s', (_name, data, plain, lines) => {
    expect(scanPlain(data)).toEqual({ plain, lines });
    // The same as UTF-8 bytes, where the output stream gives them: the same place, counted in bytes.
    const utf8 = new TextEncoder();
    expect(scanPlain(utf8.encode(data))).toEqual({ plain: utf8.encode(data.slice(0, plain)).length, lines });
  });

  it('stops bytes at a 0xC2 whose second byte (a C1 control or not) is in the next piece', () => {
    expect(scanPlain(new Uint8Array([0x61, 0x0d, 0x0a, 0xc2]))).toEqual({ plain: 3, lines: 1 });
    expect(scanPlain(new Uint8Array([0x61, 0xc2, 0xb0, 0x0a]))).toEqual({ plain: 4, lines: 1 });
  });
});

describe('endsInsideCharacter: UTF-8 bytes that the next piece finishes', () => {
  const utf8 = (t: string) => new TextEncoder().encode(t);
  it.each([
    ['ASCII', utf8('abc'), false],
    ['a whole é', utf8('abé'), false],
    ['the first byte of é', utf8('abé').subarray(0, 3), true],
    ['two of the three bytes of 漢', utf8('a漢').subarray(0, 3), true],
    ['a whole emoji', utf8('🙂'), false],
    ['three of the four bytes of an emoji', utf8('🙂').subarray(0, 3), true],
    ['text (xterm keeps a split surrogate pair itself)', 'a\ud83d', false],
  ])('%s', (_name, data, inside) => {
    expect(endsInsideCharacter(data)).toBe(inside);
  });
});

describe('planFastForward: where to cut', () => {
  const lines = (n: number, end = '\r\n') => Array.from({ length: n }, (_, i) => `line ${i}${end}`).join('');

  it('leaves `keep` line feeds after the cut, and cuts after a CR LF', () => {
    const queue = [{ data: lines(100) }, { data: lines(100) }, { data: lines(100) }];
    // 300 line feeds, 120 kept: the cut is after the 180th, in the second piece.
    const cut = planFastForward(queue, 120)!;
    expect(cut.pieces).toBe(1);
    const kept = (queue[1]!.data.slice(cut.chars) as string) + (queue[2]!.data as string);
    expect(kept.split('\n').length - 1).toBe(120);
    expect(queue[1]!.data.slice(0, cut.chars)).toMatch(/\r\n$/);
  });

  it('finds no cut when the plain text holds no more than `keep` line feeds', () => {
    expect(planFastForward([{ data: lines(50) }, { data: lines(50) }], 100)).toBeNull();
  });

  it('stops the plain run at the first other sequence', () => {
    const queue = [{ data: lines(100) }, { data: lines(10) + '\x1b[2J' + lines(500) }];
    // 110 line feeds of plain text, then a clear: 100 kept leaves a cut after the 10th.
    expect(planFastForward(queue, 100)).toEqual({ pieces: 0, chars: lines(10).length });
  });

  it('cuts bytes as text, in bytes, and a run may mix them', () => {
    const utf8 = (t: string) => new TextEncoder().encode(t);
    expect(planFastForward([{ data: utf8('é'.repeat(10) + '\r\n' + lines(500)) }], 499)).toEqual({ pieces: 0, chars: 22 + lines(1).length });
    expect(planFastForward([{ data: lines(20) }, { data: utf8(lines(500)) }], 500)).toEqual({ pieces: 0, chars: lines(20).length });
    expect(planFastForward([{ data: utf8(lines(20) + '\x1b[?25l' + lines(500)) }], 10)).toEqual({ pieces: 0, chars: lines(10).length });
  });

  it('cuts only after a CR LF: lines ended by LF alone move the cut back', () => {
    const queue = [{ data: lines(30) + lines(80, '\n') }];
    // The 51st line feed from the end is LF alone; the latest CR LF before it ends line 29.
    expect(planFastForward(queue, 50)).toEqual({ pieces: 0, chars: lines(30).length });
    expect(planFastForward([{ data: lines(80, '\n') }], 50)).toBeNull();
  });

  it('does not take a CR LF split between two pieces', () => {
    const queue = [{ data: lines(5) + 'tail\r' }, { data: '\n' + lines(60, '\n') }];
    expect(planFastForward(queue, 50)).toEqual({ pieces: 0, chars: lines(5).length });
  });
});

describe('attributesAfter: the attributes a skipped text leaves', () => {
  it('keeps every SGR from the last full reset on, across pieces', () => {
    expect(attributesAfter(['a\x1b[1mb', 'c\x1b[0md\x1b[31me', 'f\x1b[4m'])).toBe('\x1b[0m\x1b[31m\x1b[4m');
    expect(attributesAfter(['a\x1b[1mb', 'c\x1b[32md'])).toBe('\x1b[1m\x1b[32m');
    expect(attributesAfter(['plain', 'text'])).toBe('');
    // A reset combined with a colour is not a plain reset: kept, with what came before it.
    expect(attributesAfter(['\x1b[1m', '\x1b[0;31mx'])).toBe('\x1b[1m\x1b[0;31m');
  });
});

/** What two screens fed the same flood give back. */
interface Compared {
  /** Rows that differ, as `row: paced | straight` (the first few). */
  diff: string[];
  rows: number;
  fastForwarded: number;
  cursor: [number, number][];
  view: [number, number][];
}

describe.each([
  ['text', false],
  ['UTF-8 bytes (as the output stream gives them)', true],
])('fast-forward in xterm.js, output as %s, leaves the buffer as parsing everything does', (_form, bytes) => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ({ browser, page } = await pacerPage('<div id="a"></div><div id="b"></div>'));
    // Two screens of the app's size and scrollback; `compare` feeds both, paced (all chunks queued at once, as in a
    // flood) and straight, and compares every cell of both buffers.
    await page.evaluate(`(() => {
      const cell = (line, x, c) => { line.getCell(x, c); return c.getChars() + '|' + c.getWidth() + '|' + c.getFgColorMode() + ':' + c.getFgColor() + '|' + c.getBgColorMode() + ':' + c.getBgColor() + '|' + [c.isBold(), c.isItalic(), c.isDim(), c.isUnderline(), c.isInverse(), c.isInvisible(), c.isStrikethrough(), c.isOverline(), c.isBlink()].map(Number).join(''); };
      const row = (term, y) => { const line = term.buffer.active.getLine(y); if (!line) return '<none>'; const c = term.buffer.active.getNullCell(); let s = line.isWrapped ? 'W ' : '- '; for (let x = 0; x < term.cols; x++) s += cell(line, x, c) + ';'; return s; };
      const write = (term, data) => new Promise((done) => term.write(data, done));
      globalThis.compare = async (chunks, opts = {}) => {
        // As bytes: each chunk encoded, or (recut) all of them encoded and cut again anywhere, also inside characters.
        if (${bytes}) {
          const encode = (t) => new TextEncoder().encode(t);
          if (opts.recut) {
            const all = encode(chunks.join(''));
            const rnd = random(11);
            chunks = [];
            for (let i = 0; i < all.length; ) { const n = 1000 + Math.floor(rnd() * 300000); chunks.push(all.subarray(i, i + n)); i += n; }
          } else chunks = chunks.map(encode);
        }
        const made = [];
        for (const id of ['a', 'b']) {
          const el = document.getElementById(id);
          el.replaceChildren();
          const term = new Terminal({ cols: opts.cols ?? 160, rows: opts.rows ?? 45, scrollback: opts.scrollback ?? 10000 });
          term.open(el);
          made.push(term);
        }
        const [paced, straight] = made;
        const pacer = new Pacing.FramePacer(paced);
        // What came before goes through the pacer too, so that it knows where the parser is.
        if (opts.before) await Promise.all([new Promise((done) => pacer.write(opts.before, done)), write(straight, opts.before)]);
        for (const term of made) {
          if (opts.scrollBack) term.scrollLines(-opts.scrollBack);
          if (opts.select) term.selectLines(0, 2);
        }
        await new Promise((done) => {
          let left = chunks.length;
          chunks.forEach((c, k) => pacer.write(c, () => { if (k === opts.resizeAt) paced.resize(...opts.resize); if (--left === 0) done(); }));
        });
        for (const [k, c] of chunks.entries()) { await write(straight, c); if (k === opts.resizeAt) straight.resize(...opts.resize); }
        // What comes after: the attributes and the cursor as the flood left them.
        for (const term of made) await write(term, opts.after ?? 'PROBE\\x1b[3b');
        const diff = [];
        const rows = Math.max(paced.buffer.active.length, straight.buffer.active.length);
        for (let y = 0; y < rows && diff.length < 3; y++) {
          const p = row(paced, y), s = row(straight, y);
          if (p !== s) diff.push(y + ': ' + p.slice(0, 160) + ' | ' + s.slice(0, 160));
        }
        const result = {
          diff, rows,
          fastForwarded: pacer.fastForwarded,
          cursor: made.map((t) => [t.buffer.active.cursorX, t.buffer.active.cursorY]),
          view: made.map((t) => [t.buffer.active.viewportY, t.buffer.active.baseY]),
        };
        pacer.dispose();
        for (const t of made) t.dispose();
        return result;
      };
      // A seeded generator, so that a failure can be replayed.
      globalThis.random = (seed) => () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
      // Output cut anywhere: inside lines, SGR sequences and surrogate pairs.
      globalThis.cut = (text, rnd) => { const out = []; for (let i = 0; i < text.length; ) { const n = 1000 + Math.floor(rnd() * 300000); out.push(text.slice(i, i + n)); i += n; } return out; };
    })()`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  const run = (make: string, opts = '{}') =>
    page.evaluate(
      `(async () => { const rnd = random(7); const text = (${make})(rnd); return compare(cut(text, rnd), Object.assign(${opts}, { recut: true })); })()`,
    ) as Promise<Compared>;

  const same = (r: Compared) => {
    expect(r.diff).toEqual([]);
    expect(r.cursor[0]).toEqual(r.cursor[1]);
    expect(r.view[0]).toEqual(r.view[1]);
  };

  it('a flood of plain lines, as `cat` of a log gives it', async () => {
    const r = await run(
      `(rnd) => { let s = ''; for (let i = 0; s.length < 4e6; i++) s += 'line ' + i + ' ' + 'x'.repeat(Math.floor(rnd() * 120)) + '\\r\\n'; return s; }`,
    );
    same(r);
    expect(r.fastForwarded).toBeGreaterThan(2e6);
  }, 60_000);

  it('colours and styles, wrapped lines, tabs, wide characters, emoji and LF-only lines', async () => {
    const r = await run(`(rnd) => {
      const sgr = ['\\x1b[1m', '\\x1b[31m', '\\x1b[0m', '\\x1b[m', '\\x1b[4;33;44m', '\\x1b[38;5;200m', '\\x1b[38;2;10;20;30m', '\\x1b[48:2::1:2:3m', '\\x1b[7m', '\\x1b[22;39m', '\\x1b[3;9m'];
      const bits = ['word ', '\\t', '漢字', '🙂', 'e\\u0301', 'y'.repeat(200), '\\r\\n', '\\r\\n', '\\n'];
      let s = '';
      while (s.length < 4e6) s += rnd() < 0.3 ? sgr[Math.floor(rnd() * sgr.length)] : bits[Math.floor(rnd() * bits.length)];
      return s + '\\r\\n';
    }`);
    same(r);
    expect(r.fastForwarded).toBeGreaterThan(1e6);
  }, 60_000);

  it('attributes set in the skipped part, also by an SGR split between two chunks, stay on the kept lines', async () => {
    const r = (await page.evaluate(`(async () => {
      const lines = (from, n) => Array.from({ length: n }, (_, i) => 'line ' + (from + i)).join('\\r\\n') + '\\r\\n';
      return compare(['first\\r\\n', '\\x1b[4m' + lines(0, 10000) + '\\x1b[1;3', '1m' + lines(10000, 10000), lines(20000, 12000)]);
    })()`)) as Compared;
    same(r);
    expect(r.fastForwarded).toBeGreaterThan(10_000 * 11);
  }, 60_000);

  it('a flood that begins with the cursor at the top of a cleared screen, with an old line under it', async () => {
    const r = await run(
      `(rnd) => 'x'.repeat(150) + '\\r\\n' + Array.from({ length: 150000 }, (_, i) => 'n' + i).join('\\r\\n') + '\\r\\n'`,
      `{ before: 'old '.repeat(30) + '\\r\\n'.repeat(20) + 'o'.repeat(159) + '\\x1b[H' }`,
    );
    same(r);
    expect(r.fastForwarded).toBeGreaterThan(1e5);
  }, 60_000);

  it('a flood with cursor movements, titles and a clear in it: the plain parts between them only', async () => {
    const r = await run(`(rnd) => {
      let s = '';
      for (let part = 0; part < 6; part++) {
        for (let i = 0; i < 15000; i++) s += 'p' + part + ' line ' + i + '\\r\\n';
        s += ['\\x1b[5;10H', '\\x1b]0;title\\x07', '\\x1b[2J', '\\x1b[?25l', '\\x1b[10A', '\\x1b[K'][part];
      }
      return s;
    }`);
    same(r);
    // Each plain part alone holds 15,000 lines, of which 11,000 are kept.
    expect(r.fastForwarded).toBeGreaterThan(2e4);
  }, 60_000);

  it('a smaller scrollback keeps fewer lines', async () => {
    const r = await run(
      `(rnd) => { let s = ''; for (let i = 0; i < 20000; i++) s += 'row ' + i + '\\x1b[3' + (i % 8) + 'm colour\\r\\n'; return s; }`,
      `{ scrollback: 100 }`,
    );
    same(r);
    expect(r.fastForwarded).toBeGreaterThan(1e5);
  }, 60_000);

  const plain = `(rnd) => { let s = ''; for (let i = 0; i < 40000; i++) s += 'line ' + i + '\\r\\n'; return s; }`;

  it.each([
    ['scrolling margins set by a program', `{ before: '\\x1b[5;30r' }`],
    ['the alternate screen', `{ before: '\\x1b[?1049h' }`],
    ['a view scrolled back', `{ before: 'a\\r\\n'.repeat(300), scrollBack: 100 }`],
    ['an OSC left open before it (all of it is the OSC text)', `{ before: '\\x1b]0;' }`],
  ])(
    'no fast-forward with %s, and the same buffer',
    async (_name, opts) => {
      const r = await run(plain, opts);
      same(r);
      expect(r.fastForwarded).toBe(0);
    },
    60_000,
  );

  it('fast-forwards only once a selection has left the buffer', async () => {
    // Chunks of 1,000 lines of 12 characters behind a first line: 11,000 kept (the scrollback and twice 500 rows). Without the selection all but those
    // would be skipped at once; with it, nothing until its rows (the first three) are dropped, some 9,700 lines later.
    const chunks = `['first\\r\\n', ...Array.from({ length: 40 }, (_, k) => Array.from({ length: 1000 }, (_, i) => 'line ' + String(k * 1000 + i).padStart(5, '0')).join('\\r\\n') + '\\r\\n')]`;
    const free = (await page.evaluate(`compare(${chunks}, { before: 'a\\r\\n'.repeat(300) })`)) as Compared;
    const selected = (await page.evaluate(`compare(${chunks}, { before: 'a\\r\\n'.repeat(300), select: true })`)) as Compared;
    same(free);
    same(selected);
    expect(free.fastForwarded).toBeGreaterThan(28_000 * 12);
    expect(selected.fastForwarded).toBeGreaterThan(0);
    expect(selected.fastForwarded).toBeLessThan(free.fastForwarded - 8_000 * 12);
  }, 60_000);

  it('keeps margins apart for each screen: those of the normal one, not reset on the alternate one, stop it', async () => {
    const kept = await run(plain, `{ before: '\\x1b[5;30r\\x1b[?1049h\\x1b[r\\x1b[!p\\x1b[?1049l' }`);
    same(kept);
    expect(kept.fastForwarded).toBe(0);
    // And margins set on the alternate screen only do not.
    const alternate = await run(plain, `{ before: '\\x1b[?1049h\\x1b[5;30r\\x1b[?1049l' }`);
    same(alternate);
    expect(alternate.fastForwarded).toBeGreaterThan(1e5);
  }, 60_000);

  it.each([
    ['taller', 45, 160, 130, 160],
    ['narrower (the lines rewrap)', 45, 160, 60, 70],
  ])(
    'leaves the same buffer when the screen gets %s while the kept lines are written',
    async (_name, rows, cols, newRows, newCols) => {
      // Resized when chunk 3 is done: parsed, or fast-forwarded past, before the kept lines are.
      const r = (await page.evaluate(`(async () => {
      const lines = (from, n) => Array.from({ length: n }, (_, i) => 'line ' + (from + i) + ' ' + 'w'.repeat((from + i) % 140)).join('\\r\\n') + '\\r\\n';
      return compare(Array.from({ length: 12 }, (_, k) => lines(k * 3000, 3000)), { rows: ${rows}, cols: ${cols}, resizeAt: 3, resize: [${newCols}, ${newRows}] });
    })()`)) as Compared;
      same(r);
      expect(r.fastForwarded).toBeGreaterThan(1e5);
    },
    60_000,
  );

  it('fast-forwards again once the margins are the whole screen again', async () => {
    const r = await run(plain, `{ before: '\\x1b[5;30r\\x1b[r' }`);
    same(r);
    expect(r.fastForwarded).toBeGreaterThan(1e5);
  }, 60_000);

  it.each([
    ['an SGR', '1m', true],
    ['a cursor movement', 'A', false],
    ['a private mode', '?25l', false],
  ])(
    'a chunk that ends inside a sequence the next one finishes as %s',
    async (_name, rest, forwards) => {
      // Chunk 0 is parsed first; the pacer looks at the rest of the queue when it is, with the parser inside the sequence.
      const r = (await page.evaluate(`(async () => {
      const lines = (from, n) => Array.from({ length: n }, (_, i) => 'line ' + (from + i)).join('\\r\\n') + '\\r\\n';
      return compare(['x\\x1b[3', ${JSON.stringify(rest)} + lines(0, 12000), lines(12000, 12000)]);
    })()`)) as Compared;
      same(r);
      // With the SGR finished, all but the last 11,000 of the 24,000 lines queued behind chunk 0 (11 to 12 characters
      // each); without, only what chunk 2 holds beyond them, once chunk 1 is parsed.
      if (forwards) expect(r.fastForwarded).toBeGreaterThan(13_000 * 11);
      else expect(r.fastForwarded).toBeLessThan(2_000 * 12);
    },
    60_000,
  );

  it('calls every chunk back once, in order, whether parsed or fast-forwarded', async () => {
    const r = (await page.evaluate(`(async () => {
      const term = new Terminal({ cols: 80, rows: 24, scrollback: 1000 });
      term.open(document.getElementById('a'));
      const pacer = new Pacing.FramePacer(term);
      const order = [];
      const chunks = Array.from({ length: 40 }, (_, k) => Array.from({ length: 500 }, (_, i) => k + ':' + i).join('\\r\\n') + '\\r\\n');
      // Chunk 5's callback writes more output (it comes after everything queued), as a callback may.
      await new Promise((done) => chunks.forEach((c, k) => pacer.write(c, () => {
        order.push(k);
        if (k === 5) pacer.write('extra\\r\\n', () => { order.push('extra'); done(); });
      })));
      const last = term.buffer.active.getLine(term.buffer.active.baseY + term.buffer.active.cursorY - 1).translateToString(true);
      const result = { order, fastForwarded: pacer.fastForwarded, last };
      pacer.dispose();
      term.dispose();
      return result;
    })()`)) as { order: (number | string)[]; fastForwarded: number; last: string };
    expect(r.order).toEqual([...Array.from({ length: 40 }, (_, k) => k), 'extra']);
    expect(r.fastForwarded).toBeGreaterThan(0);
    expect(r.last).toBe('extra');
  });
});
