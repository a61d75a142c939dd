import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Col, Drawer, Form, Input, InputNumber, Row, Select, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Application, LightAppSpec } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { errorText, formFieldErrors } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';

const EMPTY: Partial<LightAppSpec> = { name: '', description: '', startCommand: '', cpuLimitMillicores: null, memoryLimitMiB: null, env: [] };

/** Create a light app (a Python, Node.js or C package run as a service), or edit its draft version. */
export function LightAppEditor({ app, onClose }: { app: Application | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<LightAppSpec>();
  const draft = app?.versions.at(-1);
  const packages = useQuery(orpc.artifacts.list.queryOptions({ input: { kind: 'lightapp' } }));
  const onError = (e: unknown) => {
    const fields = formFieldErrors(e, lang, Object.keys(EMPTY).concat('packageArtifactId'), app ? 'spec' : undefined);
    if (fields.length > 0) form.setFields(fields as never);
    void message.error(errorText(e, lang, t('errors.generic')));
  };
  const done = () => {
    void message.success(t('models.saved'));
    void queryClient.invalidateQueries({ queryKey: orpc.apps.key() });
    onClose();
  };
  const create = useMutation(orpc.apps.createLight.mutationOptions({ onSuccess: done, onError }));
  const update = useMutation(orpc.apps.update.mutationOptions({ onSuccess: done, onError }));
  const submit = (v: LightAppSpec) => {
    const spec = { ...v, env: v.env ?? [] };
    if (app) update.mutate({ id: app.id, spec });
    else create.mutate(spec);
  };
  const req = [{ required: true, message: t('models.editor.required') }];
  const label = (a: { name: string; metadata: Record<string, unknown> }) => {
    const m = a.metadata as { language?: string; arch?: string | null };
    return `${a.name} (${[m.language, m.arch].filter(Boolean).join(', ')})`;
  };
  return (
    <Drawer
      open
      size="large"
      width={820}
      title={app ? t('apps.editor.titleEdit', { name: app.name, v: draft?.version }) : t('apps.editor.titleNewLight')}
      onClose={onClose}
      data-testid="app-editor"
      extra={
        <Button type="primary" onClick={() => form.submit()} loading={create.isPending || update.isPending} data-testid="app-save">
          {t('models.editor.save')}
        </Button>
      }
    >
      <Form<LightAppSpec> form={form} layout="vertical" initialValues={(draft?.spec as LightAppSpec | undefined) ?? EMPTY} onFinish={submit}>
        <Card size="small" title={t('models.editor.general')} style={{ marginBottom: 12 }}>
          <Row gutter={12}>
            <Col span={10}>
              <Form.Item name="name" label={t('models.name')} rules={req} extra={t('apps.editor.lightNameHelp')}>
                <Input data-testid="app-name" autoComplete="off" disabled={!!app} />
              </Form.Item>
            </Col>
            <Col span={14}>
              <Form.Item name="packageArtifactId" label={t('apps.editor.package')} rules={req}>
                <Select
                  placeholder={t('apps.editor.packagePick')}
                  data-testid="app-package"
                  options={(packages.data ?? []).map((a) => ({ value: a.id, label: label(a) }))}
                />
              </Form.Item>
            </Col>
          </Row>
          <Form.Item name="startCommand" label={t('apps.editor.startCommand')} rules={req} extra={t('apps.editor.startCommandHelp')}>
            <Input placeholder="python3 main.py" data-testid="app-start" />
          </Form.Item>
          <Form.Item name="description" label={t('models.editor.description')}>
            <Input.TextArea rows={2} />
          </Form.Item>
          <Row gutter={12}>
            <Col span={8}>
              <Form.Item name="cpuLimitMillicores" label={t('apps.editor.cpu')}>
                <InputNumber style={{ width: '100%' }} placeholder={t('apps.editor.noLimit')} />
              </Form.Item>
            </Col>
            <Col span={8}>
              <Form.Item name="memoryLimitMiB" label={t('apps.editor.memory')}>
                <InputNumber style={{ width: '100%' }} placeholder={t('apps.editor.noLimit')} />
              </Form.Item>
            </Col>
          </Row>
          <Typography.Text strong>{t('apps.editor.env')}</Typography.Text>
          <Form.List name="env">
            {(fields, { add, remove }) => (
              <>
                {fields.map((f) => (
                  <Row gutter={8} key={f.key}>
                    <Col span={8}>
                      <Form.Item name={[f.name, 'name']} rules={req}>
                        <Input placeholder={t('models.name')} />
                      </Form.Item>
                    </Col>
                    <Col span={14}>
                      <Form.Item name={[f.name, 'value']}>
                        <Input placeholder={t('apps.editor.value')} />
                      </Form.Item>
                    </Col>
                    <Col span={1}>
                      <MinusCircleOutlined onClick={() => remove(f.name)} aria-label={t('models.editor.remove')} />
                    </Col>
                  </Row>
                ))}
                <div>
                  <Button size="small" type="dashed" icon={<PlusOutlined />} onClick={() => add({ name: '', value: '' })}>
                    {t('models.editor.add')}
                  </Button>
                </div>
              </>
            )}
          </Form.List>
        </Card>
      </Form>
    </Drawer>
  );
}
