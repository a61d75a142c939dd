import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { AutoComplete, Button, Form, Select, Space } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useConsole } from '../console/context';
import { metaOf, useKind } from '../console/objects';
import { labelKeyProblem, labelValueProblem } from '../nodes/labelRules';

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
type Operator = (typeof OPERATORS)[number];
export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

const needsValues = (op: Operator | undefined) => op === 'In' || op === 'NotIn';

/** What is wrong with a requirement, as message keys; empty when it can be sent. */
export function requirementProblems(r: Partial<Requirement> | undefined): { key?: string; values?: string } {
  const out: { key?: string; values?: string } = {};
  const kp = labelKeyProblem((r?.key ?? '').trim());
  if (kp) out.key = `clusters.labels.rule.${kp}`;
  const values = r?.values ?? [];
  if (needsValues(r?.operator) && values.length === 0) out.values = 'clusters.deploy.valuesRequired';
  else if (values.some((v) => labelValueProblem(v))) out.values = 'clusters.labels.rule.value';
  return out;
}

/** The label values each node label key has on this cluster's nodes, for suggestions. */
function useNodeLabels(): Map<string, Set<string>> {
  const { store } = useConsole();
  const { items } = useKind(store, 'nodes');
  return useMemo(() => {
    const keys = new Map<string, Set<string>>();
    for (const n of items) for (const [k, v] of Object.entries(metaOf(n).labels ?? {})) keys.set(k, (keys.get(k) ?? new Set()).add(v));
    return keys;
  }, [items]);
}

/** The label match (node selector requirements): key, operator, values; each checked as it is typed. */
export function SelectorRows() {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  const labels = useNodeLabels();
  const rows = (Form.useWatch('selector', form) ?? []) as Partial<Requirement>[];
  const check = (index: number, part: 'key' | 'values') => ({
    validator: () => {
      const p = requirementProblems(form.getFieldValue(['selector', index]) as Partial<Requirement>)[part];
      return p ? Promise.reject(new Error(t(p))) : Promise.resolve();
    },
  });
  return (
    <Form.List name="selector">
      {(fields, { add, remove }) => (
        <>
          {fields.map((f) => {
            const row = rows[f.name];
            const valueOptions = [...(labels.get(row?.key ?? '') ?? [])].filter(Boolean).map((v) => ({ value: v, label: v }));
            return (
              <Space key={f.key} align="start" style={{ display: 'flex' }} data-testid="selector-row">
                <Form.Item name={[f.name, 'key']} rules={[check(f.name, 'key')]} style={{ width: 320, marginBottom: 8 }}>
                  <AutoComplete
                    placeholder={t('clusters.deploy.labelKey')}
                    options={[...labels.keys()].sort().map((k) => ({ value: k }))}
                    filterOption={(input, o) => String(o?.value ?? '').includes(input)}
                    data-testid="selector-key"
                  />
                </Form.Item>
                <Form.Item name={[f.name, 'operator']} style={{ width: 190, marginBottom: 8 }}>
                  <Select
                    options={OPERATORS.map((o) => ({ value: o, label: t(`clusters.deploy.op.${o}`) }))}
                    onChange={(op: Operator) => {
                      if (!needsValues(op)) form.setFieldValue(['selector', f.name, 'values'], []);
                      void form.validateFields([['selector', f.name, 'values']]);
                    }}
                    data-testid="selector-operator"
                  />
                </Form.Item>
                <Form.Item
                  name={[f.name, 'values']}
                  rules={[check(f.name, 'values')]}
                  dependencies={[['selector', f.name, 'operator']]}
                  style={{ width: 360, marginBottom: 8 }}
                >
                  <Select
                    mode="tags"
                    disabled={!needsValues(row?.operator)}
                    placeholder={needsValues(row?.operator) ? t('clusters.deploy.values') : t('clusters.deploy.noValues')}
                    options={valueOptions}
                    tokenSeparators={[',', ' ']}
                    data-testid="selector-values"
                  />
                </Form.Item>
                <Button
                  type="text"
                  icon={<MinusCircleOutlined />}
                  onClick={() => remove(f.name)}
                  aria-label={t('clusters.deploy.removeRequirement')}
                  disabled={fields.length === 1}
                />
              </Space>
            );
          })}
          <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ key: '', operator: 'In', values: [] })} data-testid="selector-add">
            {t('clusters.deploy.addRequirement')}
          </Button>
        </>
      )}
    </Form.List>
  );
}
