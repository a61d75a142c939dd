import { useMutation } from '@tanstack/react-query';
import { Alert, App, Form, InputNumber, Modal, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/context';
import { errorText, formFieldErrors } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';
import { useConsole } from '../console/context';
import type { WorkloadRow } from './workload';

/** Sets a Deployment's or StatefulSet's replicas; the table's ready count follows as pods start or stop. */
export function ScaleDialog({ row, onClose }: { row: WorkloadRow; onClose: () => void }) {
  const { t } = useTranslation();
  const { client } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const { cluster, blocked } = useConsole();
  const [form] = Form.useForm<{ replicas: number }>();
  const scale = useMutation({
    mutationFn: ({ replicas }: { replicas: number }) =>
      client.clusters.scale({ clusterId: cluster.id, kind: row.kind as 'deployments' | 'statefulsets', namespace: row.namespace, name: row.name, replicas }),
    onSuccess: (_, v) => {
      void message.success(t('clusters.workloads.scaled', { name: row.name, count: v.replicas }));
      onClose();
    },
    onError: (e) => form.setFields(formFieldErrors(e, lang, ['replicas']) as never),
  });
  return (
    <Modal
      open
      title={t('clusters.workloads.scaleTitle', { name: row.name })}
      okText={t('clusters.workloads.scale')}
      cancelText={t('common.cancel')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okButtonProps={{ loading: scale.isPending, disabled: blocked !== null, 'data-testid': 'scale-ok' } as never}
      destroyOnHidden
      modalRender={(node) => <div data-testid="scale-dialog">{node}</div>}
    >
      <Typography.Paragraph type="secondary">{t('clusters.workloads.scaleNow', { ready: row.ready ?? 0, desired: row.desired ?? 0 })}</Typography.Paragraph>
      <Form form={form} layout="vertical" initialValues={{ replicas: row.desired ?? 1 }} onFinish={(v) => scale.mutate(v)}>
        <Form.Item
          name="replicas"
          label={t('clusters.workloads.replicas')}
          rules={[{ required: true, type: 'integer', min: 0, max: 10_000, message: t('clusters.workloads.replicasRule') }]}
        >
          <InputNumber min={0} max={10_000} precision={0} autoFocus data-testid="scale-replicas" />
        </Form.Item>
      </Form>
      {scale.error && !formFieldErrors(scale.error, lang, ['replicas']).length && (
        <Alert type="error" showIcon title={errorText(scale.error, lang, t('errors.generic'))} data-testid="scale-error" />
      )}
    </Modal>
  );
}
