import { DownOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Dropdown, Empty, Input, Modal, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Application } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { errorText } from '../../api/errors';
import { formatTime } from '../../i18n/format';
import { usePreferences } from '../../settings/preferences';
import { useCatalogExport } from '../DocumentActions';
import { SpecDiffModal } from '../SpecDiffModal';
import { ContainerAppEditor } from './ContainerAppEditor';
import { LightAppEditor } from './LightAppEditor';

const STATE_COLOR = { draft: 'blue', published: 'green' } as const;

function YamlModal({ app, onClose }: { app: Application; onClose: () => void }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const version = app.versions.at(-1)!.version;
  const yaml = useQuery(orpc.apps.render.queryOptions({ input: { id: app.id, version } }));
  return (
    <Modal open width={900} title={t('apps.yamlTitle', { name: app.name, v: version })} onCancel={onClose} footer={null} data-testid="app-yaml">
      {yaml.error ? (
        <Typography.Text type="danger">{errorText(yaml.error, lang, t('errors.generic'))}</Typography.Text>
      ) : (
        <>
          <Space wrap style={{ marginBottom: 8 }}>
            {(yaml.data?.kinds ?? []).map((k, i) => (
              <Tag key={`${k}-${i}`}>{k}</Tag>
            ))}
          </Space>
          <pre style={{ maxHeight: '60vh', overflow: 'auto', fontSize: 12, margin: 0 }} data-testid="app-yaml-text">
            {yaml.isLoading ? t('common.loading') : yaml.data?.yaml}
          </pre>
        </>
      )}
    </Modal>
  );
}

export function AppsPage() {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const apps = useQuery(orpc.apps.list.queryOptions());
  const exportApps = useCatalogExport();
  const [search, setSearch] = useState('');
  const [editing, setEditing] = useState<{ kind: 'container' | 'light'; app: Application | null } | null>(null);
  const [diffFor, setDiffFor] = useState<Application | null>(null);
  const [yamlFor, setYamlFor] = useState<Application | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: orpc.apps.key() });
  const onError = (e: unknown) => void message.error(errorText(e, lang, t('errors.generic')));
  const publish = useMutation(
    orpc.apps.publish.mutationOptions({
      onSuccess: (a) => (void message.success(t('apps.published', { v: a.versions.at(-1)!.version })), refresh()),
      onError,
    }),
  );
  const newVersion = useMutation(orpc.apps.newVersion.mutationOptions({ onSuccess: (a) => (refresh(), setEditing({ kind: a.kind, app: a })), onError }));
  const shown = (apps.data ?? []).filter((a) => !search || a.name.toLowerCase().includes(search.toLowerCase()));

  return (
    <Card
      size="small"
      title={t('catalog.tabs.apps')}
      extra={
        <Space>
          <Input.Search allowClear placeholder={t('apps.search')} onChange={(e) => setSearch(e.target.value)} style={{ width: 220 }} />
          <Dropdown
            menu={{
              items: [
                { key: 'container', label: t('apps.kind.container'), 'data-testid': 'app-new-container' } as never,
                { key: 'light', label: t('apps.kind.light'), 'data-testid': 'app-new-light' } as never,
              ],
              onClick: ({ key }) => setEditing({ kind: key as 'container' | 'light', app: null }),
            }}
          >
            <Button type="primary" data-testid="app-new">
              {t('apps.new')} <DownOutlined />
            </Button>
          </Dropdown>
        </Space>
      }
    >
      <Table<Application>
        rowKey="id"
        size="small"
        data-testid="apps-table"
        loading={apps.isLoading}
        dataSource={shown}
        locale={{ emptyText: <Empty description={t('apps.empty')} /> }}
        onRow={(a) => ({ 'data-testid': `app-row-${a.name}`, 'data-state': a.versions.at(-1)!.state }) as React.HTMLAttributes<HTMLElement>}
        expandable={{
          expandedRowRender: (a) => (
            <Table
              size="small"
              rowKey="version"
              pagination={false}
              dataSource={a.versions}
              columns={[
                { title: t('apps.version'), key: 'v', width: 90, render: (_, v) => `v${v.version}` },
                { key: 'state', width: 110, render: (_, v) => <Tag color={STATE_COLOR[v.state]}>{t(`models.state.${v.state}`)}</Tag> },
                { title: t('apps.change.title'), key: 'change', width: 120, render: (_, v) => t(`apps.change.${v.change}`) },
                { key: 'time', render: (_, v) => formatTime(v.publishedAt ?? v.createdAt, lang) },
              ]}
            />
          ),
        }}
        columns={[
          { title: t('models.name'), key: 'name', render: (_, a) => <Typography.Text strong>{a.name}</Typography.Text> },
          { title: t('apps.kind.title'), key: 'kind', width: 140, render: (_, a) => t(`apps.kind.${a.kind}`) },
          {
            title: t('apps.version'),
            key: 'v',
            width: 200,
            render: (_, a) => {
              const last = a.versions.at(-1)!;
              return (
                <Space>
                  {`v${last.version}`}
                  <Tag color={STATE_COLOR[last.state]} data-testid="app-state">
                    {t(`models.state.${last.state}`)}
                  </Tag>
                  {last.change !== 'initial' && <Typography.Text type="secondary">{t(`apps.change.${last.change}`)}</Typography.Text>}
                </Space>
              );
            },
          },
          {
            title: t('models.actions'),
            key: 'actions',
            width: 420,
            render: (_, a) => {
              const last = a.versions.at(-1)!;
              return (
                <Space size="small" wrap>
                  {last.state === 'draft' ? (
                    <>
                      <Button size="small" onClick={() => setEditing({ kind: a.kind, app: a })} data-testid="app-edit">
                        {t('models.edit')}
                      </Button>
                      <Popconfirm
                        title={t('apps.publishConfirm', { v: last.version })}
                        okText={t('common.yes')}
                        cancelText={t('common.no')}
                        onConfirm={() => publish.mutate({ id: a.id })}
                      >
                        <Button size="small" type="primary" data-testid="app-publish">
                          {t('models.publish')}
                        </Button>
                      </Popconfirm>
                    </>
                  ) : (
                    <Dropdown
                      menu={{
                        items: [
                          { key: 'patch', label: t('apps.newPatch') },
                          { key: 'upgrade', label: t('apps.newUpgrade') },
                        ],
                        onClick: ({ key }) => newVersion.mutate({ id: a.id, change: key as 'patch' | 'upgrade' }),
                      }}
                    >
                      <Button size="small" data-testid="app-new-version">
                        {t('apps.newVersion')} <DownOutlined />
                      </Button>
                    </Dropdown>
                  )}
                  {a.kind === 'container' && (
                    <Button size="small" onClick={() => setYamlFor(a)} data-testid="app-yaml-open">
                      {t('apps.yaml')}
                    </Button>
                  )}
                  {a.versions.length > 1 && (
                    <Button size="small" onClick={() => setDiffFor(a)} data-testid="app-diff-open">
                      {t('models.diff')}
                    </Button>
                  )}
                  <Button size="small" type="text" onClick={() => void exportApps({ apps: [a.id] }, a.name)}>
                    {t('catalog.document.export')}
                  </Button>
                </Space>
              );
            },
          },
        ]}
      />
      {editing?.kind === 'container' && <ContainerAppEditor app={editing.app} onClose={() => setEditing(null)} />}
      {editing?.kind === 'light' && <LightAppEditor app={editing.app} onClose={() => setEditing(null)} />}
      {yamlFor && <YamlModal app={yamlFor} onClose={() => setYamlFor(null)} />}
      {diffFor && (
        <SpecDiffModal
          numbers={diffFor.versions.map((v) => v.version)}
          prefix="v"
          query={(from, to) => orpc.apps.diff.queryOptions({ input: { id: diffFor.id, from, to } })}
          onClose={() => setDiffFor(null)}
          testId="app-diff"
        />
      )}
    </Card>
  );
}
