import { Descriptions, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { TFunction } from 'i18next';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { formatBytes } from '../../i18n/format';
import { Age } from '../console/Age';
import { ActionButton } from '../console/context';
import { UsageText, type ClusterMetrics } from '../console/metrics';
import { ConditionsTable, DrawerSection, LabelList, ObjectDrawer } from '../console/ObjectDrawer';
import { formatMillicores } from '../console/quantity';
import { containerUsage, percentOf, type ContainerFigure, type ContainerUsage, type PodContainer, type PodUsage } from '../console/usage';
import type { VerbAction } from '../console/VerbButtons';
import type { Verb } from '../console/verbs';
import { containerStatuses, podConditions, podImages, type ContainerStatus, type PodRow } from './pod';
import { PodStatusTag } from './PodStatusTag';
import type { usePodActions } from './usePodActions';

/** A container's name, tagged when it is an init container: the first column of both container tables. */
function nameColumn(t: TFunction): {
  title: string;
  key: string;
  width: number;
  ellipsis: boolean;
  render: (_: unknown, c: { name: string; init: boolean }) => ReactNode;
} {
  return {
    title: t('clusters.col.name'),
    key: 'name',
    width: 120,
    ellipsis: true,
    render: (_, c) => (
      <Space size={4}>
        {c.name}
        {c.init && <Tag>{t('clusters.pods.init')}</Tag>}
      </Space>
    ),
  };
}

function stateText(c: Pick<ContainerStatus, 'state'>): string {
  const s = c.state ?? {};
  if (s.running) return 'Running';
  if (s.waiting) return s.waiting.reason ?? 'Waiting';
  if (s.terminated) return s.terminated.reason ?? `ExitCode:${s.terminated.exitCode ?? '?'}`;
  return '—';
}

function lastStateText(c: ContainerStatus): string {
  const t = c.lastState?.terminated;
  return t ? `${t.reason ?? 'Terminated'} (${t.exitCode ?? '?'})` : '—';
}

/** What the pod uses now, of its limit when every container has one; or why it is not known. */
function UsageFigure({ used, limit, format, metrics }: { used: number | null; limit: number | null; format: (n: number) => string; metrics: ClusterMetrics }) {
  const { t } = useTranslation();
  if (metrics.problem)
    return (
      <Tooltip title={metrics.problem.reason}>
        <Typography.Text type="secondary">{t(`clusters.metrics.${metrics.problem.state}`)}</Typography.Text>
      </Tooltip>
    );
  if (!metrics.metrics) return <Typography.Text type="secondary">—</Typography.Text>;
  if (used === null) return <Typography.Text type="secondary">{t('clusters.pods.noUsage')}</Typography.Text>;
  const percent = percentOf(used, limit);
  const text = percent === null ? format(used) : t('clusters.pods.usageOfLimit', { used: format(used), limit: format(limit!), percent });
  return <UsageText text={text} percent={percent} />;
}

type Spec = { name: string; resources?: PodContainer['resources'] };

/** The pod's containers, init ones first, with their resources and state. */
function podContainers(row: PodRow, statuses: ContainerStatus[]): PodContainer[] {
  const spec = (row.object as { spec?: { initContainers?: Spec[]; containers?: Spec[] } }).spec ?? {};
  const state = (name: string) => statuses.find((s) => s.name === name)?.state;
  return [
    ...(spec.initContainers ?? []).map((c) => ({ name: c.name, init: true, resources: c.resources, state: state(c.name) })),
    ...(spec.containers ?? []).map((c) => ({ name: c.name, init: false, resources: c.resources, state: state(c.name) })),
  ];
}

/** Each container's CPU and memory in use, coloured against its own limit, beside its request and limit; why, when it has no figure. */
function ContainerUsageTable({ row, statuses, usage, metrics }: { row: PodRow; statuses: ContainerStatus[]; usage: PodUsage | null; metrics: ClusterMetrics }) {
  const { t } = useTranslation();
  const rows = containerUsage(podContainers(row, statuses), usage);
  const state = (name: string) => stateText(statuses.find((s) => s.name === name) ?? {});
  const why = (c: ContainerUsage): string | undefined => {
    if (c.unmeasured === 'pod') return metrics.problem?.reason ?? t(metrics.metrics ? 'clusters.pods.noUsage' : 'clusters.pods.usageNotRead');
    if (c.unmeasured === 'init-done') return t('clusters.pods.unmeasured.initDone');
    if (c.unmeasured === 'not-running') return t('clusters.pods.unmeasured.notRunning', { state: state(c.name) });
    if (c.unmeasured === 'not-yet') return t('clusters.pods.unmeasured.notYet');
    return undefined;
  };
  const used = (c: ContainerUsage, f: ContainerFigure, format: (n: number) => string) => {
    const text =
      f.used === null ? null : f.percent === null ? format(f.used) : t('clusters.pods.usageOfContainerLimit', { used: format(f.used), percent: f.percent });
    return <UsageText text={text} percent={f.percent} why={why(c)} />;
  };
  const allowed = (f: ContainerFigure, format: (n: number) => string) =>
    `${f.request === null ? '—' : format(f.request)} / ${f.limit === null ? '—' : format(f.limit)}`;
  const usedTitle = (key: string) => <Tooltip title={t('clusters.pods.containerUsageHelp')}>{t(`clusters.col.${key}`)}</Tooltip>;
  return (
    <Table
      size="small"
      rowKey="name"
      pagination={false}
      dataSource={rows}
      data-testid="pod-container-usage"
      onRow={(c) => ({ 'data-testid': 'container-usage-row', 'data-name': c.name }) as React.HTMLAttributes<HTMLElement>}
      columns={[
        nameColumn(t),
        {
          title: usedTitle('cpuUsage'),
          key: 'cpu',
          width: 150,
          // A figure and its share on one line ("153m (100 % of limit)"), not broken inside the parenthesis.
          onCell: () => ({ style: { whiteSpace: 'nowrap' } }),
          render: (_, c) => <span data-testid="container-cpu-usage">{used(c, c.cpu, formatMillicores)}</span>,
        },
        {
          title: t('clusters.pods.cpuResources'),
          key: 'cpuResources',
          width: 100,
          render: (_, c) => <span data-testid="container-cpu-resources">{allowed(c.cpu, formatMillicores)}</span>,
        },
        {
          title: usedTitle('memUsage'),
          key: 'memory',
          width: 175,
          onCell: () => ({ style: { whiteSpace: 'nowrap' } }),
          render: (_, c) => <span data-testid="container-memory-usage">{used(c, c.memory, formatBytes)}</span>,
        },
        {
          title: t('clusters.pods.memResources'),
          key: 'memResources',
          render: (_, c) => <span data-testid="container-memory-resources">{allowed(c.memory, formatBytes)}</span>,
        },
      ]}
    />
  );
}

/**
 * A pod's details: status, usage, conditions (Initialized, Ready,
 * ContainersReady, PodScheduled), containers, each container's usage,
 * labels; with its verbs. The usage above is the pod's (its containers'
 * together, against the sum of their limits); each container's is against
 * its own limit.
 */
export function PodDrawer({
  row,
  verbs,
  onVerb,
  actions,
  metrics,
  usage,
  onClose,
}: {
  row: PodRow;
  verbs: VerbAction[];
  onVerb: (verb: Verb) => void;
  actions: ReturnType<typeof usePodActions>;
  metrics: ClusterMetrics;
  usage: PodUsage | null;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const images = podImages(row.object);
  const { init, main } = containerStatuses(row.object);
  const containers = [...init.map((c) => ({ ...c, init: true })), ...main.map((c) => ({ ...c, init: false }))];
  return (
    <ObjectDrawer title={row.name} testId="pod-drawer" actions={verbs} onVerb={onVerb} onClose={onClose}>
      <Descriptions size="small" column={2} bordered>
        <Descriptions.Item label={t('clusters.col.status')}>
          <PodStatusTag row={row} />
        </Descriptions.Item>
        <Descriptions.Item label={t('clusters.col.namespace')}>{row.namespace}</Descriptions.Item>
        <Descriptions.Item label={t('clusters.col.node')}>{row.node || '—'}</Descriptions.Item>
        <Descriptions.Item label={t('clusters.col.ip')}>{row.ip || '—'}</Descriptions.Item>
        <Descriptions.Item label={t('clusters.col.owner')}>{row.owner ? `${row.owner.kind}/${row.owner.name}` : '—'}</Descriptions.Item>
        <Descriptions.Item label={t('clusters.col.age')}>
          <Age since={row.createdAt} />
        </Descriptions.Item>
        <Descriptions.Item label={t('clusters.col.cpuUsage')}>
          <span data-testid="pod-cpu-usage">
            <UsageFigure used={usage?.cpuMillicores ?? null} limit={row.limits.cpuMillicores} format={formatMillicores} metrics={metrics} />
          </span>
        </Descriptions.Item>
        <Descriptions.Item label={t('clusters.col.memUsage')}>
          <span data-testid="pod-memory-usage">
            <UsageFigure used={usage?.memoryBytes ?? null} limit={row.limits.memoryBytes} format={formatBytes} metrics={metrics} />
          </span>
        </Descriptions.Item>
      </Descriptions>
      <DrawerSection title={t('clusters.pods.conditions')}>
        <ConditionsTable conditions={podConditions(row.object)} testId="pod-conditions" />
      </DrawerSection>
      <DrawerSection title={t('clusters.pods.containers')}>
        <Table
          size="small"
          rowKey="name"
          pagination={false}
          dataSource={containers}
          data-testid="pod-containers"
          columns={[
            nameColumn(t),
            { title: t('clusters.pods.image'), key: 'image', ellipsis: true, render: (_, c) => images[c.name] ?? c.image ?? '—' },
            // Wide enough for the longest reasons (CrashLoopBackOff, ImagePullBackOff) on one line: antd breaks words otherwise.
            { title: t('clusters.pods.state'), key: 'state', width: 150, render: (_, c) => stateText(c) },
            { title: t('clusters.col.ready'), key: 'ready', width: 70, render: (_, c) => (c.ready ? t('common.yes') : t('common.no')) },
            { title: t('clusters.col.restarts'), key: 'restarts', width: 75, render: (_, c) => c.restartCount ?? 0 },
            { title: t('clusters.pods.lastState'), key: 'last', width: 120, ellipsis: true, render: (_, c) => lastStateText(c) },
            {
              title: '',
              key: 'logs',
              width: 70,
              render: (_, c) => (
                <ActionButton size="small" type="link" onClick={() => actions.logs(row, c.name)}>
                  {t('clusters.pods.logs')}
                </ActionButton>
              ),
            },
          ]}
        />
      </DrawerSection>
      <DrawerSection title={t('clusters.pods.containerUsage')}>
        <ContainerUsageTable row={row} statuses={[...init, ...main]} usage={usage} metrics={metrics} />
      </DrawerSection>
      <DrawerSection title={t('clusters.col.labels')}>
        <LabelList labels={row.labels} />
      </DrawerSection>
    </ObjectDrawer>
  );
}
