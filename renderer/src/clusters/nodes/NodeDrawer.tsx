import { Descriptions, Space, Table, Tag, Typography } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { formatBytes } from '../../i18n/format';
import { Age } from '../console/Age';
import { useConsole } from '../console/context';
import { ConditionsTable, DrawerSection, LabelList, ObjectDrawer } from '../console/ObjectDrawer';
import { useKind } from '../console/objects';
import { formatCores, parseQuantity } from '../console/quantity';
import type { VerbAction } from '../console/VerbButtons';
import type { Verb } from '../console/verbs';
import { PodStatusTag } from '../pods/PodStatusTag';
import { podRow } from '../pods/pod';
import { NodeStatus } from './columns';
import type { NodeRow } from './node';

const RESOURCES = ['cpu', 'memory', 'pods', 'ephemeral-storage'];

function amount(resource: string, q: string | undefined): string {
  const v = parseQuantity(q);
  if (v === null) return q ?? '—';
  if (resource === 'cpu') return formatCores(v);
  if (resource === 'memory' || resource === 'ephemeral-storage') return formatBytes(v);
  return String(v);
}

/** The pods the node runs, live: they leave this list as a drain evicts them. */
export function NodePods({ node }: { node: string }) {
  const { t } = useTranslation();
  const { store } = useConsole();
  const { items } = useKind(store, 'pods');
  const pods = useMemo(() => items.map(podRow).filter((p) => p.node === node), [items, node]);
  return (
    <Table
      size="small"
      rowKey="uid"
      dataSource={pods}
      pagination={pods.length > 20 ? { pageSize: 20, size: 'small' } : false}
      locale={{ emptyText: t('clusters.nodes.noPods') }}
      data-testid="node-pods"
      data-count={pods.length}
      onRow={(p) => ({ 'data-testid': 'node-pod', 'data-name': p.name }) as React.HTMLAttributes<HTMLElement>}
      columns={[
        { title: t('clusters.col.name'), key: 'name', ellipsis: true, render: (_, p) => p.name },
        { title: t('clusters.col.namespace'), key: 'ns', width: 130, ellipsis: true, render: (_, p) => p.namespace },
        { title: t('clusters.col.status'), key: 'status', width: 150, render: (_, p) => <PodStatusTag row={p} /> },
        { title: t('clusters.col.owner'), key: 'owner', width: 150, ellipsis: true, render: (_, p) => (p.owner ? `${p.owner.kind}/${p.owner.name}` : '—') },
        { title: t('clusters.col.age'), key: 'age', width: 100, render: (_, p) => <Age since={p.createdAt} /> },
      ]}
    />
  );
}

/** A node's details: conditions, labels, taints, capacity and allocatable, and its pods; with the node's actions. */
export function NodeDrawer({ row, actions, onVerb, onClose }: { row: NodeRow; actions: VerbAction[]; onVerb: (verb: Verb) => void; onClose: () => void }) {
  const { t } = useTranslation();
  const { cluster } = useConsole();
  const status = (row.object.status ?? {}) as { capacity?: Record<string, string>; allocatable?: Record<string, string>; nodeInfo?: Record<string, string> };
  const info = status.nodeInfo ?? {};
  return (
    <ObjectDrawer title={row.name} testId="node-drawer" actions={actions} onVerb={onVerb} onClose={onClose}>
      <Descriptions size="small" column={2} bordered>
        <Descriptions.Item label={t('clusters.col.status')} span={2}>
          <NodeStatus row={row} clusterId={cluster.id} />
        </Descriptions.Item>
        <Descriptions.Item label={t('clusters.col.roles')}>{row.roles.join(', ') || '—'}</Descriptions.Item>
        <Descriptions.Item label={t('clusters.col.ip')}>{row.ip || '—'}</Descriptions.Item>
        <Descriptions.Item label={t('clusters.col.version')}>{row.version || '—'}</Descriptions.Item>
        <Descriptions.Item label={t('clusters.nodes.arch')}>{row.arch || '—'}</Descriptions.Item>
        <Descriptions.Item label={t('clusters.nodes.os')}>{row.os || '—'}</Descriptions.Item>
        <Descriptions.Item label={t('clusters.nodes.runtime')}>{info.containerRuntimeVersion ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('clusters.col.age')}>
          <Age since={row.createdAt} />
        </Descriptions.Item>
      </Descriptions>
      <DrawerSection title={t('clusters.nodes.conditions')}>
        <ConditionsTable conditions={row.conditions} testId="node-conditions" />
      </DrawerSection>
      <DrawerSection title={t('clusters.col.labels')}>
        <LabelList labels={row.labels} testId="node-labels-list" />
      </DrawerSection>
      <DrawerSection title={t('clusters.col.taints')}>
        {row.taints.length === 0 ? (
          <Typography.Text type="secondary">{t('clusters.taints.none')}</Typography.Text>
        ) : (
          <Space size={[4, 4]} wrap>
            {row.taints.map((x) => (
              <Tag key={`${x.key}:${x.effect}`} color="orange">{`${x.key}${x.value ? `=${x.value}` : ''}:${x.effect}`}</Tag>
            ))}
          </Space>
        )}
      </DrawerSection>
      <DrawerSection title={t('clusters.nodes.resources')}>
        <Table
          size="small"
          rowKey="r"
          pagination={false}
          dataSource={RESOURCES.map((r) => ({ r }))}
          columns={[
            { title: t('clusters.nodes.resource'), dataIndex: 'r' },
            { title: t('clusters.nodes.capacity'), key: 'cap', render: (_, { r }) => amount(r, status.capacity?.[r]) },
            { title: t('clusters.nodes.allocatable'), key: 'alloc', render: (_, { r }) => amount(r, status.allocatable?.[r]) },
          ]}
        />
      </DrawerSection>
      <DrawerSection title={t('clusters.nodes.podsOnNode')}>
        <NodePods node={row.name} />
      </DrawerSection>
    </ObjectDrawer>
  );
}
