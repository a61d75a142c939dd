import { DisconnectOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Col, Empty, Form, Input, InputNumber, Row, Select, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context';
import { errorText } from '../api/errors';
import { usePreferences } from '../settings/preferences';
import { rowKey, serialAddress, type BoxDraft } from './draft';
import { nthCidr } from './model';
import { useFreePort } from '../serial/useFreePort';

type Port = { path: string; manufacturer: string | null; serialNumber: string | null };

/** The contract's rule for a serial port (checked here too, so a typo is caught as it is added). */
const SERIAL_PATH = (s: string) => /^\/dev\/[A-Za-z0-9/._-]+$/.test(s) || /^COM[1-9]\d{0,2}$/.test(s);

const BAUDS = [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600];

function FreePortButton({ path, size = 'small' }: { path: string; size?: 'small' | 'middle' }) {
  const { t } = useTranslation();
  const free = useFreePort(path);
  return (
    <Tooltip title={t('station.add.serial.freeHelp')}>
      <Button size={size} icon={<DisconnectOutlined />} loading={free.isPending} onClick={() => free.mutate()} disabled={!path} data-testid="serial-free">
        {t('station.add.serial.free')}
      </Button>
    </Tooltip>
  );
}

/**
 * Boxes on serial ports: the ports the system lists (or a path typed by
 * hand when it cannot list them), optionally bootstrapping a NIC over the
 * console so the bundle itself goes over SSH.
 */
export function SerialPorts({ draft, active }: { draft: BoxDraft; active: boolean }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const ports = useQuery({ ...orpc.flash.serialPorts.queryOptions(), enabled: active });
  const [selected, setSelected] = useState<string[]>([]);
  const [manual, setManual] = useState('');
  const [manualError, setManualError] = useState<string | null>(null);
  const { serial, rows } = draft;
  const inDraft = useMemo(() => new Set(rows.filter((r) => r.path).map((r) => r.path!)), [rows]);

  const add = (paths: string[]) => {
    const fresh = paths.filter((p) => !inDraft.has(p));
    draft.setRows((rs) => [
      ...rs,
      ...fresh.map((p) => ({ key: rowKey(), source: 'serial' as const, labelSerial: null, bench: null, host: null, port: null, path: p })),
    ]);
  };
  const addManual = () => {
    const p = manual.trim();
    if (!SERIAL_PATH(p)) return setManualError(t('station.add.serial.pathBad'));
    if (inDraft.has(p)) return setManualError(t('station.add.serial.pathTwice', { path: p }));
    add([p]);
    setManual('');
    setManualError(null);
  };
  const listError = ports.data?.error ?? null;
  const firstBad = serial.bootstrap && serial.firstAddress.trim() !== '' && !nthCidr(serial.firstAddress, 0);
  const serialRows = rows.filter((r) => r.source === 'serial');

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }} data-testid="serial-ports">
      {ports.error ? <Alert type="error" showIcon title={errorText(ports.error, lang, t('errors.generic'))} data-testid="serial-list-failed" /> : null}
      {listError && (
        <Alert
          type="warning"
          showIcon
          data-testid="serial-list-error"
          title={t('station.add.serial.cannotList')}
          description={
            <>
              <div>{listError[lang]}</div>
              <div>{t('station.add.serial.typePath')}</div>
            </>
          }
        />
      )}
      {!listError && !ports.error && (
        <>
          <Space style={{ justifyContent: 'space-between', width: '100%' }}>
            <Typography.Text type="secondary">{t('station.add.serial.listed', { count: ports.data?.ports.length ?? 0 })}</Typography.Text>
            <Button size="small" icon={<ReloadOutlined />} onClick={() => void ports.refetch()} loading={ports.isFetching}>
              {t('common.refresh')}
            </Button>
          </Space>
          <Table<Port>
            size="small"
            rowKey="path"
            data-testid="serial-table"
            pagination={false}
            loading={ports.isLoading}
            dataSource={ports.data?.ports ?? []}
            locale={{ emptyText: <Empty description={t('station.add.serial.none')} /> }}
            rowSelection={{
              selectedRowKeys: selected,
              onChange: (k) => setSelected(k as string[]),
              getCheckboxProps: (p) => ({ disabled: inDraft.has(p.path) }),
            }}
            columns={[
              { title: t('station.add.serial.path'), key: 'path', render: (_, p) => <Typography.Text code>{p.path}</Typography.Text> },
              { title: t('station.add.serial.maker'), key: 'm', render: (_, p) => p.manufacturer ?? '' },
              { title: t('station.add.serial.serialNo'), key: 's', render: (_, p) => p.serialNumber ?? '' },
              {
                key: 'free',
                width: 150,
                render: (_, p) => (
                  <Space size={4}>
                    {inDraft.has(p.path) && <Tag>{t('station.add.scan.added')}</Tag>}
                    <FreePortButton path={p.path} />
                  </Space>
                ),
              },
            ]}
          />
          <Button
            icon={<PlusOutlined />}
            disabled={selected.length === 0}
            onClick={() => {
              add(selected);
              setSelected([]);
            }}
            data-testid="serial-add-selected"
          >
            {t('station.add.serial.addSelected', { n: selected.length })}
          </Button>
        </>
      )}
      <Form layout="vertical" component="div">
        <Form.Item
          label={t('station.add.serial.manual')}
          validateStatus={manualError ? 'error' : undefined}
          help={manualError ?? t('station.add.serial.manualHelp')}
          style={{ marginBottom: 0 }}
        >
          <Space.Compact style={{ width: '100%' }}>
            <Input
              value={manual}
              onChange={(e) => {
                setManual(e.target.value);
                setManualError(null);
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  addManual();
                }
              }}
              placeholder="/dev/ttyUSB0"
              autoComplete="off"
              spellCheck={false}
              data-testid="serial-manual"
            />
            <Button icon={<PlusOutlined />} onClick={addManual} data-testid="serial-manual-add">
              {t('station.add.serial.add')}
            </Button>
            <FreePortButton path={manual.trim()} size="middle" />
          </Space.Compact>
        </Form.Item>
      </Form>
      <Form layout="vertical" component="div">
        <Row gutter={12}>
          <Col flex="0 0 220px">
            <Form.Item label={t('station.add.serial.baud')} style={{ marginBottom: 8 }}>
              <Select<number | 'model'>
                value={serial.baud ?? 'model'}
                onChange={(v) => draft.setSerial({ baud: v === 'model' ? null : v })}
                options={[{ value: 'model' as const, label: t('station.add.serial.baudModel') }, ...BAUDS.map((b) => ({ value: b, label: String(b) }))]}
                data-testid="serial-baud"
              />
            </Form.Item>
          </Col>
          <Col flex="1 1 260px">
            <Form.Item label={t('station.add.serial.bootstrap')} extra={t('station.add.serial.bootstrapHelp')} style={{ marginBottom: 8 }}>
              <Switch checked={serial.bootstrap} onChange={(v) => draft.setSerial({ bootstrap: v })} data-testid="serial-bootstrap" />
            </Form.Item>
          </Col>
        </Row>
        {serial.bootstrap && (
          <Row gutter={12}>
            <Col flex="0 0 110px">
              <Form.Item label={t('station.add.serial.nic')} style={{ marginBottom: 8 }}>
                <Input value={serial.nic} onChange={(e) => draft.setSerial({ nic: e.target.value })} data-testid="serial-nic" />
              </Form.Item>
            </Col>
            <Col flex="1 1 180px">
              <Form.Item
                label={t('station.add.serial.address')}
                validateStatus={firstBad ? 'error' : undefined}
                help={firstBad ? t('station.add.serial.addressBad') : t('station.add.serial.addressHelp')}
                style={{ marginBottom: 8 }}
              >
                <Input
                  value={serial.firstAddress}
                  onChange={(e) => draft.setSerial({ firstAddress: e.target.value })}
                  placeholder="192.168.10.101/24"
                  data-testid="serial-address"
                />
              </Form.Item>
            </Col>
            <Col flex="1 1 150px">
              <Form.Item label={t('station.add.serial.gateway')} style={{ marginBottom: 8 }}>
                <Input
                  value={serial.gateway}
                  onChange={(e) => draft.setSerial({ gateway: e.target.value })}
                  placeholder={t('station.add.serial.gatewayNone')}
                  data-testid="serial-gateway"
                />
              </Form.Item>
            </Col>
            <Col flex="0 0 100px">
              <Form.Item label={t('station.add.serial.sshPort')} style={{ marginBottom: 8 }}>
                <InputNumber
                  min={1}
                  max={65535}
                  value={serial.sshPort}
                  onChange={(v) => draft.setSerial({ sshPort: typeof v === 'number' ? v : 22 })}
                  style={{ width: '100%' }}
                />
              </Form.Item>
            </Col>
          </Row>
        )}
        {serial.bootstrap && serialRows.length > 0 && (
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {serialRows
              .slice(0, 4)
              .map((r) => `${r.path} → ${serialAddress(rows, r.key, serial) ?? '?'}`)
              .join(' · ')}
            {serialRows.length > 4 ? ' …' : ''}
          </Typography.Text>
        )}
      </Form>
    </Space>
  );
}
