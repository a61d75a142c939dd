import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Empty, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ComboSpec } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { errorText } from '../../api/errors';
import { formatTime } from '../../i18n/format';
import { usePreferences } from '../../settings/preferences';
import { useCatalogExport } from '../DocumentActions';
import { ComboEditor } from './ComboEditor';

type Combo = { id: string; name: string; state: 'draft' | 'published'; spec: ComboSpec; createdAt: string; publishedAt: string | null };

export function CombosPage() {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const combos = useQuery(orpc.combos.list.queryOptions());
  const models = useQuery(orpc.models.list.queryOptions());
  const apps = useQuery(orpc.apps.list.queryOptions());
  const exportCombo = useCatalogExport();
  const [editing, setEditing] = useState<{ id: string | null; spec: ComboSpec | null } | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: orpc.combos.key() });
  const onError = (e: unknown) => void message.error(errorText(e, lang, t('errors.generic')));
  const publish = useMutation(
    orpc.combos.publish.mutationOptions({ onSuccess: (c) => (void message.success(t('combos.published', { name: c.name })), refresh()), onError }),
  );
  const remove = useMutation(orpc.combos.remove.mutationOptions({ onSuccess: () => (void message.success(t('combos.removed')), refresh()), onError }));
  const modelName = (s: ComboSpec) => `${models.data?.find((m) => m.id === s.modelId)?.name ?? s.modelId} r${s.modelRevision}`;
  const appNames = (s: ComboSpec) => s.apps.map((p) => `${apps.data?.find((a) => a.id === p.appId)?.name ?? p.appId} v${p.version}`);

  return (
    <Card
      size="small"
      title={t('catalog.tabs.combos')}
      extra={
        <Button type="primary" onClick={() => setEditing({ id: null, spec: null })} data-testid="combo-new">
          {t('combos.new')}
        </Button>
      }
    >
      <Table<Combo>
        rowKey="id"
        size="small"
        data-testid="combos-table"
        loading={combos.isLoading}
        dataSource={combos.data ?? []}
        locale={{ emptyText: <Empty description={t('combos.empty')} /> }}
        onRow={(c) => ({ 'data-testid': `combo-row-${c.name}`, 'data-state': c.state }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('models.name'), key: 'name', render: (_, c) => <Typography.Text strong>{c.name}</Typography.Text> },
          { title: t('combos.model'), key: 'model', render: (_, c) => modelName(c.spec) },
          {
            title: t('combos.apps'),
            key: 'apps',
            render: (_, c) => (
              <Space size={4} wrap>
                {appNames(c.spec).map((n) => (
                  <Tag key={n}>{n}</Tag>
                ))}
              </Space>
            ),
          },
          {
            title: t('models.state.title'),
            key: 'state',
            width: 170,
            render: (_, c) => (
              <Space direction="vertical" size={0}>
                <Tag color={c.state === 'draft' ? 'blue' : 'green'} data-testid="combo-state">
                  {t(`models.state.${c.state}`)}
                </Tag>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {formatTime(c.publishedAt ?? c.createdAt, lang)}
                </Typography.Text>
              </Space>
            ),
          },
          {
            title: t('models.actions'),
            key: 'actions',
            width: 380,
            render: (_, c) => (
              <Space size="small" wrap>
                {c.state === 'draft' && (
                  <>
                    <Button size="small" onClick={() => setEditing({ id: c.id, spec: c.spec })} data-testid="combo-edit">
                      {t('models.edit')}
                    </Button>
                    <Popconfirm
                      title={t('combos.publishConfirm', { name: c.name })}
                      okText={t('common.yes')}
                      cancelText={t('common.no')}
                      onConfirm={() => publish.mutate({ id: c.id })}
                    >
                      <Button size="small" type="primary" data-testid="combo-publish">
                        {t('models.publish')}
                      </Button>
                    </Popconfirm>
                  </>
                )}
                <Button
                  size="small"
                  onClick={() => setEditing({ id: null, spec: { ...c.spec, name: `${c.name}-copy`.slice(0, 63) } })}
                  data-testid="combo-copy"
                >
                  {t('combos.copy')}
                </Button>
                <Button size="small" type="text" onClick={() => void exportCombo({ combos: [c.id] }, c.name)}>
                  {t('catalog.document.export')}
                </Button>
                {c.state === 'draft' && (
                  <Popconfirm
                    title={t('combos.removeConfirm', { name: c.name })}
                    okText={t('common.yes')}
                    okButtonProps={{ danger: true }}
                    cancelText={t('common.no')}
                    onConfirm={() => remove.mutate({ id: c.id })}
                  >
                    <Button size="small" type="text" danger data-testid="combo-remove">
                      {t('combos.remove')}
                    </Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      />
      {editing && <ComboEditor id={editing.id} spec={editing.spec} onClose={() => setEditing(null)} />}
    </Card>
  );
}
