import { CodeOutlined, DeleteOutlined, FileTextOutlined, InfoCircleOutlined } from '@ant-design/icons';
import { Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Age } from '../console/Age';
import { ActionButton, useConsole, useEmptyText, useViewVerbs } from '../console/context';
import { byNumber, byText, useObjectList, type Column } from '../console/list';
import { ListToolbar } from '../console/ListToolbar';
import { useKind } from '../console/objects';
import { ObjectTable } from '../console/ObjectTable';
import { keyOf, type Verb } from '../console/verbs';
import { podRow, type PodRow } from './pod';
import { PodDrawer } from './PodDrawer';
import { PodStatusTag } from './PodStatusTag';
import { usePodActions } from './usePodActions';

function usePodColumns(): Column<PodRow>[] {
  const { t } = useTranslation();
  return useMemo(
    () => [
      {
        key: 'name',
        title: t('clusters.col.name'),
        width: 260,
        render: (r) => <Typography.Text strong>{r.name}</Typography.Text>,
        sort: (a, b) => byText(a.name, b.name),
      },
      { key: 'namespace', title: t('clusters.col.namespace'), width: 140, render: (r) => r.namespace, sort: (a, b) => byText(a.namespace, b.namespace) },
      { key: 'status', title: t('clusters.col.status'), width: 170, render: (r) => <PodStatusTag row={r} />, sort: (a, b) => byText(a.status, b.status) },
      {
        key: 'ready',
        title: t('clusters.col.ready'),
        width: 80,
        render: (r) => <Typography.Text type={r.ready < r.total && r.health !== 'done' ? 'warning' : undefined}>{`${r.ready}/${r.total}`}</Typography.Text>,
        sort: (a, b) => a.ready / Math.max(1, a.total) - b.ready / Math.max(1, b.total),
      },
      {
        key: 'restarts',
        title: t('clusters.col.restarts'),
        width: 90,
        render: (r) => <Typography.Text type={r.restarts > 0 ? 'warning' : undefined}>{r.restarts}</Typography.Text>,
        sort: (a, b) => byNumber(a.restarts, b.restarts),
      },
      { key: 'node', title: t('clusters.col.node'), width: 160, render: (r) => r.node || '—', sort: (a, b) => byText(a.node, b.node) },
      { key: 'ip', title: t('clusters.col.ip'), width: 120, render: (r) => r.ip || '—', sort: (a, b) => byText(a.ip, b.ip) },
      {
        key: 'age',
        title: t('clusters.col.age'),
        width: 110,
        render: (r) => <Age since={r.createdAt} />,
        sort: (a, b) => byText(b.createdAt ?? '', a.createdAt ?? ''),
      },
    ],
    [t],
  );
}

/** What the filter box also finds a pod by: its node and status. */
const podText = (r: PodRow) => `${r.node} ${r.status}`;

/** The Pods view: every pod live, with logs, shell, YAML and delete. */
export function PodsView() {
  const { t } = useTranslation();
  const { store } = useConsole();
  const { items, listed } = useKind(store, 'pods');
  const emptyText = useEmptyText(listed, t('clusters.pods.empty'));
  const rows = useMemo(() => items.map(podRow), [items]);
  const columns = usePodColumns();
  const list = useObjectList(rows, columns, { sort: { key: 'name', order: 'ascend' }, more: podText });
  const actions = usePodActions();
  const [details, setDetails] = useState<string | null>(null);

  const target = list.selectedRow;
  const act = (verb: Verb, row: PodRow | null = target): boolean => {
    if (verb === 'down' || verb === 'up') list.move(verb === 'down' ? 1 : -1);
    else if (verb === 'first' || verb === 'last') list.move(verb);
    else if (!row) return false;
    else if (verb === 'open') setDetails(row.uid);
    else if (verb === 'logs') actions.logs(row);
    else if (verb === 'shell') actions.shell(row);
    else if (verb === 'yaml') actions.yaml(row);
    else if (verb === 'delete') actions.remove(row);
    else return false;
    return true;
  };
  useViewVerbs((verb) => act(verb));

  const none = target ? null : t('clusters.list.selectFirst');
  const hint = (verb: Verb, label: string) => `${label} (${keyOf(verb)})`;
  const detailRow = rows.find((r) => r.uid === details) ?? null;
  return (
    <>
      <ListToolbar list={list} total={rows.length} namespaced>
        <ActionButton
          local
          icon={<InfoCircleOutlined />}
          unavailable={none}
          hint={hint('open', t('clusters.list.details'))}
          onClick={() => act('open')}
          data-testid="pod-details"
        >
          {t('clusters.list.details')}
        </ActionButton>
        <ActionButton
          icon={<FileTextOutlined />}
          unavailable={none}
          hint={hint('logs', t('clusters.pods.logs'))}
          onClick={() => act('logs')}
          data-testid="pod-logs"
        >
          {t('clusters.pods.logs')}
        </ActionButton>
        <ActionButton
          icon={<CodeOutlined />}
          unavailable={none}
          hint={hint('shell', t('clusters.pods.shell'))}
          loading={actions.opening}
          onClick={() => act('shell')}
          data-testid="pod-shell"
        >
          {t('clusters.pods.shell')}
        </ActionButton>
        <ActionButton unavailable={none} hint={hint('yaml', 'YAML')} onClick={() => act('yaml')} data-testid="pod-yaml">
          YAML
        </ActionButton>
        <ActionButton
          danger
          icon={<DeleteOutlined />}
          unavailable={none}
          hint={hint('delete', t('clusters.pods.delete'))}
          onClick={() => act('delete')}
          data-testid="pod-delete"
        >
          {t('clusters.pods.delete')}
        </ActionButton>
      </ListToolbar>
      <ObjectTable list={list} columns={columns} testId="pods-table" onOpen={(r) => act('open', r)} emptyText={emptyText} />
      {detailRow && <PodDrawer row={detailRow} actions={actions} onClose={() => setDetails(null)} />}
    </>
  );
}
