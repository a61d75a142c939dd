import type { KubeObject } from './objects';

/**
 * A view's rows are derived once per object: while an object is unchanged
 * (the same reference in the store) its row is the same reference too, so
 * the table cell that shows it is not rendered again.
 */
export function derived<R>(make: (o: KubeObject) => R): (o: KubeObject) => R {
  const rows = new WeakMap<KubeObject, R>();
  return (o) => {
    let r = rows.get(o);
    if (r === undefined) {
      r = make(o);
      rows.set(o, r);
    }
    return r;
  };
}
