/**
 * Finding a command's output between its markers, as the bytes come off the
 * line in pieces of any size; and what is typed for it, run by a real sh.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MarkerParser, probeAnswer, probeCommand, wrapCommand } from '../../../main/provision/serial/markers';

const N = '0123456789abcdef';

/** What the box sends back for output `out` and status `code`, with the tty's CR LF, after an echo of the typed text. */
function reply(out: string, code: number, echo = ''): string {
  return `${echo}\r\nEFS_${N}\r\n${out.replace(/\n/g, '\r\n')}\r\nEFE_${N}:${code}\r\nef-0123$ `;
}

function feedInPieces(text: string, size: number) {
  const chunks: string[] = [];
  const p = new MarkerParser(N, (c) => chunks.push(c));
  let done = false;
  for (let i = 0; i < text.length; i += size) done = p.feed(text.slice(i, i + size)) || done;
  return { p, chunks, done };
}

describe('command markers', () => {
  it('finds the output and exit status whatever size the pieces come in, and streams the output in order', () => {
    const out = 'first line\nsecond\n\nlast without newline';
    const text = reply(out, 7, `printf '\\n%s%s\\n' EFS_ ${N}; sh -c ...`);
    for (const size of [1, 2, 3, 7, 64, text.length]) {
      const { p, chunks, done } = feedInPieces(text, size);
      expect(done, `pieces of ${size}`).toBe(true);
      expect(p.code).toBe(7);
      expect(p.output).toBe(out);
      expect(chunks.join('')).toBe(out);
      expect(p.rest).toBe('ef-0123$ ');
    }
  });

  it('ignores markers with another nonce and the echoed command line, which has the marker split in two', () => {
    const other = 'fedcba9876543210';
    const text = `EFS_${other}\r\nold output\r\nEFE_${other}:0\r\n` + reply('new', 0, `printf '\\n%s%s\\n' EFS_ ${N}`);
    const { p } = feedInPieces(text, 5);
    expect(p.output).toBe('new');
    expect(p.code).toBe(0);
  });

  it('keeps a lone CR and CR CR LF as the command wrote them, and output that merely looks like a marker', () => {
    const out = `progress 10%\rprogress 100%\r\nEFE_${N}x:1\nEFE_ not it\n`;
    const { p } = feedInPieces(reply(out.replace(/\r\n/g, '\n'), 0), 4);
    expect(p.output).toBe(`progress 10%\rprogress 100%\nEFE_${N}x:1\nEFE_ not it\n`);
  });

  it('reads a probe answer with its words', () => {
    expect(probeAnswer(`junk EFP_${N}:abc:0:root\r\n`, N)).toEqual(['abc', '0', 'root']);
    expect(probeAnswer(`EFP_${N}\n`, N)).toEqual([]);
    expect(probeAnswer(`printf '%s%s\\n' EFP_ ${N}\r\n`, N)).toBeUndefined();
  });

  it('types text that a real sh runs: markers, status, stdin bytes, and a probe with words', () => {
    const stdin = Buffer.from([0, 1, 2, 10, 13, 255, 39, 34]);
    const typed = wrapCommand(`od -An -tx1 | tr -s ' \\n' ' '; echo "it's"; exit 5`, { nonce: N, stdin });
    const out = execFileSync('sh', { input: typed, encoding: 'utf8' });
    const p = new MarkerParser(N);
    expect(p.feed(out)).toBe(true);
    expect(p.code).toBe(5);
    expect(p.output).toBe(" 00 01 02 0a 0d ff 27 22 it's\n");
    const probe = execFileSync('sh', { input: probeCommand(N, ['"$((6*7))"', 'x']), encoding: 'utf8' });
    expect(probeAnswer(probe, N)).toEqual(['42', 'x']);
  });
});
