import { PlusOutlined, ThunderboltOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Badge, Button, Card, Empty, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Cluster, FlashRun } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { formatTime } from '../i18n/format';
import { usePreferences } from '../settings/preferences';
import { ProblemAlert } from '../settings/StationLocked';
import { goTo } from '../shell/areas';
import { RunBar, RunCountsText } from './RunBar';

/** "New cluster edge-a (HA)", "Joins edge-a", "No cluster". */
export function JoinText({ run, clusters }: { run: FlashRun; clusters: Cluster[] | undefined }) {
  const { t } = useTranslation();
  const join = run.join;
  if (join.mode === 'none') return <Typography.Text type="secondary">{t('station.join.noneShort')}</Typography.Text>;
  if (join.mode === 'new')
    return (
      <Space size={4}>
        <span>{t('station.join.newShort', { name: join.clusterName })}</span>
        {join.ha && <Tag color="purple">{t('station.join.haTag')}</Tag>}
      </Space>
    );
  const name = clusters?.find((c) => c.id === join.clusterId)?.name ?? join.clusterId;
  return <span>{t('station.join.existingShort', { name })}</span>;
}

/** Every flash run, newest first; a row opens the run's grid. */
export function RunsList({ onNew, live }: { onNew: () => void; live: boolean }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const runs = useQuery(orpc.flash.runs.queryOptions());
  const clusters = useQuery(orpc.clusters.list.queryOptions());
  const list = [...(runs.data ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <Card
      size="small"
      title={
        <Space>
          <ThunderboltOutlined />
          <span>{t('station.runs.title')}</span>
          <LiveBadge live={live} />
        </Space>
      }
      extra={
        <Button type="primary" icon={<PlusOutlined />} onClick={onNew} data-testid="run-new">
          {t('station.runs.new')}
        </Button>
      }
    >
      {runs.error ? (
        <div style={{ marginBottom: 12 }}>
          <ProblemAlert error={runs.error} testId="runs-error" />
        </div>
      ) : null}
      <Table<FlashRun>
        rowKey="id"
        size="small"
        data-testid="runs-table"
        loading={runs.isLoading}
        dataSource={list}
        pagination={list.length > 20 ? { pageSize: 20 } : false}
        locale={{ emptyText: <Empty description={t('station.runs.empty')} /> }}
        onRow={(r) =>
          ({
            'data-testid': `run-row-${r.id}`,
            tabIndex: 0,
            style: { cursor: 'pointer' },
            onClick: () => goTo('station', r.id),
            onKeyDown: (e: React.KeyboardEvent) => {
              if (e.key === 'Enter') goTo('station', r.id);
            },
          }) as React.HTMLAttributes<HTMLElement>
        }
        columns={[
          {
            title: t('station.runs.colRun'),
            key: 'run',
            render: (_, r) => (
              <Space orientation="vertical" size={0}>
                <Typography.Text strong>{r.comboName}</Typography.Text>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {r.batchId}
                </Typography.Text>
              </Space>
            ),
          },
          { title: t('station.runs.colJoin'), key: 'join', width: 220, render: (_, r) => <JoinText run={r} clusters={clusters.data} /> },
          {
            title: t('station.runs.colBoxes'),
            key: 'boxes',
            width: 380,
            render: (_, r) => (
              <Space orientation="vertical" size={2} style={{ width: '100%' }}>
                <RunBar run={r} />
                <RunCountsText run={r} />
              </Space>
            ),
          },
          { title: t('station.runs.colCreated'), key: 'created', width: 170, render: (_, r) => formatTime(r.createdAt, lang) },
          {
            title: t('station.runs.colFinished'),
            key: 'finished',
            width: 170,
            render: (_, r) => (r.finishedAt ? formatTime(r.finishedAt, lang) : <Badge status="processing" text={t('station.runs.inProgress')} />),
          },
        ]}
      />
    </Card>
  );
}

export function LiveBadge({ live }: { live: boolean }) {
  const { t } = useTranslation();
  return (
    <Tooltip title={live ? t('station.liveHelp') : t('station.offlineHelp')}>
      <Badge status={live ? 'success' : 'default'} text={live ? t('station.live') : t('station.offline')} data-testid="station-live" data-live={live} />
    </Tooltip>
  );
}
