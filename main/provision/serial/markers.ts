/**
 * How a command travels over a serial console and how its result is found in
 * what comes back, whatever the prompt looks like and whether the line echoes.
 *
 * The command goes as base64 in a here-doc, so that no quoting, no line
 * length limit of the tty (4095 bytes in canonical mode) and no control
 * character can bend it; it runs in `sh -c`. Around it the shell prints a
 * start marker and an end marker carrying `$?`. Each marker is printed from
 * two printf arguments, so the echoed command line never contains it, and
 * carries a random nonce, so neither old output nor the command's own can
 * fake it.
 */
import { randomBytes } from 'node:crypto';

export function newNonce(): string {
  return randomBytes(8).toString('hex');
}

/** POSIX single-quoting. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** base64 in 76-column lines, the width base64(1) writes and every tty line discipline passes whole. */
export function base64Lines(data: Buffer | string): string {
  const b64 = Buffer.from(data).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.map((l) => `${l}\n`).join('');
}

/** Sets a shell variable to exact bytes (a password, a command) without quoting them on the line. */
export function assignBase64(variable: string, value: string, nonce: string): string {
  return `${variable}=$(base64 -d <<'EF_V_${nonce}'\n${base64Lines(value)}EF_V_${nonce}\n)\n`;
}

export interface WrapOptions {
  nonce: string;
  /** Bytes for the command's standard input; it gets /dev/null otherwise. */
  stdin?: Buffer;
  /** The command talks to the serial line itself (rz): its stdin stays the tty. */
  tty?: boolean;
  /** Run through sudo: with the password kept in $__ef_pw, or a NOPASSWD rule. */
  sudo?: 'password' | 'nopasswd' | null;
}

/** The text to type into the box's shell for one command. */
export function wrapCommand(command: string, o: WrapOptions): string {
  const n = o.nonce;
  const run = o.sudo === 'password' ? `sudo -k -S -p '' sh -c "$__ef_c"` : o.sudo === 'nopasswd' ? `sudo -n sh -c "$__ef_c"` : `sh -c "$__ef_c"`;
  const input = `base64 -d <<'EF_I_${n}'`;
  let body: string;
  if (o.tty) body = run;
  else if (o.sudo === 'password') body = o.stdin ? `{ printf '%s\\n' "$__ef_pw"; ${input}; } | ${run}` : `printf '%s\\n' "$__ef_pw" | ${run}`;
  else body = o.stdin ? `${input} | ${run}` : `${run} </dev/null`;
  let text = `__ef_c=$(base64 -d <<'EF_C_${n}'\n${base64Lines(command)}EF_C_${n}\n)\n`;
  text += `printf '\\n%s%s\\n' EFS_ ${n}; ${body}; printf '\\n%s%s:%s\\n' EFE_ ${n} "$?"\n`;
  if (o.stdin && !o.tty) text += `${base64Lines(o.stdin)}EF_I_${n}\n`;
  return text;
}

/**
 * A probe any shell answers (csh and fish too): prints EFP_<nonce>, then each
 * of the given shell words after a colon. The format is built to the word
 * count because printf repeats its format for surplus arguments.
 */
export function probeCommand(nonce: string, words: string[] = []): string {
  return `printf '%s%s${':%s'.repeat(words.length)}\\n' EFP_ ${nonce} ${words.join(' ')}\n`;
}

/** The probe's answer, split at the colons (the words), or undefined while it has not come. */
export function probeAnswer(text: string, nonce: string): string[] | undefined {
  const m = new RegExp(`EFP_${nonce}((?::[^\\r\\n]*)?)\\r?\\n`).exec(text);
  return m ? m[1]!.split(':').slice(1) : undefined;
}

/**
 * Finds one command's output between its markers in the text coming back,
 * fed as it arrives. Output is handed on as it comes, except for a tail that
 * could still turn out to be the end marker; CR LF (the tty's onlcr) becomes LF.
 */
export class MarkerParser {
  private phase: 'before' | 'body' | 'done' = 'before';
  private pending = '';
  private out: string[] = [];
  private readonly start: RegExp;
  private readonly end: RegExp;
  private readonly endPrefix: string;
  code: number | null = null;
  /** Text that followed the end marker (the prompt); not part of the output. */
  rest = '';

  constructor(
    readonly nonce: string,
    private readonly onChunk?: (latin1: string) => void,
  ) {
    this.start = new RegExp(`EFS_${nonce}\\r?\\n`);
    this.end = new RegExp(`\\r?\\nEFE_${nonce}:(\\d+)\\r?\\n`);
    this.endPrefix = `\nEFE_${nonce}:`;
  }

  get started(): boolean {
    return this.phase !== 'before';
  }

  get done(): boolean {
    return this.phase === 'done';
  }

  /** The command's output so far, as latin1 (one char per byte). */
  get output(): string {
    return this.out.join('');
  }

  /** Returns true once the end marker has been seen. */
  feed(text: string): boolean {
    if (this.phase === 'done') {
      this.rest += text;
      return true;
    }
    this.pending += text;
    if (this.phase === 'before') {
      const m = this.start.exec(this.pending);
      if (!m) {
        // Keep only what could be the start of a split marker.
        this.pending = this.pending.slice(-(this.nonce.length + 8));
        return false;
      }
      this.pending = this.pending.slice(m.index + m[0].length);
      this.phase = 'body';
    }
    const m = this.end.exec(this.pending);
    if (m) {
      this.emit(this.pending.slice(0, m.index));
      this.code = Number(m[1]);
      this.rest = this.pending.slice(m.index + m[0].length);
      this.pending = '';
      this.phase = 'done';
      return true;
    }
    const hold = this.holdFrom();
    this.emit(this.pending.slice(0, hold));
    this.pending = this.pending.slice(hold);
    return false;
  }

  /** Where the tail that might still become the end marker begins. */
  private holdFrom(): number {
    const p = this.pending;
    const nl = p.lastIndexOf('\n');
    if (nl >= 0) {
      const from = nl > 0 && p[nl - 1] === '\r' ? nl - 1 : nl;
      const tail = p.slice(nl);
      const couldBeEnd = this.endPrefix.startsWith(tail) || (tail.startsWith(this.endPrefix) && /^\d*\r?$/.test(tail.slice(this.endPrefix.length)));
      if (couldBeEnd) return from;
    }
    // A lone CR at the end may be the first half of CR LF.
    return p.endsWith('\r') ? p.length - 1 : p.length;
  }

  private emit(latin1: string): void {
    if (!latin1) return;
    const text = latin1.replace(/\r\n/g, '\n');
    this.out.push(text);
    this.onChunk?.(text);
  }
}
