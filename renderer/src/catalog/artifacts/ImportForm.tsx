import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Form, Input, Select, Space, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/context';
import { errorText, formFieldErrors } from '../../api/errors';
import { JOBS_LIST_INPUT } from '../../jobs/feed';
import { JobProgress } from '../../jobs/JobsPage';
import { usePreferences } from '../../settings/preferences';

interface Values {
  path: string;
  platforms?: string[];
  /** 'auto', or a light app's language. */
  as: 'auto' | 'python' | 'nodejs' | 'c';
  arch?: 'x86_64' | 'aarch64' | null;
}

export function ImportForm() {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Values>();
  const [jobId, setJobId] = useState<string | null>(null);
  const jobs = useQuery(orpc.jobs.list.queryOptions({ input: JOBS_LIST_INPUT }));
  const job = jobs.data?.find((j) => j.id === jobId) ?? null;

  const start = useMutation(
    orpc.artifacts.import.mutationOptions({
      onSuccess: (j) => setJobId(j.id),
      onError: (e) => {
        // A platform's issue sits at ['platforms', i]; the tags field shows it as a whole.
        const fields = formFieldErrors(e, lang, ['path', 'platforms']).map((f) => ({ ...f, name: f.name.slice(0, 1) }));
        if (fields.length > 0) form.setFields(fields as never);
        else void message.error(errorText(e, lang, t('errors.generic')));
      },
    }),
  );

  useEffect(() => {
    if (job?.state === 'succeeded') {
      const n = (job.result as { artifacts?: unknown[] } | null)?.artifacts?.length ?? 0;
      void message.success(t('catalog.import.done', { count: n }));
      void queryClient.invalidateQueries({ queryKey: orpc.artifacts.key() });
    }
  }, [job?.state]); // eslint-disable-line react-hooks/exhaustive-deps

  const running = job?.state === 'queued' || job?.state === 'running';
  return (
    <Card title={t('catalog.import.title')} size="small">
      <Typography.Paragraph type="secondary">{t('catalog.import.help')}</Typography.Paragraph>
      <Form<Values>
        form={form}
        layout="inline"
        data-testid="import-form"
        initialValues={{ as: 'auto' }}
        onFinish={(v) =>
          start.mutate({
            path: v.path.trim(),
            ...(v.platforms?.length ? { platforms: v.platforms } : {}),
            ...(v.as !== 'auto' ? { lightApp: { language: v.as, arch: v.arch ?? null } } : {}),
          })
        }
      >
        <Form.Item
          name="path"
          label={t('catalog.import.path')}
          rules={[{ required: true, whitespace: true, message: t('catalog.import.pathRequired') }]}
          style={{ minWidth: 420, flex: 1 }}
        >
          <Input placeholder={t('catalog.import.pathPlaceholder')} data-testid="import-path" allowClear autoComplete="off" />
        </Form.Item>
        <Form.Item name="platforms" label={t('catalog.import.platforms')} style={{ minWidth: 300 }}>
          <Select mode="tags" placeholder={t('catalog.import.platformsPlaceholder')} data-testid="import-platforms" tokenSeparators={[',', ' ']} />
        </Form.Item>
        <Form.Item name="as" label={t('catalog.import.as')}>
          <Select
            style={{ width: 190 }}
            data-testid="import-as"
            options={[
              { value: 'auto', label: t('catalog.import.asAuto') },
              { value: 'python', label: t('catalog.import.asLight', { language: 'Python' }) },
              { value: 'nodejs', label: t('catalog.import.asLight', { language: 'Node.js' }) },
              { value: 'c', label: t('catalog.import.asLight', { language: 'C' }) },
            ]}
          />
        </Form.Item>
        <Form.Item noStyle shouldUpdate={(a, b) => a.as !== b.as}>
          {({ getFieldValue }) =>
            getFieldValue('as') === 'c' && (
              <Form.Item name="arch" label={t('models.arch')} rules={[{ required: true, message: t('catalog.import.archRequired') }]}>
                <Select
                  style={{ width: 120 }}
                  options={[
                    { value: 'x86_64', label: 'x86_64' },
                    { value: 'aarch64', label: 'aarch64' },
                  ]}
                />
              </Form.Item>
            )
          }
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" loading={start.isPending || running} data-testid="import-start">
            {t('catalog.import.start')}
          </Button>
        </Form.Item>
      </Form>
      {job && (
        <Space direction="vertical" style={{ width: '100%', marginTop: 12 }} data-testid="import-job" data-state={job.state}>
          <JobProgress job={job} />
          {job.error && <Alert type="error" showIcon title={`${job.error.code}: ${job.error.message[lang]}`} data-testid="import-error" />}
        </Space>
      )}
    </Card>
  );
}
