import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Col, Empty, Form, Input, InputNumber, Modal, Row, Select, Table, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Batch } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { formFieldErrors } from '../api/errors';
import { formatTime } from '../i18n/format';
import { usePreferences } from '../settings/preferences';
import { ProblemAlert } from '../settings/StationLocked';
import { BatchDrawer } from './BatchDrawer';

interface NewBatch {
  comboId: string;
  quantity: number;
  serialPrefix: string;
  serialDigits: number;
}

function NewBatchModal({ onCreated, onClose }: { onCreated: (b: Batch) => void; onClose: () => void }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<NewBatch>();
  const [problem, setProblem] = useState<unknown>(null);
  // Read afresh each time the dialog opens: a combo published a moment ago (here or in another window) is offered.
  const combos = useQuery({ ...orpc.combos.list.queryOptions(), refetchOnMount: 'always' });
  const published = (combos.data ?? []).filter((c) => c.state === 'published');
  const v = Form.useWatch([], form) as Partial<NewBatch> | undefined;
  const serial = (n: number) => `${v?.serialPrefix ?? ''}${String(n).padStart(v?.serialDigits ?? 6, '0')}`;
  const create = useMutation(
    orpc.batches.create.mutationOptions({
      onSuccess: (b) => {
        void message.success(t('bundles.batchCreated', { id: b.id }));
        void queryClient.invalidateQueries({ queryKey: orpc.batches.key() });
        onCreated(b);
      },
      onError: (e) => {
        const fields = formFieldErrors(e, lang, ['comboId', 'quantity', 'serialPrefix', 'serialDigits']);
        if (fields.length > 0) form.setFields(fields as never);
        // A locked station key says how to unlock it, inside the dialog.
        else setProblem(e);
      },
    }),
  );
  const req = [{ required: true, message: t('models.editor.required') }];
  return (
    <Modal
      open
      width={640}
      title={t('bundles.new')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('bundles.create')}
      cancelText={t('common.cancel')}
      confirmLoading={create.isPending}
      okButtonProps={{ 'data-testid': 'batch-create' } as never}
      data-testid="batch-modal"
    >
      <Form<NewBatch>
        form={form}
        layout="vertical"
        initialValues={{ quantity: 100, serialPrefix: '', serialDigits: 6 }}
        onFinish={(x) => {
          setProblem(null);
          create.mutate(x);
        }}
      >
        <Form.Item name="comboId" label={t('bundles.combo')} rules={req} extra={published.length === 0 ? t('bundles.noPublished') : undefined}>
          <Select data-testid="batch-combo" options={published.map((c) => ({ value: c.id, label: c.name }))} />
        </Form.Item>
        <Row gutter={12}>
          <Col span={8}>
            <Form.Item name="quantity" label={t('bundles.quantity')} rules={req} extra={t('bundles.quantityHelp')}>
              <InputNumber style={{ width: '100%' }} data-testid="batch-quantity" />
            </Form.Item>
          </Col>
          <Col span={9}>
            <Form.Item name="serialPrefix" label={t('bundles.prefix')} rules={req}>
              <Input data-testid="batch-prefix" placeholder="LA-" autoComplete="off" />
            </Form.Item>
          </Col>
          <Col span={7}>
            <Form.Item name="serialDigits" label={t('bundles.digits')} rules={req}>
              <InputNumber style={{ width: '100%' }} min={1} max={12} data-testid="batch-digits" />
            </Form.Item>
          </Col>
        </Row>
        <Typography.Text type="secondary" data-testid="batch-preview">
          {t('bundles.preview', { first: serial(1), last: serial(Math.max(1, Number(v?.quantity) || 1)) })}
        </Typography.Text>
      </Form>
      {problem ? (
        <div style={{ marginTop: 16 }}>
          <ProblemAlert error={problem} testId="batch-error" />
        </div>
      ) : null}
    </Modal>
  );
}

/** Batches & Bundles: the batch list, a new batch, and each batch's detail with its builds. */
export function BundlesPage() {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const batches = useQuery(orpc.batches.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <Card
      size="small"
      title={t('bundles.title')}
      extra={
        <Button type="primary" onClick={() => setCreating(true)} data-testid="batch-new">
          {t('bundles.new')}
        </Button>
      }
    >
      <Table<Batch>
        rowKey="id"
        size="small"
        data-testid="batches-table"
        loading={batches.isLoading}
        dataSource={batches.data ?? []}
        locale={{ emptyText: <Empty description={t('bundles.empty')} /> }}
        onRow={(b) => ({ 'data-testid': `batch-row-${b.id}`, onDoubleClick: () => setOpen(b.id) }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('bundles.batch'), key: 'id', render: (_, b) => <Typography.Text code>{b.id}</Typography.Text> },
          { title: t('bundles.combo'), key: 'combo', render: (_, b) => `${b.comboName} (${b.modelName} r${b.modelRevision})` },
          { title: t('bundles.quantity'), key: 'q', width: 110, render: (_, b) => b.quantity.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en') },
          { title: t('bundles.serials'), key: 's', render: (_, b) => `${b.firstSerial} … ${b.lastSerial}` },
          { title: t('bundles.outputs'), key: 'o', width: 90, render: (_, b) => b.outputs.length },
          { title: t('bundles.created'), key: 'c', width: 170, render: (_, b) => formatTime(b.createdAt, lang) },
          {
            key: 'open',
            width: 100,
            render: (_, b) => (
              <Button size="small" onClick={() => setOpen(b.id)} data-testid="batch-open">
                {t('bundles.open')}
              </Button>
            ),
          },
        ]}
      />
      {creating && (
        <NewBatchModal
          onClose={() => setCreating(false)}
          onCreated={(b) => {
            setCreating(false);
            setOpen(b.id);
          }}
        />
      )}
      {open && <BatchDrawer batchId={open} onClose={() => setOpen(null)} />}
    </Card>
  );
}
