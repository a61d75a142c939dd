import { CodeOutlined, DeleteOutlined, FileTextOutlined } from '@ant-design/icons';
import { Descriptions, Drawer, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { formatTime } from '../../i18n/format';
import { usePreferences } from '../../settings/preferences';
import { Age } from '../console/Age';
import { ActionButton } from '../console/context';
import { keyOf } from '../console/verbs';
import { containerStatuses, podConditions, podImages, type ContainerStatus, type PodRow } from './pod';
import { PodStatusTag } from './PodStatusTag';
import type { usePodActions } from './usePodActions';

function stateText(c: ContainerStatus): string {
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

/** A pod's details: status, conditions (Initialized, Ready, ContainersReady, PodScheduled), containers, labels; with its verbs. */
export function PodDrawer({ row, actions, onClose }: { row: PodRow; actions: ReturnType<typeof usePodActions>; onClose: () => void }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  const images = podImages(row.object);
  const { init, main } = containerStatuses(row.object);
  const containers = [...init.map((c) => ({ ...c, init: true })), ...main.map((c) => ({ ...c, init: false }))];
  return (
    <Drawer open size="large" title={row.name} onClose={onClose} data-testid="pod-drawer">
      <Space orientation="vertical" size="large" style={{ width: '100%' }}>
        <Space wrap>
          <ActionButton size="small" icon={<FileTextOutlined />} hint={`${t('clusters.pods.logs')} (${keyOf('logs')})`} onClick={() => actions.logs(row)}>
            {t('clusters.pods.logs')}
          </ActionButton>
          <ActionButton size="small" icon={<CodeOutlined />} hint={`${t('clusters.pods.shell')} (${keyOf('shell')})`} onClick={() => actions.shell(row)}>
            {t('clusters.pods.shell')}
          </ActionButton>
          <ActionButton size="small" hint={`YAML (${keyOf('yaml')})`} onClick={() => actions.yaml(row)}>
            YAML
          </ActionButton>
          <ActionButton
            size="small"
            danger
            icon={<DeleteOutlined />}
            hint={`${t('clusters.pods.delete')} (${keyOf('delete')})`}
            onClick={() => actions.remove(row)}
          >
            {t('clusters.pods.delete')}
          </ActionButton>
        </Space>
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
        </Descriptions>
        <section>
          <Typography.Title level={5}>{t('clusters.pods.conditions')}</Typography.Title>
          <Table
            size="small"
            rowKey="type"
            pagination={false}
            dataSource={podConditions(row.object)}
            data-testid="pod-conditions"
            columns={[
              { title: t('clusters.col.type'), dataIndex: 'type', width: 160 },
              { title: t('clusters.col.status'), dataIndex: 'status', width: 80 },
              { title: t('clusters.col.reason'), dataIndex: 'reason', width: 160, ellipsis: true },
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
          <Typography.Title level={5}>{t('clusters.pods.containers')}</Typography.Title>
          <Table
            size="small"
            rowKey="name"
            pagination={false}
            dataSource={containers}
            data-testid="pod-containers"
            columns={[
              {
                title: t('clusters.col.name'),
                key: 'name',
                width: 150,
                ellipsis: true,
                render: (_, c) => (
                  <Space size={4}>
                    {c.name}
                    {c.init && <Tag>{t('clusters.pods.init')}</Tag>}
                  </Space>
                ),
              },
              { title: t('clusters.pods.image'), key: 'image', ellipsis: true, render: (_, c) => images[c.name] ?? c.image ?? '—' },
              { title: t('clusters.pods.state'), key: 'state', width: 140, render: (_, c) => stateText(c) },
              { title: t('clusters.col.ready'), key: 'ready', width: 70, render: (_, c) => (c.ready ? t('common.yes') : t('common.no')) },
              { title: t('clusters.col.restarts'), key: 'restarts', width: 80, render: (_, c) => c.restartCount ?? 0 },
              { title: t('clusters.pods.lastState'), key: 'last', width: 150, ellipsis: true, render: (_, c) => lastStateText(c) },
              {
                title: '',
                key: 'logs',
                width: 90,
                render: (_, c) => (
                  <ActionButton size="small" type="link" onClick={() => actions.logs(row, c.name)}>
                    {t('clusters.pods.logs')}
                  </ActionButton>
                ),
              },
            ]}
          />
        </section>
        <section>
          <Typography.Title level={5}>{t('clusters.col.labels')}</Typography.Title>
          <Space size={[4, 4]} wrap>
            {Object.entries(row.labels).map(([k, v]) => (
              <Tag key={k}>{`${k}=${v}`}</Tag>
            ))}
            {Object.keys(row.labels).length === 0 && <Typography.Text type="secondary">—</Typography.Text>}
          </Space>
        </section>
      </Space>
    </Drawer>
  );
}
