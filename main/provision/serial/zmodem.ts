/**
 * The ZMODEM sender, for `rz` (lrzsz) running on the box's end of the line.
 *
 * Protocol: Chuck Forsberg, "The ZMODEM Inter Application File Transfer
 * Protocol" (Omen Technology, 1988), with lrzsz 0.12 as the de-facto
 * reference: the receiver opens with ZRINIT, the sender offers the file with
 * ZFILE, the receiver answers ZRPOS <offset> (non-zero when `rz --resume`
 * finds part of the file), then ZDATA carries the bytes in CRC-checked
 * subpackets, ZEOF ends the file, and ZFIN/"OO" the session (§7, §8).
 *
 * zmodem.js does the framing. Two things it does not do are done here:
 *   - it streams every subpacket unacknowledged (ZCRCG) and ignores a ZRPOS
 *     that comes mid-file, so a damaged packet would stall the transfer. A
 *     mid-file ZRPOS therefore fails the attempt at once; the caller starts a
 *     new `rz --resume` from the prefix it verifies on the box.
 *   - it escapes every control character (for browser terminals whose tty
 *     eats ^O and ^V). `rz` puts its own tty in raw mode, so on a serial line
 *     that costs a quarter of the throughput for nothing: by default only the
 *     ZMODEM set (ZDLE, XON/XOFF, DLE, CR after @, §7.3) is escaped, as lsz
 *     does. `escapeAll` turns the full escaping back on, for a retry over a
 *     line that may mangle control characters.
 */
import fs from 'node:fs';
import Zmodem, { type Detection, type Sentry, type SendSession } from 'zmodem.js';
import { cancelled } from './errors';

interface SessionInternals {
  _last_ZRINIT: unknown;
  _zencoder: { set_escape_ctrl_chars(on: boolean): void };
  /** The offset the next ZDATA header carries; zmodem.js starts it at 0 whatever ZRPOS said. */
  _file_offset: number;
  efEscapeAll?: boolean;
}

interface ZrinitHeader {
  get_buffer_size(): number;
  can_full_duplex(): boolean;
  can_overlap_io(): boolean;
  escape_8th_bit(): boolean;
  escape_ctrl_chars(): boolean;
}

// zmodem.js 0.1.10's own _consume_ZRINIT, less its forced control-character escaping (see above).
(Zmodem.Session.Send.prototype as { _consume_ZRINIT: (this: SessionInternals, hdr: ZrinitHeader) => void })._consume_ZRINIT = function (hdr) {
  this._last_ZRINIT = hdr;
  if (hdr.get_buffer_size()) throw new Error(`rz asks for a receive buffer of ${hdr.get_buffer_size()} bytes; only streaming is supported`);
  if (!hdr.can_full_duplex() || !hdr.can_overlap_io()) throw new Error('rz cannot receive full duplex with overlapped I/O');
  if (hdr.escape_8th_bit()) throw new Error('rz asks for 8th-bit escaping, which is not supported');
  this._zencoder.set_escape_ctrl_chars(Boolean(this.efEscapeAll) || hdr.escape_ctrl_chars());
};

/** The line as the sender sees it. */
export interface ZmodemWire {
  /** Queues bytes for the box; false when the caller should wait for drained(). */
  write(bytes: Buffer): boolean;
  drained(): Promise<void>;
  /** Bytes from the box that are not ZMODEM (rz's messages, then the shell again). */
  terminal(bytes: Buffer): void;
}

export interface ZmodemSendOptions {
  /** The name offered to rz: a plain file name in rz's working folder. */
  name: string;
  escapeAll?: boolean;
  /** Bytes of the file handed to the line so far (rz checks each subpacket's CRC as it arrives). */
  onProgress?: (done: number) => void;
  signal?: AbortSignal;
  /** Give up when neither side has moved for this long. */
  idleTimeoutMs?: number;
}

export interface ZmodemSendResult {
  /** Where rz asked to start: the length of the partial file it kept (rounded down to 1 KiB by lrzsz). */
  from: number;
  sent: number;
  /** rz refused the offer (ZSKIP). */
  skipped: boolean;
}

export class ZmodemSender {
  readonly done: Promise<ZmodemSendResult>;
  private resolve!: (r: ZmodemSendResult) => void;
  private reject!: (e: Error) => void;
  private readonly sentry: Sentry;
  private session: SendSession | null = null;
  private settled = false;
  private ended = false;
  private sending = false;
  private lastActivity = Date.now();
  private readonly watchdog: NodeJS.Timeout;
  private readonly onAbort = () => this.fail(cancelled());

  constructor(
    private readonly wire: ZmodemWire,
    private readonly file: { path: string; size: number; mtimeMs: number },
    private readonly o: ZmodemSendOptions,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // The caller may never await done if the attempt is abandoned early; an unobserved rejection must not crash the process.
    this.done.catch(() => undefined);
    this.sentry = new Zmodem.Sentry({
      to_terminal: (octets) => wire.terminal(Buffer.from(octets)),
      sender: (octets) => {
        wire.write(Buffer.from(octets));
      },
      on_detect: (d) => this.onDetect(d),
      on_retract: () => undefined,
    });
    const idle = o.idleTimeoutMs ?? 30_000;
    this.watchdog = setInterval(() => {
      if (Date.now() - this.lastActivity > idle) this.fail(new Error(`neither side moved for ${Math.round(idle / 1000)} s`));
    }, 1_000);
    if (o.signal?.aborted) this.fail(cancelled());
    o.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Every byte from the line goes through here while rz may be running. */
  consume(chunk: Buffer): void {
    this.lastActivity = Date.now();
    if (this.ended || this.settled) return this.wire.terminal(chunk);
    try {
      this.sentry.consume(chunk);
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Stops the transfer: rz gets the cancel sequence (five CAN), so it exits and the shell comes back. */
  fail(e: Error): void {
    if (this.settled) return;
    this.finish();
    if (this.session && !this.session.has_ended()) {
      try {
        this.session.abort();
      } catch {
        // Already aborted by the peer: nothing left to cancel.
      }
    }
    this.reject(e);
  }

  private finish(): void {
    this.settled = true;
    clearInterval(this.watchdog);
    this.o.signal?.removeEventListener('abort', this.onAbort);
  }

  private onDetect(d: Detection): void {
    if (this.session || d.get_session_role() !== 'send') return d.deny();
    const session = d.confirm() as SendSession;
    this.session = session;
    const internals = session as unknown as SessionInternals;
    if (this.o.escapeAll) {
      internals.efEscapeAll = true;
      internals._zencoder.set_escape_ctrl_chars(true);
    }
    session.on('receive', (h) => {
      this.lastActivity = Date.now();
      if (this.sending && h.NAME === 'ZRPOS') this.fail(new Error(`rz asked to resend from byte ${h.get_offset?.() ?? '?'} (a damaged packet)`));
    });
    session.on('session_end', () => (this.ended = true));
    this.run(session, internals).then(
      (r) => {
        if (this.settled) return;
        this.finish();
        this.resolve(r);
      },
      (e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))),
    );
  }

  private async run(session: SendSession, internals: SessionInternals): Promise<ZmodemSendResult> {
    const xfer = await session.send_offer({ name: this.o.name, size: this.file.size, mtime: Math.floor(this.file.mtimeMs / 1000), mode: 0o644 });
    if (!xfer) {
      await session.close();
      return { from: 0, sent: 0, skipped: true };
    }
    const from = xfer.get_offset();
    internals._file_offset = from;
    this.sending = true;
    let sent = 0;
    const stream = fs.createReadStream(this.file.path, { start: from, highWaterMark: 32 * 1024 });
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (this.settled) return { from, sent, skipped: false };
        xfer.send(chunk);
        sent += chunk.length;
        await this.wire.drained();
        this.lastActivity = Date.now();
        this.o.onProgress?.(from + sent);
      }
    } finally {
      stream.destroy();
    }
    this.sending = false;
    await xfer.end();
    await session.close();
    return { from, sent, skipped: false };
  }
}
