import { Descriptions, Table } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Age } from '../console/Age';
import { useConsole } from '../console/context';
import { ConditionsTable, DrawerSection, LabelList, ObjectDrawer, type Condition } from '../console/ObjectDrawer';
import { metaOf, useKind, type KubeObject } from '../console/objects';
import type { VerbAction } from '../console/VerbButtons';
import type { Verb } from '../console/verbs';
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

const conditionsOf = (o: KubeObject): Condition[] => (o.status as { conditions?: Condition[] } | undefined)?.conditions ?? [];

/** A workload's details: its counts, conditions, images and its pods, live; with the verbs its kind takes. */
export function WorkloadDrawer({
  row,
  actions,
  onVerb,
  onClose,
}: {
  row: WorkloadRow;
  actions: VerbAction[];
  onVerb: (verb: Verb) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const pods = useWorkloadPods(row);
  const conditions = conditionsOf(row.object);
  return (
    <ObjectDrawer title={`${row.namespace}/${row.name}`} testId="workload-drawer" actions={actions} onVerb={onVerb} onClose={onClose}>
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
        {row.kind === 'cronjobs' && <Descriptions.Item label={t('clusters.col.suspend')}>{row.suspended ? t('common.yes') : t('common.no')}</Descriptions.Item>}
        <Descriptions.Item label={t('clusters.col.images')} span={2}>
          <Images images={row.images} />
        </Descriptions.Item>
      </Descriptions>
      {conditions.length > 0 && (
        <DrawerSection title={t('clusters.workloads.conditions')}>
          <ConditionsTable conditions={conditions} />
        </DrawerSection>
      )}
      <DrawerSection title={t('clusters.workloads.pods', { count: pods.length })}>
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
      </DrawerSection>
      <DrawerSection title={t('clusters.col.labels')}>
        <LabelList labels={row.labels} />
      </DrawerSection>
    </ObjectDrawer>
  );
}
