import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Col, Drawer, Form, Input, InputNumber, List, Row, Select, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ComboSpec } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { apiErrorData, errorText, formFieldErrors } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';
import { PairList } from '../PairList';

type KV = { key: string; value: string };
type FormValues = Omit<ComboSpec, 'nodeLabels'> & { nodeLabels: KV[] };
const FIELDS = ['name', 'description', 'modelId', 'modelRevision', 'runtimeArtifactId', 'apps', 'nodeLabels'];

function toSpec(v: Partial<FormValues>): Partial<ComboSpec> {
  return {
    ...v,
    apps: (v.apps ?? []).filter(Boolean).map((a) => ({ ...a, overrides: { replicas: a.overrides?.replicas ?? null, env: a.overrides?.env ?? [] } })),
    nodeLabels: Object.fromEntries((v.nodeLabels ?? []).filter((r) => r?.key).map((r) => [r.key, r.value ?? ''])),
  };
}

/** Waits until `value` has stopped changing for `ms`. */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/**
 * Create a combo, edit a draft, or copy one into a new draft. While it is
 * edited, the station checks it against its model and lists every problem.
 */
export function ComboEditor({ id, spec, onClose }: { id: string | null; spec: ComboSpec | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<FormValues>();
  const models = useQuery(orpc.models.list.queryOptions());
  const apps = useQuery(orpc.apps.list.queryOptions());
  const runtimes = useQuery(orpc.artifacts.list.queryOptions({ input: { kind: 'runtime' } }));
  const values = Form.useWatch([], form) as Partial<FormValues> | undefined;
  const modelId = values?.modelId;
  const model = models.data?.find((m) => m.id === modelId);

  // The live check runs on a settled, complete draft.
  const draft = useSettled(JSON.stringify(values ? toSpec(values) : {}), 300);
  const parsed = JSON.parse(draft) as Partial<ComboSpec>;
  const complete = !!(parsed.name && parsed.modelId && parsed.modelRevision && parsed.runtimeArtifactId);
  const check = useQuery({
    ...orpc.combos.check.queryOptions({ input: { description: '', ...parsed } as ComboSpec }),
    enabled: complete,
    retry: false,
  });

  const onError = (e: unknown) => {
    const fields = formFieldErrors(e, lang, FIELDS, id ? 'spec' : undefined);
    if (fields.length > 0) form.setFields(fields as never);
    void message.error(errorText(e, lang, t('errors.generic')));
  };
  const done = () => {
    void message.success(t('models.saved'));
    void queryClient.invalidateQueries({ queryKey: orpc.combos.key() });
    onClose();
  };
  const create = useMutation(orpc.combos.create.mutationOptions({ onSuccess: done, onError }));
  const update = useMutation(orpc.combos.update.mutationOptions({ onSuccess: done, onError }));
  const submit = (v: FormValues) => {
    const s = toSpec(v) as ComboSpec;
    if (id) update.mutate({ id, spec: s });
    else create.mutate(s);
  };
  const req = [{ required: true, message: t('models.editor.required') }];
  const initial: Partial<FormValues> = spec
    ? { ...spec, nodeLabels: Object.entries(spec.nodeLabels).map(([key, value]) => ({ key, value })) }
    : { name: '', description: '', apps: [], nodeLabels: [] };
  const inputProblem = check.error ? apiErrorData(check.error) : null;

  return (
    <Drawer
      open
      size="large"
      width={980}
      title={id ? t('combos.editor.titleEdit', { name: spec?.name }) : t('combos.editor.titleNew')}
      onClose={onClose}
      data-testid="combo-editor"
      extra={
        <Button type="primary" onClick={() => form.submit()} loading={create.isPending || update.isPending} data-testid="combo-save">
          {t('models.editor.save')}
        </Button>
      }
    >
      <div aria-live="polite" style={{ marginBottom: 12 }} data-testid="combo-check">
        {!complete ? (
          <Alert type="info" showIcon title={t('combos.editor.checkPending')} />
        ) : check.isFetching && !check.data ? (
          <Alert type="info" showIcon title={t('combos.editor.checking')} />
        ) : inputProblem ? (
          <Alert type="warning" showIcon title={inputProblem.message[lang]} />
        ) : check.data && check.data.length === 0 ? (
          <Alert type="success" showIcon title={t('combos.editor.fits', { model: model?.name ?? '', rev: parsed.modelRevision })} data-testid="combo-fits" />
        ) : check.data ? (
          <Alert
            type="error"
            showIcon
            data-testid="combo-problems"
            title={t('combos.editor.problems', { count: check.data.length })}
            description={
              <List
                size="small"
                dataSource={check.data}
                renderItem={(p) => (
                  <List.Item data-testid={`combo-problem-${p.rule}`}>
                    <Typography.Text>{p.message[lang]}</Typography.Text>
                  </List.Item>
                )}
              />
            }
          />
        ) : null}
      </div>
      <Form<FormValues> form={form} layout="vertical" initialValues={initial} onFinish={submit}>
        <Card size="small" title={t('models.editor.general')} style={{ marginBottom: 12 }}>
          <Row gutter={12}>
            <Col span={8}>
              <Form.Item name="name" label={t('models.name')} rules={req}>
                <Input data-testid="combo-name" autoComplete="off" />
              </Form.Item>
            </Col>
            <Col span={16}>
              <Form.Item name="description" label={t('models.editor.description')}>
                <Input />
              </Form.Item>
            </Col>
          </Row>
          <Row gutter={12}>
            <Col span={9}>
              <Form.Item name="modelId" label={t('combos.model')} rules={req}>
                <Select
                  showSearch
                  optionFilterProp="label"
                  data-testid="combo-model"
                  onChange={(mid: string) => {
                    const m = models.data?.find((x) => x.id === mid);
                    const pub = m?.revisions.filter((r) => r.state === 'published').at(-1);
                    form.setFieldValue('modelRevision', pub?.revision);
                  }}
                  options={(models.data ?? []).map((m) => ({ value: m.id, label: `${m.name} (${m.arch})` }))}
                />
              </Form.Item>
            </Col>
            <Col span={5}>
              <Form.Item name="modelRevision" label={t('models.revision')} rules={req}>
                <Select
                  data-testid="combo-revision"
                  options={(model?.revisions ?? []).map((r) => ({
                    value: r.revision,
                    label: `r${r.revision} · ${t(`models.state.${r.state}`)}`,
                    disabled: r.state !== 'published',
                  }))}
                />
              </Form.Item>
            </Col>
            <Col span={10}>
              <Form.Item name="runtimeArtifactId" label={t('combos.runtime')} rules={req}>
                <Select
                  data-testid="combo-runtime"
                  options={(runtimes.data ?? []).map((a) => ({
                    value: a.id,
                    label: a.platform && !a.name.includes(a.platform) ? `${a.name} (${a.platform})` : a.name,
                  }))}
                />
              </Form.Item>
            </Col>
          </Row>
        </Card>

        <Card size="small" title={t('combos.apps')} style={{ marginBottom: 12 }}>
          <Form.List name="apps">
            {(fields, { add, remove }) => (
              <>
                {fields.map((f) => {
                  const pin = values?.apps?.[f.name];
                  const app = apps.data?.find((a) => a.id === pin?.appId);
                  return (
                    <Card key={f.key} size="small" type="inner" style={{ marginBottom: 8 }}>
                      <Row gutter={8}>
                        <Col span={9}>
                          <Form.Item name={[f.name, 'appId']} label={t('combos.app')} rules={req}>
                            <Select
                              showSearch
                              optionFilterProp="label"
                              data-testid={`combo-app-${f.name}`}
                              onChange={(aid: string) => {
                                const a = apps.data?.find((x) => x.id === aid);
                                form.setFieldValue(['apps', f.name, 'version'], a?.versions.filter((v) => v.state === 'published').at(-1)?.version);
                              }}
                              options={(apps.data ?? []).map((a) => ({ value: a.id, label: `${a.name} (${t(`apps.kind.${a.kind}`)})` }))}
                            />
                          </Form.Item>
                        </Col>
                        <Col span={5}>
                          <Form.Item name={[f.name, 'version']} label={t('apps.version')} rules={req}>
                            <Select
                              data-testid={`combo-app-version-${f.name}`}
                              options={(app?.versions ?? []).map((v) => ({ value: v.version, label: `v${v.version} · ${t(`models.state.${v.state}`)}` }))}
                            />
                          </Form.Item>
                        </Col>
                        <Col span={5}>
                          <Form.Item name={[f.name, 'overrides', 'replicas']} label={t('combos.replicas')}>
                            <InputNumber style={{ width: '100%' }} min={0} placeholder={t('combos.asApp')} />
                          </Form.Item>
                        </Col>
                        <Col span={1} offset={4} style={{ paddingTop: 30 }}>
                          <MinusCircleOutlined onClick={() => remove(f.name)} aria-label={t('models.editor.remove')} />
                        </Col>
                      </Row>
                      <PairList name={[f.name, 'overrides', 'env']} keyField="name" keyPlaceholder={t('combos.envName')} addLabel={t('combos.addEnv')} />
                    </Card>
                  );
                })}
                <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ overrides: { replicas: null, env: [] } })} data-testid="combo-app-add">
                  {t('combos.addApp')}
                </Button>
              </>
            )}
          </Form.List>
        </Card>

        <Card size="small" title={t('combos.nodeLabels')}>
          <PairList name="nodeLabels" keyField="key" keyPlaceholder={t('apps.editor.labelKey')} />
        </Card>
      </Form>
    </Drawer>
  );
}
