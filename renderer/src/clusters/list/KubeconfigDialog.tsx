import { FolderOpenOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Form, Input, Modal, Space, Typography } from 'antd';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { Cluster } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { apiErrorData, errorText, formFieldErrors } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';

interface Values {
  name: string;
  kubeconfig: string;
  token?: string;
}

const FIELDS = ['name', 'kubeconfig', 'token'];
/** The kubeconfig's own errors (unreadable, no server, no credential) belong next to it. */
const KUBECONFIG_CODES = new Set(['KUBECONFIG_INVALID']);

/**
 * Import a cluster from a kubeconfig (pasted, or read from a file here in
 * the window), with its name and optionally its k3s join token; or, given
 * a cluster, replace its kubeconfig (a renewed certificate, a new
 * address). The API checks it; its messages go next to their field.
 */
export function KubeconfigDialog({ cluster, onClose, onDone }: { cluster?: Cluster; onClose: () => void; onDone?: (c: Cluster) => void }) {
  const { t } = useTranslation();
  const { client, orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Values>();
  const file = useRef<HTMLInputElement>(null);

  const save = useMutation({
    mutationFn: (v: Values) =>
      cluster
        ? client.clusters.replaceKubeconfig({ id: cluster.id, kubeconfig: v.kubeconfig })
        : client.clusters.import({ name: v.name.trim(), kubeconfig: v.kubeconfig, token: v.token?.trim() || undefined }),
    onSuccess: (c) => {
      void queryClient.invalidateQueries({ queryKey: orpc.clusters.key() });
      void message.success(cluster ? t('clusters.kubeconfig.replaced', { name: c.name }) : t('clusters.kubeconfig.imported', { name: c.name }));
      (onDone ?? onClose)(c);
    },
    onError: (e) => {
      const fields = formFieldErrors(e, lang, FIELDS);
      const d = apiErrorData(e);
      if (d && KUBECONFIG_CODES.has(d.code)) fields.push({ name: ['kubeconfig'], errors: [d.message[lang]] });
      form.setFields(fields as never);
    },
  });
  const inField = (e: unknown) => formFieldErrors(e, lang, FIELDS).length > 0 || KUBECONFIG_CODES.has(apiErrorData(e)?.code ?? '');

  const readFile = async (f: File | undefined) => {
    if (!f) return;
    try {
      form.setFieldValue('kubeconfig', await f.text());
      void form.validateFields(['kubeconfig']);
    } catch {
      void message.error(t('clusters.kubeconfig.unreadable', { name: f.name }));
    }
  };

  return (
    <Modal
      open
      width={720}
      title={cluster ? t('clusters.kubeconfig.replaceTitle', { name: cluster.name }) : t('clusters.kubeconfig.importTitle')}
      okText={cluster ? t('clusters.kubeconfig.replace') : t('clusters.kubeconfig.import')}
      cancelText={t('common.cancel')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okButtonProps={{ loading: save.isPending, 'data-testid': 'kubeconfig-ok' } as never}
      destroyOnHidden
      modalRender={(node) => <div data-testid="kubeconfig-dialog">{node}</div>}
    >
      <Form form={form} layout="vertical" onFinish={(v) => save.mutate(v)} requiredMark={false}>
        {!cluster && (
          <Form.Item
            name="name"
            label={t('clusters.kubeconfig.name')}
            extra={t('clusters.kubeconfig.nameHelp')}
            rules={[{ required: true, message: t('clusters.kubeconfig.nameRequired') }]}
          >
            <Input placeholder="line-a" autoComplete="off" data-testid="kubeconfig-name" autoFocus />
          </Form.Item>
        )}
        <Form.Item
          label={
            <Space>
              {t('clusters.kubeconfig.kubeconfig')}
              <Button size="small" icon={<FolderOpenOutlined />} onClick={() => file.current?.click()} data-testid="kubeconfig-open">
                {t('clusters.kubeconfig.openFile')}
              </Button>
            </Space>
          }
          extra={t('clusters.kubeconfig.kubeconfigHelp')}
        >
          <Form.Item name="kubeconfig" noStyle rules={[{ required: true, whitespace: true, message: t('clusters.kubeconfig.kubeconfigRequired') }]}>
            <Input.TextArea
              rows={12}
              className="ef-mono"
              spellCheck={false}
              placeholder={'apiVersion: v1\nkind: Config\nclusters: …'}
              data-testid="kubeconfig-text"
            />
          </Form.Item>
        </Form.Item>
        <input
          ref={file}
          type="file"
          accept=".yaml,.yml,.conf,.config,text/yaml,text/plain"
          style={{ display: 'none' }}
          onChange={(e) => {
            void readFile(e.target.files?.[0]);
            e.target.value = '';
          }}
          data-testid="kubeconfig-file"
        />
        {!cluster && (
          <Form.Item name="token" label={t('clusters.kubeconfig.token')} extra={t('clusters.kubeconfig.tokenHelp')}>
            <Input.Password autoComplete="off" data-testid="kubeconfig-token" />
          </Form.Item>
        )}
      </Form>
      {cluster && <Typography.Paragraph type="secondary">{t('clusters.kubeconfig.replaceHelp')}</Typography.Paragraph>}
      {save.error && !inField(save.error) && (
        <Alert type="error" showIcon title={errorText(save.error, lang, t('errors.generic'))} data-testid="kubeconfig-error" />
      )}
    </Modal>
  );
}
