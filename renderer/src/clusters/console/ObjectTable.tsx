import { Empty, Table, type TableColumnType, type TableProps as TableProps2 } from 'antd';
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type HTMLAttributes } from 'react';
import type { Column, ObjectList, Row } from './list';
import './console.css';

/** Room below the table: the page's padding and footer. */
const BOTTOM = 64;
const HEADER = 40;
/** The selected row (the keyboard's cursor): a style rule for its uid, so that moving it renders no row. */
const SELECTED =
  'background: var(--ant-color-primary-bg, #e6f0ff) !important; box-shadow: inset 0 1px 0 var(--ant-color-primary-border, #91b4f5), inset 0 -1px 0 var(--ant-color-primary-border, #91b4f5);';

/** The height left in the window below `el` (at least `min`), kept current as the window resizes. */
function useFillHeight(el: React.RefObject<HTMLElement | null>, min = 240): number {
  const [height, setHeight] = useState(min);
  useEffect(() => {
    const measure = () => {
      const top = el.current?.getBoundingClientRect().top ?? 0;
      setHeight(Math.max(min, Math.floor(window.innerHeight - top - BOTTOM)));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(document.body);
    window.addEventListener('resize', measure);
    return () => {
      observer.disconnect();
      window.removeEventListener('resize', measure);
    };
  }, [el, min]);
  return height;
}

interface TableProps<R extends Row> {
  rows: R[];
  columns: TableColumnType<R>[];
  width: number;
  height: number;
  tableRef: ObjectList<R>['tableRef'];
  emptyText: string;
  onRow: (row: R) => HTMLAttributes<HTMLElement>;
  onSort: TableProps2<R>['onChange'];
  rowSelection: TableProps2<R>['rowSelection'];
}

/**
 * The table itself, rendered again only when its rows, columns, size or
 * checked rows change: not when the selection moves (that is a style rule,
 * below), so j and k stay instant at 5,000 rows.
 */
function VirtualTable<R extends Row>({ rows, columns, width, height, tableRef, emptyText, onRow, onSort, rowSelection }: TableProps<R>) {
  return (
    <Table<R>
      ref={tableRef}
      virtual
      size="small"
      rowKey="uid"
      dataSource={rows}
      columns={columns}
      pagination={false}
      sortDirections={['ascend', 'descend']}
      showSorterTooltip={false}
      scroll={{ x: width, y: height - HEADER }}
      locale={{ emptyText: <Empty description={emptyText} /> }}
      onChange={onSort}
      onRow={onRow}
      rowSelection={rowSelection}
    />
  );
}
const MemoTable = memo(VirtualTable) as typeof VirtualTable;

/**
 * A virtualised table of a kind's rows (antd Table `virtual`: only the rows
 * in view are in the page). A cell renders again only when its row changed
 * (rows keep their identity while their object does), unless its column is
 * `live`. Clicking selects a row (the keyboard's cursor), a double click
 * opens it; the sort is the list's, so that j/k walk the order shown.
 */
export function ObjectTable<R extends Row>({
  list,
  columns,
  testId,
  onOpen,
  checked,
  onChecked,
  emptyText,
}: {
  list: ObjectList<R>;
  columns: Column<R>[];
  testId: string;
  onOpen: (row: R) => void;
  checked?: string[];
  onChecked?: (uids: string[]) => void;
  emptyText: string;
}) {
  const holder = useRef<HTMLDivElement>(null);
  const height = useFillHeight(holder);
  const { sort, setSort, setSelected, selected, selectedRow, shown, tableRef } = list;
  const openRef = useRef(onOpen);
  useLayoutEffect(() => {
    openRef.current = onOpen;
  });

  const antColumns = useMemo(
    () =>
      columns.map((c): TableColumnType<R> => ({
        key: c.key,
        title: c.title,
        width: c.width,
        ellipsis: true,
        sorter: c.sort ? true : undefined,
        sortOrder: sort.key === c.key ? sort.order : null,
        render: (_: unknown, row: R) => c.render(row),
        shouldCellUpdate: c.live ? undefined : (row: R, previous: R) => row !== previous,
      })),
    [columns, sort],
  );
  const width = columns.reduce((n, c) => n + c.width, checked ? 48 : 0);
  const onRow = useCallback(
    (row: R) =>
      ({
        onClick: () => setSelected(row.uid),
        onDoubleClick: () => openRef.current(row),
        'data-testid': `${testId}-row`,
        'data-name': row.name,
      }) as HTMLAttributes<HTMLElement>,
    [setSelected, testId],
  );
  const onSort = useCallback<NonNullable<TableProps2<R>['onChange']>>(
    (_p, _f, sorter) => {
      const s = Array.isArray(sorter) ? sorter[0] : sorter;
      if (s?.columnKey) setSort({ key: String(s.columnKey), order: s.order ?? 'ascend' });
    },
    [setSort],
  );
  const rowSelection = useMemo<TableProps2<R>['rowSelection']>(
    () =>
      checked && onChecked
        ? {
            selectedRowKeys: checked,
            onChange: (keys) => onChecked(keys.map(String)),
            columnWidth: 48,
            getCheckboxProps: (row) => ({ 'aria-label': row.name }),
          }
        : undefined,
    [checked, onChecked],
  );

  return (
    <div ref={holder} className="ef-console-table" data-testid={testId} data-count={shown.length} data-selected={selectedRow?.name ?? ''}>
      {selected && <style>{`.ef-console-table .ant-table-row[data-row-key="${CSS.escape(selected)}"] > .ant-table-cell { ${SELECTED} }`}</style>}
      <MemoTable
        rows={shown}
        columns={antColumns}
        width={width}
        height={height}
        tableRef={tableRef}
        emptyText={emptyText}
        onRow={onRow}
        onSort={onSort}
        rowSelection={rowSelection}
      />
    </div>
  );
}
