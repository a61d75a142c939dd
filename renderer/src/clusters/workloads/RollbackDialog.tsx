import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, App, Modal, Radio, Space, Spin, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/context';
import { errorText } from '../../api/errors';
import { formatTime } from '../../i18n/format';
import { usePreferences } from '../../settings/preferences';
import { useConsole } from '../console/context';
import type { WorkloadRow } from './workload';

type RollbackKind = 'deployments' | 'daemonsets' | 'statefulsets';

/** Back to an earlier revision: the workload's revisions with their images, one chosen, then confirmed. */
export function RollbackDialog({ row, onClose }: { row: WorkloadRow; onClose: () => void }) {
  const { t } = useTranslation();
  const { client, orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const { cluster, blocked } = useConsole();
  const ref = { clusterId: cluster.id, kind: row.kind as RollbackKind, namespace: row.namespace, name: row.name };
  const revisions = useQuery({ ...orpc.clusters.revisions.queryOptions({ input: ref }), staleTime: 0 });
  const [chosen, setChosen] = useState<number | null>(null);
  const rollback = useMutation({
    mutationFn: (revision: number) => client.clusters.rollback({ ...ref, revision }),
    onSuccess: (_, revision) => {
      void message.success(t('clusters.workloads.rolledBack', { name: row.name, revision }));
      onClose();
    },
  });
  const list = [...(revisions.data ?? [])].sort((a, b) => b.revision - a.revision);
  return (
    <Modal
      open
      width={720}
      title={t('clusters.workloads.rollbackTitle', { name: row.name })}
      okText={chosen === null ? t('clusters.workloads.rollback') : t('clusters.workloads.rollbackTo', { revision: chosen })}
      cancelText={t('common.cancel')}
      onCancel={onClose}
      onOk={() => chosen !== null && rollback.mutate(chosen)}
      okButtonProps={{ danger: true, loading: rollback.isPending, disabled: blocked !== null || chosen === null, 'data-testid': 'rollback-ok' } as never}
      destroyOnHidden
      modalRender={(node) => <div data-testid="rollback-dialog">{node}</div>}
    >
      <Typography.Paragraph type="secondary">{t('clusters.workloads.rollbackHelp')}</Typography.Paragraph>
      {revisions.isLoading && <Spin />}
      {revisions.error && <Alert type="error" showIcon title={errorText(revisions.error, lang, t('errors.generic'))} />}
      {revisions.data && list.length <= 1 && <Alert type="info" showIcon title={t('clusters.workloads.noEarlierRevision')} />}
      <Radio.Group value={chosen} onChange={(e) => setChosen(e.target.value as number)} style={{ width: '100%' }}>
        <Space orientation="vertical" style={{ width: '100%' }}>
          {list.map((r) => (
            <Radio key={r.revision} value={r.revision} disabled={r.current} data-testid={`revision-${r.revision}`}>
              <Space orientation="vertical" size={0}>
                <Space>
                  <Typography.Text strong>{t('clusters.workloads.revision', { revision: r.revision })}</Typography.Text>
                  {r.current && <Tag color="blue">{t('clusters.workloads.current')}</Tag>}
                  {r.createdAt && <Typography.Text type="secondary">{formatTime(r.createdAt, lang)}</Typography.Text>}
                </Space>
                <Typography.Text code style={{ fontSize: 12 }}>
                  {r.images.join(', ') || '—'}
                </Typography.Text>
                {r.changeCause && <Typography.Text type="secondary">{r.changeCause}</Typography.Text>}
              </Space>
            </Radio>
          ))}
        </Space>
      </Radio.Group>
      {rollback.error && <Alert type="error" showIcon style={{ marginTop: 12 }} title={errorText(rollback.error, lang, t('errors.generic'))} />}
    </Modal>
  );
}
