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
  /** The API's refusals about one taint's key, value or effect: shown next to it, not again above the buttons. */
  const rowErrors = (e: unknown) => formFieldErrors(e, lang, ['taints']).filter((f) => f.name.length > 2);
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
    onError: (e) => form.setFields(rowErrors(e) as never),
  });
  const rule = (problem: (s: string) => string | null) => ({
    validator: (_: unknown, v: string | undefined) => {
      const p = problem((v ?? '').trim());
      return p ? Promise.reject(new Error(t(`clusters.taints.rule.${p}`))) : Promise.resolve();
    },
  });
  // Kubernetes keeps one taint per key and effect (validateNodeTaints): the later of two is marked.
  const unique = (i: number) => ({
    validator: (_: unknown, key: string | undefined) => {
      const rows = (form.getFieldValue('taints') as Partial<Taint>[] | undefined) ?? [];
      const effect = rows[i]?.effect;
      const twice = rows.slice(0, i).some((r) => r?.key?.trim() === key?.trim() && r?.effect === effect);
      return twice ? Promise.reject(new Error(t('clusters.taints.rule.duplicate'))) : Promise.resolve();
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
        // Enter saves as the dialog's button does: not while the cluster is out of reach or a save is under way.
        onFinish={(v) => blocked === null && !save.isPending && save.mutate(v)}
        data-testid="taints-form"
      >
        <Form.List name="taints">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f) => (
                <Space key={f.key} align="start" style={{ display: 'flex' }}>
                  <Form.Item
                    name={[f.name, 'key']}
                    rules={[rule(labelKeyProblem), unique(f.name)]}
                    dependencies={[['taints', f.name, 'effect']]}
                    validateFirst
                    style={{ width: 280, marginBottom: 8 }}
                  >
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
        {/* Enter in a field saves: the form's submit button (the dialog's own button sits outside the form). */}
        <button type="submit" hidden />
      </Form>
      {save.error && rowErrors(save.error).length === 0 && (
        <Alert type="error" showIcon style={{ marginTop: 12 }} title={errorText(save.error, lang, t('errors.generic'))} data-testid="taints-error" />
      )}
    </Modal>
  );
}
