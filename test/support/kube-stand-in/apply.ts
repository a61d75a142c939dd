/**
 * Server-side apply and field management
 * (https://kubernetes.io/docs/reference/using-api/server-side-apply/), on the
 * model of k8s.io/apimachinery/pkg/util/managedfields and
 * sigs.k8s.io/structured-merge-diff:
 *   - a field set is the set of leaf fields an object (or an applied
 *     configuration) sets, plus the items of keyed lists ("k:{…}") and of set
 *     lists ("v:…"); other lists are atomic leaves. Lists are keyed by the
 *     merge keys of patch.ts, which the stand-in uses as the schema.
 *   - metadata.managedFields holds one entry per manager: operation Apply for
 *     appliers, Update (with the apiVersion) for everything else, with
 *     fieldsType FieldsV1 and the set in the FieldsV1 trie format.
 *   - Apply conflicts: a field the applied configuration sets, owned by
 *     another manager, whose value the apply would change. Without force it
 *     is refused with 409 and the message of managedfields/internal/conflict.go;
 *     with force the other managers lose the field.
 *   - A field the applier owned and no longer applies is removed, unless
 *     another manager owns it too.
 * Not modelled: defaulting before the set is computed, map-typed
 * "granular" vs "atomic" struct markers beyond the list keys, and
 * per-version conversion of sets.
 */
import { mergeKeyOf, SET_LISTS, strategicMergePatch } from './patch';
import { StatusError } from './status';
import { isPlainObject, type KubeObject } from './types';

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

type Path = string[];
const SEP = '\u0001';
const IGNORED_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
]);

function keyOf(item: Record<string, unknown>, key: string): Record<string, unknown> {
  const k: Record<string, unknown> = { [key]: item[key] };
  if (key === 'containerPort' && item.protocol !== undefined) k.protocol = item.protocol;
  return k;
}

/** The field set of an object: 'main' leaves status out, 'status' is status alone. */
export function fieldSet(obj: Record<string, unknown>, part: 'main' | 'status'): Set<string> {
  const out = new Set<string>();
  const walk = (v: Record<string, unknown>, path: Path) => {
    for (const [k, x] of Object.entries(v)) {
      if (path.length === 0) {
        if (k === 'apiVersion' || k === 'kind') continue;
        if ((k === 'status') !== (part === 'status')) continue;
      }
      if (path.length === 1 && path[0] === 'f:metadata' && IGNORED_METADATA.has(k)) continue;
      if (x === null || x === undefined) continue;
      const p = [...path, `f:${k}`];
      if (isPlainObject(x) && Object.keys(x).length > 0) walk(x, p);
      else if (Array.isArray(x) && x.length > 0 && SET_LISTS.has(k) && x.every((i) => !isPlainObject(i))) {
        for (const i of x) out.add([...p, `v:${JSON.stringify(i)}`].join(SEP));
      } else if (Array.isArray(x) && x.length > 0) {
        const key = mergeKeyOf(k, x);
        if (key && x.every((i) => isPlainObject(i) && i[key] !== undefined)) {
          for (const i of x as Record<string, unknown>[]) {
            const ip = [...p, `k:${JSON.stringify(keyOf(i, key))}`];
            out.add(ip.join(SEP));
            walk(i, ip);
          }
        } else out.add(p.join(SEP));
      } else out.add(p.join(SEP));
    }
  };
  walk(obj, []);
  return out;
}

/** A field set in the FieldsV1 trie format: {"f:spec":{"f:replicas":{}}}, "." marking a member with children. */
export function toFieldsV1(set: Set<string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const members: Record<string, unknown>[] = [];
  for (const s of [...set].sort()) {
    let node = root;
    for (const e of s.split(SEP)) node = (node[e] ??= {}) as Record<string, unknown>;
    members.push(node);
  }
  for (const m of members) if (Object.keys(m).some((k) => k !== '.')) m['.'] = {};
  return root;
}

export function fromFieldsV1(tree: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (node: Record<string, unknown>, path: Path) => {
    const children = Object.keys(node).filter((k) => k !== '.');
    if (path.length > 0 && (children.length === 0 || '.' in node)) out.add(path.join(SEP));
    for (const c of children) if (isPlainObject(node[c])) walk(node[c] as Record<string, unknown>, [...path, c]);
  };
  if (isPlainObject(tree)) walk(tree, []);
  return out;
}

function step(v: unknown, e: string): unknown {
  if (e.startsWith('f:')) return isPlainObject(v) ? v[e.slice(2)] : undefined;
  if (!Array.isArray(v)) return undefined;
  if (e.startsWith('k:')) {
    const key = JSON.parse(e.slice(2)) as Record<string, unknown>;
    return v.find((i) => isPlainObject(i) && Object.entries(key).every(([k, x]) => i[k] === x));
  }
  const value = JSON.parse(e.slice(2)) as unknown;
  return v.includes(value) ? value : undefined;
}

function valueAt(obj: unknown, path: string): unknown {
  let v = obj;
  for (const e of path.split(SEP)) {
    v = step(v, e);
    if (v === undefined) return undefined;
  }
  return v;
}

function removeAt(obj: Record<string, unknown>, path: string): void {
  const parts = path.split(SEP);
  let parent: unknown = obj;
  for (const e of parts.slice(0, -1)) parent = step(parent, e);
  const last = parts[parts.length - 1]!;
  if (last.startsWith('f:')) {
    if (isPlainObject(parent)) delete parent[last.slice(2)];
    return;
  }
  const list = parent;
  if (!Array.isArray(list)) return;
  const item = step(list, last);
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
  // A list left empty goes too, as the applier's last item took the field with it.
  if (list.length === 0) {
    let grand: unknown = obj;
    for (const e of parts.slice(0, -2)) grand = step(grand, e);
    const field = parts[parts.length - 2]!;
    if (isPlainObject(grand) && field.startsWith('f:')) delete grand[field.slice(2)];
  }
}

/** Go's fieldpath.Path.String(): .spec.containers[name="web"].image */
export function pathString(path: string): string {
  return path
    .split(SEP)
    .map((e) => {
      if (e.startsWith('f:')) return `.${e.slice(2)}`;
      if (e.startsWith('k:'))
        return `[${Object.entries(JSON.parse(e.slice(2)) as Record<string, unknown>)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
      return `[=${e.slice(2)}]`;
    })
    .join('');
}

const leaf = (path: string) => {
  const last = path.slice(path.lastIndexOf(SEP) + 1);
  return last.startsWith('f:');
};

const identity = (e: Pick<ManagedFieldsEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>) =>
  e.operation === 'Apply' ? `${e.manager}|Apply|${e.subresource ?? ''}` : `${e.manager}|Update|${e.apiVersion}|${e.subresource ?? ''}`;

/** printManager of conflict.go: "name", with its subresource, and "using <apiVersion>" for an Update manager. */
function printManager(e: ManagedFieldsEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  return e.operation === 'Update' ? `${s} using ${e.apiVersion}` : s;
}

export function managedFieldsOf(obj: KubeObject | undefined): ManagedFieldsEntry[] {
  const mf = obj?.metadata.managedFields;
  return Array.isArray(mf) ? (mf as ManagedFieldsEntry[]) : [];
}

interface Actor {
  manager: string;
  apiVersion: string;
  subresource?: string;
  time: string;
}

function entry(actor: Actor, operation: 'Apply' | 'Update', set: Set<string>): ManagedFieldsEntry {
  return {
    manager: actor.manager,
    operation,
    apiVersion: actor.apiVersion,
    time: actor.time,
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(set),
    ...(actor.subresource ? { subresource: actor.subresource } : {}),
  };
}

/**
 * Records a non-apply write (create, update, patch): the writer comes to own
 * every field it set or changed, which the other managers lose.
 */
export function recordUpdate(before: KubeObject | undefined, after: KubeObject, actor: Actor): KubeObject {
  const part = actor.subresource === 'status' ? 'status' : 'main';
  const present = fieldSet(after, part);
  const changed = new Set([...present].filter((p) => JSON.stringify(valueAt(before, p)) !== JSON.stringify(valueAt(after, p))));
  const me = { manager: actor.manager, operation: 'Update' as const, apiVersion: actor.apiVersion, subresource: actor.subresource };
  const inPart = (p: string) => (part === 'status') === p.startsWith('f:status');
  const entries: ManagedFieldsEntry[] = [];
  let mineAt = -1;
  let mine: Set<string> | undefined;
  let mineBefore: ManagedFieldsEntry | undefined;
  for (const e of managedFieldsOf(before)) {
    const own = fromFieldsV1(e.fieldsV1);
    if (identity(e) === identity(me)) {
      mine = new Set([...own].filter((p) => !inPart(p) || present.has(p)));
      mineBefore = mine.size === own.size ? e : undefined;
      mineAt = entries.length;
      continue;
    }
    const kept = new Set([...own].filter((p) => !inPart(p) || (present.has(p) && !changed.has(p))));
    // An entry that loses nothing stays as it was, so that a write changing nothing changes nothing.
    if (kept.size === own.size) entries.push(e);
    else if (kept.size > 0) entries.push({ ...e, fieldsV1: toFieldsV1(kept) });
  }
  if (changed.size > 0) entries.push(entry(actor, 'Update', new Set([...(mine ?? []), ...changed])));
  else if (mine && mine.size > 0) entries.splice(mineAt, 0, mineBefore ?? entry(actor, 'Update', mine));
  return { ...after, metadata: { ...after.metadata, managedFields: entries } };
}

/**
 * Applies `applied` (already parsed) for `actor` over `current` (undefined: the object is created).
 * Throws the 409 Conflict kube-apiserver sends when another manager owns a field whose value would change.
 */
export function apply(current: KubeObject | undefined, applied: KubeObject, actor: Actor, force: boolean): KubeObject {
  const part = actor.subresource === 'status' ? 'status' : 'main';
  const appliedSet = fieldSet(applied, part);
  const me = { manager: actor.manager, operation: 'Apply' as const, apiVersion: actor.apiVersion, subresource: actor.subresource };
  const entries = managedFieldsOf(current).map((e) => ({ e, set: fromFieldsV1(e.fieldsV1) }));
  const others = entries.filter((x) => identity(x.e) !== identity(me));
  const previous = entries.find((x) => identity(x.e) === identity(me))?.set ?? new Set<string>();

  const conflicts: { e: ManagedFieldsEntry; path: string }[] = [];
  for (const o of others) {
    for (const p of [...o.set].sort()) {
      if (!appliedSet.has(p) || !leaf(p)) continue;
      if (JSON.stringify(valueAt(current, p)) !== JSON.stringify(valueAt(applied, p))) conflicts.push({ e: o.e, path: p });
    }
  }
  if (conflicts.length > 0 && !force) throw conflictError(conflicts);

  const base = current ? (structuredClone(current) as Record<string, unknown>) : {};
  const body = structuredClone(applied) as Record<string, unknown>;
  if (part === 'main') delete body.status;
  const merged = strategicMergePatch(base, body) as KubeObject;
  // Parents (list items) first, so that an item is found by its key before its fields go.
  for (const p of [...previous].sort()) {
    if (appliedSet.has(p) || others.some((o) => o.set.has(p))) continue;
    removeAt(merged as unknown as Record<string, unknown>, p);
  }

  const lost = new Set(conflicts.map((c) => c.path));
  const mine = entries.find((x) => identity(x.e) === identity(me));
  const strip = (o: unknown) => JSON.stringify({ ...(o as KubeObject), metadata: { ...(o as KubeObject).metadata, managedFields: undefined } });
  // A no-op apply keeps its entry's time, so that it changes nothing (and no resourceVersion moves).
  const unchanged = mine && current && strip(merged) === strip(current) && mine.set.size === appliedSet.size && [...appliedSet].every((p) => mine.set.has(p));
  const myEntry = unchanged ? mine.e : entry(actor, 'Apply', appliedSet);
  const out: ManagedFieldsEntry[] = [];
  for (const x of entries) {
    if (x === mine) {
      out.push(myEntry);
      continue;
    }
    const kept = new Set([...x.set].filter((p) => !lost.has(p)));
    if (kept.size === x.set.size) out.push(x.e);
    else if (kept.size > 0) out.push({ ...x.e, fieldsV1: toFieldsV1(kept) });
  }
  if (!mine) out.push(myEntry);
  return { ...merged, metadata: { ...merged.metadata, managedFields: out } };
}

function conflictError(conflicts: { e: ManagedFieldsEntry; path: string }[]): StatusError {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.e)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!.e)}: ${pathString(conflicts[0]!.path)}`;
  else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(printManager(c.e), [...(byManager.get(printManager(c.e)) ?? []), pathString(c.path)]);
    const lines: string[] = [];
    for (const m of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${m}:`);
      for (const p of byManager.get(m)!) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}
