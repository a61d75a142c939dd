import { useMutation } from '@tanstack/react-query';
import { App, Button, Card, Form, Input, InputNumber, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context';
import { errorText, formFieldErrors } from '../api/errors';
import { usePreferences } from '../settings/preferences';

interface Values {
  path: string;
  rateLimitMiBps?: number | null;
}

export function DiagnosticForm() {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const start = useMutation(
    orpc.diagnostics.hashFile.mutationOptions({
      onSuccess: () => void message.success(t('jobs.diagnostic.started')),
      onError: (e) => {
        const fields = formFieldErrors(e, lang, ['path', 'rateLimitMiBps']);
        if (fields.length > 0) form.setFields(fields as never);
        else void message.error(errorText(e, lang, t('errors.generic')));
      },
    }),
  );

  return (
    <Card title={t('jobs.diagnostic.title')} size="small">
      <Typography.Paragraph type="secondary">{t('jobs.diagnostic.help')}</Typography.Paragraph>
      <Form<Values>
        form={form}
        layout="inline"
        data-testid="diagnostic-form"
        onFinish={(v) => start.mutate({ path: v.path.trim(), ...(v.rateLimitMiBps ? { rateLimitMiBps: v.rateLimitMiBps } : {}) })}
      >
        <Form.Item
          name="path"
          label={t('jobs.diagnostic.path')}
          rules={[{ required: true, whitespace: true, message: t('jobs.diagnostic.pathRequired') }]}
          style={{ minWidth: 420, flex: 1 }}
        >
          <Input placeholder={t('jobs.diagnostic.pathPlaceholder')} data-testid="diagnostic-path" allowClear autoComplete="off" />
        </Form.Item>
        <Form.Item name="rateLimitMiBps" label={t('jobs.diagnostic.rate')} rules={[{ type: 'number', min: 0.001, message: t('jobs.diagnostic.ratePositive') }]}>
          <InputNumber min={0} step={1} data-testid="diagnostic-rate" style={{ width: 120 }} />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" loading={start.isPending} data-testid="diagnostic-start">
            {t('jobs.diagnostic.start')}
          </Button>
        </Form.Item>
      </Form>
    </Card>
  );
}
