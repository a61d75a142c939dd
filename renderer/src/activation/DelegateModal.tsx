import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Col, Form, Input, InputNumber, Modal, Row, Typography, type FormRule } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { LedgerBatch } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { apiErrorData, formFieldErrors } from '../api/errors';
import { usePreferences } from '../settings/preferences';
import { ProblemAlert } from '../settings/StationLocked';
import { saveFile } from '../shell/files';

interface DelegateValues {
  first: number;
  last: number;
  to: string;
}

const PEM = /-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/;
const HEX = /^0[23][0-9a-fA-F]{64}$/;

/** Delegates a range of an own batch's free seats to another station's key; the file goes to that station. */
export function DelegateModal({ batch, onClose }: { batch: LedgerBatch; onClose: () => void }) {
  const { t } = useTranslation();
  const { client, orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<DelegateValues>();
  const [problem, setProblem] = useState<unknown>(null);
  const delegate = useMutation({
    mutationFn: (v: DelegateValues) => client.activation.delegate({ batchId: batch.id, first: v.first, last: v.last, to: v.to.trim() }),
    onSuccess: (f, v) => {
      saveFile(f.fileName, f.file);
      void message.success(t('delegate.done', { first: v.first, last: v.last, file: f.fileName }));
      void queryClient.invalidateQueries({ queryKey: orpc.activation.key() });
      onClose();
    },
    onError: (e) => {
      // The ledger names the whole range ('range'): show it under the first seat.
      const d = apiErrorData(e);
      if (d?.field?.[0] === 'range') {
        form.setFields([{ name: 'first', errors: [d.message[lang]] }]);
        return;
      }
      const fields = formFieldErrors(e, lang, ['first', 'last', 'to']);
      if (fields.length > 0) form.setFields(fields as never);
      else setProblem(e);
    },
  });
  const seatRules = (which: 'first' | 'last'): FormRule[] => [
    { required: true, message: t('delegate.seatRequired') },
    {
      validator: (_, v: number | null | undefined) =>
        v === null || v === undefined || (Number.isInteger(v) && v >= 1 && v <= batch.quantity)
          ? Promise.resolve()
          : Promise.reject(new Error(t('delegate.seatRange', { max: batch.quantity }))),
    },
    ...(which === 'last'
      ? [
          ({ getFieldValue }: { getFieldValue: (n: string) => unknown }) => ({
            validator: (_: unknown, v: number | null | undefined) => {
              const first = getFieldValue('first') as number | null | undefined;
              return v == null || first == null || first <= v ? Promise.resolve() : Promise.reject(new Error(t('delegate.order')));
            },
          }),
        ]
      : []),
  ];
  const keyRules: FormRule[] = [
    { required: true, whitespace: true, message: t('delegate.keyRequired') },
    {
      validator: (_, v: string | undefined) =>
        !v?.trim() || HEX.test(v.trim()) || PEM.test(v) ? Promise.resolve() : Promise.reject(new Error(t('delegate.keyFormat'))),
    },
  ];
  const free = batch.counts.available;
  return (
    <Modal
      open
      width={680}
      title={t('delegate.title', { batch: batch.label })}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('delegate.submit')}
      cancelText={t('common.cancel')}
      confirmLoading={delegate.isPending}
      okButtonProps={{ 'data-testid': 'delegate-ok' } as never}
      data-testid="delegate-modal"
    >
      <Typography.Paragraph type="secondary">{t('delegate.help', { free, quantity: batch.quantity })}</Typography.Paragraph>
      <Form<DelegateValues>
        form={form}
        layout="vertical"
        onFinish={(v) => {
          setProblem(null);
          delegate.mutate(v);
        }}
      >
        <Row gutter={12}>
          <Col span={12}>
            <Form.Item name="first" label={t('delegate.first')} rules={seatRules('first')}>
              <InputNumber style={{ width: '100%' }} min={1} max={batch.quantity} precision={0} autoFocus data-testid="delegate-first" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="last" label={t('delegate.last')} dependencies={['first']} rules={seatRules('last')}>
              <InputNumber style={{ width: '100%' }} min={1} max={batch.quantity} precision={0} data-testid="delegate-last" />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="to" label={t('delegate.to')} rules={keyRules} extra={t('delegate.toHelp')}>
          <Input.TextArea
            rows={5}
            spellCheck={false}
            placeholder={'-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----'}
            style={{ fontFamily: 'monospace', fontSize: 12 }}
            data-testid="delegate-to"
          />
        </Form.Item>
      </Form>
      {problem ? <ProblemAlert error={problem} testId="delegate-error" /> : null}
    </Modal>
  );
}
