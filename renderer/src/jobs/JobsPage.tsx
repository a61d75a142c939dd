import { useMutation, useQuery } from '@tanstack/react-query';
import { App, Button, Card, Drawer, Empty, Popconfirm, Progress, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Job, JobState } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { errorText } from '../api/errors';
import { formatBytes, formatDuration, formatTime } from '../i18n/format';
import { usePreferences } from '../settings/preferences';
import { DiagnosticForm } from './DiagnosticForm';
import { JOBS_LIST_INPUT } from './feed';

const STATE_COLOR: Record<JobState, string> = {
  queued: 'default',
  running: 'processing',
  succeeded: 'success',
  failed: 'error',
  cancelled: 'warning',
  interrupted: 'orange',
};

export function JobProgress({ job }: { job: Job }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  const percent = job.bytesTotal ? Math.min(100, Math.floor((100 * job.bytesDone) / Math.max(1, job.bytesTotal))) : job.state === 'succeeded' ? 100 : 0;
  const status = job.state === 'failed' ? 'exception' : job.state === 'succeeded' ? 'success' : job.state === 'running' ? 'active' : 'normal';
  // A drain counts pods, not bytes.
  const amount = (n: number) => (job.unit === 'items' ? String(Math.round(n)) : formatBytes(n));
  const detail = [
    job.bytesTotal !== null ? `${amount(job.bytesDone)} / ${amount(job.bytesTotal)}` : amount(job.bytesDone),
    job.state === 'running' && job.rateBps > 0 && job.unit === 'bytes' ? t('jobs.rate', { rate: formatBytes(job.rateBps) }) : null,
    job.state === 'running' && job.etaSeconds !== null ? t('jobs.eta', { eta: formatDuration(job.etaSeconds, lang) }) : null,
  ].filter(Boolean);
  return (
    <div data-testid={`job-progress-${job.id}`} data-percent={percent}>
      <Progress percent={percent} status={status} size="small" />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {detail.join(' · ')}
      </Typography.Text>
    </div>
  );
}

function JobLog({ job, onClose }: { job: Job; onClose: () => void }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const logs = useQuery(orpc.jobs.logs.queryOptions({ input: { id: job.id } }));
  return (
    <Drawer open title={`${t('jobs.logTitle')}: ${job.title[lang]}`} size="large" onClose={onClose} data-testid="job-log">
      <Space direction="vertical" style={{ width: '100%' }}>
        <Typography.Text code copyable>
          {job.id}
        </Typography.Text>
        {job.error && <Typography.Text type="danger">{`${job.error.code}: ${job.error.message[lang]}`}</Typography.Text>}
        {job.result !== null && (
          <Typography.Paragraph>
            <b>{t('jobs.result')}:</b>{' '}
            <Typography.Text code copyable>
              {JSON.stringify(job.result)}
            </Typography.Text>
          </Typography.Paragraph>
        )}
        <pre style={{ fontSize: 12, whiteSpace: 'pre-wrap', margin: 0 }}>
          {(logs.data ?? []).map((l) => `${formatTime(l.at, lang)}  ${l.level.toUpperCase().padEnd(5)} ${l.message}`).join('\n')}
        </pre>
      </Space>
    </Drawer>
  );
}

export function JobsPage() {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const [activeOnly, setActiveOnly] = useState(false);
  const [logFor, setLogFor] = useState<string | null>(null);
  const jobs = useQuery(orpc.jobs.list.queryOptions({ input: JOBS_LIST_INPUT }));
  const onError = (e: unknown) => void message.error(errorText(e, lang, t('errors.generic')));
  const cancel = useMutation(orpc.jobs.cancel.mutationOptions({ onError }));
  const retry = useMutation(orpc.jobs.retry.mutationOptions({ onError }));
  const remove = useMutation(orpc.jobs.remove.mutationOptions({ onError }));

  const rows = useMemo(() => (jobs.data ?? []).filter((j) => !activeOnly || j.state === 'queued' || j.state === 'running'), [jobs.data, activeOnly]);
  const logJob = rows.find((j) => j.id === logFor) ?? jobs.data?.find((j) => j.id === logFor);

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <DiagnosticForm />
      <Card
        title={t('jobs.title')}
        extra={
          <Space>
            <Switch size="small" checked={activeOnly} onChange={setActiveOnly} aria-label={t('jobs.filterActive')} />
            <span>{t('jobs.filterActive')}</span>
          </Space>
        }
      >
        <Table<Job>
          data-testid="jobs-table"
          rowKey="id"
          size="small"
          loading={jobs.isLoading}
          dataSource={rows}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          locale={{ emptyText: <Empty description={t('jobs.empty')} /> }}
          onRow={(job) => ({ 'data-testid': `job-row-${job.id}`, 'data-state': job.state }) as React.HTMLAttributes<HTMLElement>}
          columns={[
            {
              title: t('jobs.colJob'),
              key: 'job',
              render: (_, job) => (
                <Space direction="vertical" size={0}>
                  <Typography.Text strong>{job.title[lang]}</Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {job.kind} · {t('jobs.attempt', { n: job.attempt })}
                  </Typography.Text>
                  {job.error && (
                    <Typography.Text type="danger" style={{ fontSize: 12 }}>
                      {job.error.message[lang]}
                    </Typography.Text>
                  )}
                </Space>
              ),
            },
            {
              title: t('jobs.colState'),
              key: 'state',
              width: 120,
              render: (_, job) => (
                <Tag color={STATE_COLOR[job.state]} data-testid="job-state">
                  {t(`jobs.state.${job.state}`)}
                </Tag>
              ),
            },
            { title: t('jobs.colProgress'), key: 'progress', width: 300, render: (_, job) => <JobProgress job={job} /> },
            { title: t('jobs.colCreated'), key: 'created', width: 170, render: (_, job) => formatTime(job.createdAt, lang) },
            {
              title: t('jobs.colActions'),
              key: 'actions',
              width: 240,
              render: (_, job) => (
                <Space size="small" wrap>
                  {(job.state === 'queued' || job.state === 'running') && (
                    <Button size="small" danger onClick={() => cancel.mutate({ id: job.id })} data-testid="job-cancel">
                      {t('jobs.cancel')}
                    </Button>
                  )}
                  {(job.state === 'failed' || job.state === 'cancelled' || job.state === 'interrupted') && (
                    <Button size="small" onClick={() => retry.mutate({ id: job.id })} data-testid="job-retry">
                      {t('jobs.retry')}
                    </Button>
                  )}
                  <Button size="small" onClick={() => setLogFor(job.id)} data-testid="job-log-open">
                    {t('jobs.log')}
                  </Button>
                  {job.state !== 'queued' && job.state !== 'running' && (
                    <Popconfirm
                      title={t('jobs.removeConfirm')}
                      okText={t('common.yes')}
                      cancelText={t('common.no')}
                      onConfirm={() => remove.mutate({ id: job.id })}
                    >
                      <Tooltip title={t('jobs.remove')}>
                        <Button size="small" type="text" danger data-testid="job-remove">
                          {t('jobs.remove')}
                        </Button>
                      </Tooltip>
                    </Popconfirm>
                  )}
                </Space>
              ),
            },
          ]}
        />
      </Card>
      {logJob && <JobLog job={logJob} onClose={() => setLogFor(null)} />}
    </Space>
  );
}
