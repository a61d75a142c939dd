/**
 * A view's list state: the filter box, the namespace, the sort and the
 * selected row, and the rows they leave, in the order shown (which j/k
 * walk). Filtering and sorting 5,000 rows takes a few milliseconds (each
 * row's search text is made once), so it is done as the filter is typed.
 */
import { useCallback, useMemo, useRef, useState, type ReactNode } from 'react';
import type { GetRef, Table } from 'antd';

export interface Row {
  uid: string;
  name: string;
  namespace?: string;
  labels: Record<string, string>;
}

export interface Column<R> {
  key: string;
  title: ReactNode;
  width: number;
  render: (row: R) => ReactNode;
  sort?: (a: R, b: R) => number;
  /** Reads more than its row (metrics, running jobs): rendered with the table, not only when the row changes. */
  live?: boolean;
}

type SortState = { key: string; order: 'ascend' | 'descend' };

const texts = new WeakMap<Row, string>();
/** What the filter looks in, once per row (rows keep their identity while their object does). */
function searchText(row: Row, more?: (row: Row) => string): string {
  let text = texts.get(row);
  if (text === undefined) {
    const labels = Object.entries(row.labels).map(([k, v]) => `${k}=${v}`);
    text = [row.name, row.namespace ?? '', ...labels, more?.(row) ?? ''].join(' ').toLowerCase();
    texts.set(row, text);
  }
  return text;
}

/** Does the row match every word of the filter: in its name, namespace, labels (k=v) or `more` text? */
function matchesFilter(row: Row, words: string[], more?: (row: Row) => string): boolean {
  if (words.length === 0) return true;
  const text = searchText(row, more);
  return words.every((w) => text.includes(w));
}

const naturalKeys = new Map<string, string>();
/** A text's sort key: lower case, digit runs zero-padded ("pod-2" before "pod-10" by a plain comparison, quick for 5,000 rows). */
function naturalKey(text: string): string {
  let key = naturalKeys.get(text);
  if (key === undefined) {
    if (naturalKeys.size > 100_000) naturalKeys.clear();
    key = text.toLowerCase().replace(/\d+/g, (d) => d.padStart(12, '0'));
    naturalKeys.set(text, key);
  }
  return key;
}
export const byText = (a: string, b: string) => {
  const x = naturalKey(a);
  const y = naturalKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
};
export const byNumber = (a: number | null | undefined, b: number | null | undefined) => (a ?? -1) - (b ?? -1);

/**
 * Scrolls the virtual table just enough that row `index` is in view, and not at all when it is. Its rows are one line
 * each, all of one height: the row's top is `index` rows down, and the table is given that offset. Its own scroll to
 * a key measures and scrolls again in layout effects, each a render; with a key held down under live changes those
 * renders chained past React's limit (error #185, a blank page, seen in CI and with the CPU slowed down four times).
 */
function keepInView(table: GetRef<typeof Table> | null, index: number, key: string): void {
  const holder = table?.nativeElement?.querySelector<HTMLElement>('.ant-table-tbody-virtual-holder');
  const rowHeight = holder?.querySelector<HTMLElement>('.ant-table-row')?.getBoundingClientRect().height;
  if (!table || !holder || !rowHeight) return table?.scrollTo({ key });
  const top = index * rowHeight;
  if (top < holder.scrollTop) table.scrollTo({ top });
  else if (top + rowHeight > holder.scrollTop + holder.clientHeight) table.scrollTo({ top: top + rowHeight - holder.clientHeight });
}

export function useObjectList<R extends Row>(rows: R[], columns: Column<R>[], opts: { sort: SortState; more?: (row: R) => string }) {
  const [filter, setFilter] = useState('');
  const [namespace, setNamespace] = useState<string | null>(null);
  const [sort, setSort] = useState<SortState>(opts.sort);
  const [selected, setSelected] = useState<string | null>(null);
  const tableRef = useRef<GetRef<typeof Table>>(null);
  const more = opts.more as ((row: Row) => string) | undefined;

  const namespaces = useMemo(() => [...new Set(rows.map((r) => r.namespace ?? '').filter(Boolean))].sort(), [rows]);
  const shown = useMemo(() => {
    const words = filter.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const kept = rows.filter((r) => (namespace === null || r.namespace === namespace) && matchesFilter(r, words, more));
    const compare = columns.find((c) => c.key === sort.key)?.sort;
    if (compare) {
      const sign = sort.order === 'ascend' ? 1 : -1;
      kept.sort((a, b) => sign * compare(a, b) || byText(a.name, b.name));
    }
    return kept;
  }, [rows, namespace, filter, columns, sort, more]);

  const selectedRow = useMemo(() => (selected === null ? null : (shown.find((r) => r.uid === selected) ?? null)), [shown, selected]);

  /** Moves the selection by `delta` rows (or to the first / last), keeping it in view. */
  const move = useCallback(
    (delta: number | 'first' | 'last') => {
      if (shown.length === 0) return;
      const at = shown.findIndex((r) => r.uid === selected);
      const to = delta === 'first' ? 0 : delta === 'last' ? shown.length - 1 : at === -1 ? 0 : Math.max(0, Math.min(shown.length - 1, at + delta));
      const row = shown[to]!;
      setSelected(row.uid);
      keepInView(tableRef.current, to, row.uid);
    },
    [shown, selected],
  );

  return { filter, setFilter, namespace, setNamespace, namespaces, sort, setSort, selected, setSelected, selectedRow, shown, move, tableRef };
}

export type ObjectList<R extends Row> = ReturnType<typeof useObjectList<R>>;
