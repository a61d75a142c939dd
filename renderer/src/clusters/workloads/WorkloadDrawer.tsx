import { Descriptions, Drawer, Space, Table, Tag, Typography } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Age } from '../console/Age';
import { useConsole } from '../console/context';
import { metaOf, useKind, type KubeObject } from '../console/objects';
import { podRow, type PodRow } from '../pods/pod';
import { PodStatusTag } from '../pods/PodStatusTag';
import { Images, JobStateTag } from './columns';
import type { WorkloadRow } from './workload';

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** Kubernetes label selector semantics (metav1.LabelSelector): every matchLabels pair and every expression holds. */
function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const pairs = Object.entries(selector.matchLabels ?? {});
  const exprs = selector.matchExpressions ?? [];
  if (pairs.length === 0 && exprs.length === 0) return false;
  return (
    pairs.every(([k, v]) => labels[k] === v) &&
    exprs.every((e) => {
      const has = e.key in labels;
      if (e.operator === 'Exists') return has;
      if (e.operator === 'DoesNotExist') return !has;
      const inValues = has && (e.values ?? []).includes(labels[e.key]!);
      return e.operator === 'In' ? inValues : !inValues;
    })
  );
}

/** The workload's pods: by its selector, or (a CronJob) through the Jobs it made. */
function useWorkloadPods(row: WorkloadRow): PodRow[] {
  const { store } = useConsole();
  const pods = useKind(store, 'pods').items;
  const jobs = useKind(store, 'jobs').items;
  return useMemo(() => {
    const inNamespace = pods.map(podRow).filter((p) => p.namespace === row.namespace);
    if (row.kind === 'cronjobs') {
      const own = new Set(
        jobs
          .filter((j) => metaOf(j).namespace === row.namespace && metaOf(j).ownerReferences?.some((o) => o.uid === metaOf(row.object).uid))
          .map((j) => metaOf(j).name),
      );
      return inNamespace.filter((p) => p.owner?.kind === 'Job' && own.has(p.owner.name));
    }
    const selector = ((row.object.spec as { selector?: LabelSelector } | undefined)?.selector ?? {}) as LabelSelector;
    return inNamespace.filter((p) => selects(selector, p.labels));
  }, [pods, jobs, row]);
}

const conditionsOf = (o: KubeObject) =>
  (o.status as { conditions?: { type: string; status: string; reason?: string; message?: string }[] } | undefined)?.conditions ?? [];

/** A workload's details: its counts, conditions, images and its pods, live. */
export function WorkloadDrawer({ row, onClose }: { row: WorkloadRow; onClose: () => void }) {
  const { t } = useTranslation();
  const pods = useWorkloadPods(row);
  return (
    <Drawer open size="large" title={`${row.namespace}/${row.name}`} onClose={onClose} data-testid="workload-drawer">
      <Space orientation="vertical" size="large" style={{ width: '100%' }}>
        <Descriptions size="small" column={2} bordered>
          <Descriptions.Item label={t('clusters.col.kind')}>{t(`clusters.workloads.kinds.${row.kind}`)}</Descriptions.Item>
          <Descriptions.Item label={t('clusters.col.age')}>
            <Age since={row.createdAt} />
          </Descriptions.Item>
          {row.desired !== null && (
            <Descriptions.Item label={t('clusters.col.ready')}>
              {row.ready ?? 0}/{row.desired}
            </Descriptions.Item>
          )}
          {row.upToDate !== null && <Descriptions.Item label={t('clusters.col.upToDate')}>{row.upToDate}</Descriptions.Item>}
          {row.available !== null && <Descriptions.Item label={t('clusters.col.available')}>{row.available}</Descriptions.Item>}
          {row.jobState && (
            <Descriptions.Item label={t('clusters.col.status')}>
              <JobStateTag row={row} />
            </Descriptions.Item>
          )}
          {row.schedule !== null && <Descriptions.Item label={t('clusters.col.schedule')}>{row.schedule}</Descriptions.Item>}
          {row.kind === 'cronjobs' && (
            <Descriptions.Item label={t('clusters.col.suspend')}>{row.suspended ? t('common.yes') : t('common.no')}</Descriptions.Item>
          )}
          <Descriptions.Item label={t('clusters.col.images')} span={2}>
            <Images images={row.images} />
          </Descriptions.Item>
        </Descriptions>
        {conditionsOf(row.object).length > 0 && (
          <section>
            <Typography.Title level={5}>{t('clusters.workloads.conditions')}</Typography.Title>
            <Table
              size="small"
              rowKey="type"
              pagination={false}
              dataSource={conditionsOf(row.object)}
              columns={[
                { title: t('clusters.col.type'), dataIndex: 'type', width: 140 },
                { title: t('clusters.col.status'), dataIndex: 'status', width: 80 },
                { title: t('clusters.col.reason'), dataIndex: 'reason', width: 200, ellipsis: true },
                { title: t('clusters.col.message'), dataIndex: 'message', ellipsis: true },
              ]}
            />
          </section>
        )}
        <section>
          <Typography.Title level={5}>{t('clusters.workloads.pods', { count: pods.length })}</Typography.Title>
          <Table
            size="small"
            rowKey="uid"
            dataSource={pods}
            pagination={pods.length > 20 ? { pageSize: 20, size: 'small' } : false}
            data-testid="workload-pods"
            columns={[
              { title: t('clusters.col.name'), key: 'name', ellipsis: true, render: (_, p) => p.name },
              { title: t('clusters.col.status'), key: 'status', width: 150, render: (_, p) => <PodStatusTag row={p} /> },
              { title: t('clusters.col.ready'), key: 'ready', width: 70, render: (_, p) => `${p.ready}/${p.total}` },
              { title: t('clusters.col.node'), key: 'node', width: 150, ellipsis: true, render: (_, p) => p.node || '—' },
              { title: t('clusters.col.age'), key: 'age', width: 100, render: (_, p) => <Age since={p.createdAt} /> },
            ]}
          />
        </section>
        <section>
          <Typography.Title level={5}>{t('clusters.col.labels')}</Typography.Title>
          <Space size={[4, 4]} wrap>
            {Object.entries(row.labels).map(([k, v]) => (
              <Tag key={k}>{`${k}=${v}`}</Tag>
            ))}
          </Space>
        </section>
      </Space>
    </Drawer>
  );
}
