import { DownloadOutlined, RollbackOutlined, UploadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Empty, Form, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Delegation } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { errorText, formFieldErrors } from '../api/errors';
import { formatTime } from '../i18n/format';
import { usePreferences } from '../settings/preferences';
import { PublicKeyDetails } from '../settings/StationKeyCard';
import { ProblemAlert } from '../settings/StationLocked';
import { goTo } from '../shell/areas';
import { saveFile } from '../shell/files';

type ImportKind = 'delegation' | 'return';

/** Brings in a delegation file (on the field station) or a return file (on the issuing station). */
function ImportModal({ kind, onClose }: { kind: ImportKind; onClose: () => void }) {
  const { t } = useTranslation();
  const { client, orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<{ file: string }>();
  const [problem, setProblem] = useState<unknown>(null);
  const run = useMutation({
    mutationFn: async (file: string): Promise<string> => {
      if (kind === 'delegation') {
        const d = await client.activation.importDelegation({ file });
        return t('delegations.imported', { first: d.first, last: d.last, batch: d.batchId });
      }
      const r = await client.activation.importReturn({ file });
      return t('delegations.returnImported', { freed: r.freed, spent: r.spent });
    },
    onSuccess: (text) => {
      void message.success(text);
      void queryClient.invalidateQueries({ queryKey: orpc.activation.key() });
      onClose();
    },
    onError: (e) => {
      const fields = formFieldErrors(e, lang, ['file']);
      if (fields.length > 0) form.setFields(fields as never);
      else setProblem(e);
    },
  });
  const readFile = (file: File | undefined) => {
    if (!file) return;
    file.text().then(
      (text) => {
        form.setFieldsValue({ file: text });
        void form.validateFields(['file']);
      },
      () => form.setFields([{ name: 'file', errors: [t('delegations.unreadable')] }]),
    );
  };
  const title = kind === 'delegation' ? t('delegations.importDelegation') : t('delegations.importReturn');
  return (
    <Modal
      open
      width={680}
      title={title}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('delegations.import')}
      cancelText={t('common.cancel')}
      confirmLoading={run.isPending}
      okButtonProps={{ 'data-testid': 'delegation-import-ok' } as never}
      data-testid="delegation-import-modal"
    >
      <Typography.Paragraph type="secondary">
        {kind === 'delegation' ? t('delegations.importDelegationHelp') : t('delegations.importReturnHelp')}
      </Typography.Paragraph>
      <Form
        form={form}
        layout="vertical"
        onFinish={(v) => {
          setProblem(null);
          run.mutate(v.file);
        }}
      >
        <Form.Item label={t('delegations.file')}>
          <input type="file" accept=".txt,text/plain" onChange={(e) => readFile(e.target.files?.[0])} data-testid="delegation-import-file" />
        </Form.Item>
        <Form.Item name="file" label={t('delegations.content')} rules={[{ required: true, whitespace: true, message: t('delegations.fileRequired') }]}>
          <Input.TextArea rows={8} spellCheck={false} style={{ fontFamily: 'monospace', fontSize: 12 }} data-testid="delegation-import-text" />
        </Form.Item>
      </Form>
      {problem ? <ProblemAlert error={problem} testId="delegation-import-error" /> : null}
    </Modal>
  );
}

/** Delegations: seat ranges sent to other stations and received from them, their return, and this station's key. */
export function DelegationsTab() {
  const { t } = useTranslation();
  const { orpc, client } = useApi();
  const { lang } = usePreferences();
  const { message, modal } = App.useApp();
  const queryClient = useQueryClient();
  const delegations = useQuery(orpc.activation.delegations.queryOptions());
  const publicKey = useQuery(orpc.activation.publicKey.queryOptions());
  const [importing, setImporting] = useState<ImportKind | null>(null);

  const giveBack = (d: Delegation) =>
    modal.confirm({
      title: t('delegations.returnTitle', { first: d.first, last: d.last }),
      content: t('delegations.returnConfirm', { first: d.first, last: d.last, batch: d.batchId }),
      okText: t('delegations.returnOk'),
      okButtonProps: { danger: true, 'data-testid': 'delegation-return-confirm' } as never,
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          const r = await client.activation.returnDelegation({ id: d.id });
          saveFile(r.fileName, r.file);
          void message.success(t('delegations.returned', { returned: r.returned, spent: r.spent, file: r.fileName }));
          void queryClient.invalidateQueries({ queryKey: orpc.activation.key() });
        } catch (e) {
          void message.error(errorText(e, lang, t('errors.generic')));
        }
      },
    });

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Card
        size="small"
        title={t('delegations.title')}
        extra={
          <Space wrap>
            <Button icon={<UploadOutlined />} onClick={() => setImporting('delegation')} data-testid="delegation-import">
              {t('delegations.importDelegation')}
            </Button>
            <Button icon={<DownloadOutlined />} onClick={() => setImporting('return')} data-testid="delegation-import-return">
              {t('delegations.importReturn')}
            </Button>
          </Space>
        }
      >
        <Typography.Paragraph type="secondary">{t('delegations.help')}</Typography.Paragraph>
        {delegations.error ? <ProblemAlert error={delegations.error} /> : null}
        <Table<Delegation>
          size="small"
          rowKey="id"
          data-testid="delegations-table"
          loading={delegations.isLoading}
          dataSource={delegations.data ?? []}
          pagination={false}
          locale={{ emptyText: <Empty description={t('delegations.empty')} /> }}
          onRow={(d) => ({ 'data-testid': `delegation-row-${d.id}`, 'data-direction': d.direction }) as React.HTMLAttributes<HTMLElement>}
          columns={[
            {
              title: t('delegations.direction'),
              key: 'dir',
              width: 130,
              render: (_, d) => <Tag color={d.direction === 'sent' ? 'blue' : 'purple'}>{t(`delegations.${d.direction}`)}</Tag>,
            },
            {
              title: t('delegations.batch'),
              key: 'batch',
              render: (_, d) => (
                <Button type="link" style={{ padding: 0 }} onClick={() => goTo('activation', 'batches', d.batchId)}>
                  {d.batchId}
                </Button>
              ),
            },
            { title: t('delegations.seats'), key: 'range', width: 130, render: (_, d) => `${d.first}–${d.last} (${d.last - d.first + 1})` },
            {
              title: t('delegations.station'),
              key: 'key',
              render: (_, d) => (
                <Typography.Text code copyable={{ text: d.delegateHex }} style={{ fontSize: 12 }}>
                  {`${d.delegateHex.slice(0, 14)}…`}
                </Typography.Text>
              ),
            },
            { title: t('delegations.spent'), key: 'spent', width: 90, render: (_, d) => d.spent },
            { title: t('delegations.created'), key: 'c', width: 170, render: (_, d) => formatTime(d.createdAt, lang) },
            {
              title: t('delegations.returnedTitle'),
              key: 'ret',
              width: 170,
              render: (_, d) =>
                d.returnedAt ? formatTime(d.returnedAt, lang) : <Typography.Text type="secondary">{t('delegations.notReturned')}</Typography.Text>,
            },
            {
              key: 'actions',
              width: 190,
              render: (_, d) =>
                d.direction === 'received' && !d.returnedAt ? (
                  <Button size="small" icon={<RollbackOutlined />} onClick={() => giveBack(d)} data-testid="delegation-return">
                    {t('delegations.return')}
                  </Button>
                ) : null,
            },
          ]}
        />
      </Card>
      <Card size="small" title={t('delegations.thisStation')} data-testid="delegations-public-key">
        <Typography.Paragraph type="secondary">{t('delegations.thisStationHelp')}</Typography.Paragraph>
        {publicKey.error ? <ProblemAlert error={publicKey.error} /> : null}
        {publicKey.data && <PublicKeyDetails fingerprint={publicKey.data.fingerprint} hex={publicKey.data.hex} pem={publicKey.data.pem} />}
      </Card>
      {importing && <ImportModal kind={importing} onClose={() => setImporting(null)} />}
    </Space>
  );
}
