import { DeleteOutlined, ImportOutlined, KeyOutlined, MoreOutlined, ReloadOutlined, StopOutlined } from '@ant-design/icons';
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Badge, Button, Card, Dropdown, Empty, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Cluster, ClusterStatus } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { errorText } from '../../api/errors';
import { formatTime } from '../../i18n/format';
import { usePreferences } from '../../settings/preferences';
import { ProblemAlert } from '../../settings/StationLocked';
import { goTo } from '../../shell/areas';
import { expiryOf } from './credential';
import { ForgetDialog } from './ForgetDialog';
import { KubeconfigDialog } from './KubeconfigDialog';

/** How often the list asks each API server whether it answers (only while the list is shown). */
const STATUS_MS = 15_000;
const STATE_BADGE = { online: 'success', offline: 'error', unauthorized: 'warning', 'no-credential': 'default' } as const;

function StatusCell({ status, loading }: { status: ClusterStatus | undefined; loading: boolean }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  if (!status) return loading ? <Badge status="processing" text={t('clusters.status.checking')} /> : <>—</>;
  return (
    <Tooltip title={[status.problem?.[lang], t('clusters.status.checkedAt', { time: formatTime(status.checkedAt, lang) })].filter(Boolean).join(' · ')}>
      <span data-testid="cluster-state" data-state={status.state}>
        <Badge status={STATE_BADGE[status.state]} text={t(`clusters.status.${status.state}`)} />
      </span>
    </Tooltip>
  );
}

function CredentialCell({ cluster }: { cluster: Cluster }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  const c = cluster.credential;
  if (!c) return <Tag color="default">{t('clusters.credential.none')}</Tag>;
  const expiry = expiryOf(c);
  return (
    <div style={{ minWidth: 0 }}>
      <div>{t(`clusters.credential.kind.${c.authKind}`)}</div>
      <Typography.Text type="secondary" style={{ fontSize: 12, display: 'block' }} ellipsis={{ tooltip: c.subject ?? c.user }}>
        {c.subject ?? c.user}
      </Typography.Text>
      {expiry && c.expiresAt && (
        <Tooltip title={formatTime(c.expiresAt, lang)}>
          <Typography.Text
            type={expiry.state === 'expired' ? 'danger' : expiry.state === 'soon' ? 'warning' : 'secondary'}
            style={{ fontSize: 12, display: 'block' }}
            data-testid="credential-expiry"
            data-state={expiry.state}
          >
            {t(`clusters.credential.${expiry.state}`, { count: expiry.days })}
          </Typography.Text>
        </Tooltip>
      )}
    </div>
  );
}

/**
 * The clusters this station knows, joined here or imported: each with its
 * server, whether it answers now (asked every 15 s while this list is
 * shown, and on Refresh), its Kubernetes version and its credential with
 * the certificate's expiry. Import, replace or revoke a kubeconfig, forget
 * a cluster, or open its console.
 */
export function ClusterList() {
  const { t } = useTranslation();
  const { client, orpc } = useApi();
  const { lang } = usePreferences();
  const { modal, message } = App.useApp();
  const queryClient = useQueryClient();
  const clusters = useQuery(orpc.clusters.list.queryOptions());
  const list = clusters.data ?? [];
  const statuses = useQueries({
    queries: list.map((c) => ({ ...orpc.clusters.status.queryOptions({ input: { id: c.id } }), refetchInterval: STATUS_MS, staleTime: 0 })),
  });
  const [importing, setImporting] = useState(false);
  const [replacing, setReplacing] = useState<Cluster | null>(null);
  const [forgetting, setForgetting] = useState<Cluster | null>(null);

  const revoke = useMutation({
    mutationFn: (c: Cluster) => client.clusters.revokeKubeconfig({ id: c.id }),
    onSuccess: (c) => {
      void queryClient.invalidateQueries({ queryKey: orpc.clusters.key() });
      void message.success(t('clusters.revoke.done', { name: c.name }));
    },
    onError: (e) => void message.error(errorText(e, lang, t('errors.generic'))),
  });
  const confirmRevoke = (c: Cluster) =>
    modal.confirm({
      title: t('clusters.revoke.title', { name: c.name }),
      content: t('clusters.revoke.help'),
      okText: t('clusters.revoke.ok'),
      okButtonProps: { danger: true, 'data-testid': 'revoke-confirm' } as never,
      cancelText: t('common.cancel'),
      onOk: () => revoke.mutateAsync(c),
    });

  if (clusters.error) return <ProblemAlert error={clusters.error} />;
  const statusOf = (c: Cluster) => statuses[list.indexOf(c)];
  return (
    <Card
      title={t('clusters.list.title')}
      data-testid="cluster-list"
      extra={
        <Space>
          <Button
            icon={<ReloadOutlined />}
            onClick={() => void queryClient.invalidateQueries({ queryKey: orpc.clusters.key() })}
            loading={statuses.some((s) => s.isFetching)}
            data-testid="clusters-refresh"
          >
            {t('common.refresh')}
          </Button>
          <Button type="primary" icon={<ImportOutlined />} onClick={() => setImporting(true)} data-testid="cluster-import">
            {t('clusters.kubeconfig.importTitle')}
          </Button>
        </Space>
      }
    >
      <Table<Cluster>
        rowKey="id"
        size="middle"
        loading={clusters.isLoading}
        dataSource={list}
        pagination={false}
        locale={{
          emptyText: (
            <Empty description={t('clusters.list.empty')}>
              <Button type="primary" icon={<ImportOutlined />} onClick={() => setImporting(true)}>
                {t('clusters.kubeconfig.importTitle')}
              </Button>
            </Empty>
          ),
        }}
        onRow={(c) => ({ 'data-testid': 'cluster-row', 'data-name': c.name, 'data-id': c.id }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t('clusters.col.name'),
            key: 'name',
            width: 170,
            render: (_, c) => (
              <Space orientation="vertical" size={0}>
                <Button type="link" style={{ padding: 0, height: 'auto' }} onClick={() => goTo('clusters', c.id, 'nodes')} data-testid="cluster-open">
                  {c.name}
                </Button>
                <Tag color={c.source === 'joined' ? 'blue' : 'default'}>{t(`clusters.source.${c.source}`)}</Tag>
              </Space>
            ),
          },
          { title: t('clusters.col.server'), key: 'server', width: 200, ellipsis: true, render: (_, c) => c.server },
          {
            title: t('clusters.col.connection'),
            key: 'state',
            width: 150,
            render: (_, c) => <StatusCell status={statusOf(c)?.data} loading={statusOf(c)?.isLoading ?? false} />,
          },
          { title: t('clusters.col.kubernetes'), key: 'version', width: 130, render: (_, c) => statusOf(c)?.data?.version ?? '—' },
          { title: t('clusters.col.credential'), key: 'credential', ellipsis: true, render: (_, c) => <CredentialCell cluster={c} /> },
          {
            title: t('clusters.col.actions'),
            key: 'actions',
            width: 210,
            render: (_, c) => (
              <Space size="small">
                <Button size="small" type="primary" onClick={() => goTo('clusters', c.id, 'nodes')}>
                  {t('clusters.list.open')}
                </Button>
                <Dropdown
                  trigger={['click']}
                  menu={{
                    items: [
                      { key: 'replace', icon: <KeyOutlined />, label: <span data-testid="cluster-replace">{t('clusters.kubeconfig.replace')}</span> },
                      {
                        key: 'revoke',
                        icon: <StopOutlined />,
                        disabled: !c.credential,
                        label: <span data-testid="cluster-revoke">{c.credential ? t('clusters.revoke.ok') : t('clusters.revoke.nothing')}</span>,
                      },
                      { type: 'divider' },
                      { key: 'forget', icon: <DeleteOutlined />, danger: true, label: <span data-testid="cluster-forget">{t('clusters.forget.ok')}</span> },
                    ],
                    onClick: ({ key }) => (key === 'replace' ? setReplacing(c) : key === 'revoke' ? confirmRevoke(c) : setForgetting(c)),
                  }}
                >
                  <Button size="small" icon={<MoreOutlined />} data-testid="cluster-more">
                    {t('clusters.list.more')}
                  </Button>
                </Dropdown>
              </Space>
            ),
          },
        ]}
      />
      {importing && <KubeconfigDialog onClose={() => setImporting(false)} onDone={(c) => goTo('clusters', c.id, 'nodes')} />}
      {replacing && <KubeconfigDialog cluster={replacing} onClose={() => setReplacing(null)} />}
      {forgetting && <ForgetDialog cluster={forgetting} onClose={() => setForgetting(null)} />}
    </Card>
  );
}
