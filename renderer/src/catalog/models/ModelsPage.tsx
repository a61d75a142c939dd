import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Empty, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { HardwareModel } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { errorText } from '../../api/errors';
import { formatTime } from '../../i18n/format';
import { usePreferences } from '../../settings/preferences';
import { SpecDiffModal } from '../SpecDiffModal';
import { ModelEditor } from './ModelEditor';

const STATE_COLOR = { draft: 'blue', published: 'green', retired: 'default' } as const;

export function ModelsPage() {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const models = useQuery(orpc.models.list.queryOptions());
  const [editing, setEditing] = useState<HardwareModel | 'new' | null>(null);
  const [diffFor, setDiffFor] = useState<HardwareModel | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: orpc.models.key() });
  const onError = (e: unknown) => void message.error(errorText(e, lang, t('errors.generic')));
  const publish = useMutation(
    orpc.models.publish.mutationOptions({
      onSuccess: (m) => {
        void message.success(t('models.published', { n: m.revisions.at(-1)!.revision }));
        refresh();
      },
      onError,
    }),
  );
  const newRevision = useMutation(orpc.models.newRevision.mutationOptions({ onSuccess: (m) => (refresh(), setEditing(m)), onError }));
  const retire = useMutation(orpc.models.retire.mutationOptions({ onSuccess: refresh, onError }));

  return (
    <Card
      size="small"
      title={t('catalog.tabs.models')}
      extra={
        <Space>
          <Button type="primary" onClick={() => setEditing('new')} data-testid="model-new">
            {t('models.new')}
          </Button>
        </Space>
      }
    >
      <Table<HardwareModel>
        rowKey="id"
        size="small"
        data-testid="models-table"
        loading={models.isLoading}
        dataSource={models.data ?? []}
        locale={{ emptyText: <Empty description={t('models.empty')} /> }}
        onRow={(m) => ({ 'data-testid': `model-row-${m.name}`, 'data-state': m.revisions.at(-1)!.state }) as React.HTMLAttributes<HTMLElement>}
        expandable={{
          expandedRowRender: (m) => (
            <Table
              size="small"
              rowKey="revision"
              pagination={false}
              dataSource={m.revisions}
              columns={[
                { title: t('models.revision'), key: 'rev', width: 90, render: (_, r) => `r${r.revision}` },
                { key: 'state', width: 120, render: (_, r) => <Tag color={STATE_COLOR[r.state]}>{t(`models.state.${r.state}`)}</Tag> },
                { key: 'time', render: (_, r) => formatTime(r.publishedAt ?? r.createdAt, lang) },
                {
                  key: 'act',
                  width: 120,
                  render: (_, r) =>
                    r.state === 'published' && (
                      <Popconfirm
                        title={t('models.retireConfirm', { n: r.revision })}
                        okText={t('common.yes')}
                        cancelText={t('common.no')}
                        onConfirm={() => retire.mutate({ id: m.id, revision: r.revision })}
                      >
                        <Button size="small" type="text" danger>
                          {t('models.retire')}
                        </Button>
                      </Popconfirm>
                    ),
                },
              ]}
            />
          ),
        }}
        columns={[
          { title: t('models.name'), key: 'name', render: (_, m) => <Typography.Text strong>{m.name}</Typography.Text> },
          { title: t('models.arch'), key: 'arch', width: 110, render: (_, m) => m.arch },
          {
            title: t('models.revision'),
            key: 'rev',
            width: 170,
            render: (_, m) => {
              const last = m.revisions.at(-1)!;
              return (
                <Space>
                  {`r${last.revision}`}
                  <Tag color={STATE_COLOR[last.state]} data-testid="model-state">
                    {t(`models.state.${last.state}`)}
                  </Tag>
                </Space>
              );
            },
          },
          {
            title: t('models.actions'),
            key: 'actions',
            width: 360,
            render: (_, m) => {
              const last = m.revisions.at(-1)!;
              return (
                <Space size="small" wrap>
                  {last.state === 'draft' ? (
                    <>
                      <Button size="small" onClick={() => setEditing(m)} data-testid="model-edit">
                        {t('models.edit')}
                      </Button>
                      <Popconfirm
                        title={t('models.publishConfirm', { n: last.revision })}
                        okText={t('common.yes')}
                        cancelText={t('common.no')}
                        onConfirm={() => publish.mutate({ id: m.id })}
                      >
                        <Button size="small" type="primary" data-testid="model-publish">
                          {t('models.publish')}
                        </Button>
                      </Popconfirm>
                    </>
                  ) : (
                    <Button size="small" onClick={() => newRevision.mutate({ id: m.id })} data-testid="model-new-revision">
                      {t('models.newRevision')}
                    </Button>
                  )}
                  {m.revisions.length > 1 && (
                    <Button size="small" onClick={() => setDiffFor(m)} data-testid="model-diff-open">
                      {t('models.diff')}
                    </Button>
                  )}
                </Space>
              );
            },
          },
        ]}
      />
      {editing && <ModelEditor model={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      {diffFor && (
        <SpecDiffModal
          numbers={diffFor.revisions.map((r) => r.revision)}
          prefix="r"
          query={(from, to) => orpc.models.diff.queryOptions({ input: { id: diffFor.id, from, to } })}
          onClose={() => setDiffFor(null)}
          testId="model-diff"
        />
      )}
    </Card>
  );
}
