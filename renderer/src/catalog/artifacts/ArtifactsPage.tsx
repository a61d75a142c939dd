import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Empty, Input, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useDeferredValue, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Artifact, GcReport } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { errorText } from '../../api/errors';
import { formatBytes, formatTime } from '../../i18n/format';
import { usePreferences } from '../../settings/preferences';
import { ArtifactDetails } from './ArtifactDetails';
import { ImportForm } from './ImportForm';

function StorageCard() {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const [report, setReport] = useState<GcReport | null>(null);
  const onError = (e: unknown) => void message.error(errorText(e, lang, t('errors.generic')));
  const check = useMutation(orpc.artifacts.gc.mutationOptions({ onSuccess: setReport, onError }));
  const collect = useMutation(
    orpc.artifacts.gc.mutationOptions({
      onSuccess: (r) => {
        void message.success(t('catalog.storage.collected', { free: r.unreferencedBlobs, freeBytes: formatBytes(r.unreferencedBytes) }));
        check.mutate({ dryRun: true });
      },
      onError,
    }),
  );
  const vars = report && {
    stored: report.storedBlobs,
    storedBytes: formatBytes(report.storedBytes),
    free: report.unreferencedBlobs,
    freeBytes: formatBytes(report.unreferencedBytes),
  };
  return (
    <Card
      title={t('catalog.storage.title')}
      size="small"
      extra={
        <Space>
          <Button size="small" onClick={() => check.mutate({ dryRun: true })} loading={check.isPending} data-testid="gc-check">
            {t('catalog.storage.check')}
          </Button>
          <Popconfirm
            title={vars ? t('catalog.storage.collectConfirm', vars) : ''}
            okText={t('common.yes')}
            cancelText={t('common.no')}
            disabled={!report || report.unreferencedBlobs === 0}
            onConfirm={() => collect.mutate({ dryRun: false })}
          >
            <Button size="small" danger disabled={!report || report.unreferencedBlobs === 0} loading={collect.isPending} data-testid="gc-collect">
              {t('catalog.storage.collect')}
            </Button>
          </Popconfirm>
        </Space>
      }
    >
      <Typography.Paragraph type="secondary" style={{ marginBottom: vars ? 8 : 0 }}>
        {t('catalog.storage.help')}
      </Typography.Paragraph>
      {vars && <Typography.Text data-testid="gc-report">{t('catalog.storage.report', vars)}</Typography.Text>}
    </Card>
  );
}

export function ArtifactsPage() {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState('');
  const deferred = useDeferredValue(search.trim());
  const [detailsId, setDetailsId] = useState<string | null>(null);
  const list = useQuery(orpc.artifacts.list.queryOptions({ input: deferred ? { search: deferred } : {} }));
  const remove = useMutation(
    orpc.artifacts.remove.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: orpc.artifacts.key() }),
      onError: (e) => void message.error(errorText(e, lang, t('errors.generic'))),
    }),
  );
  const details = list.data?.find((a) => a.id === detailsId);

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <ImportForm />
      <Card
        title={t('catalog.list.title')}
        size="small"
        extra={
          <Input.Search
            allowClear
            placeholder={t('catalog.list.search')}
            onChange={(e) => setSearch(e.target.value)}
            style={{ width: 320 }}
            data-testid="artifacts-search"
          />
        }
      >
        <Table<Artifact>
          data-testid="artifacts-table"
          rowKey="id"
          size="small"
          loading={list.isLoading}
          dataSource={list.data ?? []}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          locale={{ emptyText: <Empty description={t('catalog.list.empty')} /> }}
          onRow={(a) => ({ 'data-testid': `artifact-row-${a.id}` }) as React.HTMLAttributes<HTMLElement>}
          columns={[
            { title: t('catalog.list.name'), key: 'name', render: (_, a) => <Typography.Text strong>{a.name}</Typography.Text> },
            { title: t('catalog.list.kind'), key: 'kind', width: 140, render: (_, a) => <Tag>{t(`catalog.kind.${a.kind}`)}</Tag> },
            { title: t('catalog.list.platform'), key: 'platform', width: 150, render: (_, a) => a.platform ?? '—' },
            { title: t('catalog.list.size'), key: 'size', width: 100, render: (_, a) => formatBytes(a.size) },
            {
              title: t('catalog.list.digest'),
              key: 'digest',
              width: 200,
              render: (_, a) => (
                <Typography.Text code copyable={{ text: a.digest }}>
                  {a.digest.slice(0, 19)}…
                </Typography.Text>
              ),
            },
            { title: t('catalog.list.imported'), key: 'created', width: 170, render: (_, a) => formatTime(a.createdAt, lang) },
            {
              title: t('catalog.list.actions'),
              key: 'actions',
              width: 170,
              render: (_, a) => (
                <Space size="small">
                  <Button size="small" onClick={() => setDetailsId(a.id)} data-testid="artifact-details-open">
                    {t('catalog.list.details')}
                  </Button>
                  <Popconfirm
                    title={t('catalog.list.removeConfirm')}
                    okText={t('common.yes')}
                    cancelText={t('common.no')}
                    onConfirm={() => remove.mutate({ id: a.id })}
                  >
                    <Button size="small" type="text" danger data-testid="artifact-remove">
                      {t('catalog.list.remove')}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <StorageCard />
      {details && <ArtifactDetails artifact={details} onClose={() => setDetailsId(null)} />}
    </Space>
  );
}
