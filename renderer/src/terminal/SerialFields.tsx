import { ReloadOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Col, Form, Input, Row, Segmented, Select, Space } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context';
import { errorText } from '../api/errors';
import { usePreferences } from '../settings/preferences';
import { BAUD_RATES } from './model';

/**
 * A serial console: a port the system lists (flash.serialPorts, which works
 * without udev and says why it could not list), or a path typed by hand,
 * and the line's settings.
 */
export function SerialFields() {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const form = Form.useFormInstance();
  const ports = useQuery(orpc.flash.serialPorts.queryOptions());
  const listed = ports.data?.ports ?? [];
  const cannotList = Boolean(ports.error || ports.data?.error);
  const [typed, setTyped] = useState(false);
  const manual = typed || cannotList || (ports.isSuccess && listed.length === 0);

  // The first listed port, when nothing is chosen yet.
  const firstListed = listed[0]?.path;
  useEffect(() => {
    if (!manual && firstListed && !form.getFieldValue('path')) form.setFieldValue('path', firstListed);
  }, [manual, firstListed, form]);

  return (
    <>
      {ports.error ? <Alert type="error" showIcon style={{ marginBottom: 12 }} title={errorText(ports.error, lang, t('errors.generic'))} /> : null}
      {ports.data?.error ? (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          data-testid="terminal-serial-list-error"
          title={t('terminal.new.cannotList')}
          description={ports.data.error[lang]}
        />
      ) : null}
      <Form.Item
        label={
          <Space>
            {t('terminal.new.serialPort')}
            {!cannotList ? (
              <Button size="small" type="link" icon={<ReloadOutlined />} onClick={() => void ports.refetch()} loading={ports.isFetching}>
                {t('common.refresh')}
              </Button>
            ) : null}
          </Space>
        }
        required
        // The path's error (from the station) shows here: a noStyle field's errors go to the item around it.
        extra={manual && !cannotList && listed.length === 0 && ports.isSuccess ? t('terminal.new.noPorts') : t('terminal.new.pathHelp')}
      >
        <Space.Compact style={{ width: '100%' }}>
          {manual ? (
            <Form.Item name="path" noStyle>
              <Input placeholder="/dev/ttyUSB0" autoComplete="off" spellCheck={false} data-testid="terminal-serial-path" />
            </Form.Item>
          ) : (
            <Form.Item name="path" noStyle>
              <Select
                data-testid="terminal-serial-port"
                loading={ports.isLoading}
                options={listed.map((p) => ({
                  value: p.path,
                  label: [p.path, p.manufacturer, p.serialNumber].filter(Boolean).join(' · '),
                }))}
              />
            </Form.Item>
          )}
          {!cannotList && listed.length > 0 ? (
            <Button onClick={() => setTyped(!typed)} data-testid="terminal-serial-manual">
              {typed ? t('terminal.new.pickListed') : t('terminal.new.typePath')}
            </Button>
          ) : null}
        </Space.Compact>
      </Form.Item>
      <Row gutter={12}>
        <Col flex="1 1 130px">
          <Form.Item name="baud" label={t('terminal.new.baud')}>
            <Select data-testid="terminal-serial-baud" options={BAUD_RATES.map((b) => ({ value: b, label: String(b) }))} />
          </Form.Item>
        </Col>
        <Col flex="0 0 90px">
          <Form.Item name="dataBits" label={t('terminal.new.dataBits')}>
            <Select options={[5, 6, 7, 8].map((b) => ({ value: b, label: String(b) }))} />
          </Form.Item>
        </Col>
        <Col flex="1 1 110px">
          <Form.Item name="parity" label={t('terminal.new.parity')}>
            <Select options={(['none', 'even', 'odd', 'mark', 'space'] as const).map((p) => ({ value: p, label: t(`terminal.parity.${p}`) }))} />
          </Form.Item>
        </Col>
        <Col flex="0 0 90px">
          <Form.Item name="stopBits" label={t('terminal.new.stopBits')}>
            <Select options={[1, 1.5, 2].map((b) => ({ value: b, label: String(b) }))} />
          </Form.Item>
        </Col>
        <Col flex="1 1 140px">
          <Form.Item name="flowControl" label={t('terminal.new.flowControl')}>
            <Select options={(['none', 'rts-cts', 'xon-xoff'] as const).map((f) => ({ value: f, label: t(`terminal.flow.${f}`) }))} />
          </Form.Item>
        </Col>
      </Row>
      <Form.Item name="newline" label={t('terminal.new.newline')} extra={t('terminal.new.newlineHelp')} style={{ marginBottom: 0 }}>
        <Segmented
          data-testid="terminal-serial-newline"
          options={[
            { value: 'cr', label: 'CR' },
            { value: 'lf', label: 'LF' },
            { value: 'crlf', label: 'CR LF' },
          ]}
        />
      </Form.Item>
    </>
  );
}
