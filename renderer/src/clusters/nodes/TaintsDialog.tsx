import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation } from '@tanstack/react-query';
import { Alert, App, Button, Form, Input, Modal, Select, Space, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/context';
import { errorText, formFieldErrors } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';
import { useConsole } from '../console/context';
import { labelKeyProblem, labelValueProblem } from './labelRules';
import type { NodeRow, Taint } from './node';

const EFFECTS: Taint['effect'][] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
/** Taints the node controllers set and lift themselves (not-ready, unschedulable…): kept as they are, not edited here. */
const CONTROLLER_PREFIXES = ['node.kubernetes.io/', 'node.cloudprovider.kubernetes.io/'];
const ownedByControllers = (t: Taint) => CONTROLLER_PREFIXES.some((p) => t.key.startsWith(p));
const taintText = (t: Taint) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;

/** A node's taints (key, value, effect), replaced as a whole; each checked as it is typed. */
export function TaintsDialog({ node, onClose }: { node: NodeRow; onClose: () => void }) {
  const { t } = useTranslation();
  const { client } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const { cluster, blocked } = useConsole();
  const [form] = Form.useForm<{ taints: Taint[] }>();
  const owned = node.taints.filter(ownedByControllers);
  const save = useMutation({
    mutationFn: (v: { taints: Taint[] }) =>
      client.clusters.setNodeTaints({
        clusterId: cluster.id,
        node: node.name,
        taints: (v.taints ?? []).map((x) => ({ key: x.key.trim(), value: (x.value ?? '').trim(), effect: x.effect })),
      }),
    onSuccess: () => {
      void message.success(t('clusters.taints.saved', { name: node.name }));
      onClose();
    },
    onError: (e) => form.setFields(formFieldErrors(e, lang, ['taints']) as never),
  });
  const rule = (problem: (s: string) => string | null) => ({
    validator: (_: unknown, v: string | undefined) => {
      const p = problem((v ?? '').trim());
      return p ? Promise.reject(new Error(t(`clusters.labels.rule.${p}`))) : Promise.resolve();
    },
  });
  return (
    <Modal
      open
      width={780}
      title={t('clusters.taints.title', { name: node.name })}
      okText={t('clusters.taints.save')}
      cancelText={t('common.cancel')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okButtonProps={{ loading: save.isPending, disabled: blocked !== null, 'data-testid': 'taints-save' } as never}
      destroyOnHidden
      modalRender={(node) => <div data-testid="taints-dialog">{node}</div>}
    >
      <Typography.Paragraph type="secondary">{t('clusters.taints.help')}</Typography.Paragraph>
      {owned.length > 0 && (
        <Typography.Paragraph data-testid="taints-owned">
          {t('clusters.taints.owned')}{' '}
          {owned.map((x) => (
            <Tag key={taintText(x)}>{taintText(x)}</Tag>
          ))}
        </Typography.Paragraph>
      )}
      <Form
        form={form}
        initialValues={{ taints: node.taints.filter((x) => !ownedByControllers(x)).map((x) => ({ ...x, value: x.value ?? '' })) }}
        onFinish={(v) => save.mutate(v)}
        data-testid="taints-form"
      >
        <Form.List name="taints">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f) => (
                <Space key={f.key} align="start" style={{ display: 'flex' }}>
                  <Form.Item name={[f.name, 'key']} rules={[rule(labelKeyProblem)]} style={{ width: 280, marginBottom: 8 }}>
                    <Input placeholder={t('clusters.taints.key')} data-testid="taint-key" autoComplete="off" />
                  </Form.Item>
                  <Form.Item name={[f.name, 'value']} rules={[rule(labelValueProblem)]} style={{ width: 200, marginBottom: 8 }}>
                    <Input placeholder={t('clusters.taints.value')} data-testid="taint-value" autoComplete="off" />
                  </Form.Item>
                  <Form.Item
                    name={[f.name, 'effect']}
                    rules={[{ required: true, message: t('clusters.taints.effectRequired') }]}
                    style={{ width: 170, marginBottom: 8 }}
                  >
                    <Select placeholder={t('clusters.taints.effect')} options={EFFECTS.map((e) => ({ value: e, label: e }))} data-testid="taint-effect" />
                  </Form.Item>
                  <Button type="text" icon={<MinusCircleOutlined />} onClick={() => remove(f.name)} aria-label={t('clusters.taints.remove')} />
                </Space>
              ))}
              <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ key: '', value: '', effect: 'NoSchedule' })} data-testid="taint-add">
                {t('clusters.taints.add')}
              </Button>
            </>
          )}
        </Form.List>
      </Form>
      {save.error && (
        <Alert type="error" showIcon style={{ marginTop: 12 }} title={errorText(save.error, lang, t('errors.generic'))} data-testid="taints-error" />
      )}
    </Modal>
  );
}
