import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Col, Collapse, Drawer, Form, Input, InputNumber, Row, Select, Switch, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Application, Artifact, ContainerAppSpec, ContainerAppSpecInput } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { errorText, formFieldErrors } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';
import { PairList } from '../PairList';

type KV = { key: string; value: string };
type Container = ContainerAppSpec['containers'][number];
/** The spec as the form holds it: records become key/value rows. */
type FormValues = Omit<ContainerAppSpecInput, 'nodeSelector' | 'volumes'> & {
  nodeSelector: KV[];
  volumes: { name: string; type: 'hostPath' | 'configMap' | 'secret' | 'emptyDir'; hostPath: string | null; data: KV[] }[];
};

const FIELDS = ['name', 'description', 'workload', 'replicas', 'nodeSelector', 'hostNetwork', 'initContainers', 'containers', 'volumes'];
const toRows = (r: Record<string, string> | undefined): KV[] => Object.entries(r ?? {}).map(([key, value]) => ({ key, value }));
const toRecord = (rows: KV[] | undefined) => Object.fromEntries((rows ?? []).filter((r) => r?.key).map((r) => [r.key, r.value ?? '']));

const newContainer = (name: string): Partial<Container> => ({
  name,
  command: [],
  args: [],
  ports: [],
  env: [],
  volumeMounts: [],
  resources: { cpuMillicores: null, memoryMiB: null },
  gpu: null,
  privileged: false,
});

function toForm(spec: ContainerAppSpec | null): FormValues {
  if (!spec)
    return {
      name: '',
      description: '',
      workload: 'Deployment',
      replicas: 1,
      nodeSelector: [],
      hostNetwork: false,
      initContainers: [],
      containers: [newContainer('main') as Container],
      volumes: [],
    };
  return { ...spec, nodeSelector: toRows(spec.nodeSelector), volumes: spec.volumes.map((v) => ({ ...v, data: toRows(v.data) })) };
}

function fromForm(v: FormValues): ContainerAppSpecInput {
  const containers = (list: Container[] | undefined) =>
    (list ?? []).map((c) => ({ ...c, gpu: c.gpu && (c.gpu.memoryMiB || c.gpu.computePercent) ? c.gpu : null }));
  return {
    ...v,
    nodeSelector: toRecord(v.nodeSelector),
    initContainers: containers(v.initContainers as Container[]),
    containers: containers(v.containers as Container[]),
    volumes: (v.volumes ?? []).map((x) => ({ ...x, hostPath: x.type === 'hostPath' ? x.hostPath : null, data: toRecord(x.data) })),
  };
}

/** Image config defaults: exposed ports and env (not PATH) fill an empty container; entrypoint and cmd show as placeholders. */
function imageDefaults(image: Artifact) {
  const m = image.metadata as { exposedPorts?: string[]; env?: string[]; entrypoint?: string[] | null; cmd?: string[] | null };
  return {
    ports: (m.exposedPorts ?? []).map((p) => {
      const [port, proto] = p.split('/');
      return { containerPort: Number(port), protocol: proto?.toUpperCase() === 'UDP' ? 'UDP' : 'TCP', hostPort: null };
    }),
    env: (m.env ?? []).map((e) => ({ name: e.slice(0, e.indexOf('=')), value: e.slice(e.indexOf('=') + 1) })).filter((e) => e.name && e.name !== 'PATH'),
    entrypoint: m.entrypoint ?? [],
    cmd: m.cmd ?? [],
  };
}

function ContainerFields({ list, index, images }: { list: 'containers' | 'initContainers'; index: number; images: Artifact[] }) {
  const { t } = useTranslation();
  const form = Form.useFormInstance<FormValues>();
  const req = [{ required: true, message: t('models.editor.required') }];
  const imageId = Form.useWatch([list, index, 'imageArtifactId'], form) as string | undefined;
  const volumes = (Form.useWatch('volumes', form) ?? []) as FormValues['volumes'];
  const image = images.find((i) => i.id === imageId);
  const defaults = image ? imageDefaults(image) : null;
  const onImage = (id: string) => {
    const img = images.find((i) => i.id === id);
    if (!img) return;
    const d = imageDefaults(img);
    const c = form.getFieldValue([list, index]) as Container;
    if (!c.ports?.length && d.ports.length) form.setFieldValue([list, index, 'ports'], d.ports);
    if (!c.env?.length && d.env.length) form.setFieldValue([list, index, 'env'], d.env);
  };
  const tid = `${list}-${index}`;
  return (
    <>
      <Row gutter={8}>
        <Col span={6}>
          <Form.Item name={[index, 'name']} label={t('apps.editor.containerName')} rules={req}>
            <Input data-testid={`${tid}-name`} autoComplete="off" />
          </Form.Item>
        </Col>
        <Col span={12}>
          <Form.Item name={[index, 'imageArtifactId']} label={t('apps.editor.image')} rules={req}>
            <Select
              showSearch
              optionFilterProp="label"
              placeholder={t('apps.editor.imagePick')}
              onChange={onImage}
              data-testid={`${tid}-image`}
              options={images.map((a) => ({ value: a.id, label: `${a.name} (${a.platform ?? '?'})` }))}
            />
          </Form.Item>
        </Col>
        <Col span={3}>
          <Form.Item name={[index, 'privileged']} label={t('apps.editor.privileged')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Col>
      </Row>
      <Row gutter={8}>
        <Col span={12}>
          <Form.Item name={[index, 'command']} label={t('apps.editor.command')} extra={t('apps.editor.tagsHelp')}>
            <Select mode="tags" open={false} placeholder={defaults?.entrypoint.length ? defaults.entrypoint.join(' ') : t('apps.editor.imageDefault')} />
          </Form.Item>
        </Col>
        <Col span={12}>
          <Form.Item name={[index, 'args']} label={t('apps.editor.args')}>
            <Select mode="tags" open={false} placeholder={defaults?.cmd.length ? defaults.cmd.join(' ') : t('apps.editor.imageDefault')} />
          </Form.Item>
        </Col>
      </Row>
      <Typography.Text strong>{t('apps.editor.ports')}</Typography.Text>
      <Form.List name={[index, 'ports']}>
        {(fields, { add, remove }) => (
          <>
            {fields.map((f) => (
              <Row gutter={8} key={f.key}>
                <Col span={5}>
                  <Form.Item name={[f.name, 'containerPort']} label={t('apps.editor.containerPort')} rules={req}>
                    <InputNumber style={{ width: '100%' }} data-testid={`${tid}-port-${f.name}`} />
                  </Form.Item>
                </Col>
                <Col span={4}>
                  <Form.Item name={[f.name, 'protocol']} label={t('apps.editor.protocol')}>
                    <Select options={['TCP', 'UDP'].map((v) => ({ value: v, label: v }))} />
                  </Form.Item>
                </Col>
                <Col span={5}>
                  <Form.Item name={[f.name, 'hostPort']} label={t('apps.editor.hostPort')}>
                    <InputNumber style={{ width: '100%' }} data-testid={`${tid}-hostport-${f.name}`} />
                  </Form.Item>
                </Col>
                <Col span={1} style={{ paddingTop: 30 }}>
                  <MinusCircleOutlined onClick={() => remove(f.name)} aria-label={t('models.editor.remove')} />
                </Col>
              </Row>
            ))}
            <Button
              size="small"
              type="dashed"
              icon={<PlusOutlined />}
              onClick={() => add({ containerPort: 8080, protocol: 'TCP', hostPort: null })}
              style={{ marginBottom: 12 }}
              data-testid={`${tid}-port-add`}
            >
              {t('models.editor.add')}
            </Button>
          </>
        )}
      </Form.List>
      <br />
      <Typography.Text strong>{t('apps.editor.env')}</Typography.Text>
      <Form.List name={[index, 'env']}>
        {(fields, { add, remove }) => (
          <>
            {fields.map((f) => (
              <Row gutter={8} key={f.key}>
                <Col span={8}>
                  <Form.Item name={[f.name, 'name']} label={t('models.name')} rules={req}>
                    <Input data-testid={`${tid}-env-name-${f.name}`} />
                  </Form.Item>
                </Col>
                <Col span={14}>
                  <Form.Item name={[f.name, 'value']} label={t('apps.editor.value')}>
                    <Input />
                  </Form.Item>
                </Col>
                <Col span={1} style={{ paddingTop: 30 }}>
                  <MinusCircleOutlined onClick={() => remove(f.name)} aria-label={t('models.editor.remove')} />
                </Col>
              </Row>
            ))}
            <Button
              size="small"
              type="dashed"
              icon={<PlusOutlined />}
              onClick={() => add({ name: '', value: '' })}
              style={{ marginBottom: 12 }}
              data-testid={`${tid}-env-add`}
            >
              {t('models.editor.add')}
            </Button>
          </>
        )}
      </Form.List>
      <br />
      <Typography.Text strong>{t('apps.editor.mounts')}</Typography.Text>
      <Form.List name={[index, 'volumeMounts']}>
        {(fields, { add, remove }) => (
          <>
            {fields.map((f) => (
              <Row gutter={8} key={f.key}>
                <Col span={7}>
                  <Form.Item name={[f.name, 'volume']} label={t('apps.editor.volume')} rules={req}>
                    <Select options={volumes.filter((v) => v?.name).map((v) => ({ value: v.name, label: v.name }))} />
                  </Form.Item>
                </Col>
                <Col span={11}>
                  <Form.Item name={[f.name, 'mountPath']} label={t('apps.editor.mountPath')} rules={req}>
                    <Input placeholder="/data" />
                  </Form.Item>
                </Col>
                <Col span={4}>
                  <Form.Item name={[f.name, 'readOnly']} label={t('apps.editor.readOnly')} valuePropName="checked">
                    <Switch />
                  </Form.Item>
                </Col>
                <Col span={1} style={{ paddingTop: 30 }}>
                  <MinusCircleOutlined onClick={() => remove(f.name)} aria-label={t('models.editor.remove')} />
                </Col>
              </Row>
            ))}
            <Button
              size="small"
              type="dashed"
              icon={<PlusOutlined />}
              onClick={() => add({ volume: volumes[0]?.name, mountPath: '', readOnly: false })}
              disabled={!volumes.length}
              style={{ marginBottom: 12 }}
            >
              {t('models.editor.add')}
            </Button>
          </>
        )}
      </Form.List>
      <Row gutter={8}>
        <Col span={6}>
          <Form.Item name={[index, 'resources', 'cpuMillicores']} label={t('apps.editor.cpu')}>
            <InputNumber style={{ width: '100%' }} placeholder={t('apps.editor.noLimit')} />
          </Form.Item>
        </Col>
        <Col span={6}>
          <Form.Item name={[index, 'resources', 'memoryMiB']} label={t('apps.editor.memory')}>
            <InputNumber style={{ width: '100%' }} placeholder={t('apps.editor.noLimit')} />
          </Form.Item>
        </Col>
        <Col span={6}>
          <Form.Item name={[index, 'gpu', 'memoryMiB']} label={t('apps.editor.gpuMemory')} extra={t('apps.editor.gpuMemoryHelp')}>
            <InputNumber style={{ width: '100%' }} step={256} placeholder={t('apps.editor.noGpu')} data-testid={`${tid}-gpu-mem`} />
          </Form.Item>
        </Col>
        <Col span={6}>
          <Form.Item name={[index, 'gpu', 'computePercent']} label={t('apps.editor.gpuCompute')}>
            <InputNumber style={{ width: '100%' }} data-testid={`${tid}-gpu-compute`} />
          </Form.Item>
        </Col>
      </Row>
    </>
  );
}

function ContainerList({ list, images }: { list: 'containers' | 'initContainers'; images: Artifact[] }) {
  const { t } = useTranslation();
  return (
    <Form.List name={list}>
      {(fields, { add, remove }) => (
        <>
          {fields.map((f, i) => (
            <Card
              key={f.key}
              size="small"
              type="inner"
              style={{ marginBottom: 8 }}
              title={`${list === 'initContainers' ? t('apps.editor.initContainer') : t('apps.editor.container')} ${i + 1}`}
              extra={
                <Button size="small" type="text" danger onClick={() => remove(f.name)} aria-label={t('models.editor.remove')}>
                  {t('models.editor.remove')}
                </Button>
              }
            >
              <ContainerFields list={list} index={f.name} images={images} />
            </Card>
          ))}
          <Button
            type="dashed"
            icon={<PlusOutlined />}
            onClick={() => add(newContainer(list === 'initContainers' ? `init-${fields.length + 1}` : `c${fields.length + 1}`))}
            data-testid={`${list}-add`}
          >
            {list === 'initContainers' ? t('apps.editor.addInit') : t('apps.editor.addContainer')}
          </Button>
        </>
      )}
    </Form.List>
  );
}

/** Create a container app, or edit its draft version. Server-side rules come back under each field. */
export function ContainerAppEditor({ app, onClose }: { app: Application | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<FormValues>();
  const draft = app?.versions.at(-1);
  const images = useQuery(orpc.artifacts.list.queryOptions({ input: { kind: 'image' } }));
  const volumeType = Form.useWatch('volumes', form) as FormValues['volumes'] | undefined;

  const onError = (e: unknown) => {
    const fields = formFieldErrors(e, lang, FIELDS, app ? 'spec' : undefined);
    if (fields.length > 0) form.setFields(fields as never);
    void message.error(errorText(e, lang, t('errors.generic')));
  };
  const done = () => {
    void message.success(t('models.saved'));
    void queryClient.invalidateQueries({ queryKey: orpc.apps.key() });
    onClose();
  };
  const create = useMutation(orpc.apps.createContainer.mutationOptions({ onSuccess: done, onError }));
  const update = useMutation(orpc.apps.update.mutationOptions({ onSuccess: done, onError }));
  const submit = (v: FormValues) => {
    const spec = fromForm(v);
    if (app) update.mutate({ id: app.id, spec });
    else create.mutate(spec as never);
  };
  const req = [{ required: true, message: t('models.editor.required') }];
  const isPatch = draft?.change === 'patch';

  return (
    <Drawer
      open
      size="large"
      width={1000}
      title={app ? t('apps.editor.titleEdit', { name: app.name, v: draft?.version }) : t('apps.editor.titleNewContainer')}
      onClose={onClose}
      data-testid="app-editor"
      extra={
        <Button type="primary" onClick={() => form.submit()} loading={create.isPending || update.isPending} data-testid="app-save">
          {t('models.editor.save')}
        </Button>
      }
    >
      {isPatch && <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('apps.editor.patchNote')} />}
      <Form<FormValues> form={form} layout="vertical" initialValues={toForm((draft?.spec as ContainerAppSpec | undefined) ?? null)} onFinish={submit}>
        <Card size="small" title={t('models.editor.general')} style={{ marginBottom: 12 }}>
          <Row gutter={12}>
            <Col span={9}>
              <Form.Item name="name" label={t('apps.editor.serviceName')} rules={req} extra={t('apps.editor.serviceNameHelp')}>
                <Input data-testid="app-name" autoComplete="off" disabled={!!app} />
              </Form.Item>
            </Col>
            <Col span={6}>
              <Form.Item name="workload" label={t('apps.editor.workload')} rules={req}>
                <Select options={['Deployment', 'DaemonSet', 'Job'].map((v) => ({ value: v, label: v }))} data-testid="app-workload" />
              </Form.Item>
            </Col>
            <Col span={4}>
              <Form.Item name="replicas" label={t('apps.editor.replicas')}>
                <InputNumber style={{ width: '100%' }} min={0} />
              </Form.Item>
            </Col>
            <Col span={5}>
              <Form.Item name="hostNetwork" label={t('apps.editor.hostNetwork')} valuePropName="checked">
                <Switch />
              </Form.Item>
            </Col>
          </Row>
          <Form.Item name="description" label={t('models.editor.description')}>
            <Input.TextArea rows={2} />
          </Form.Item>
          <Typography.Text strong>{t('apps.editor.nodeSelector')}</Typography.Text>
          <PairList name="nodeSelector" keyField="key" keyPlaceholder={t('apps.editor.labelKey')} />
        </Card>

        <Card size="small" title={t('apps.editor.containers')} style={{ marginBottom: 12 }}>
          <ContainerList list="containers" images={images.data ?? []} />
        </Card>

        <Collapse
          style={{ marginBottom: 12 }}
          items={[
            {
              key: 'init',
              label: t('apps.editor.initContainers'),
              forceRender: true,
              children: (
                <>
                  <Typography.Paragraph type="secondary">{t('apps.editor.initHelp')}</Typography.Paragraph>
                  <ContainerList list="initContainers" images={images.data ?? []} />
                </>
              ),
            },
            {
              key: 'volumes',
              label: t('apps.editor.volumes'),
              forceRender: true,
              children: (
                <Form.List name="volumes">
                  {(fields, { add, remove }) => (
                    <>
                      {fields.map((f) => (
                        <Card key={f.key} size="small" type="inner" style={{ marginBottom: 8 }}>
                          <Row gutter={8}>
                            <Col span={7}>
                              <Form.Item name={[f.name, 'name']} label={t('models.name')} rules={req}>
                                <Input />
                              </Form.Item>
                            </Col>
                            <Col span={6}>
                              <Form.Item name={[f.name, 'type']} label={t('models.editor.kind')} rules={req}>
                                <Select options={['hostPath', 'configMap', 'secret', 'emptyDir'].map((v) => ({ value: v, label: v }))} />
                              </Form.Item>
                            </Col>
                            {volumeType?.[f.name]?.type === 'hostPath' && (
                              <Col span={9}>
                                <Form.Item name={[f.name, 'hostPath']} label={t('apps.editor.hostPath')} rules={req}>
                                  <Input placeholder="/var/lib/app" />
                                </Form.Item>
                              </Col>
                            )}
                            <Col span={1} style={{ paddingTop: 30 }}>
                              <MinusCircleOutlined onClick={() => remove(f.name)} aria-label={t('models.editor.remove')} />
                            </Col>
                          </Row>
                          {(volumeType?.[f.name]?.type === 'configMap' || volumeType?.[f.name]?.type === 'secret') && (
                            <Form.List name={[f.name, 'data']}>
                              {(rows, rowOps) => (
                                <>
                                  {rows.map((r) => (
                                    <Row gutter={8} key={r.key}>
                                      <Col span={7}>
                                        <Form.Item name={[r.name, 'key']} rules={req}>
                                          <Input placeholder={t('apps.editor.fileName')} />
                                        </Form.Item>
                                      </Col>
                                      <Col span={15}>
                                        <Form.Item name={[r.name, 'value']}>
                                          <Input.TextArea rows={2} placeholder={t('apps.editor.fileContent')} />
                                        </Form.Item>
                                      </Col>
                                      <Col span={1}>
                                        <MinusCircleOutlined onClick={() => rowOps.remove(r.name)} aria-label={t('models.editor.remove')} />
                                      </Col>
                                    </Row>
                                  ))}
                                  <Button size="small" type="dashed" icon={<PlusOutlined />} onClick={() => rowOps.add({ key: '', value: '' })}>
                                    {t('apps.editor.addFile')}
                                  </Button>
                                </>
                              )}
                            </Form.List>
                          )}
                        </Card>
                      ))}
                      <Button
                        type="dashed"
                        icon={<PlusOutlined />}
                        onClick={() => add({ name: `vol-${fields.length + 1}`, type: 'emptyDir', hostPath: null, data: [] })}
                      >
                        {t('apps.editor.addVolume')}
                      </Button>
                    </>
                  )}
                </Form.List>
              ),
            },
          ]}
        />
      </Form>
    </Drawer>
  );
}
