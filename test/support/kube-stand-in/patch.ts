/**
 * The three patch formats of "Patch operations"
 * (https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/):
 *   - JSON merge patch (RFC 7386);
 *   - JSON patch (RFC 6902), which `kubectl rollout undo` sends;
 *   - strategic merge patch: a merge patch in which the lists the Kubernetes
 *     schema marks `patchStrategy: merge` are merged by their
 *     `patchMergeKey` (MERGE_KEYS below, taken from the core/v1 and apps/v1
 *     types), with the `$patch: delete|replace` and `$deleteFromPrimitiveList`
 *     directives; every other list is replaced.
 */
import { badRequest, StatusError } from './status';
import { isPlainObject } from './types';

/** patchMergeKey by field name (core/v1 types.go); `ports` is keyed by containerPort in a container, port in a Service. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  addresses: 'type',
};

/** The merge key of a list field, or undefined for an atomic (replaced) list. */
export function mergeKeyOf(field: string, items: unknown[]): string | undefined {
  if (field === 'ports') {
    const first = items.find(isPlainObject);
    return first && 'containerPort' in first ? 'containerPort' : 'port';
  }
  return MERGE_KEYS[field];
}

/** Lists of scalars merged as sets (patchStrategy merge without a key). */
export const SET_LISTS = new Set(['finalizers']);

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isPlainObject(v)) return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k]) => !k.startsWith('$'))
      .map(([k, x]) => [k, stripDirectives(x)]),
  );
}

export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]) && Array.isArray(v)) out[field] = (out[field] as unknown[]).filter((x) => !v.includes(x));
      continue;
    }
    if (k.startsWith('$')) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    const current = out[k];
    if (Array.isArray(v)) {
      out[k] = mergeList(k, Array.isArray(current) ? current : undefined, v);
      continue;
    }
    const merged = strategicMergePatch(current, v);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  return out;
}

function mergeList(field: string, current: unknown[] | undefined, patch: unknown[]): unknown[] {
  if (SET_LISTS.has(field)) return [...new Set([...(current ?? []), ...patch])];
  const key = mergeKeyOf(field, [...patch, ...(current ?? [])]);
  if (!key || !current) {
    if (patch.some((p) => isPlainObject(p) && p.$patch === 'replace')) return [];
    return patch.filter((p) => !(isPlainObject(p) && p.$patch)).map(stripDirectives);
  }
  const out = current.map((c) => structuredClone(c));
  for (const p of patch) {
    if (!isPlainObject(p)) continue;
    if (p.$patch === 'replace') return patch.filter((x) => !(isPlainObject(x) && x.$patch)).map(stripDirectives);
    const i = out.findIndex((c) => isPlainObject(c) && c[key] === p[key]);
    if (p.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = strategicMergePatch(out[i], p);
    else out.push(stripDirectives(p));
  }
  return out;
}

// -- RFC 6902 ---------------------------------------------------------------------

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`the server rejected our request due to an error in our request: invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, parts: string[], path: string): { parent: Record<string, unknown> | unknown[]; last: string } {
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(p)] : isPlainObject(cur) ? cur[p] : undefined;
    if (cur === undefined)
      throw new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: doc is missing path: "${path}": missing value`);
  }
  if (!Array.isArray(cur) && !isPlainObject(cur))
    throw new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: doc is missing path: "${path}"`);
  return { parent: cur, last: parts[parts.length - 1]! };
}

function getAt(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const p of pointer(path)) cur = Array.isArray(cur) ? cur[Number(p)] : isPlainObject(cur) ? cur[p] : undefined;
  if (cur === undefined)
    throw new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: doc is missing path: "${path}": missing value`);
  return cur;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops))
    throw badRequest('the server rejected our request due to an error in our request: json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = structuredClone(target);
  for (const op of ops as Record<string, unknown>[]) {
    const path = String(op.path ?? '');
    const parts = pointer(path);
    const add = (value: unknown) => {
      if (parts.length === 0) return void (doc = structuredClone(value));
      const { parent, last } = parentOf(doc, parts, path);
      if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, structuredClone(value));
      else parent[last] = structuredClone(value);
    };
    const remove = () => {
      const { parent, last } = parentOf(doc, parts, path);
      getAt(doc, path);
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    };
    switch (op.op) {
      case 'add':
        add(op.value);
        break;
      case 'remove':
        remove();
        break;
      case 'replace':
        getAt(doc, path);
        if (parts.length === 0) doc = structuredClone(op.value);
        else {
          const { parent, last } = parentOf(doc, parts, path);
          if (Array.isArray(parent)) parent[Number(last)] = structuredClone(op.value);
          else parent[last] = structuredClone(op.value);
        }
        break;
      case 'move':
      case 'copy': {
        const value = getAt(doc, String(op.from ?? ''));
        if (op.op === 'move') {
          const fromParts = pointer(String(op.from));
          const { parent, last } = parentOf(doc, fromParts, String(op.from));
          if (Array.isArray(parent)) parent.splice(Number(last), 1);
          else delete parent[last];
        }
        add(value);
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(op.value))
          throw new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value ${path} failed: test failed`);
        break;
      default:
        throw badRequest(`the server rejected our request due to an error in our request: Unexpected kind: ${String(op.op)}`);
    }
  }
  return doc;
}
