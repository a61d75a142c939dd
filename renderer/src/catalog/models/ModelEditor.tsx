import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Col, Drawer, Form, Input, InputNumber, Row, Select, Space, Switch } from 'antd';
import { useTranslation } from 'react-i18next';
import type { HardwareModel, HardwareModelSpecInput } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { errorText, formFieldErrors } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';

const BAUDS = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600];

export const EMPTY_SPEC: HardwareModelSpecInput = {
  name: '',
  description: '',
  os: { family: 'rocky', version: '9', baseIsoArtifactId: null },
  arch: 'x86_64',
  minCpuCores: 4,
  minMemoryMiB: 8192,
  minDiskGiB: 64,
  installDisk: '/dev/sda',
  accelerators: [],
  nics: [{ name: 'eth0', role: 'wan', addressing: 'dhcp', address: null, gateway: null }],
  serialPorts: [],
};

const opts = (values: readonly (string | number)[]) => values.map((v) => ({ value: v, label: String(v) }));

/** Create a model, or edit its draft revision. Server-side rules come back as field errors under each field. */
export function ModelEditor({ model, onClose }: { model: HardwareModel | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<HardwareModelSpecInput>();
  const draft = model?.revisions.at(-1);
  const isos = useQuery(orpc.artifacts.list.queryOptions({ input: { kind: 'iso' } }));
  const drivers = useQuery(orpc.artifacts.list.queryOptions({ input: { kind: 'driver' } }));

  const onError = (e: unknown) => {
    const fields = formFieldErrors(e, lang, Object.keys(EMPTY_SPEC), model ? 'spec' : undefined);
    if (fields.length > 0) form.setFields(fields as never);
    void message.error(errorText(e, lang, t('errors.generic')));
  };
  const done = () => {
    void message.success(t('models.saved'));
    void queryClient.invalidateQueries({ queryKey: orpc.models.key() });
    onClose();
  };
  const create = useMutation(orpc.models.create.mutationOptions({ onSuccess: done, onError }));
  const update = useMutation(orpc.models.update.mutationOptions({ onSuccess: done, onError }));

  const submit = (v: HardwareModelSpecInput) => {
    const spec = { ...v, accelerators: v.accelerators ?? [], serialPorts: v.serialPorts ?? [], nics: v.nics ?? [] };
    if (model) update.mutate({ id: model.id, spec: spec as never });
    else create.mutate(spec as never);
  };

  const req = [{ required: true, message: t('models.editor.required') }];
  return (
    <Drawer
      open
      size="large"
      width={980}
      title={model ? t('models.editor.titleEdit', { name: model.name, n: draft?.revision }) : t('models.editor.titleNew')}
      onClose={onClose}
      data-testid="model-editor"
      extra={
        <Button type="primary" onClick={() => form.submit()} loading={create.isPending || update.isPending} data-testid="model-save">
          {t('models.editor.save')}
        </Button>
      }
    >
      <Form<HardwareModelSpecInput> form={form} layout="vertical" initialValues={draft?.spec ?? EMPTY_SPEC} onFinish={submit} requiredMark="optional">
        <Card size="small" title={t('models.editor.general')} style={{ marginBottom: 12 }}>
          <Row gutter={12}>
            <Col span={8}>
              <Form.Item name="name" label={t('models.name')} rules={req}>
                <Input data-testid="model-name" autoComplete="off" />
              </Form.Item>
            </Col>
            <Col span={4}>
              <Form.Item name="arch" label={t('models.arch')} rules={req}>
                <Select options={opts(['x86_64', 'aarch64'])} data-testid="model-arch" />
              </Form.Item>
            </Col>
            <Col span={4}>
              <Form.Item name={['os', 'family']} label={t('models.editor.osFamily')} rules={req}>
                <Select options={opts(['centos', 'rocky', 'rhel', 'ubuntu', 'debian', 'openeuler'])} />
              </Form.Item>
            </Col>
            <Col span={3}>
              <Form.Item name={['os', 'version']} label={t('models.editor.osVersion')} rules={req}>
                <Input />
              </Form.Item>
            </Col>
            <Col span={5}>
              <Form.Item name={['os', 'baseIsoArtifactId']} label={t('models.editor.baseIso')}>
                <Select
                  allowClear
                  placeholder={t('models.editor.baseIsoNone')}
                  options={(isos.data ?? []).map((a) => ({ value: a.id, label: `${a.name} (${a.platform ?? '?'})` }))}
                />
              </Form.Item>
            </Col>
          </Row>
          <Form.Item name="description" label={t('models.editor.description')}>
            <Input.TextArea rows={2} />
          </Form.Item>
        </Card>

        <Card size="small" title={t('models.editor.requirements')} style={{ marginBottom: 12 }}>
          <Row gutter={12}>
            <Col span={5}>
              <Form.Item name="minCpuCores" label={t('models.editor.cores')} rules={req}>
                <InputNumber style={{ width: '100%' }} data-testid="model-cores" />
              </Form.Item>
            </Col>
            <Col span={6}>
              <Form.Item name="minMemoryMiB" label={t('models.editor.memory')} rules={req}>
                <InputNumber style={{ width: '100%' }} data-testid="model-memory" />
              </Form.Item>
            </Col>
            <Col span={5}>
              <Form.Item name="minDiskGiB" label={t('models.editor.disk')} rules={req}>
                <InputNumber style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col span={8}>
              <Form.Item name="installDisk" label={t('models.editor.installDisk')} rules={req}>
                <Input />
              </Form.Item>
            </Col>
          </Row>
        </Card>

        <Card size="small" title={t('models.editor.accelerators')} style={{ marginBottom: 12 }}>
          <Form.List name="accelerators">
            {(fields, { add, remove }) => (
              <>
                {fields.map((f) => (
                  <Row gutter={8} key={f.key} align="top">
                    <Col span={4}>
                      <Form.Item name={[f.name, 'kind']} label={t('models.editor.kind')} rules={req}>
                        <Select options={opts(['nvidia-gpu', 'openvino'])} />
                      </Form.Item>
                    </Col>
                    <Col span={4}>
                      <Form.Item name={[f.name, 'device']} label={t('models.editor.device')}>
                        <Select allowClear options={opts(['igpu', 'vpu', 'npu'])} />
                      </Form.Item>
                    </Col>
                    <Col span={3}>
                      <Form.Item name={[f.name, 'count']} label={t('models.editor.count')} rules={req}>
                        <InputNumber style={{ width: '100%' }} />
                      </Form.Item>
                    </Col>
                    <Col span={6}>
                      <Form.Item name={[f.name, 'pciIds']} label={t('models.editor.pciIds')} rules={req}>
                        <Select mode="tags" tokenSeparators={[',', ' ']} data-testid={`accel-pci-${f.name}`} />
                      </Form.Item>
                    </Col>
                    <Col span={6}>
                      <Form.Item name={[f.name, 'driverArtifactId']} label={t('models.editor.driver')}>
                        <Select
                          allowClear
                          placeholder={t('models.editor.driverNone')}
                          options={(drivers.data ?? []).map((a) => ({ value: a.id, label: a.name }))}
                        />
                      </Form.Item>
                    </Col>
                    <Col span={1} style={{ paddingTop: 30 }}>
                      <MinusCircleOutlined onClick={() => remove(f.name)} aria-label={t('models.editor.remove')} />
                    </Col>
                  </Row>
                ))}
                <Button
                  type="dashed"
                  icon={<PlusOutlined />}
                  onClick={() => add({ kind: 'nvidia-gpu', device: null, count: 1, pciIds: [], driverArtifactId: null })}
                  data-testid="accel-add"
                >
                  {t('models.editor.add')}
                </Button>
              </>
            )}
          </Form.List>
        </Card>

        <Card size="small" title={t('models.editor.nics')} style={{ marginBottom: 12 }}>
          <Form.List name="nics">
            {(fields, { add, remove }) => (
              <>
                {fields.map((f) => (
                  <Row gutter={8} key={f.key} align="top">
                    <Col span={4}>
                      <Form.Item name={[f.name, 'name']} label={t('models.editor.nicName')} rules={req}>
                        <Input data-testid={`nic-name-${f.name}`} />
                      </Form.Item>
                    </Col>
                    <Col span={4}>
                      <Form.Item name={[f.name, 'role']} label={t('models.editor.role')} rules={req}>
                        <Select options={opts(['wan', 'lan', 'cluster', 'mgmt', 'field'])} />
                      </Form.Item>
                    </Col>
                    <Col span={4}>
                      <Form.Item name={[f.name, 'addressing']} label={t('models.editor.addressing')} rules={req}>
                        <Select options={opts(['dhcp', 'static', 'none'])} />
                      </Form.Item>
                    </Col>
                    <Col span={5}>
                      <Form.Item name={[f.name, 'address']} label={t('models.editor.address')}>
                        <Input placeholder="192.168.1.10/24" />
                      </Form.Item>
                    </Col>
                    <Col span={5}>
                      <Form.Item name={[f.name, 'gateway']} label={t('models.editor.gateway')}>
                        <Input placeholder="192.168.1.1" />
                      </Form.Item>
                    </Col>
                    <Col span={1} style={{ paddingTop: 30 }}>
                      <MinusCircleOutlined onClick={() => remove(f.name)} aria-label={t('models.editor.remove')} />
                    </Col>
                  </Row>
                ))}
                <Button
                  type="dashed"
                  icon={<PlusOutlined />}
                  onClick={() => add({ name: `eth${fields.length}`, role: 'lan', addressing: 'dhcp', address: null, gateway: null })}
                  data-testid="nic-add"
                >
                  {t('models.editor.add')}
                </Button>
              </>
            )}
          </Form.List>
        </Card>

        <Card size="small" title={t('models.editor.serialPorts')}>
          <Form.List name="serialPorts">
            {(fields, { add, remove }) => (
              <>
                {fields.map((f) => (
                  <Row gutter={8} key={f.key} align="top">
                    <Col span={4}>
                      <Form.Item name={[f.name, 'device']} label={t('models.editor.serialDevice')} rules={req}>
                        <Input data-testid={`serial-device-${f.name}`} />
                      </Form.Item>
                    </Col>
                    <Col span={3}>
                      <Form.Item name={[f.name, 'role']} label={t('models.editor.role')} rules={req}>
                        <Select options={opts(['console', 'rs485', 'rs232'])} />
                      </Form.Item>
                    </Col>
                    <Col span={3}>
                      <Form.Item name={[f.name, 'baud']} label={t('models.editor.baud')} rules={req}>
                        <Select options={opts(BAUDS)} />
                      </Form.Item>
                    </Col>
                    <Col span={2}>
                      <Form.Item name={[f.name, 'dataBits']} label={t('models.editor.dataBits')} rules={req}>
                        <Select options={opts([5, 6, 7, 8])} />
                      </Form.Item>
                    </Col>
                    <Col span={3}>
                      <Form.Item name={[f.name, 'parity']} label={t('models.editor.parity')} rules={req}>
                        <Select options={opts(['none', 'even', 'odd', 'mark', 'space'])} />
                      </Form.Item>
                    </Col>
                    <Col span={2}>
                      <Form.Item name={[f.name, 'stopBits']} label={t('models.editor.stopBits')} rules={req}>
                        <Select options={opts([1, 1.5, 2])} />
                      </Form.Item>
                    </Col>
                    <Col span={3}>
                      <Form.Item name={[f.name, 'flowControl']} label={t('models.editor.flowControl')} rules={req}>
                        <Select options={opts(['none', 'rts-cts', 'xon-xoff'])} />
                      </Form.Item>
                    </Col>
                    <Col span={3}>
                      <Form.Item name={[f.name, 'provisioningConsole']} label={t('models.editor.provisioning')} valuePropName="checked">
                        <Switch data-testid={`serial-console-${f.name}`} />
                      </Form.Item>
                    </Col>
                    <Col span={1} style={{ paddingTop: 30 }}>
                      <MinusCircleOutlined onClick={() => remove(f.name)} aria-label={t('models.editor.remove')} />
                    </Col>
                  </Row>
                ))}
                <Space>
                  <Button
                    type="dashed"
                    icon={<PlusOutlined />}
                    data-testid="serial-add"
                    onClick={() =>
                      add({
                        device: `/dev/ttyS${fields.length}`,
                        role: 'rs485',
                        baud: 9600,
                        dataBits: 8,
                        parity: 'none',
                        stopBits: 1,
                        flowControl: 'none',
                        provisioningConsole: false,
                      })
                    }
                  >
                    {t('models.editor.add')}
                  </Button>
                </Space>
              </>
            )}
          </Form.List>
        </Card>
      </Form>
    </Drawer>
  );
}
