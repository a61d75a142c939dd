import { CodeOutlined, ExportOutlined, PauseCircleOutlined, PlayCircleOutlined, TagsOutlined } from '@ant-design/icons';
import { Descriptions, Drawer, Space, Table, Tag, Typography } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { formatBytes, formatTime } from '../../i18n/format';
import { usePreferences } from '../../settings/preferences';
import { Age } from '../console/Age';
import { ActionButton, useConsole } from '../console/context';
import { useKind } from '../console/objects';
import { formatCores, parseQuantity } from '../console/quantity';
import { keyOf, type Verb } from '../console/verbs';
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
export function NodeDrawer({ row, onClose, onVerb }: { row: NodeRow; onClose: () => void; onVerb: (verb: Verb) => void }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  const { cluster } = useConsole();
  const status = (row.object.status ?? {}) as { capacity?: Record<string, string>; allocatable?: Record<string, string>; nodeInfo?: Record<string, string> };
  const info = status.nodeInfo ?? {};
  const action = (verb: Verb, label: string, icon: React.ReactNode) => (
    <ActionButton size="small" icon={icon} hint={`${label} (${keyOf(verb)})`} onClick={() => onVerb(verb)} data-testid={`node-drawer-${verb}`}>
      {label}
    </ActionButton>
  );
  return (
    <Drawer open size="large" title={row.name} onClose={onClose} data-testid="node-drawer">
      <Space orientation="vertical" size="large" style={{ width: '100%' }}>
        <Space wrap>
          {action(
            'cordon',
            t(row.unschedulable ? 'clusters.nodes.uncordon' : 'clusters.nodes.cordon'),
            row.unschedulable ? <PlayCircleOutlined /> : <PauseCircleOutlined />,
          )}
          {action('drain', t('clusters.nodes.drain'), <ExportOutlined />)}
          {action('labels', t('clusters.labels.edit'), <TagsOutlined />)}
          {action('taints', t('clusters.taints.edit'), null)}
          {action('yaml', 'YAML', <CodeOutlined />)}
        </Space>
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
        <section>
          <Typography.Title level={5}>{t('clusters.nodes.conditions')}</Typography.Title>
          <Table
            size="small"
            rowKey="type"
            pagination={false}
            dataSource={row.conditions}
            data-testid="node-conditions"
            columns={[
              { title: t('clusters.col.type'), dataIndex: 'type', width: 150 },
              { title: t('clusters.col.status'), dataIndex: 'status', width: 80 },
              { title: t('clusters.col.reason'), dataIndex: 'reason', width: 180, ellipsis: true },
              { title: t('clusters.col.message'), dataIndex: 'message', ellipsis: true },
              {
                title: t('clusters.col.since'),
                key: 'since',
                width: 170,
                render: (_, c) => (c.lastTransitionTime ? formatTime(c.lastTransitionTime, lang) : '—'),
              },
            ]}
          />
        </section>
        <section>
          <Typography.Title level={5}>{t('clusters.col.labels')}</Typography.Title>
          <Space size={[4, 4]} wrap data-testid="node-labels-list">
            {Object.entries(row.labels).map(([k, v]) => (
              <Tag key={k}>{v ? `${k}=${v}` : k}</Tag>
            ))}
          </Space>
        </section>
        <section>
          <Typography.Title level={5}>{t('clusters.col.taints')}</Typography.Title>
          {row.taints.length === 0 ? (
            <Typography.Text type="secondary">{t('clusters.taints.none')}</Typography.Text>
          ) : (
            <Space size={[4, 4]} wrap>
              {row.taints.map((x) => (
                <Tag key={`${x.key}:${x.effect}`} color="orange">{`${x.key}${x.value ? `=${x.value}` : ''}:${x.effect}`}</Tag>
              ))}
            </Space>
          )}
        </section>
        <section>
          <Typography.Title level={5}>{t('clusters.nodes.resources')}</Typography.Title>
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
        </section>
        <section>
          <Typography.Title level={5}>{t('clusters.nodes.podsOnNode')}</Typography.Title>
          <NodePods node={row.name} />
        </section>
      </Space>
    </Drawer>
  );
}
