/**
 * The console's live view of a cluster: for each kind of resource, one
 * list + watch (a list, then a watch from its resourceVersion; after a drop
 * the watch resumes from the last resourceVersion seen, and a 410 Gone
 * lists again — Kubernetes API concepts, "Efficient detection of changes").
 * No polling. (client-node's ListWatch misses a 410 sent as an ERROR event
 * just before the stream ends, hence a loop of our own, as waitNodeReady's.)
 *
 * What the API server said last is kept: when it becomes unreachable the
 * console shows that state with its age and an "offline" mark, and the
 * watch is restarted with a back-off once the server answers again.
 * Changes reach subscribers in batches (every BATCH_MS), so thousands of
 * pods changing do not mean thousands of messages.
 *
 * The watches follow the cluster's credential: a replaced kubeconfig moves
 * every subscriber to fresh watches made with it (their streams go on), a
 * revoked one or a forgotten cluster ends every subscription with the
 * reason (ClusterWatch.renew, .end).
 */
import { ApiException, AppsV1Api, BatchV1Api, CoreV1Api, Watch, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { AppError, ErrorCodes, internalErrorData, type LocalizedText } from '../api/errors';
import { clusterError, connect, type Connection } from './kube';

import { WATCH_KINDS, type ClusterWatchEvent } from '../api/contract';

export { WATCH_KINDS };
export type WatchKind = (typeof WATCH_KINDS)[number];

const BATCH_MS = 100;
const BACKOFF_MS = [1_000, 2_000, 5_000, 10_000, 30_000];
/** A watch nobody has looked at for this long is stopped. */
const IDLE_MS = 60_000;
/** How often changed objects are kept for the next start (and once more when the watch stops). */
const KEEP_EVERY_MS = 30_000;
/** A bookmark tells the listeners the new sync time only when what they were told is older than this. */
const SYNC_TOLD_MS = 1_000;

/** Where what the server said last is kept across restarts of the app (sealed in the store). */
export interface WatchCache {
  load(clusterId: string, kind: WatchKind): { items: Record<string, unknown>[]; syncedAt: string } | null;
  save(clusterId: string, kind: WatchKind, cached: { items: Record<string, unknown>[]; syncedAt: string }): void;
}

type ListFn = () => Promise<KubernetesListObject<KubernetesObject>>;

function source(conn: Connection, kind: WatchKind): { path: string; list: ListFn } {
  const core = conn.config.makeApiClient(CoreV1Api);
  const apps = conn.config.makeApiClient(AppsV1Api);
  const batch = conn.config.makeApiClient(BatchV1Api);
  const t = <T>(p: Promise<T>) => p as unknown as Promise<KubernetesListObject<KubernetesObject>>;
  switch (kind) {
    case 'nodes':
      return { path: '/api/v1/nodes', list: () => t(core.listNode()) };
    case 'pods':
      return { path: '/api/v1/pods', list: () => t(core.listPodForAllNamespaces()) };
    case 'events':
      return { path: '/api/v1/events', list: () => t(core.listEventForAllNamespaces()) };
    case 'deployments':
      return { path: '/apis/apps/v1/deployments', list: () => t(apps.listDeploymentForAllNamespaces()) };
    case 'daemonsets':
      return { path: '/apis/apps/v1/daemonsets', list: () => t(apps.listDaemonSetForAllNamespaces()) };
    case 'statefulsets':
      return { path: '/apis/apps/v1/statefulsets', list: () => t(apps.listStatefulSetForAllNamespaces()) };
    case 'jobs':
      return { path: '/apis/batch/v1/jobs', list: () => t(batch.listJobForAllNamespaces()) };
    case 'cronjobs':
      return { path: '/apis/batch/v1/cronjobs', list: () => t(batch.listCronJobForAllNamespaces()) };
  }
}

/** Leaves out what no view shows and what makes objects large: managed fields, the last applied configuration. */
export function slim(obj: KubernetesObject): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(obj)) as { metadata?: Record<string, unknown> } & Record<string, unknown>;
  if (plain.metadata) {
    delete plain.metadata.managedFields;
    const ann = plain.metadata.annotations as Record<string, string> | undefined;
    if (ann?.['kubectl.kubernetes.io/last-applied-configuration']) {
      const { ['kubectl.kubernetes.io/last-applied-configuration']: _dropped, ...rest } = ann;
      plain.metadata.annotations = rest;
    }
  }
  return plain;
}

export interface ObjectRef {
  namespace: string | null;
  name: string;
  uid: string | null;
}

export type WatchConnection = {
  state: 'connecting' | 'online' | 'offline';
  /** When the state last changed. */
  since: string;
  /** When the server was last heard from: the age of what is shown. */
  lastSyncAt: string | null;
  problem: LocalizedText | null;
};

export type WatchEvent = ClusterWatchEvent;

function refOf(obj: KubernetesObject): ObjectRef {
  return { namespace: obj.metadata?.namespace ?? null, name: obj.metadata?.name ?? '', uid: obj.metadata?.uid ?? null };
}

const keyOf = (obj: KubernetesObject) => `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;

/**
 * One kind of one cluster, watched: list, then watch from the list's
 * resourceVersion; a watch the server ends is resumed from the last
 * resourceVersion seen, a 410 Gone (as an ERROR event or an HTTP status)
 * lists again, and a failure marks the watch offline and tries again after
 * a back-off. Each list or watch has a generation; callbacks of an older
 * one are ignored (client-node's Watch may report its end before its last
 * line).
 */
class KindWatch {
  private readonly objects = new Map<string, KubernetesObject>();
  private readonly listeners = new Set<(e: WatchEvent) => void>();
  private upserts = new Map<string, KubernetesObject>();
  private deletes = new Map<string, ObjectRef>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private controller: AbortController | null = null;
  private keepTimer: ReturnType<typeof setTimeout> | null = null;
  /** Changed since last kept in the cache. */
  private unkept = false;
  /** The sync time last kept in the cache, and the one last told the listeners. */
  private keptSyncAt: string | null = null;
  private toldSyncAt: string | null = null;
  private generation = 0;
  private resourceVersion: string | null = null;
  private failures = 0;
  private stopped = false;
  /** Set by the first successful list: until then there is nothing to show. */
  ready = false;
  onIdle: (() => void) | null = null;
  connection: WatchConnection = { state: 'connecting', since: new Date().toISOString(), lastSyncAt: null, problem: null };
  private readonly conn: Connection;
  private readonly src: { path: string; list: ListFn };

  /** `previous`: the watch this one replaces (same cluster and kind, the kubeconfig replaced); it starts from what that one knew, not from the cache. */
  constructor(
    kubeconfig: string,
    readonly kind: WatchKind,
    private readonly cache: { load(): ReturnType<WatchCache['load']>; save: (c: Parameters<WatchCache['save']>[2]) => void } | null = null,
    previous: KindWatch | null = null,
  ) {
    this.conn = connect(kubeconfig);
    this.src = source(this.conn, kind);
    if (previous) {
      // Its listeners hold these objects already: the first list with the new credential tells them only what differs.
      for (const [k, obj] of previous.objects) this.objects.set(k, obj);
      this.ready = previous.ready;
      this.connection = { ...this.connection, lastSyncAt: previous.connection.lastSyncAt };
      this.keptSyncAt = previous.keptSyncAt;
      return;
    }
    // What the server said last, before this start: shown at once, with its age, until the first list replaces it.
    const kept = cache?.load();
    if (kept) {
      for (const obj of kept.items as KubernetesObject[]) this.objects.set(keyOf(obj), obj);
      this.ready = true;
      this.connection = { ...this.connection, lastSyncAt: kept.syncedAt };
      this.keptSyncAt = kept.syncedAt;
    }
  }

  start(): void {
    this.list();
  }

  private next(): number {
    this.generation++;
    this.controller?.abort();
    this.controller = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    return this.generation;
  }

  private list(): void {
    if (this.stopped) return;
    const gen = this.next();
    this.src.list().then(
      (l) => {
        if (gen !== this.generation || this.stopped) return;
        this.failures = 0;
        this.resourceVersion = l.metadata?.resourceVersion ?? null;
        // What the list no longer has was deleted while we were not watching.
        const seen = new Set<string>();
        for (const obj of l.items) {
          seen.add(keyOf(obj));
          this.upsert(obj);
        }
        for (const [k, obj] of this.objects) if (!seen.has(k)) this.remove(obj);
        const first = !this.ready;
        this.ready = true;
        this.setConnection('online', null);
        // Even when the kind has no objects: listeners waiting for the first list get their (empty) snapshot.
        if (first) this.flush(true);
        this.unkept = true;
        this.keep();
        this.watch();
      },
      (e: unknown) => {
        if (gen !== this.generation || this.stopped) return;
        this.failed(e, () => this.list());
      },
    );
  }

  private watch(): void {
    if (this.stopped) return;
    const gen = this.next();
    const current = () => gen === this.generation && !this.stopped;
    const startedAt = Date.now();
    let events = 0;
    const params: Record<string, string | boolean> = { allowWatchBookmarks: true };
    if (this.resourceVersion) params.resourceVersion = this.resourceVersion;
    const onEvent = (type: string, obj: unknown) => {
      if (!current()) return;
      events++;
      const o = obj as KubernetesObject & { code?: number };
      if (type === 'ERROR') {
        if (o.code === 410) return this.list();
        return this.failed(new ApiException(o.code ?? 500, 'watch error', JSON.stringify(o), {}), () => this.watch());
      }
      const rv = o.metadata?.resourceVersion;
      if (rv) this.resourceVersion = rv;
      if (type === 'BOOKMARK') {
        // The server is in sync up to this resourceVersion ("Watch bookmarks"): what is shown is that fresh, even
        // for a kind where nothing changes. Listeners are told at most once a SYNC_TOLD_MS, not per bookmark.
        const told = this.toldSyncAt ? Date.parse(this.toldSyncAt) : 0;
        if (this.connection.state !== 'online' || Date.now() - told >= SYNC_TOLD_MS) this.setConnection('online', null);
        else this.connection = { ...this.connection, lastSyncAt: new Date().toISOString() };
        return;
      }
      if (this.connection.state !== 'online') this.setConnection('online', null);
      if (type === 'DELETED') this.remove(o);
      else this.upsert(o);
    };
    const onDone = (err: unknown) => {
      if (!current()) return;
      this.controller = null;
      if (!err) {
        // The server ended the watch (its time-out, a restart): resume from the last resourceVersion,
        // after a pause if it ended at once without a word, so that such a server is not hammered.
        if (events > 0 || Date.now() - startedAt > 1000) return this.watch();
        this.retryTimer = setTimeout(() => this.watch(), 500);
        return;
      }
      if ((err as { statusCode?: number }).statusCode === 410) return this.list();
      this.failed(err, () => this.watch());
    };
    new Watch(this.conn.config).watch(this.src.path, params, onEvent, onDone).then(
      (c) => {
        if (current()) this.controller = c;
        else c.abort();
      },
      (e: unknown) => {
        if (current()) this.failed(e, () => this.watch());
      },
    );
  }

  /** Offline, with why; tries `again` after a back-off (the watch resumes from its resourceVersion). */
  private failed(e: unknown, again: () => void): void {
    const err = e instanceof AppError ? e : clusterError(e, this.conn, { en: `watch ${this.kind}`, zh: `监视 ${this.kind}` });
    this.setConnection('offline', err.text);
    const wait = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)]!;
    this.failures++;
    this.retryTimer = setTimeout(again, wait);
  }

  private upsert(obj: KubernetesObject): void {
    const k = keyOf(obj);
    this.objects.set(k, obj);
    this.deletes.delete(k);
    this.upserts.set(k, obj);
    this.touch();
  }

  private remove(obj: KubernetesObject): void {
    const k = keyOf(obj);
    this.objects.delete(k);
    this.upserts.delete(k);
    this.deletes.set(k, refOf(obj));
    this.touch();
  }

  private touch(): void {
    this.connection = { ...this.connection, lastSyncAt: new Date().toISOString() };
    if (this.ready) this.flushTimer ??= setTimeout(() => this.flush(), BATCH_MS);
    this.unkept = true;
    if (this.cache) this.keepTimer ??= setTimeout(() => this.keep(), KEEP_EVERY_MS);
  }

  /** Keeps the current objects for the next start; a failure to keep them never stops the watch. */
  private keep(): void {
    if (this.keepTimer) clearTimeout(this.keepTimer);
    this.keepTimer = null;
    const syncedAt = this.connection.lastSyncAt;
    // Unchanged objects are kept again only for a newer sync time (bookmarks since), so that the next start shows their true age.
    if (!this.cache || !syncedAt || (!this.unkept && syncedAt === this.keptSyncAt)) return;
    this.unkept = false;
    this.keptSyncAt = syncedAt;
    try {
      this.cache.save({ items: [...this.objects.values()].map(slim), syncedAt });
    } catch {
      // The store closed under us (the app is quitting): the previous copy stays.
    }
  }

  /** Sends the pending changes; `always` sends them even when there are none (the first list of an empty kind). */
  private flush(always = false): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (!always && this.upserts.size === 0 && this.deletes.size === 0) return;
    const event: WatchEvent = { type: 'changes', kind: this.kind, upserts: [...this.upserts.values()].map(slim), deletes: [...this.deletes.values()] };
    this.upserts = new Map();
    this.deletes = new Map();
    // A copy: a listener waiting for its snapshot swaps itself in during the loop, and must not get this batch too.
    for (const l of [...this.listeners]) l(event);
  }

  private setConnection(state: WatchConnection['state'], problem: LocalizedText | null): void {
    const now = new Date().toISOString();
    this.connection = {
      state,
      since: this.connection.state === state ? this.connection.since : now,
      lastSyncAt: state === 'online' ? now : this.connection.lastSyncAt,
      problem,
    };
    this.toldSyncAt = this.connection.lastSyncAt;
    const event: WatchEvent = { type: 'connection', kind: this.kind, connection: this.connection };
    for (const l of this.listeners) l(event);
  }

  /**
   * The connection, the current objects once listed (what the server said
   * last), then every change, until unsubscribed. `known`: the listener
   * holds these objects already (it comes from the watch this one replaced),
   * so it gets no snapshot of them.
   */
  subscribe(listener: (e: WatchEvent) => void, known = false): () => void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    // Pending changes go to the earlier listeners first, so that the new one's snapshot is not followed by them again.
    if (this.ready) this.flush();
    this.listeners.add(listener);
    listener({ type: 'connection', kind: this.kind, connection: this.connection });
    if (this.ready) {
      if (!known) listener({ type: 'snapshot', kind: this.kind, items: [...this.objects.values()].map(slim) });
    } else {
      // Not listed yet: the first list's objects reach this listener as one snapshot.
      const once = (e: WatchEvent) => {
        if (e.type !== 'changes') return listener(e);
        this.listeners.delete(once);
        this.listeners.add(listener);
        listener({ type: 'snapshot', kind: this.kind, items: [...this.objects.values()].map(slim) });
      };
      this.listeners.delete(listener);
      this.listeners.add(once);
      return () => {
        this.listeners.delete(once);
        this.unsubscribed(listener);
      };
    }
    return () => this.unsubscribed(listener);
  }

  private unsubscribed(listener: (e: WatchEvent) => void): void {
    this.listeners.delete(listener);
    if (this.listeners.size === 0 && !this.stopped) this.idleTimer = setTimeout(() => this.onIdle?.(), IDLE_MS);
  }

  /** Replaced by a watch with a new kubeconfig: the listeners get what is pending (the new watch starts from these objects), then this one stops. */
  async retire(): Promise<void> {
    if (this.ready) this.flush();
    await this.stop();
  }

  /** Stops watching; `keep` saves what changed since it was last kept (not when the cluster is forgotten or its credential revoked). */
  async stop(keep = true): Promise<void> {
    this.stopped = true;
    this.next();
    for (const t of [this.flushTimer, this.idleTimer]) if (t) clearTimeout(t);
    if (keep) this.keep();
    else if (this.keepTimer) clearTimeout(this.keepTimer);
    this.keepTimer = null;
  }
}

/** One subscribe call: its listener, how it is told that it ended, and how to leave each kind's current watch. */
interface Subscription {
  clusterId: string;
  listener: (e: WatchEvent) => void;
  ended: (error: AppError) => void;
  offs: Map<WatchKind, () => void>;
}

/** Every watched kind of every cluster, started on first interest and stopped when nobody has looked for a while. */
export class ClusterWatch {
  private readonly watches = new Map<string, KindWatch>();
  private readonly subscriptions = new Set<Subscription>();

  constructor(
    private readonly kubeconfigOf: (clusterId: string) => string,
    private readonly cache: WatchCache | null = null,
  ) {}

  /**
   * Subscribes to kinds of a cluster: for each, its connection state, its
   * objects as soon as they are listed, then batched changes. `ended` is
   * called once if the subscription ends from this side (the credential
   * revoked, the cluster forgotten); nothing more comes after it.
   */
  subscribe(clusterId: string, kinds: readonly WatchKind[], listener: (e: WatchEvent) => void, ended: (error: AppError) => void = () => undefined): () => void {
    const sub: Subscription = { clusterId, listener, ended, offs: new Map() };
    try {
      for (const kind of kinds) sub.offs.set(kind, this.watchOf(clusterId, kind).subscribe(listener));
    } catch (e) {
      for (const off of sub.offs.values()) off();
      throw e;
    }
    this.subscriptions.add(sub);
    return () => {
      if (this.subscriptions.delete(sub)) for (const off of sub.offs.values()) off();
    };
  }

  /** The kind's running watch, or a new one, started (from `previous`'s objects when it replaces that one). */
  private watchOf(clusterId: string, kind: WatchKind, previous: KindWatch | null = null): KindWatch {
    const key = `${clusterId}/${kind}`;
    const running = this.watches.get(key);
    if (running) return running;
    const cache = this.cache;
    const w = new KindWatch(
      this.kubeconfigOf(clusterId),
      kind,
      cache && { load: () => cache.load(clusterId, kind), save: (c) => cache.save(clusterId, kind, c) },
      previous,
    );
    this.watches.set(key, w);
    w.onIdle = () => {
      if (this.watches.get(key) === w) this.watches.delete(key);
      void w.stop();
    };
    w.start();
    return w;
  }

  /** The cluster's watches, taken out of the map. */
  private takeWatches(clusterId: string): KindWatch[] {
    const mine = [...this.watches.entries()].filter(([k]) => k.startsWith(`${clusterId}/`));
    for (const [k] of mine) this.watches.delete(k);
    return mine.map(([, w]) => w);
  }

  /**
   * The cluster's kubeconfig was replaced: each watched kind starts again
   * with the new one, from the objects the old watch knew, and its
   * subscribers move to it without a new snapshot. Their streams go on:
   * connecting, then only what differs once the new credential lists (or
   * offline with the server's reason, if it refuses it). Unwatched kinds
   * start afresh on next interest.
   */
  async renew(clusterId: string): Promise<void> {
    // All in one turn, so that no subscribe comes between the old watches and their successors.
    const old = this.takeWatches(clusterId);
    const retiring = old.map((w) => w.retire());
    try {
      for (const w of old) {
        const subs = [...this.subscriptions].filter((s) => s.clusterId === clusterId && s.offs.has(w.kind));
        if (subs.length === 0) continue;
        const fresh = this.watchOf(clusterId, w.kind, w);
        for (const s of subs) {
          s.offs.get(w.kind)!();
          s.offs.set(w.kind, fresh.subscribe(s.listener, true));
        }
      }
    } catch (e) {
      // The new kubeconfig cannot be read back (the station locked meanwhile): the streams end with why, rather than fall silent.
      await this.end(clusterId, e instanceof AppError ? e : new AppError(ErrorCodes.INTERNAL, internalErrorData().message, { cause: e }));
    }
    await Promise.all(retiring);
  }

  /**
   * The cluster's credential was revoked or the cluster forgotten: its
   * watches stop without keeping what they saw, and every subscription to
   * it ends with `error`.
   */
  async end(clusterId: string, error: AppError): Promise<void> {
    const stopping = this.takeWatches(clusterId).map((w) => w.stop(false));
    const subs = [...this.subscriptions].filter((s) => s.clusterId === clusterId);
    for (const s of subs) {
      this.subscriptions.delete(s);
      for (const off of s.offs.values()) off();
      s.ended(error);
    }
    await Promise.all(stopping);
  }

  async close(): Promise<void> {
    await Promise.all([...this.watches.values()].map((w) => w.stop()));
    this.watches.clear();
    this.subscriptions.clear();
  }
}
