/**
 * What one open console knows of its cluster: the objects of each watched
 * kind, keyed by uid, as clusters.watch last said, and each kind's
 * connection. It lives outside React Query's cache: a batch of changes
 * replaces only the objects it names, so an unchanged object keeps its
 * identity and the table rows that show it do not render again
 * (console/ObjectTable.tsx compares rows by identity).
 */
import { useCallback, useSyncExternalStore } from 'react';
import type { ClusterWatchEvent } from '../../../../main/api/contract';
import type { LocalizedText } from '../../../../main/api/errors';

export type KubeObject = Record<string, unknown>;
export type WatchKind = ClusterWatchEvent['kind'];
type WatchConnection = Extract<ClusterWatchEvent, { type: 'connection' }>['connection'];

export const WATCHED_KINDS: WatchKind[] = ['nodes', 'pods', 'deployments', 'daemonsets', 'statefulsets', 'jobs', 'cronjobs', 'events'];

interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
}

export const metaOf = (o: KubeObject): ObjectMeta => (o.metadata ?? { name: '' }) as ObjectMeta;
const nameKey = (namespace: string | null | undefined, name: string) => `${namespace ?? ''}/${name}`;
/** An object's key in its kind: its uid (ns/name for the rare object without one). */
export const uidOf = (o: KubeObject): string => {
  const m = metaOf(o);
  return m.uid ?? nameKey(m.namespace, m.name);
};

class KindObjects {
  private readonly byUid = new Map<string, KubeObject>();
  private readonly byName = new Map<string, string>();
  private cached: KubeObject[] = [];
  private dirty = false;
  /** Set by the kind's first snapshot: until then, "no objects" means "not known yet". */
  listed = false;

  /** Forgets every object: nothing is known of the kind any more. */
  clear(): void {
    this.byUid.clear();
    this.byName.clear();
    this.listed = false;
    this.dirty = true;
  }

  replace(items: KubeObject[]): void {
    this.byUid.clear();
    this.byName.clear();
    for (const o of items) this.put(o);
    this.listed = true;
    this.dirty = true;
  }

  change(upserts: KubeObject[], deletes: { namespace: string | null; name: string; uid: string | null }[]): void {
    for (const d of deletes) {
      const uid = d.uid ?? this.byName.get(nameKey(d.namespace, d.name));
      if (uid === undefined) continue;
      this.byUid.delete(uid);
      this.byName.delete(nameKey(d.namespace, d.name));
    }
    for (const o of upserts) this.put(o);
    this.dirty = true;
  }

  private put(o: KubeObject): void {
    const m = metaOf(o);
    const key = nameKey(m.namespace, m.name);
    // A recreated object (same name, new uid) replaces the old one.
    const old = this.byName.get(key);
    if (old !== undefined && old !== uidOf(o)) this.byUid.delete(old);
    this.byUid.set(uidOf(o), o);
    this.byName.set(key, uidOf(o));
  }

  /** Every object: the same array until something changes. */
  all(): KubeObject[] {
    if (this.dirty) {
      this.cached = [...this.byUid.values()];
      this.dirty = false;
    }
    return this.cached;
  }

  get(uid: string): KubeObject | undefined {
    return this.byUid.get(uid);
  }

  named(namespace: string | null | undefined, name: string): KubeObject | undefined {
    const uid = this.byName.get(nameKey(namespace, name));
    return uid === undefined ? undefined : this.byUid.get(uid);
  }
}

/** Why the console's stream ended for good: the credential was revoked, or the station forgot the cluster. */
export type ConsoleEnd = 'revoked' | 'forgotten';

/** The console's connection as one: the worst of the kinds', with the age of the oldest data shown. */
export interface ConsoleConnection {
  state: 'connecting' | 'online' | 'offline' | 'no-credential';
  /** When the server was last heard from: how old what is shown is. */
  lastSyncAt: string | null;
  problem: LocalizedText | null;
  /** Set when the stream ended for good (`problem` says why); nothing of the cluster is shown then. */
  ended: ConsoleEnd | null;
  /**
   * Online: when the last of the kinds came online. It changes when the watches start again (a kubeconfig replaced,
   * here or in another window; a reconnection), not on their bookmarks.
   */
  onlineSince?: string;
}

const CONNECTING: ConsoleConnection = { state: 'connecting', lastSyncAt: null, problem: null, ended: null };

export class ConsoleObjects {
  readonly kinds = Object.fromEntries(WATCHED_KINDS.map((k) => [k, new KindObjects()])) as Record<WatchKind, KindObjects>;
  private readonly kindConnections = new Map<WatchKind, WatchConnection>();
  /** Why the stream itself could not be had (no kubeconfig, cluster forgotten), when it could not. */
  private streamProblem: { state: 'offline' | 'no-credential'; problem: LocalizedText; ended?: ConsoleEnd } | null = null;
  private joined: ConsoleConnection = CONNECTING;
  private readonly listeners = new Map<string, Set<() => void>>();

  /** Folds a batch of watch events in, then tells each kind's readers once. */
  apply(events: ClusterWatchEvent[]): void {
    const touched = new Set<string>();
    for (const e of events) {
      if (e.type === 'snapshot') this.kinds[e.kind].replace(e.items);
      else if (e.type === 'changes') this.kinds[e.kind].change(e.upserts, e.deletes);
      else {
        this.kindConnections.set(e.kind, e.connection);
        touched.add('connection');
        continue;
      }
      touched.add(e.kind);
    }
    if (events.length > 0) this.streamProblem = null;
    this.rejoin();
    for (const topic of touched) this.notify(topic);
  }

  /** The stream failed or ended: shown as offline (or without credential) until it is back. */
  streamFailed(state: 'offline' | 'no-credential', problem: LocalizedText): void {
    this.streamProblem = { state, problem };
    this.rejoin();
    this.notify('connection');
  }

  /**
   * The stream ended for good (the credential revoked, the cluster
   * forgotten): every object goes, as what the credential let the station
   * see goes with it, and the console says why until a new stream brings
   * events again.
   */
  ended(why: ConsoleEnd, problem: LocalizedText): void {
    for (const kind of WATCHED_KINDS) this.kinds[kind].clear();
    this.kindConnections.clear();
    this.streamProblem = { state: 'no-credential', problem, ended: why };
    this.joined = { state: 'no-credential', problem, lastSyncAt: null, ended: why };
    for (const topic of [...WATCHED_KINDS, 'connection']) this.notify(topic);
  }

  connection(): ConsoleConnection {
    return this.joined;
  }

  private rejoin(): void {
    const all = [...this.kindConnections.values()];
    const syncs = all.map((c) => c.lastSyncAt);
    // Every kind's watch talks to the same server: the newest answer of any is when it was last heard from (a quiet kind had nothing to say).
    const lastSyncAt = syncs.reduce<string | null>((a, b) => (a === null || (b !== null && b > a) ? b : a), null);
    let next: ConsoleConnection;
    if (this.streamProblem) {
      const { state, problem, ended } = this.streamProblem;
      next = ended ? { state, problem, lastSyncAt: null, ended } : { state, problem, lastSyncAt: lastSyncAt ?? this.joined.lastSyncAt, ended: null };
    } else if (all.length < WATCHED_KINDS.length && !all.some((c) => c.state === 'offline')) next = { ...CONNECTING, lastSyncAt };
    else {
      const offline = all.find((c) => c.state === 'offline');
      const connecting = all.find((c) => c.state === 'connecting');
      next = offline
        ? { state: 'offline', problem: offline.problem, lastSyncAt, ended: null }
        : connecting
          ? { state: 'connecting', problem: connecting.problem, lastSyncAt, ended: null }
          : { state: 'online', problem: null, lastSyncAt, ended: null, onlineSince: all.map((c) => c.since).reduce((a, b) => (b > a ? b : a)) };
    }
    const j = this.joined;
    if (
      j.state !== next.state ||
      j.lastSyncAt !== next.lastSyncAt ||
      j.problem?.en !== next.problem?.en ||
      j.ended !== next.ended ||
      j.onlineSince !== next.onlineSince
    )
      this.joined = next;
  }

  subscribe(topic: string, listener: () => void): () => void {
    const set = this.listeners.get(topic) ?? new Set();
    set.add(listener);
    this.listeners.set(topic, set);
    return () => set.delete(listener);
  }

  private notify(topic: string): void {
    for (const l of this.listeners.get(topic) ?? []) l();
  }
}

/** A kind's objects, live; `listed` is false until its first snapshot. */
export function useKind(store: ConsoleObjects, kind: WatchKind): { items: KubeObject[]; listed: boolean } {
  const subscribe = useCallback((l: () => void) => store.subscribe(kind, l), [store, kind]);
  const items = useSyncExternalStore(subscribe, () => store.kinds[kind].all());
  return { items, listed: store.kinds[kind].listed };
}

export function useConnection(store: ConsoleObjects): ConsoleConnection {
  const subscribe = useCallback((l: () => void) => store.subscribe('connection', l), [store]);
  return useSyncExternalStore(subscribe, () => store.connection());
}

/** How many objects each of these kinds has, live (one render per change of a count). */
export function useCounts(store: ConsoleObjects, kinds: readonly WatchKind[]): number[] {
  const subscribe = useCallback(
    (l: () => void) => {
      const offs = kinds.map((k) => store.subscribe(k, l));
      return () => offs.forEach((off) => off());
    },
    [store, kinds],
  );
  const counts = useSyncExternalStore(subscribe, () => kinds.map((k) => store.kinds[k].all().length).join(','));
  return counts.split(',').map(Number);
}

/** One object by namespace and name, live; undefined when the console does not watch its kind or does not have it. */
export function useObject(store: ConsoleObjects, kind: WatchKind | null, namespace: string | undefined, name: string): KubeObject | undefined {
  const subscribe = useCallback((l: () => void) => (kind ? store.subscribe(kind, l) : () => undefined), [store, kind]);
  return useSyncExternalStore(subscribe, () => (kind ? store.kinds[kind].named(namespace, name) : undefined));
}
