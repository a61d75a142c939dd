import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Form, Input, Modal, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Cluster } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { errorText } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';

/**
 * Forgets a cluster on this station (its kubeconfig and join token): typed
 * confirmation with the cluster's name, as the reference asks for removals.
 * The cluster itself keeps running.
 */
export function ForgetDialog({ cluster, onClose }: { cluster: Cluster; onClose: () => void }) {
  const { t } = useTranslation();
  const { client, orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [typed, setTyped] = useState('');
  const forget = useMutation({
    mutationFn: () => client.clusters.remove({ id: cluster.id }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: orpc.clusters.key() });
      void message.success(t('clusters.forget.done', { name: cluster.name }));
      onClose();
    },
  });
  const matches = typed.trim() === cluster.name;
  return (
    <Modal
      open
      title={t('clusters.forget.title', { name: cluster.name })}
      okText={t('clusters.forget.ok')}
      cancelText={t('common.cancel')}
      onCancel={onClose}
      onOk={() => forget.mutate()}
      okButtonProps={{ danger: true, disabled: !matches, loading: forget.isPending, 'data-testid': 'forget-ok' } as never}
      destroyOnHidden
      modalRender={(node) => <div data-testid="forget-dialog">{node}</div>}
    >
      <Typography.Paragraph>{t('clusters.forget.help')}</Typography.Paragraph>
      <Form layout="vertical" onFinish={() => matches && forget.mutate()}>
        <Form.Item
          label={t('clusters.forget.type', { name: cluster.name })}
          validateStatus={typed && !matches ? 'error' : undefined}
          help={typed && !matches ? t('clusters.forget.mismatch') : undefined}
        >
          <Input value={typed} onChange={(e) => setTyped(e.target.value)} autoFocus autoComplete="off" data-testid="forget-name" />
        </Form.Item>
      </Form>
      {forget.error && <Alert type="error" showIcon title={errorText(forget.error, lang, t('errors.generic'))} />}
    </Modal>
  );
}
