/**
 * The store: objects by type, namespace and name, one resourceVersion
 * counter across all of them ("Resource versions",
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions),
 * and a bounded history of change events for watches that resume.
 */
import { randomUUID } from 'node:crypto';
import { apiVersionOf, typeKey, type ResourceType } from './resources';
import { notFound, StatusError } from './status';
import { now, type KubeObject } from './types';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  rv: number;
  type: EventType;
  typeKey: string;
  rt: ResourceType;
  object: KubeObject;
  /** The object before a MODIFIED or DELETED, for selector transitions. */
  previous?: KubeObject;
}

const nameKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

/** Everything but metadata and status: what moves metadata.generation. */
const specOf = ({ metadata: _m, status: _s, ...rest }: KubeObject) => JSON.stringify(rest);

export class Store {
  private rv = 100;
  private readonly byType = new Map<string, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  /** Events with rv <= compactedRv are gone. */
  compactedRv = 0;
  readonly listeners = new Set<(e: StoreEvent) => void>();

  constructor(private readonly historyLimit: number) {}

  get resourceVersion(): number {
    return this.rv;
  }

  private table(rt: ResourceType): Map<string, KubeObject> {
    let t = this.byType.get(typeKey(rt));
    if (!t) this.byType.set(typeKey(rt), (t = new Map()));
    return t;
  }

  /** Copies, sorted by namespace and name. */
  list(rt: ResourceType, namespace?: string): KubeObject[] {
    return this.peekAll(rt, namespace)
      .map((o) => structuredClone(o))
      .sort((a, b) => nameKey(a.metadata.namespace, a.metadata.name).localeCompare(nameKey(b.metadata.namespace, b.metadata.name)));
  }

  /** The stored objects themselves, for the stand-in's controllers: read them, never change them. */
  peekAll(rt: ResourceType, namespace?: string): readonly KubeObject[] {
    const all = [...this.table(rt).values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  peek(rt: ResourceType, namespace: string | undefined, name: string): Readonly<KubeObject> | undefined {
    return this.table(rt).get(nameKey(namespace, name));
  }

  get(rt: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.peek(rt, namespace, name);
    return o && structuredClone(o);
  }

  count(rt: ResourceType): number {
    return this.table(rt).size;
  }

  /** The object as create would store it, without storing it (dry runs). */
  prepare(rt: ResourceType, obj: KubeObject): KubeObject {
    return {
      ...obj,
      apiVersion: apiVersionOf(rt),
      kind: rt.kind,
      metadata: {
        ...obj.metadata,
        uid: obj.metadata.uid ?? randomUUID(),
        creationTimestamp: now(),
        ...(rt.generation ? { generation: 1 } : {}),
      },
    };
  }

  create(rt: ResourceType, obj: KubeObject): KubeObject {
    if (this.table(rt).has(nameKey(obj.metadata.namespace, obj.metadata.name))) {
      throw new StatusError(409, 'AlreadyExists', `${rt.plural}${rt.group ? `.${rt.group}` : ''} "${obj.metadata.name}" already exists`, {
        name: obj.metadata.name,
        ...(rt.group ? { group: rt.group } : {}),
        kind: rt.plural,
      });
    }
    return this.commit(rt, 'ADDED', this.prepare(rt, obj));
  }

  /** `next` as replace would store it: kind, apiVersion, resourceVersion and generation settled. */
  settle(rt: ResourceType, next: KubeObject, current: KubeObject): KubeObject {
    const candidate: KubeObject = {
      ...next,
      apiVersion: apiVersionOf(rt),
      kind: rt.kind,
      metadata: { ...next.metadata, resourceVersion: current.metadata.resourceVersion },
    };
    if (rt.generation) {
      const gen = current.metadata.generation ?? 1;
      candidate.metadata.generation = specOf(candidate) === specOf(current) ? gen : gen + 1;
    }
    return candidate;
  }

  /** Stores `next` in place of the current object, unless nothing changed (then no new resourceVersion, no event). */
  replace(rt: ResourceType, next: KubeObject): KubeObject {
    const current = this.table(rt).get(nameKey(next.metadata.namespace, next.metadata.name));
    if (!current) throw notFound(rt.plural, next.metadata.name, rt.group);
    const candidate = this.settle(rt, next, current);
    if (JSON.stringify(candidate) === JSON.stringify(current)) return structuredClone(current);
    return this.commit(rt, 'MODIFIED', candidate, current);
  }

  delete(rt: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const current = this.table(rt).get(nameKey(namespace, name));
    if (!current) throw notFound(rt.plural, name, rt.group);
    return this.commit(rt, 'DELETED', structuredClone(current), current);
  }

  private commit(rt: ResourceType, type: EventType, obj: KubeObject, previous?: KubeObject): KubeObject {
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    const key = nameKey(obj.metadata.namespace, obj.metadata.name);
    if (type === 'DELETED') this.table(rt).delete(key);
    else this.table(rt).set(key, obj);
    const event: StoreEvent = { rv: this.rv, type, typeKey: typeKey(rt), rt, object: structuredClone(obj), ...(previous ? { previous } : {}) };
    this.history.push(event);
    if (this.history.length > this.historyLimit + 256) {
      const drop = this.history.length - this.historyLimit;
      this.compactedRv = this.history[drop - 1]!.rv;
      this.history = this.history.slice(drop);
    }
    for (const l of this.listeners) l(event);
    return structuredClone(obj);
  }

  /** Events after rv, or null when some of them are no longer kept. */
  since(rv: number): StoreEvent[] | null {
    const kept = this.history.length > this.historyLimit ? this.history.slice(-this.historyLimit) : this.history;
    const floor = kept.length < this.history.length ? this.history[this.history.length - this.historyLimit - 1]!.rv : this.compactedRv;
    if (rv < floor) return null;
    return kept.filter((e) => e.rv > rv);
  }

  get oldestKeptRv(): number {
    return this.history.length > this.historyLimit ? this.history[this.history.length - this.historyLimit - 1]!.rv : this.compactedRv;
  }

  compact(): void {
    this.compactedRv = this.rv;
    this.history = [];
  }
}
