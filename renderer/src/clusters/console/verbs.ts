/**
 * The console's keys, k9s-like: the same verb has the same key in every
 * view (l logs, s shell, y YAML…); a view says which verbs it takes.
 */
export type Verb =
  | 'down'
  | 'up'
  | 'first'
  | 'last'
  | 'open'
  | 'logs'
  | 'shell'
  | 'yaml'
  | 'cordon'
  | 'drain'
  | 'labels'
  | 'taints'
  | 'delete'
  | 'scale'
  | 'restart'
  | 'rollback'
  | 'suspend';

export const VERB_KEYS: Record<Verb, string[]> = {
  down: ['j', 'ArrowDown'],
  up: ['k', 'ArrowUp'],
  first: ['g', 'Home'],
  last: ['G', 'End'],
  open: ['Enter'],
  logs: ['l'],
  shell: ['s'],
  yaml: ['y'],
  cordon: ['c'],
  drain: ['d'],
  labels: ['e'],
  taints: ['t'],
  delete: ['Delete'],
  scale: ['+'],
  restart: ['r'],
  rollback: ['u'],
  suspend: ['p'],
};

export function verbOf(key: string): Verb | null {
  for (const [verb, keys] of Object.entries(VERB_KEYS)) if (keys.includes(key)) return verb as Verb;
  return null;
}

/** The key shown next to an action: its first key. */
export const keyOf = (verb: Verb): string => VERB_KEYS[verb][0]!;

/** Inputs that take no typing: a key on them is the console's. */
const NOT_TEXT = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file']);

/** A key typed into a field of the page: the field keeps it. */
export function typing(e: KeyboardEvent): boolean {
  const el = e.target as HTMLElement | null;
  if (!el) return false;
  if (el instanceof HTMLInputElement) return !NOT_TEXT.has(el.type);
  return el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}
