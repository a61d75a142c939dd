import { useQuery } from '@tanstack/react-query';
import { Space, Tag, Tooltip, Typography } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { Job, Metrics } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { formatBytes } from '../../i18n/format';
import { JOBS_LIST_INPUT } from '../../jobs/feed';
import { Age } from '../console/Age';
import { byNumber, byText, type Column } from '../console/list';
import { UsageText } from '../console/metrics';
import { formatCores } from '../console/quantity';
import { percentOf } from '../console/usage';
import type { NodeRow } from './node';

/** The job kind of a drain (main/cluster/drain.ts); its params are the drain's input. */
const DRAIN_KIND = 'clusters.drain';

/** The running (or queued) drain job of a node, from the live jobs list. */
export function useDrainJob(clusterId: string, node: string): Job | null {
  const { orpc } = useApi();
  const q = useQuery({
    ...orpc.jobs.list.queryOptions({ input: JOBS_LIST_INPUT }),
    select: (jobs) =>
      jobs.find(
        (j) => j.kind === DRAIN_KIND && (j.state === 'running' || j.state === 'queued') && j.params.clusterId === clusterId && j.params.node === node,
      ) ?? null,
  });
  return q.data ?? null;
}

export function NodeStatus({ row, clusterId }: { row: NodeRow; clusterId: string }) {
  const { t } = useTranslation();
  const draining = useDrainJob(clusterId, row.name);
  const ready = row.ready === true ? 'ready' : row.ready === false ? 'notReady' : 'unknown';
  return (
    <Space size={2} wrap data-testid="node-status" data-status={ready} data-unschedulable={String(row.unschedulable)}>
      <Tag color={row.ready === true ? 'success' : row.ready === false ? 'error' : 'default'}>{t(`clusters.nodes.${ready}`)}</Tag>
      {row.unschedulable && <Tag color="warning">{t('clusters.nodes.schedulingDisabled')}</Tag>}
      {draining && <Tag color="processing">{t('clusters.nodes.draining')}</Tag>}
    </Space>
  );
}

function LabelTags({ labels, max = 1 }: { labels: Record<string, string>; max?: number }) {
  // The well-known kubernetes.io labels every node has come last: the ones a person set say more.
  const entries = Object.entries(labels).sort(([a], [b]) => Number(a.includes('kubernetes.io/')) - Number(b.includes('kubernetes.io/')) || byText(a, b));
  if (entries.length === 0) return <Typography.Text type="secondary">—</Typography.Text>;
  const text = ([k, v]: [string, string]) => (v ? `${k}=${v}` : k);
  return (
    <Tooltip title={<div style={{ whiteSpace: 'pre-wrap' }}>{entries.map(text).join('\n')}</div>}>
      <span style={{ display: 'flex', alignItems: 'center', gap: 4, overflow: 'hidden' }}>
        {entries.slice(0, max).map((e) => (
          <Tag key={e[0]} style={{ margin: 0, minWidth: 0, overflow: 'hidden', textOverflow: 'ellipsis' }}>
            {text(e)}
          </Tag>
        ))}
        {entries.length > max && (
          <Typography.Text type="secondary" style={{ flex: 'none' }}>
            +{entries.length - max}
          </Typography.Text>
        )}
      </span>
    </Tooltip>
  );
}

/** Allocatable / capacity in one unit where they share it: "7.8 / 7.8 GiB". */
function bytesPair(alloc: number | null, cap: number | null): string {
  if (alloc === null || cap === null) return `${alloc === null ? '—' : formatBytes(alloc)} / ${cap === null ? '—' : formatBytes(cap)}`;
  const [a, unitA] = formatBytes(alloc).split(' ');
  const [, unitC] = formatBytes(cap).split(' ');
  return unitA === unitC ? `${a} / ${formatBytes(cap)}` : `${formatBytes(alloc)} / ${formatBytes(cap)}`;
}

function Usage({ value }: { value: number | null }) {
  return <UsageText text={value === null ? null : `${value}%`} percent={value} />;
}

/** The Nodes table's columns; the usage columns appear only while metrics are available. */
export function useNodeColumns(clusterId: string, metrics: Metrics | null): Column<NodeRow>[] {
  const { t } = useTranslation();
  return useMemo(() => {
    const usage = metrics?.available ? new Map(metrics.nodes.map((n) => [n.name, n])) : null;
    const cpuUsed = (r: NodeRow) => {
      const u = usage?.get(r.name);
      return u ? percentOf(u.cpuMillicores / 1000, r.cpuAllocatable) : null;
    };
    const memUsed = (r: NodeRow) => {
      const u = usage?.get(r.name);
      return u ? percentOf(u.memoryBytes, r.memoryAllocatable) : null;
    };
    const cpu: Column<NodeRow> = {
      key: 'cpu',
      title: <Tooltip title={t('clusters.nodes.allocCapHelp')}>{t('clusters.col.cpu')}</Tooltip>,
      width: 80,
      render: (r) => `${r.cpuAllocatable === null ? '—' : formatCores(r.cpuAllocatable)} / ${r.cpuCapacity === null ? '—' : formatCores(r.cpuCapacity)}`,
      sort: (a, b) => byNumber(a.cpuAllocatable, b.cpuAllocatable),
    };
    const memory: Column<NodeRow> = {
      key: 'memory',
      title: <Tooltip title={t('clusters.nodes.allocCapHelp')}>{t('clusters.col.memory')}</Tooltip>,
      width: 130,
      render: (r) => bytesPair(r.memoryAllocatable, r.memoryCapacity),
      sort: (a, b) => byNumber(a.memoryAllocatable, b.memoryAllocatable),
    };
    // The reference's node list: name, status, labels, CPU (allocated / used %), memory (allocated / used %), version, IP, created.
    return [
      {
        key: 'name',
        title: t('clusters.col.name'),
        width: 160,
        render: (r) => <Typography.Text strong>{r.name}</Typography.Text>,
        sort: (a, b) => byText(a.name, b.name),
      },
      {
        key: 'status',
        title: t('clusters.col.status'),
        width: 170,
        render: (r) => <NodeStatus row={r} clusterId={clusterId} />,
        sort: (a, b) => Number(b.ready) - Number(a.ready) || Number(a.unschedulable) - Number(b.unschedulable),
      },
      {
        key: 'roles',
        title: t('clusters.col.roles'),
        width: 100,
        render: (r) => r.roles.join(', ') || '—',
        sort: (a, b) => byText(a.roles.join(), b.roles.join()),
      },
      { key: 'labels', title: t('clusters.col.labels'), width: 150, render: (r) => <LabelTags labels={r.labels} /> },
      cpu,
      ...(usage
        ? [
            {
              key: 'cpuUsed',
              title: <Tooltip title={t('clusters.nodes.usedHelp')}>{t('clusters.col.cpuUsed')}</Tooltip>,
              width: 80,
              live: true,
              render: (r: NodeRow) => <Usage value={cpuUsed(r)} />,
              sort: (a: NodeRow, b: NodeRow) => byNumber(cpuUsed(a), cpuUsed(b)),
            },
          ]
        : []),
      memory,
      ...(usage
        ? [
            {
              key: 'memUsed',
              title: <Tooltip title={t('clusters.nodes.usedHelp')}>{t('clusters.col.memUsed')}</Tooltip>,
              width: 90,
              live: true,
              render: (r: NodeRow) => <Usage value={memUsed(r)} />,
              sort: (a: NodeRow, b: NodeRow) => byNumber(memUsed(a), memUsed(b)),
            },
          ]
        : []),
      { key: 'version', title: t('clusters.col.version'), width: 120, render: (r) => r.version || '—', sort: (a, b) => byText(a.version, b.version) },
      { key: 'ip', title: t('clusters.col.ip'), width: 110, render: (r) => r.ip || '—', sort: (a, b) => byText(a.ip, b.ip) },
      {
        key: 'taints',
        title: t('clusters.col.taints'),
        width: 80,
        render: (r) =>
          r.taints.length === 0 ? (
            '0'
          ) : (
            <Tooltip
              title={<div style={{ whiteSpace: 'pre-wrap' }}>{r.taints.map((x) => `${x.key}${x.value ? `=${x.value}` : ''}:${x.effect}`).join('\n')}</div>}
            >
              <Tag color="orange">{r.taints.length}</Tag>
            </Tooltip>
          ),
        sort: (a, b) => a.taints.length - b.taints.length,
      },
      {
        key: 'age',
        title: t('clusters.col.age'),
        width: 100,
        render: (r) => <Age since={r.createdAt} />,
        sort: (a, b) => byText(b.createdAt ?? '', a.createdAt ?? ''),
      },
    ];
  }, [t, clusterId, metrics]);
}
