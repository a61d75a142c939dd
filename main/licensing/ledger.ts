/**
 * The seat ledger: per batch, seats 1..N and who holds them.
 *
 *   available ─reserve→ reserved ─spend→ spent
 *                          └─release (a step failed, the reservation timed
 *                            out, or its process died)→ released (free again)
 *   available → delegated (to another station) → available (returned)
 *
 * Exactly once: every transition is one SQLite IMMEDIATE transaction that
 * checks the state it leaves, so concurrent processes (50 factory scripts at
 * once) serialise on the write lock; a certificate is signed only for a seat
 * reserved for that box and becomes valid only when the spend commits. A
 * process killed between reserve and spend leaves a reservation whose holder
 * is dead; the next start (of any EdgeForge process) releases it. A spent
 * seat stays bound to its box: the box asking again gets the same seat.
 *
 * Every transition appends to licensing_events in the same transaction; the
 * events form a hash chain (sha256 of the previous hash and the event), and
 * triggers refuse UPDATE and DELETE on them. verify() recomputes the chain and
 * replays the events into seat states, which must equal the seats table.
 */
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import { AppError } from '../api/errors';
import type { Db, Migration } from '../store';

export const ledgerMigration: Migration = {
  version: 2,
  name: 'seat ledger, event chain, delegations',
  up: (db) =>
    db.exec(`
      CREATE TABLE licensing_batches (
        id TEXT PRIMARY KEY,
        origin TEXT NOT NULL CHECK (origin IN ('own','delegated')),
        label TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        serial_prefix TEXT NOT NULL,
        serial_digits INTEGER NOT NULL,
        issuer_hex TEXT NOT NULL,
        license TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE licensing_seats (
        batch_id TEXT NOT NULL REFERENCES licensing_batches(id),
        seat INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('available','reserved','spent','released','delegated','returned')),
        fingerprint TEXT,
        machine_id TEXT,
        reservation TEXT,
        holder TEXT,
        expires_at INTEGER,
        certificate TEXT,
        signature BLOB,
        delegation TEXT,
        flags TEXT NOT NULL DEFAULT '',
        activations INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT,
        PRIMARY KEY (batch_id, seat)
      );
      CREATE INDEX licensing_seats_state ON licensing_seats(batch_id, state, seat);
      CREATE INDEX licensing_seats_machine ON licensing_seats(batch_id, machine_id);
      CREATE TABLE licensing_seat_components (
        batch_id TEXT NOT NULL,
        component TEXT NOT NULL,
        seat INTEGER NOT NULL,
        PRIMARY KEY (batch_id, component, seat)
      );
      CREATE TABLE licensing_events (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        batch_id TEXT NOT NULL,
        seat INTEGER,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX licensing_events_batch ON licensing_events(batch_id, seq);
      CREATE TRIGGER licensing_events_no_update BEFORE UPDATE ON licensing_events BEGIN SELECT RAISE(ABORT, 'the activation log is append-only'); END;
      CREATE TRIGGER licensing_events_no_delete BEFORE DELETE ON licensing_events BEGIN SELECT RAISE(ABORT, 'the activation log is append-only'); END;
      CREATE TABLE licensing_delegations (
        id TEXT PRIMARY KEY,
        direction TEXT NOT NULL CHECK (direction IN ('sent','received')),
        batch_id TEXT NOT NULL REFERENCES licensing_batches(id),
        first_seat INTEGER NOT NULL,
        last_seat INTEGER NOT NULL,
        delegate_hex TEXT NOT NULL,
        text TEXT NOT NULL,
        signature BLOB NOT NULL,
        created_at TEXT NOT NULL,
        returned_at TEXT
      );
    `),
};

export type SeatState = 'available' | 'reserved' | 'spent' | 'released' | 'delegated' | 'returned';

const STATE_ZH: Record<SeatState, string> = { available: '空闲', reserved: '预留', spent: '已用', released: '已释放', delegated: '已委派', returned: '已归还' };

export const LedgerErrors = {
  LEDGER_UNKNOWN_BATCH: 'LEDGER_UNKNOWN_BATCH',
  LEDGER_NO_SEAT: 'LEDGER_NO_SEAT',
  LEDGER_CLONE_SUSPECTED: 'LEDGER_CLONE_SUSPECTED',
  LEDGER_BUSY: 'LEDGER_BUSY',
  LEDGER_RESERVATION_LOST: 'LEDGER_RESERVATION_LOST',
  LEDGER_RANGE: 'LEDGER_RANGE',
} as const;

export interface LedgerBatch {
  id: string;
  origin: 'own' | 'delegated';
  label: string;
  quantity: number;
  serialPrefix: string;
  serialDigits: number;
  issuerHex: string;
  license: string;
  createdAt: string;
}

export interface BoxIdentity {
  fingerprint: string[];
  machineId: string | null;
}

export interface Reservation {
  batchId: string;
  seat: number;
  token: string;
  /** The box already held this seat: a reactivation. */
  reactivation: boolean;
  /** Activated as a new box although its disk looks cloned from seat `cloneOf`. */
  cloneOf: number | null;
  identity: BoxIdentity;
}

export interface SeatCounts {
  total: number;
  available: number;
  reserved: number;
  spent: number;
  delegated: number;
  returned: number;
}

export interface SeatRow {
  seat: number;
  serial: string;
  state: SeatState;
  fingerprintId: string | null;
  flags: string[];
  activations: number;
  updatedAt: string | null;
  certificate: string | null;
  signature: Buffer | null;
  delegation: string | null;
}

export interface LedgerEvent {
  seq: number;
  at: string;
  batchId: string;
  seat: number | null;
  kind: string;
  detail: Record<string, unknown>;
  hash: string;
}

export interface LedgerVerdict {
  ok: boolean;
  events: number;
  seats: number;
  problems: { en: string; zh: string }[];
}

const GENESIS = '0'.repeat(64);
/** A reservation not spent in this time is released (a flash job renews it while it works). */
export const RESERVATION_TTL_MS = 30 * 60 * 1000;

export const serialOf = (prefix: string, digits: number, seat: number) => `${prefix}${String(seat).padStart(digits, '0')}`;

/** k of n: at least half of a recorded fingerprint's components (docs/activation.md §1). */
export const needed = (n: number) => Math.ceil(n / 2);

/** A short, stable id of a fingerprint (for labels and the report). */
export function fingerprintId(prefixes: string[]): string {
  return createHash('sha256')
    .update([...prefixes].sort().join(','))
    .digest('hex')
    .slice(0, 12);
}

function hashEvent(prev: string, e: Omit<LedgerEvent, 'hash'>): string {
  return createHash('sha256')
    .update(prev + '\n' + JSON.stringify([e.seq, e.at, e.batchId, e.seat, e.kind, e.detail]))
    .digest('hex');
}

/** Who holds a reservation: this machine and process. */
export const thisHolder = () => `${os.hostname()}:${process.pid}`;

function holderDead(holder: string): boolean {
  const at = holder.lastIndexOf(':');
  if (holder.slice(0, at) !== os.hostname()) return false; // another machine's process: leave it to the timeout
  const pid = Number(holder.slice(at + 1));
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/** A licensing_events row. */
interface EventDb {
  seq: number;
  at: string;
  batch_id: string;
  seat: number | null;
  kind: string;
  detail: string;
  prev: string;
  hash: string;
}

interface SeatDb {
  batch_id: string;
  seat: number;
  state: SeatState;
  fingerprint: string | null;
  machine_id: string | null;
  reservation: string | null;
  holder: string | null;
  expires_at: number | null;
  certificate: string | null;
  signature: Buffer | null;
  delegation: string | null;
  flags: string;
  activations: number;
  updated_at: string | null;
}

export class SeatLedger {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  // -- events ---------------------------------------------------------------

  /** Appends one event to the chain (inside the caller's transaction). */
  private log(batchId: string, seat: number | null, kind: string, detail: Record<string, unknown> = {}): void {
    const last = this.db.prepare('SELECT seq, hash FROM licensing_events ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    const e = { seq: (last?.seq ?? 0) + 1, at: this.now().toISOString(), batchId, seat, kind, detail };
    const hash = hashEvent(last?.hash ?? GENESIS, e);
    this.db
      .prepare('INSERT INTO licensing_events (seq, at, batch_id, seat, kind, detail, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(e.seq, e.at, batchId, seat, kind, JSON.stringify(detail), last?.hash ?? GENESIS, hash);
  }

  events(batchId?: string, limit = 500, beforeSeq?: number): LedgerEvent[] {
    const rows = this.db
      .prepare(`SELECT * FROM licensing_events WHERE (? IS NULL OR batch_id = ?) AND (? IS NULL OR seq < ?) ORDER BY seq DESC LIMIT ?`)
      .all(batchId ?? null, batchId ?? null, beforeSeq ?? null, beforeSeq ?? null, limit) as EventDb[];
    return rows.map((r) => ({
      seq: r.seq,
      at: r.at,
      batchId: r.batch_id,
      seat: r.seat,
      kind: r.kind,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
      hash: r.hash,
    }));
  }

  /** Recomputes the hash chain and replays it into seat states. */
  verify(): LedgerVerdict {
    const problems: { en: string; zh: string }[] = [];
    const replay = new Map<string, SeatState>();
    const key = (b: string, s: number) => `${b}#${s}`;
    let prev = GENESIS;
    let count = 0;
    const setRange = (b: string, first: number, last: number, state: SeatState) => {
      for (let s = first; s <= last; s++) replay.set(key(b, s), state);
    };
    for (const r of this.db.prepare('SELECT * FROM licensing_events ORDER BY seq').iterate() as Iterable<EventDb>) {
      count++;
      const detail = JSON.parse(r.detail) as Record<string, unknown>;
      if (r.seq !== count)
        problems.push({ en: `event ${r.seq}: expected sequence number ${count} (an event is missing)`, zh: `事件 ${r.seq}：应为序号 ${count}（缺少事件）` });
      if (r.prev !== prev)
        problems.push({ en: `event ${r.seq}: its previous hash does not match event ${r.seq - 1}`, zh: `事件 ${r.seq}：其前一哈希与事件 ${r.seq - 1} 不符` });
      const h = hashEvent(r.prev, { seq: r.seq, at: r.at, batchId: r.batch_id, seat: r.seat, kind: r.kind, detail });
      if (h !== r.hash)
        problems.push({
          en: `event ${r.seq} (${r.kind}${r.seat ? ` seat ${r.seat}` : ''}): its content does not match its hash (changed)`,
          zh: `事件 ${r.seq}（${r.kind}${r.seat ? ` 席位 ${r.seat}` : ''}）：内容与其哈希不符（已被修改）`,
        });
      prev = r.hash;
      const b = r.batch_id;
      switch (r.kind) {
        case 'registered':
        case 'grant-imported':
          setRange(b, detail.first as number, detail.last as number, 'available');
          break;
        case 'reserved':
          replay.set(key(b, r.seat!), 'reserved');
          break;
        case 'spent':
        case 'reactivated':
        case 'spent-by-delegate':
          replay.set(key(b, r.seat!), 'spent');
          break;
        case 'released':
          replay.set(key(b, r.seat!), 'released');
          break;
        case 'delegated':
          setRange(b, detail.first as number, detail.last as number, 'delegated');
          break;
        case 'returned-to-issuer':
          for (const s of detail.seats as number[]) replay.set(key(b, s), 'available');
          break;
        case 'grant-returned':
          for (const s of detail.seats as number[]) replay.set(key(b, s), 'returned');
          break;
        default:
          break;
      }
    }
    let seats = 0;
    for (const s of this.db.prepare('SELECT batch_id, seat, state FROM licensing_seats').iterate() as Iterable<{
      batch_id: string;
      seat: number;
      state: SeatState;
    }>) {
      seats++;
      const want = replay.get(key(s.batch_id, s.seat));
      if (want !== s.state)
        problems.push({
          en: `batch ${s.batch_id} seat ${s.seat}: the ledger says ${s.state}, its events say ${want ?? 'nothing'}`,
          zh: `批次 ${s.batch_id} 席位 ${s.seat}：账本记为 ${STATE_ZH[s.state]}，事件记为 ${want ? STATE_ZH[want] : '无'}`,
        });
      replay.delete(key(s.batch_id, s.seat));
    }
    for (const k of replay.keys())
      problems.push({ en: `${k.replace('#', ' seat ')}: in the events but not in the ledger`, zh: `${k.replace('#', ' 席位 ')}：在事件中存在，但账本中没有` });
    return { ok: problems.length === 0, events: count, seats, problems };
  }

  // -- batches ----------------------------------------------------------------

  /** Records a batch and its seats (first..last); nothing when it is known already. */
  register(
    b: Omit<LedgerBatch, 'createdAt'>,
    first = 1,
    last = b.quantity,
    grant?: { id: string; delegateHex: string; text: string; signature: Buffer },
  ): void {
    this.db
      .transaction(() => {
        const known = this.db.prepare('SELECT 1 FROM licensing_batches WHERE id = ?').get(b.id);
        if (!known)
          this.db
            .prepare(
              'INSERT INTO licensing_batches (id, origin, label, quantity, serial_prefix, serial_digits, issuer_hex, license, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
            )
            .run(b.id, b.origin, b.label, b.quantity, b.serialPrefix, b.serialDigits, b.issuerHex, b.license, this.now().toISOString());
        else if (!grant) return;
        const insert = this.db.prepare(
          "INSERT OR REPLACE INTO licensing_seats (batch_id, seat, state, delegation, updated_at) VALUES (?, ?, 'available', ?, ?)",
        );
        const at = this.now().toISOString();
        for (let s = first; s <= last; s++) insert.run(b.id, s, grant?.id ?? null, at);
        if (grant) {
          this.db
            .prepare(
              "INSERT INTO licensing_delegations (id, direction, batch_id, first_seat, last_seat, delegate_hex, text, signature, created_at) VALUES (?, 'received', ?, ?, ?, ?, ?, ?, ?)",
            )
            .run(grant.id, b.id, first, last, grant.delegateHex, grant.text, grant.signature, at);
          this.log(b.id, null, 'grant-imported', { first, last, delegation: grant.id });
        } else this.log(b.id, null, 'registered', { first, last, origin: b.origin });
      })
      .immediate();
  }

  has(batchId: string): boolean {
    return this.db.prepare('SELECT 1 FROM licensing_batches WHERE id = ?').get(batchId) !== undefined;
  }

  batch(batchId: string): LedgerBatch {
    const r = this.db.prepare('SELECT * FROM licensing_batches WHERE id = ?').get(batchId) as
      | {
          id: string;
          origin: 'own' | 'delegated';
          label: string;
          quantity: number;
          serial_prefix: string;
          serial_digits: number;
          issuer_hex: string;
          license: string;
          created_at: string;
        }
      | undefined;
    if (!r)
      throw new AppError(
        LedgerErrors.LEDGER_UNKNOWN_BATCH,
        {
          en: `This station knows no batch ${batchId}: it was made by another station that has not delegated seats of it here.`,
          zh: `本工作站不认识批次 ${batchId}：它由其他工作站创建，且未向本工作站委派席位。`,
        },
        { field: ['batch'] },
      );
    return {
      id: r.id,
      origin: r.origin,
      label: r.label,
      quantity: r.quantity,
      serialPrefix: r.serial_prefix,
      serialDigits: r.serial_digits,
      issuerHex: r.issuer_hex,
      license: r.license,
      createdAt: r.created_at,
    };
  }

  batches(): LedgerBatch[] {
    return (this.db.prepare('SELECT id FROM licensing_batches ORDER BY created_at DESC').all() as { id: string }[]).map((r) => this.batch(r.id));
  }

  counts(batchId: string): SeatCounts {
    const c: SeatCounts = { total: 0, available: 0, reserved: 0, spent: 0, delegated: 0, returned: 0 };
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM licensing_seats WHERE batch_id = ? GROUP BY state').all(batchId) as {
      state: SeatState;
      n: number;
    }[]) {
      c.total += r.n;
      if (r.state === 'released') c.available += r.n;
      else c[r.state] += r.n;
    }
    return c;
  }

  /** How many seats are in a state ('free': available or released; none: all). */
  count(batchId: string, state?: SeatState | 'free'): number {
    const states = state === 'free' ? ['available', 'released'] : state ? [state] : null;
    const r = this.db
      .prepare(`SELECT COUNT(*) AS n FROM licensing_seats WHERE batch_id = ? ${states ? `AND state IN (${states.map(() => '?').join(',')})` : ''}`)
      .get(batchId, ...(states ?? [])) as { n: number };
    return r.n;
  }

  seats(batchId: string, opts: { state?: SeatState | 'free'; offset?: number; limit?: number } = {}): SeatRow[] {
    const b = this.batch(batchId);
    const states = opts.state === 'free' ? ['available', 'released'] : opts.state ? [opts.state] : null;
    const rows = this.db
      .prepare(
        `SELECT * FROM licensing_seats WHERE batch_id = ? ${states ? `AND state IN (${states.map(() => '?').join(',')})` : ''} ORDER BY seat LIMIT ? OFFSET ?`,
      )
      .all(batchId, ...(states ?? []), opts.limit ?? 1000, opts.offset ?? 0) as SeatDb[];
    return rows.map((r) => this.toSeat(b, r));
  }

  seat(batchId: string, seat: number): SeatRow | null {
    const r = this.db.prepare('SELECT * FROM licensing_seats WHERE batch_id = ? AND seat = ?').get(batchId, seat) as SeatDb | undefined;
    return r ? this.toSeat(this.batch(batchId), r) : null;
  }

  private toSeat(b: LedgerBatch, r: SeatDb): SeatRow {
    return {
      seat: r.seat,
      serial: serialOf(b.serialPrefix, b.serialDigits, r.seat),
      state: r.state,
      fingerprintId: r.fingerprint ? fingerprintId(r.fingerprint.split(',')) : null,
      flags: r.flags ? r.flags.split(',') : [],
      activations: r.activations,
      updatedAt: r.updated_at,
      certificate: r.certificate,
      signature: r.signature,
      delegation: r.delegation,
    };
  }

  // -- reservations -----------------------------------------------------------

  /** Releases reservations that timed out or whose process died. Returns how many. */
  recover(): number {
    const stale = (
      this.db.prepare("SELECT batch_id, seat, holder, expires_at, reservation FROM licensing_seats WHERE state = 'reserved'").all() as SeatDb[]
    ).filter((r) => (r.expires_at ?? 0) < this.now().getTime() || (r.holder !== null && holderDead(r.holder)));
    let n = 0;
    for (const r of stale) {
      const reason = (r.expires_at ?? 0) < this.now().getTime() ? 'timed out' : `its process ${r.holder} ended`;
      this.db
        .transaction(() => {
          n += this.releaseRow(r.batch_id, r.seat, r.reservation!, reason);
        })
        .immediate();
    }
    return n;
  }

  private releaseRow(batchId: string, seat: number, token: string, reason: string): number {
    const before = this.db.prepare('SELECT activations FROM licensing_seats WHERE batch_id = ? AND seat = ?').get(batchId, seat) as
      { activations: number } | undefined;
    // A reactivation's reservation goes back to spent (the box keeps its seat); a new box's seat is freed.
    const reactivation = (before?.activations ?? 0) > 0;
    const res = this.db
      .prepare(
        `UPDATE licensing_seats SET state = ?, reservation = NULL, holder = NULL, expires_at = NULL, updated_at = ?
           ${reactivation ? '' : ', fingerprint = NULL, machine_id = NULL'}
         WHERE batch_id = ? AND seat = ? AND state = 'reserved' AND reservation = ?`,
      )
      .run(reactivation ? 'spent' : 'released', this.now().toISOString(), batchId, seat, token);
    if (res.changes !== 1) return 0;
    if (!reactivation) this.db.prepare('DELETE FROM licensing_seat_components WHERE batch_id = ? AND seat = ?').run(batchId, seat);
    this.log(batchId, seat, reactivation ? 'reactivated' : 'released', { reason, ...(reactivation ? { cancelled: true } : {}) });
    return 1;
  }

  /**
   * Holds a seat for a box: its own seat again when k of n of its components
   * match a box that has one; otherwise the lowest free seat. A disk cloned
   * from a box of this batch (same machine-id, other hardware) is refused
   * unless `allowClone`, and then takes a new seat.
   */
  reserve(batchId: string, identity: BoxIdentity, opts: { holder?: string; allowClone?: boolean; ttlMs?: number } = {}): Reservation {
    const b = this.batch(batchId);
    let refusal: AppError | null = null;
    const out = this.db
      .transaction((): Reservation | null => {
        const now = this.now();
        const token = randomBytes(12).toString('hex');
        const holder = opts.holder ?? thisHolder();
        const expires = now.getTime() + (opts.ttlMs ?? RESERVATION_TTL_MS);
        const same = this.match(batchId, identity.fingerprint);
        if (same) {
          if (same.state === 'reserved') {
            refusal = new AppError(LedgerErrors.LEDGER_BUSY, {
              en: `This box is being activated right now (seat ${same.seat}, by ${same.holder}). Wait for that to finish.`,
              zh: `该设备正在激活中（席位 ${same.seat}，由 ${same.holder} 处理）。请等待其完成。`,
            });
            return null;
          }
          // A reactivation: same seat, the box's components as they are now.
          this.db
            .prepare(
              "UPDATE licensing_seats SET state = 'reserved', reservation = ?, holder = ?, expires_at = ?, updated_at = ? WHERE batch_id = ? AND seat = ?",
            )
            .run(token, holder, expires, now.toISOString(), batchId, same.seat);
          this.log(batchId, same.seat, 'reserved', { fingerprint: fingerprintId(identity.fingerprint), reactivation: true });
          return { batchId, seat: same.seat, token, reactivation: true, cloneOf: null, identity };
        }
        let cloneOf: number | null = null;
        if (identity.machineId) {
          const twin = this.db
            .prepare("SELECT seat FROM licensing_seats WHERE batch_id = ? AND machine_id = ? AND state IN ('spent','reserved') ORDER BY seat LIMIT 1")
            .get(batchId, identity.machineId) as { seat: number } | undefined;
          if (twin) {
            cloneOf = twin.seat;
            if (!opts.allowClone) {
              this.log(batchId, twin.seat, 'clone-refused', { fingerprint: fingerprintId(identity.fingerprint), machineId: identity.machineId });
              refusal = new AppError(LedgerErrors.LEDGER_CLONE_SUSPECTED, {
                en: `This box's disk looks cloned from box ${serialOf(b.serialPrefix, b.serialDigits, twin.seat)} (seat ${twin.seat}): same machine-id, other hardware. It does not get that box's seat. Activate it as a new box only if that is intended: it spends a new seat and is flagged.`,
                zh: `该设备的磁盘似乎克隆自设备 ${serialOf(b.serialPrefix, b.serialDigits, twin.seat)}（席位 ${twin.seat}）：machine-id 相同而硬件不同。它不会获得该设备的席位。仅在确有需要时将其作为新设备激活：这将占用一个新席位并被标记。`,
              });
              return null;
            }
          }
        }
        const free = this.db
          .prepare("SELECT seat FROM licensing_seats WHERE batch_id = ? AND state IN ('available','released') ORDER BY seat LIMIT 1")
          .get(batchId) as { seat: number } | undefined;
        if (!free) {
          const c = this.counts(batchId);
          refusal = new AppError(LedgerErrors.LEDGER_NO_SEAT, {
            en: `Batch ${batchId} has no free seat: ${c.spent} spent, ${c.reserved} being activated, ${c.delegated} delegated to other stations${b.origin === 'delegated' ? ' (this station holds only its delegated range)' : ''}.`,
            zh: `批次 ${batchId} 没有空闲席位：已用 ${c.spent}，激活中 ${c.reserved}，委派给其他工作站 ${c.delegated}${b.origin === 'delegated' ? '（本工作站只持有被委派的范围）' : ''}。`,
          });
          return null;
        }
        this.db
          .prepare(
            "UPDATE licensing_seats SET state = 'reserved', reservation = ?, holder = ?, expires_at = ?, fingerprint = ?, machine_id = ?, flags = ?, updated_at = ? WHERE batch_id = ? AND seat = ?",
          )
          .run(token, holder, expires, identity.fingerprint.join(','), identity.machineId, cloneOf ? 'clone' : '', now.toISOString(), batchId, free.seat);
        const comp = this.db.prepare('INSERT OR IGNORE INTO licensing_seat_components (batch_id, component, seat) VALUES (?, ?, ?)');
        for (const f of identity.fingerprint) comp.run(batchId, f, free.seat);
        this.log(batchId, free.seat, 'reserved', { fingerprint: fingerprintId(identity.fingerprint), ...(cloneOf ? { cloneOf } : {}) });
        return { batchId, seat: free.seat, token, reactivation: false, cloneOf, identity };
      })
      .immediate();
    if (refusal) throw refusal;
    return out!;
  }

  /** The seat whose recorded box matches k of n of these components, if any. */
  private match(batchId: string, fingerprint: string[]): SeatDb | null {
    if (fingerprint.length === 0) return null;
    const candidates = this.db
      .prepare(
        `SELECT seat, COUNT(*) AS hits FROM licensing_seat_components WHERE batch_id = ? AND component IN (${fingerprint.map(() => '?').join(',')}) GROUP BY seat ORDER BY hits DESC, seat LIMIT 8`,
      )
      .all(batchId, ...fingerprint) as { seat: number; hits: number }[];
    for (const c of candidates) {
      const row = this.db.prepare('SELECT * FROM licensing_seats WHERE batch_id = ? AND seat = ?').get(batchId, c.seat) as SeatDb;
      if (row.state !== 'spent' && row.state !== 'reserved') continue;
      const n = (row.fingerprint ?? '').split(',').filter(Boolean).length;
      if (c.hits >= needed(n)) return row;
    }
    return null;
  }

  /** Makes a reservation final with the certificate issued for it. */
  spend(r: Reservation, certificate: string, signature: Buffer): void {
    this.db
      .transaction(() => {
        const now = this.now().toISOString();
        const res = this.db
          .prepare(
            `UPDATE licensing_seats SET state = 'spent', reservation = NULL, holder = NULL, expires_at = NULL, certificate = ?, signature = ?,
               fingerprint = ?, machine_id = ?, activations = activations + 1, updated_at = ?
             WHERE batch_id = ? AND seat = ? AND state = 'reserved' AND reservation = ?`,
          )
          .run(certificate, signature, r.identity.fingerprint.join(','), r.identity.machineId, now, r.batchId, r.seat, r.token);
        if (res.changes !== 1)
          throw new AppError(LedgerErrors.LEDGER_RESERVATION_LOST, {
            en: `The reservation of seat ${r.seat} ended before the activation finished (it timed out or was released). Nothing was spent; activate again.`,
            zh: `席位 ${r.seat} 的预留在激活完成前已结束（超时或被释放）。未占用席位；请重新激活。`,
          });
        if (r.reactivation) {
          this.db.prepare('DELETE FROM licensing_seat_components WHERE batch_id = ? AND seat = ?').run(r.batchId, r.seat);
          const comp = this.db.prepare('INSERT OR IGNORE INTO licensing_seat_components (batch_id, component, seat) VALUES (?, ?, ?)');
          for (const f of r.identity.fingerprint) comp.run(r.batchId, f, r.seat);
        }
        this.log(r.batchId, r.seat, r.reactivation ? 'reactivated' : 'spent', {
          fingerprint: fingerprintId(r.identity.fingerprint),
          certificate: createHash('sha256').update(certificate).digest('hex'),
          ...(r.cloneOf ? { cloneOf: r.cloneOf } : {}),
        });
      })
      .immediate();
  }

  /** Gives a reserved seat back (a step failed, or the user cancelled). */
  release(r: Reservation, reason: string): boolean {
    return this.db.transaction(() => this.releaseRow(r.batchId, r.seat, r.token, reason) === 1).immediate();
  }

  // -- delegation -------------------------------------------------------------

  /** Marks first..last delegated (all must be free). */
  delegateRange(batchId: string, first: number, last: number, d: { id: string; delegateHex: string; text: string; signature: Buffer }): void {
    this.db
      .transaction(() => {
        const b = this.batch(batchId);
        const range = this.db
          .prepare("SELECT COUNT(*) AS n FROM licensing_seats WHERE batch_id = ? AND seat BETWEEN ? AND ? AND state IN ('available','released')")
          .get(batchId, first, last) as { n: number };
        if (b.origin !== 'own' || first < 1 || last > b.quantity || first > last || range.n !== last - first + 1) {
          const busy = this.db
            .prepare(
              "SELECT seat, state FROM licensing_seats WHERE batch_id = ? AND seat BETWEEN ? AND ? AND state NOT IN ('available','released') ORDER BY seat LIMIT 1",
            )
            .get(batchId, first, last) as { seat: number; state: string } | undefined;
          throw new AppError(
            LedgerErrors.LEDGER_RANGE,
            {
              en:
                b.origin !== 'own'
                  ? 'Only the station that created a batch can delegate its seats.'
                  : busy
                    ? `Seat ${busy.seat} in ${first}-${last} is ${busy.state}: a delegated range must hold free seats only.`
                    : `The range must lie within 1-${b.quantity}, first ≤ last.`,
              zh:
                b.origin !== 'own'
                  ? '只有创建批次的工作站才能委派其席位。'
                  : busy
                    ? `范围 ${first}-${last} 中的席位 ${busy.seat} 状态为“${STATE_ZH[busy.state as SeatState]}”：委派范围只能包含空闲席位。`
                    : `范围必须在 1-${b.quantity} 之内，且起始 ≤ 结束。`,
            },
            { field: busy && busy.seat === first ? ['first'] : busy ? ['last'] : last > b.quantity ? ['last'] : ['first'] },
          );
        }
        this.db
          .prepare("UPDATE licensing_seats SET state = 'delegated', delegation = ?, updated_at = ? WHERE batch_id = ? AND seat BETWEEN ? AND ?")
          .run(d.id, this.now().toISOString(), batchId, first, last);
        this.db
          .prepare(
            "INSERT INTO licensing_delegations (id, direction, batch_id, first_seat, last_seat, delegate_hex, text, signature, created_at) VALUES (?, 'sent', ?, ?, ?, ?, ?, ?, ?)",
          )
          .run(d.id, batchId, first, last, d.delegateHex, d.text, d.signature, this.now().toISOString());
        this.log(batchId, null, 'delegated', { first, last, delegation: d.id, delegate: d.delegateHex });
      })
      .immediate();
  }

  delegations(direction?: 'sent' | 'received'): DelegationRow[] {
    const rows = this.db
      .prepare('SELECT * FROM licensing_delegations WHERE (? IS NULL OR direction = ?) ORDER BY created_at DESC')
      .all(direction ?? null, direction ?? null) as DelegationDb[];
    return rows.map((r) => this.toDelegation(r));
  }

  delegation(id: string): DelegationRow | null {
    const r = this.db.prepare('SELECT * FROM licensing_delegations WHERE id = ?').get(id) as DelegationDb | undefined;
    return r ? this.toDelegation(r) : null;
  }

  private toDelegation(r: DelegationDb): DelegationRow {
    const used = this.db
      .prepare("SELECT COUNT(*) AS n FROM licensing_seats WHERE batch_id = ? AND delegation = ? AND state = 'spent'")
      .get(r.batch_id, r.id) as { n: number };
    return {
      id: r.id,
      direction: r.direction,
      batchId: r.batch_id,
      first: r.first_seat,
      last: r.last_seat,
      delegateHex: r.delegate_hex,
      text: r.text,
      signature: r.signature,
      createdAt: r.created_at,
      returnedAt: r.returned_at,
      spent: used.n,
    };
  }

  /** Delegate side: gives the grant's unused seats back; lists the spent ones with their certificates. */
  returnGrant(id: string): { returned: number[]; spent: { seat: number; certificate: string; signature: Buffer }[] } {
    return this.db
      .transaction(() => {
        const g = this.delegation(id);
        if (!g || g.direction !== 'received' || g.returnedAt)
          throw new AppError(LedgerErrors.LEDGER_RANGE, {
            en: 'That delegation is not held here, or was returned already.',
            zh: '本工作站未持有该委派，或已归还。',
          });
        const busy = this.db
          .prepare("SELECT seat FROM licensing_seats WHERE batch_id = ? AND delegation = ? AND state = 'reserved' LIMIT 1")
          .get(g.batchId, id) as { seat: number } | undefined;
        if (busy)
          throw new AppError(LedgerErrors.LEDGER_BUSY, {
            en: `Seat ${busy.seat} is being activated right now; finish or cancel that first.`,
            zh: `席位 ${busy.seat} 正在激活中；请先完成或取消。`,
          });
        const free = (
          this.db
            .prepare("SELECT seat FROM licensing_seats WHERE batch_id = ? AND delegation = ? AND state IN ('available','released') ORDER BY seat")
            .all(g.batchId, id) as {
            seat: number;
          }[]
        ).map((r) => r.seat);
        const spent = this.db
          .prepare("SELECT seat, certificate, signature FROM licensing_seats WHERE batch_id = ? AND delegation = ? AND state = 'spent' ORDER BY seat")
          .all(g.batchId, id) as { seat: number; certificate: string; signature: Buffer }[];
        const now = this.now().toISOString();
        this.db
          .prepare("UPDATE licensing_seats SET state = 'returned', updated_at = ? WHERE batch_id = ? AND delegation = ? AND state IN ('available','released')")
          .run(now, g.batchId, id);
        this.db.prepare('UPDATE licensing_delegations SET returned_at = ? WHERE id = ?').run(now, id);
        this.log(g.batchId, null, 'grant-returned', { delegation: id, seats: free, spent: spent.map((s) => s.seat) });
        return { returned: free, spent };
      })
      .immediate();
  }

  /** Issuer side: takes back a delegation's unused seats and records the delegate's activations. */
  acceptReturn(
    id: string,
    returned: number[],
    spent: { seat: number; fingerprint: string[]; certificate: string; signature: Buffer }[],
  ): { freed: number; spent: number } {
    return this.db
      .transaction(() => {
        const d = this.delegation(id);
        if (!d || d.direction !== 'sent')
          throw new AppError(LedgerErrors.LEDGER_RANGE, { en: 'This station did not make that delegation.', zh: '该委派并非由本工作站创建。' });
        if (d.returnedAt) return { freed: 0, spent: 0 };
        const inRange = (s: number) => s >= d.first && s <= d.last;
        if (![...returned, ...spent.map((s) => s.seat)].every(inRange))
          throw new AppError(LedgerErrors.LEDGER_RANGE, {
            en: `The return names seats outside the delegated range ${d.first}-${d.last}.`,
            zh: `归还文件中的席位超出委派范围 ${d.first}-${d.last}。`,
          });
        const now = this.now().toISOString();
        const free = this.db.prepare(
          "UPDATE licensing_seats SET state = 'available', delegation = NULL, updated_at = ? WHERE batch_id = ? AND seat = ? AND state = 'delegated' AND delegation = ?",
        );
        const freedSeats = returned.filter((s) => free.run(now, d.batchId, s, id).changes === 1);
        const spend = this.db.prepare(
          "UPDATE licensing_seats SET state = 'spent', fingerprint = ?, certificate = ?, signature = ?, activations = 1, flags = 'delegate', updated_at = ? WHERE batch_id = ? AND seat = ? AND state = 'delegated' AND delegation = ?",
        );
        const comp = this.db.prepare('INSERT OR IGNORE INTO licensing_seat_components (batch_id, component, seat) VALUES (?, ?, ?)');
        let n = 0;
        for (const s of spent) {
          n += spend.run(s.fingerprint.join(','), s.certificate, s.signature, now, d.batchId, s.seat, id).changes;
          for (const f of s.fingerprint) comp.run(d.batchId, f, s.seat);
          this.log(d.batchId, s.seat, 'spent-by-delegate', { delegation: id, certificate: createHash('sha256').update(s.certificate).digest('hex') });
        }
        this.db.prepare('UPDATE licensing_delegations SET returned_at = ? WHERE id = ?').run(now, id);
        this.log(d.batchId, null, 'returned-to-issuer', { delegation: id, seats: freedSeats });
        // Seats the delegate neither returned nor spent stay delegated: they may be in use on the delegate.
        return { freed: freedSeats.length, spent: n };
      })
      .immediate();
  }
}

interface DelegationDb {
  id: string;
  direction: 'sent' | 'received';
  batch_id: string;
  first_seat: number;
  last_seat: number;
  delegate_hex: string;
  text: string;
  signature: Buffer;
  created_at: string;
  returned_at: string | null;
}

export interface DelegationRow {
  id: string;
  direction: 'sent' | 'received';
  batchId: string;
  first: number;
  last: number;
  delegateHex: string;
  text: string;
  signature: Buffer;
  createdAt: string;
  returnedAt: string | null;
  spent: number;
}
