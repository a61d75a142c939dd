import { CodeOutlined, DeleteOutlined, FileTextOutlined } from '@ant-design/icons';
import { Tooltip, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatBytes } from '../../i18n/format';
import { Age } from '../console/Age';
import { useConsole, useEmptyText, useViewVerbs } from '../console/context';
import { byNumber, byText, useObjectList, type Column } from '../console/list';
import { ListToolbar } from '../console/ListToolbar';
import { MetricsNote, UsageText, useMetrics } from '../console/metrics';
import { useKind } from '../console/objects';
import { ObjectTable } from '../console/ObjectTable';
import { formatMillicores } from '../console/quantity';
import { percentOf, podUsageIndex, podUsageOf, type PodUsage } from '../console/usage';
import { detailsAction, VerbButtons, type VerbAction } from '../console/VerbButtons';
import type { Verb } from '../console/verbs';
import { podRow, type PodRow } from './pod';
import { PodDrawer } from './PodDrawer';
import { PodStatusTag } from './PodStatusTag';
import { usePodActions } from './usePodActions';

/** The figures in use the Pods view shows: metrics-server's, each against the pod's limit of it. */
const IN_USE = [
  { key: 'cpuUsage', width: 105, used: (u: PodUsage) => u.cpuMillicores, limit: (r: PodRow) => r.limits.cpuMillicores, format: formatMillicores },
  { key: 'memUsage', width: 115, used: (u: PodUsage) => u.memoryBytes, limit: (r: PodRow) => r.limits.memoryBytes, format: formatBytes },
] as const;

/** The pods' columns; CPU and memory in use appear while metrics-server gives figures (`usage`). */
function usePodColumns(usage: Map<string, PodUsage> | null): Column<PodRow>[] {
  const { t } = useTranslation();
  return useMemo(() => {
    const usageColumns = (usage ? IN_USE : []).map((c): Column<PodRow> => {
      const used = (r: PodRow) => {
        const u = podUsageOf(usage, r);
        return u && c.used(u);
      };
      return {
        key: c.key,
        title: <Tooltip title={t('clusters.pods.usageHelp')}>{t(`clusters.col.${c.key}`)}</Tooltip>,
        width: c.width,
        live: true,
        render: (r) => {
          const v = used(r);
          return <UsageText text={v === null ? null : c.format(v)} percent={v === null ? null : percentOf(v, c.limit(r))} />;
        },
        sort: (a, b) => byNumber(used(a), used(b)),
      };
    });
    return [
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
      ...usageColumns,
      { key: 'node', title: t('clusters.col.node'), width: 160, render: (r) => r.node || '—', sort: (a, b) => byText(a.node, b.node) },
      { key: 'ip', title: t('clusters.col.ip'), width: 120, render: (r) => r.ip || '—', sort: (a, b) => byText(a.ip, b.ip) },
      {
        key: 'age',
        title: t('clusters.col.age'),
        width: 110,
        render: (r) => <Age since={r.createdAt} />,
        sort: (a, b) => byText(b.createdAt ?? '', a.createdAt ?? ''),
      },
    ];
  }, [t, usage]);
}

/** What the filter box also finds a pod by: its node and status. */
const podText = (r: PodRow) => `${r.node} ${r.status}`;

/** The Pods view: every pod live, with its usage, logs, shell, YAML and delete. */
export function PodsView() {
  const { t } = useTranslation();
  const { store } = useConsole();
  const { items, listed } = useKind(store, 'pods');
  const emptyText = useEmptyText(listed, t('clusters.pods.empty'));
  const rows = useMemo(() => items.map(podRow), [items]);
  const metrics = useMetrics();
  // Indexed again only when the figures change: a tick that brings the same ones renders nothing.
  const figures = metrics.metrics?.pods;
  const usage = useMemo(() => (figures ? podUsageIndex(figures) : null), [figures]);
  const columns = usePodColumns(usage);
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

  /** The verbs on a pod, above the table and in its drawer. */
  const podVerbs: VerbAction[] = [
    { verb: 'logs', label: t('clusters.pods.logs'), icon: <FileTextOutlined /> },
    { verb: 'shell', label: t('clusters.pods.shell'), icon: <CodeOutlined />, loading: actions.opening },
    { verb: 'yaml', label: 'YAML' },
    { verb: 'delete', label: t('clusters.pods.delete'), icon: <DeleteOutlined />, danger: true },
  ];
  const detailRow = rows.find((r) => r.uid === details) ?? null;
  return (
    <>
      <ListToolbar list={list} total={rows.length} namespaced>
        <MetricsNote problem={metrics.problem} />
        <VerbButtons actions={[detailsAction(t), ...podVerbs]} selected={target !== null} onVerb={act} testId="pod" />
      </ListToolbar>
      <ObjectTable list={list} columns={columns} testId="pods-table" onOpen={(r) => act('open', r)} emptyText={emptyText} />
      {detailRow && (
        <PodDrawer
          row={detailRow}
          verbs={podVerbs}
          onVerb={(v) => act(v, detailRow)}
          actions={actions}
          metrics={metrics}
          usage={podUsageOf(usage, detailRow)}
          onClose={() => setDetails(null)}
        />
      )}
    </>
  );
}
