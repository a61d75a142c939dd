import { PlusOutlined, SearchOutlined } from '@ant-design/icons';
import { useMutation } from '@tanstack/react-query';
import { Alert, Button, Col, Empty, Form, Input, InputNumber, Row, Space, Table, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context';
import { errorText, formFieldErrors } from '../api/errors';
import { usePreferences } from '../settings/preferences';
import { rowKey, type BoxDraft } from './draft';
import { clearChangedErrors } from './forms';

interface ScanValues {
  from: string;
  to: string;
  port: number;
}

type Hit = { host: string; port: number; banner: string; known: boolean };

/** Finds boxes by their SSH banner in an address range, then adds the chosen ones. */
export function SshScan({ draft }: { draft: BoxDraft }) {
  const { t } = useTranslation();
  const { client } = useApi();
  const { lang } = usePreferences();
  const [form] = Form.useForm<ScanValues>();
  const [problem, setProblem] = useState<string | null>(null);
  const [selected, setSelected] = useState<string[]>([]);
  const idOf = (h: { host: string; port: number }) => `${h.host}:${h.port}`;
  const added = useMemo(() => new Set(draft.rows.filter((r) => r.host).map((r) => `${r.host}:${r.port ?? 22}`)), [draft.rows]);
  const scan = useMutation({
    mutationFn: (v: ScanValues) => client.flash.scanSsh({ from: v.from.trim(), to: v.to.trim(), port: v.port }),
    onSuccess: (hits) => {
      setSelected(hits.map(idOf).filter((id) => !added.has(id)));
    },
    onError: (e) => {
      const fields = formFieldErrors(e, lang, ['from', 'to', 'port']);
      if (fields.length > 0) form.setFields(fields as never);
      else setProblem(errorText(e, lang, t('errors.generic')));
    },
  });
  const hits = scan.data ?? [];
  const addSelected = () => {
    const chosen = hits.filter((h) => selected.includes(idOf(h)) && !added.has(idOf(h)));
    draft.setRows((rs) => [
      ...rs,
      ...chosen.map((h) => ({ key: rowKey(), source: 'scan' as const, labelSerial: null, bench: null, host: h.host, port: h.port, path: null })),
    ]);
    setSelected([]);
  };
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }} data-testid="ssh-scan">
      <Form<ScanValues>
        form={form}
        layout="vertical"
        initialValues={{ from: '', to: '', port: 22 }}
        onFinish={(v) => {
          setProblem(null);
          scan.mutate(v);
        }}
        onValuesChange={(changed: object) => {
          setProblem(null);
          clearChangedErrors(form, changed);
        }}
      >
        <Row gutter={12} align="top">
          <Col flex="1 1 160px">
            <Form.Item name="from" label={t('station.add.scan.from')} style={{ marginBottom: 8 }}>
              <Input placeholder="192.168.10.1" autoComplete="off" spellCheck={false} data-testid="scan-from" />
            </Form.Item>
          </Col>
          <Col flex="1 1 160px">
            <Form.Item name="to" label={t('station.add.scan.to')} style={{ marginBottom: 8 }}>
              <Input placeholder="192.168.10.254" autoComplete="off" spellCheck={false} data-testid="scan-to" />
            </Form.Item>
          </Col>
          <Col flex="0 0 110px">
            <Form.Item name="port" label={t('station.add.port')} style={{ marginBottom: 8 }}>
              <InputNumber style={{ width: '100%' }} data-testid="scan-port" />
            </Form.Item>
          </Col>
          <Col flex="0 0 auto">
            <Form.Item label=" " style={{ marginBottom: 8 }}>
              <Button htmlType="submit" icon={<SearchOutlined />} loading={scan.isPending} data-testid="scan-start">
                {t('station.add.scan.start')}
              </Button>
            </Form.Item>
          </Col>
        </Row>
      </Form>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('station.add.scan.help')}
      </Typography.Text>
      {problem && <Alert type="error" showIcon title={problem} data-testid="scan-error" />}
      {scan.isSuccess && (
        <>
          <Table<Hit>
            size="small"
            rowKey={idOf}
            data-testid="scan-hits"
            pagination={false}
            scroll={{ y: 240 }}
            dataSource={hits}
            locale={{ emptyText: <Empty description={t('station.add.scan.none')} /> }}
            rowSelection={{
              selectedRowKeys: selected,
              onChange: (keys) => setSelected(keys as string[]),
              getCheckboxProps: (h) => ({ disabled: added.has(idOf(h)) }),
            }}
            columns={[
              { title: t('station.add.scan.host'), key: 'host', width: 170, render: (_, h) => <Typography.Text code>{idOf(h)}</Typography.Text> },
              {
                title: t('station.add.scan.banner'),
                key: 'banner',
                render: (_, h) => (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }} ellipsis={{ tooltip: h.banner }}>
                    {h.banner}
                  </Typography.Text>
                ),
              },
              {
                title: t('station.add.scan.known'),
                key: 'known',
                width: 130,
                render: (_, h) =>
                  added.has(idOf(h)) ? (
                    <Tag>{t('station.add.scan.added')}</Tag>
                  ) : h.known ? (
                    <Tag color="green">{t('station.add.scan.knownYes')}</Tag>
                  ) : (
                    <Tag color="gold">{t('station.add.scan.knownNo')}</Tag>
                  ),
              },
            ]}
          />
          <Button type="primary" icon={<PlusOutlined />} disabled={selected.length === 0} onClick={addSelected} data-testid="scan-add">
            {t('station.add.scan.add', { n: selected.length })}
          </Button>
        </>
      )}
    </Space>
  );
}
