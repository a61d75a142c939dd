/**
 * Label and field selectors
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors,
 * .../field-selectors/), and the structured LabelSelector of workloads and
 * PodDisruptionBudgets (matchLabels / matchExpressions,
 * https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/label-selector/).
 */
import { badRequest } from './status';
import type { KubeObject } from './types';

export type Requirement = { key: string; op: 'eq' | 'ne' | 'in' | 'notin' | 'exists' | '!exists'; values: string[] };

/** Splits on commas outside parentheses: "a in (x,y),b" → ["a in (x,y)", "b"]. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter(Boolean);
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function parseLabelSelector(s: string): Requirement[] {
  return splitTerms(s).map((term) => {
    let m: RegExpExecArray | null;
    let r: Requirement;
    if ((m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      r = { key: m[1]!, op: m[2] as 'in' | 'notin', values: m[3]!.split(',').map((v) => v.trim()) };
    } else if ((m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term))) {
      r = { key: m[1]!, op: m[2] === '!=' ? 'ne' : 'eq', values: [m[3]!] };
    } else if ((m = /^!\s*(\S+)$/.exec(term))) {
      r = { key: m[1]!, op: '!exists', values: [] };
    } else if (/^\S+$/.test(term)) {
      r = { key: term, op: 'exists', values: [] };
    } else {
      throw badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    if (!LABEL_KEY.test(r.key)) throw badRequest(`unable to parse requirement: invalid label key "${r.key}"`);
    for (const v of r.values) if (!LABEL_VALUE.test(v)) throw badRequest(`unable to parse requirement: invalid label value: "${v}"`);
    return r;
  });
}

export function labelsMatch(reqs: Requirement[], labels: Record<string, string> = {}): boolean {
  return reqs.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'eq':
      case 'in':
        return has && r.values.includes(v!);
      case 'ne':
      case 'notin':
        return !has || !r.values.includes(v!);
      case 'exists':
        return has;
      case '!exists':
        return !has;
    }
  });
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A LabelSelector as requirements. An empty selector selects everything (a nil one nothing: callers check). */
export function selectorRequirements(sel: LabelSelector | undefined): Requirement[] {
  const out: Requirement[] = Object.entries(sel?.matchLabels ?? {}).map(([key, v]) => ({ key, op: 'eq', values: [v] }));
  for (const e of sel?.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' } as const)[e.operator as 'In'];
    if (op) out.push({ key: e.key, op, values: e.values ?? [] });
  }
  return out;
}

/** metav1.FormatLabelSelector: what a Scale's status.selector holds. */
export function formatLabelSelector(sel: LabelSelector | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

export type FieldRequirement = { field: string; eq: boolean; value: string };

export function parseFieldSelector(s: string, supported: readonly string[]): FieldRequirement[] {
  return splitTerms(s).map((term) => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    const field = m[1]!.trim();
    if (field !== 'metadata.name' && field !== 'metadata.namespace' && !supported.includes(field)) throw badRequest(`field label not supported: ${field}`);
    return { field, eq: m[2] !== '!=', value: m[3]!.trim() };
  });
}

/** A field's value as a field selector sees it: a string, "" when unset, booleans as "true"/"false". */
export function fieldValue(obj: KubeObject, field: string): string {
  if (field === 'source') {
    const src = (obj as { source?: { component?: string } }).source;
    return src?.component ?? '';
  }
  let v: unknown = obj;
  for (const part of field.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  if (v === undefined || v === null) return field === 'spec.unschedulable' ? 'false' : '';
  return String(v);
}

export function fieldsMatch(reqs: FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) === r.eq);
}
