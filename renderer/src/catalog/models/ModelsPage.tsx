import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Empty, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { HardwareModel } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { errorText } from '../../api/errors';
import { formatTime } from '../../i18n/format';
import { usePreferences } from '../../settings/preferences';
import { ModelEditor } from './ModelEditor';

const STATE_COLOR = { draft: 'blue', published: 'green', retired: 'default' } as const;

function DiffModal({ model, onClose }: { model: HardwareModel; onClose: () => void }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const revs = model.revisions.map((r) => r.revision);
  const [from, setFrom] = useState(revs.at(-2) ?? revs[0]!);
  const [to, setTo] = useState(revs.at(-1)!);
  const diff = useQuery(orpc.models.diff.queryOptions({ input: { id: model.id, from, to } }));
  const show = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return (
    <Modal open width={900} title={t('models.diffTitle', { from, to })} onCancel={onClose} footer={null} data-testid="model-diff">
      <Space style={{ marginBottom: 12 }}>
        <Select value={from} onChange={setFrom} options={revs.map((r) => ({ value: r, label: `r${r}` }))} />
        →
        <Select value={to} onChange={setTo} options={revs.map((r) => ({ value: r, label: `r${r}` }))} />
      </Space>
      <Table
        size="small"
        rowKey="path"
        pagination={false}
        loading={diff.isLoading}
        locale={{ emptyText: t('models.diffNone') }}
        dataSource={diff.data ?? []}
        columns={[
          { title: t('models.field'), key: 'path', render: (_, c) => <Typography.Text code>{c.path}</Typography.Text> },
          { title: t('models.before'), key: 'before', render: (_, c) => <Typography.Text delete>{show(c.before)}</Typography.Text> },
          { title: t('models.after'), key: 'after', render: (_, c) => <Typography.Text strong>{show(c.after)}</Typography.Text> },
        ]}
      />
    </Modal>
  );
}

function ImportModal({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [text, setText] = useState('');
  const run = useMutation(
    orpc.models.import.mutationOptions({
      onSuccess: (r) => {
        void message.success(t('models.importDone', { created: r.created.join(', ') || '—', skipped: r.skipped.join(', ') || '—' }));
        void queryClient.invalidateQueries({ queryKey: orpc.models.key() });
        onClose();
      },
      onError: (e) => void message.error(errorText(e, lang, t('errors.generic'))),
    }),
  );
  const submit = () => {
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      void message.error(t('models.importBadJson'));
      return;
    }
    run.mutate({ document });
  };
  return (
    <Modal
      open
      title={t('models.import')}
      onCancel={onClose}
      onOk={submit}
      confirmLoading={run.isPending}
      okText={t('models.import')}
      cancelText={t('common.cancel')}
    >
      <Input.TextArea
        rows={12}
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder={t('models.importPlaceholder')}
        data-testid="models-import-text"
      />
    </Modal>
  );
}

export function ModelsPage() {
  const { t } = useTranslation();
  const { orpc, client } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const models = useQuery(orpc.models.list.queryOptions());
  const [editing, setEditing] = useState<HardwareModel | 'new' | null>(null);
  const [diffFor, setDiffFor] = useState<HardwareModel | null>(null);
  const [importing, setImporting] = useState(false);
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

  const exportAll = async () => {
    const doc = await client.models.export({});
    const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `edgeforge-models-${new Date().toISOString().slice(0, 10)}.json`;
    a.click();
    URL.revokeObjectURL(url);
  };

  return (
    <Card
      size="small"
      title={t('catalog.tabs.models')}
      extra={
        <Space>
          <Button onClick={() => setImporting(true)} data-testid="models-import">
            {t('models.import')}
          </Button>
          <Button onClick={() => void exportAll()} disabled={!models.data?.length}>
            {t('models.export')}
          </Button>
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
      {diffFor && <DiffModal model={diffFor} onClose={() => setDiffFor(null)} />}
      {importing && <ImportModal onClose={() => setImporting(false)} />}
    </Card>
  );
}
