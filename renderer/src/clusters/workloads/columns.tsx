import { Space, Tag, Tooltip, Typography } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Age } from '../console/Age';
import { byNumber, byText, type Column } from '../console/list';
import type { WorkloadKind, WorkloadRow } from './workload';

function Count({ value, of }: { value: number | null; of: number | null }) {
  if (value === null) return <>—</>;
  return <Typography.Text type={of !== null && value < of ? 'warning' : undefined}>{value}</Typography.Text>;
}

export function Images({ images }: { images: string[] }) {
  return (
    <Tooltip title={<div style={{ whiteSpace: 'pre-wrap' }}>{images.join('\n')}</div>}>
      <span>{images.join(', ') || '—'}</span>
    </Tooltip>
  );
}

export function JobStateTag({ row }: { row: WorkloadRow }) {
  const { t } = useTranslation();
  if (!row.jobState) return null;
  const color = { complete: 'success', failed: 'error', running: 'processing', suspended: 'warning' }[row.jobState];
  return <Tag color={color}>{t(`clusters.workloads.job.${row.jobState}`)}</Tag>;
}

/** The columns of a workload kind's table: readiness as kubectl prints it for that kind, images and age. */
export function useWorkloadColumns(kind: WorkloadKind): Column<WorkloadRow>[] {
  const { t } = useTranslation();
  return useMemo(() => {
    const name: Column<WorkloadRow> = {
      key: 'name',
      title: t('clusters.col.name'),
      width: 240,
      render: (r) => <Typography.Text strong>{r.name}</Typography.Text>,
      sort: (a, b) => byText(a.name, b.name),
    };
    const namespace: Column<WorkloadRow> = {
      key: 'namespace',
      title: t('clusters.col.namespace'),
      width: 140,
      render: (r) => r.namespace,
      sort: (a, b) => byText(a.namespace, b.namespace),
    };
    const ready: Column<WorkloadRow> = {
      key: 'ready',
      title: t('clusters.col.ready'),
      width: 90,
      render: (r) => (
        <Typography.Text type={r.healthy ? undefined : 'warning'} data-testid="workload-ready">
          {`${r.ready ?? 0}/${r.desired ?? 0}`}
        </Typography.Text>
      ),
      sort: (a, b) => byNumber(a.ready, b.ready),
    };
    const upToDate: Column<WorkloadRow> = {
      key: 'upToDate',
      title: t('clusters.col.upToDate'),
      width: 100,
      render: (r) => <Count value={r.upToDate} of={r.desired} />,
      sort: (a, b) => byNumber(a.upToDate, b.upToDate),
    };
    const available: Column<WorkloadRow> = {
      key: 'available',
      title: t('clusters.col.available'),
      width: 90,
      render: (r) => <Count value={r.available} of={r.desired} />,
      sort: (a, b) => byNumber(a.available, b.available),
    };
    const images: Column<WorkloadRow> = { key: 'images', title: t('clusters.col.images'), width: 280, render: (r) => <Images images={r.images} /> };
    const age: Column<WorkloadRow> = {
      key: 'age',
      title: t('clusters.col.age'),
      width: 110,
      render: (r) => <Age since={r.createdAt} />,
      sort: (a, b) => byText(b.createdAt ?? '', a.createdAt ?? ''),
    };
    if (kind === 'jobs')
      return [
        name,
        namespace,
        {
          key: 'completions',
          title: t('clusters.col.completions'),
          width: 110,
          render: (r) => `${r.ready ?? 0}/${r.desired ?? 1}`,
          sort: (a, b) => byNumber(a.ready, b.ready),
        },
        {
          key: 'state',
          title: t('clusters.col.status'),
          width: 120,
          render: (r) => <JobStateTag row={r} />,
          sort: (a, b) => byText(a.jobState ?? '', b.jobState ?? ''),
        },
        images,
        age,
      ];
    if (kind === 'cronjobs')
      return [
        name,
        namespace,
        { key: 'schedule', title: t('clusters.col.schedule'), width: 130, render: (r) => <Typography.Text code>{r.schedule}</Typography.Text> },
        {
          key: 'suspend',
          title: t('clusters.col.suspend'),
          width: 100,
          render: (r) => (
            <Space data-testid="cronjob-suspended" data-suspended={String(r.suspended)}>
              {r.suspended ? <Tag color="warning">{t('common.yes')}</Tag> : t('common.no')}
            </Space>
          ),
          sort: (a, b) => Number(a.suspended) - Number(b.suspended),
        },
        { key: 'active', title: t('clusters.col.active'), width: 80, render: (r) => r.active ?? 0, sort: (a, b) => byNumber(a.active, b.active) },
        {
          key: 'last',
          title: t('clusters.col.lastSchedule'),
          width: 130,
          render: (r) => (r.lastSchedule ? <Age since={r.lastSchedule} /> : '—'),
          sort: (a, b) => byText(a.lastSchedule ?? '', b.lastSchedule ?? ''),
        },
        images,
        age,
      ];
    return kind === 'statefulsets' ? [name, namespace, ready, upToDate, images, age] : [name, namespace, ready, upToDate, available, images, age];
  }, [t, kind]);
}
