import { DeleteOutlined, MinusCircleOutlined, PlusOutlined, UndoOutlined } from '@ant-design/icons';
import { useMutation } from '@tanstack/react-query';
import { Alert, App, Button, Form, Input, Modal, Space, Table, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/context';
import { apiErrorData, errorText } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';
import { useConsole } from '../console/context';
import { byText } from '../console/list';
import { labelKeyProblem, labelValueProblem } from './labelRules';
import type { NodeRow } from './node';

interface Values {
  set: { key: string; value: string }[];
}

/** Every label the nodes carry: its value (or null where they differ) and on how many nodes. */
function unionOf(nodes: NodeRow[]) {
  const all = new Map<string, { value: string | null; count: number }>();
  for (const n of nodes)
    for (const [k, v] of Object.entries(n.labels)) {
      const seen = all.get(k);
      all.set(k, seen ? { value: seen.value === v ? v : null, count: seen.count + 1 } : { value: v, count: 1 });
    }
  return [...all.entries()].map(([key, x]) => ({ key, ...x })).sort((a, b) => byText(a.key, b.key));
}

/**
 * Labels of one node or of several at once: existing labels can be marked
 * for removal (and kept again), new ones added or changed, each checked
 * against the label rule as it is typed; the API refuses what only it
 * knows (protected kubernetes.io labels) and its message is shown.
 */
export function LabelsDialog({ nodes, onClose }: { nodes: NodeRow[]; onClose: () => void }) {
  const { t } = useTranslation();
  const { client } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const { cluster, blocked } = useConsole();
  const [form] = Form.useForm<Values>();
  const [removed, setRemoved] = useState<Set<string>>(new Set());
  const existing = useMemo(() => unionOf(nodes), [nodes]);

  /** A refusal about one label goes next to its row (and is not said again above the buttons). */
  const rowErrors = (e: unknown) => {
    const rows = (form.getFieldValue('set') as Values['set'] | undefined) ?? [];
    const d = apiErrorData(e);
    const issues = d?.fields?.length ? d.fields : d?.field ? [{ path: d.field, message: d.message }] : [];
    return issues.flatMap((f) => {
      const i = f.path[0] === 'set' ? rows.findIndex((r) => r?.key?.trim() === f.path[1]) : -1;
      return i === -1 ? [] : [{ name: ['set', i, 'key'], errors: [f.message[lang]] }];
    });
  };
  const save = useMutation({
    mutationFn: (v: Values) => {
      const set = Object.fromEntries(v.set.map((r) => [r.key.trim(), r.value.trim()]));
      return client.clusters.setNodeLabels({ clusterId: cluster.id, nodes: nodes.map((n) => n.name), set, remove: [...removed].filter((k) => !(k in set)) });
    },
    onSuccess: () => {
      void message.success(t('clusters.labels.saved', { count: nodes.length }));
      onClose();
    },
    onError: (e) => form.setFields(rowErrors(e) as never),
  });

  const toggle = (key: string) =>
    setRemoved((old) => {
      const next = new Set(old);
      if (!next.delete(key)) next.add(key);
      return next;
    });

  const keyRule = {
    validator: (_: unknown, key: string | undefined) => {
      const p = labelKeyProblem((key ?? '').trim());
      return p ? Promise.reject(new Error(t(`clusters.labels.rule.${p}`))) : Promise.resolve();
    },
  };
  const valueRule = {
    validator: (_: unknown, value: string | undefined) => {
      const p = labelValueProblem((value ?? '').trim());
      return p ? Promise.reject(new Error(t(`clusters.labels.rule.${p}`))) : Promise.resolve();
    },
  };
  const uniqueRule = {
    validator: (_: unknown, key: string | undefined) => {
      const keys = (form.getFieldValue('set') as Values['set']).map((r) => r?.key?.trim());
      return keys.filter((k) => k && k === key?.trim()).length > 1 ? Promise.reject(new Error(t('clusters.labels.rule.duplicate'))) : Promise.resolve();
    },
  };

  return (
    <Modal
      open
      width={820}
      title={nodes.length === 1 ? t('clusters.labels.title', { name: nodes[0]!.name }) : t('clusters.labels.titleMany', { count: nodes.length })}
      okText={t('clusters.labels.save')}
      cancelText={t('common.cancel')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okButtonProps={{ loading: save.isPending, disabled: blocked !== null, 'data-testid': 'labels-save' } as never}
      destroyOnHidden
      modalRender={(node) => <div data-testid="labels-dialog">{node}</div>}
    >
      {nodes.length > 1 && <Typography.Paragraph type="secondary">{nodes.map((n) => n.name).join(', ')}</Typography.Paragraph>}
      <Typography.Title level={5}>{t('clusters.labels.current')}</Typography.Title>
      <Table
        size="small"
        rowKey="key"
        pagination={false}
        scroll={{ y: 220 }}
        dataSource={existing}
        data-testid="labels-current"
        onRow={(r) =>
          ({ 'data-testid': 'label-row', 'data-key': r.key, style: removed.has(r.key) ? { opacity: 0.5 } : undefined }) as React.HTMLAttributes<HTMLElement>
        }
        columns={[
          {
            title: t('clusters.labels.key'),
            key: 'key',
            ellipsis: true,
            render: (_, r) => (removed.has(r.key) ? <Typography.Text delete>{r.key}</Typography.Text> : r.key),
          },
          {
            title: t('clusters.labels.value'),
            key: 'value',
            width: 200,
            ellipsis: true,
            render: (_, r) => (r.value === null ? <Typography.Text type="secondary">{t('clusters.labels.varies')}</Typography.Text> : r.value || '—'),
          },
          ...(nodes.length > 1
            ? [{ title: t('clusters.labels.onNodes'), key: 'count', width: 110, render: (_: unknown, r: { count: number }) => `${r.count} / ${nodes.length}` }]
            : []),
          {
            title: '',
            key: 'remove',
            width: 110,
            render: (_, r) => (
              <Button
                size="small"
                type="text"
                danger={!removed.has(r.key)}
                icon={removed.has(r.key) ? <UndoOutlined /> : <DeleteOutlined />}
                onClick={() => toggle(r.key)}
                data-testid="label-remove"
              >
                {removed.has(r.key) ? t('clusters.labels.keep') : t('clusters.labels.remove')}
              </Button>
            ),
          },
        ]}
      />
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('clusters.labels.addOrChange')}
      </Typography.Title>
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
        {t('clusters.labels.ruleHelp')}
      </Typography.Paragraph>
      <Form
        form={form}
        initialValues={{ set: [] }}
        // Enter saves as the dialog's button does: not while the cluster is out of reach or a save is under way.
        onFinish={(v) => blocked === null && !save.isPending && save.mutate(v)}
        data-testid="labels-form"
      >
        <Form.List name="set">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f) => (
                <Space key={f.key} align="start" style={{ display: 'flex' }}>
                  <Form.Item name={[f.name, 'key']} rules={[keyRule, uniqueRule]} style={{ width: 340, marginBottom: 8 }} validateFirst>
                    <Input placeholder={t('clusters.labels.keyPlaceholder')} data-testid="label-key" autoComplete="off" />
                  </Form.Item>
                  <Form.Item name={[f.name, 'value']} rules={[valueRule]} style={{ width: 300, marginBottom: 8 }} initialValue="">
                    <Input placeholder={t('clusters.labels.valuePlaceholder')} data-testid="label-value" autoComplete="off" />
                  </Form.Item>
                  <Button type="text" icon={<MinusCircleOutlined />} onClick={() => remove(f.name)} aria-label={t('clusters.labels.removeRow')} />
                </Space>
              ))}
              <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ key: '', value: '' })} data-testid="label-add">
                {t('clusters.labels.add')}
              </Button>
            </>
          )}
        </Form.List>
        {/* Enter in a field saves: the form's submit button (the dialog's own button sits outside the form). */}
        <button type="submit" hidden />
      </Form>
      {save.error && rowErrors(save.error).length === 0 && (
        <Alert type="error" showIcon style={{ marginTop: 12 }} title={errorText(save.error, lang, t('errors.generic'))} data-testid="labels-error" />
      )}
    </Modal>
  );
}
