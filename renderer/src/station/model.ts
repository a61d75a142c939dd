/**
 * What the station views share about flash runs and boxes: the step order,
 * state colours, and the small address arithmetic the bench needs
 * (bench port n = address n).
 */
import type { FlashBox, FlashBoxState, FlashRun, FlashStep, FlashTarget } from '../../../main/api/contract';

/** The contract's FLASH_STEPS (the renderer imports only types from it). */
export const STEPS = ['connect', 'probe', 'upload', 'verify', 'install', 'activate', 'join', 'ready'] as const satisfies readonly FlashStep[];

export const BOX_STATES = [
  'running',
  'waiting',
  'queued',
  'succeeded',
  'failed',
  'interrupted',
  'cancelled',
  'skipped',
] as const satisfies readonly FlashBoxState[];

export type StepState = FlashBox['steps'][number]['state'];

/** Colours by meaning; antd tokens where there is one, so the dark theme follows. */
export interface Palette {
  pending: string;
  running: string;
  done: string;
  failed: string;
  waiting: string;
  interrupted: string;
  muted: string;
}

export function boxStateColor(state: FlashBoxState, p: Palette): string {
  switch (state) {
    case 'running':
      return p.running;
    case 'succeeded':
      return p.done;
    case 'failed':
      return p.failed;
    case 'waiting':
      return p.waiting;
    case 'interrupted':
      return p.interrupted;
    case 'queued':
      return p.pending;
    case 'cancelled':
    case 'skipped':
      return p.muted;
  }
}

/** antd Tag colours for a box state. */
export const BOX_TAG: Record<FlashBoxState, string> = {
  queued: 'default',
  running: 'processing',
  waiting: 'gold',
  succeeded: 'success',
  failed: 'error',
  skipped: 'default',
  cancelled: 'default',
  interrupted: 'orange',
};

export const canRetry = (s: FlashBoxState) => s === 'failed' || s === 'cancelled' || s === 'skipped' || s === 'interrupted';
export const canSkip = (s: FlashBoxState) => s === 'queued' || s === 'waiting' || s === 'failed' || s === 'interrupted';
export const canCancel = (s: FlashBoxState) => s === 'queued' || s === 'running' || s === 'waiting';
export const isActive = (s: FlashBoxState) => s === 'queued' || s === 'running' || s === 'waiting';

/**
 * The run as its boxes say it is now: counts, total, and finished once no
 * box is queued, running or waiting (the time of the last box update, as
 * the station records it). Box events arrive far more often than run
 * events, so the grid and the runs list count from the boxes.
 */
export function recount(run: FlashRun, boxes: FlashBox[]): FlashRun {
  const counts = Object.fromEntries(BOX_STATES.map((s) => [s, 0])) as Record<FlashBoxState, number>;
  for (const b of boxes) counts[b.state]++;
  const active = boxes.some((b) => isActive(b.state));
  const last = boxes.reduce<string | null>((m, b) => (m === null || b.updatedAt > m ? b.updatedAt : m), null);
  const finishedAt = active || boxes.length === 0 ? null : (run.finishedAt ?? last);
  return { ...run, counts, total: boxes.length, finishedAt };
}

export function countOf(run: FlashRun, state: FlashBoxState): number {
  return run.counts[state] ?? 0;
}

/** "192.168.1.20:22", "/dev/ttyUSB0 → 10.0.0.5", as a technician reads a target. */
export function targetText(target: FlashTarget): string {
  if (target.transport === 'ssh') return target.port === 22 ? target.host : `${target.host}:${target.port}`;
  return target.bootstrap ? `${target.path} → ${target.bootstrap.address.replace(/\/\d+$/, '')}` : target.path;
}

/** Where the station speaks SSH to the box (for its host key), if it does. */
export function sshEndpoint(target: FlashTarget): { host: string; port: number } | null {
  if (target.transport === 'ssh') return { host: target.host, port: target.port };
  if (target.bootstrap) return { host: target.bootstrap.address.replace(/\/\d+$/, ''), port: target.bootstrap.sshPort };
  return null;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

export function isIpv4(s: string): boolean {
  return IPV4.test(s.trim());
}

export function ipv4ToNumber(s: string): number | null {
  const v = s.trim();
  if (!IPV4.test(v)) return null;
  return v.split('.').reduce((a, b) => a * 256 + Number(b), 0);
}

export function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** The address `offset` places after `first`, or null when `first` is not an IPv4 address or the result leaves the address space. */
export function nthAddress(first: string, offset: number): string | null {
  const base = ipv4ToNumber(first);
  if (base === null) return null;
  const n = base + offset;
  return n >= 0 && n <= 0xffffffff ? numberToIpv4(n) : null;
}

/** "10.0.0.5/24" shifted by `offset`: "10.0.0.7/24". */
export function nthCidr(first: string, offset: number): string | null {
  const m = /^(.+)\/(\d{1,2})$/.exec(first.trim());
  if (!m || Number(m[2]) > 32) return null;
  const a = nthAddress(m[1]!, offset);
  return a ? `${a}/${m[2]}` : null;
}

/** "10.0.0.5", "10.0.0.5:2222" → host and port; null when it is not an address. */
export function parseAddress(s: string): { host: string; port: number } | null {
  const m = /^\s*([0-9.]+)(?::(\d{1,5}))?\s*$/.exec(s);
  if (!m || !isIpv4(m[1]!)) return null;
  const port = m[2] ? Number(m[2]) : 22;
  return port >= 1 && port <= 65535 ? { host: m[1]!, port } : null;
}

const FINGERPRINT = /SHA256:[A-Za-z0-9+/]{43}/g;

/**
 * The fingerprints a changed-host-key message names: the one on record
 * first, the one the box presents now second (main/provision/ssh.ts words it
 * "it was <old> …, it is now <new>").
 */
export function fingerprintsIn(text: string): { old: string | null; now: string | null } {
  const all = text.match(FINGERPRINT) ?? [];
  return { old: all.length > 1 ? all[0]! : null, now: all.length > 0 ? all[all.length - 1]! : null };
}

export const FINGERPRINT_RULE = /^SHA256:[A-Za-z0-9+/]{43}$/;

export function shortFingerprint(fp: string): string {
  return fp.length > 22 ? `${fp.slice(0, 19)}…${fp.slice(-4)}` : fp;
}

/** Seconds between two ISO times, or up to now while the second is missing. */
export function secondsBetween(from: string | null, to: string | null): number | null {
  if (!from) return null;
  const end = to ? Date.parse(to) : Date.now();
  return Math.max(0, (end - Date.parse(from)) / 1000);
}
