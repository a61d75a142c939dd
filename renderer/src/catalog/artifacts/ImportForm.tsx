import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { InboxOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Form, Input, Progress, Select, Space, Typography, Upload } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { uploadFile } from '../../api/client';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/context';
import { errorText, formFieldErrors } from '../../api/errors';
import { JOBS_LIST_INPUT } from '../../jobs/feed';
import { JobProgress } from '../../jobs/JobsPage';
import { formatBytes, formatDuration } from '../../i18n/format';
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
  const [uploading, setUploading] = useState<{ name: string; loaded: number; total: number; started: number; rate: number } | null>(null);
  const uploadAbort = useRef<AbortController | null>(null);

  const options = (v: Partial<Values>) => ({
    ...(v.platforms?.length ? { platforms: v.platforms } : {}),
    ...(v.as && v.as !== 'auto' ? { lightApp: { language: v.as, arch: v.arch ?? null } } : {}),
  });

  /** A dropped file: imported in place in Electron, uploaded to the station first in a browser. */
  const onDrop = async (file: File) => {
    const v = form.getFieldsValue();
    const local = window.edgeforgeShell?.pathForFile?.(file);
    if (local) {
      form.setFieldValue('path', local);
      start.mutate({ path: local, ...options(v) });
      return;
    }
    const ac = new AbortController();
    uploadAbort.current = ac;
    setUploading({ name: file.name, loaded: 0, total: file.size, started: Date.now(), rate: 0 });
    try {
      const stationPath = await uploadFile(
        file,
        (loaded, total) => setUploading((u) => u && { ...u, loaded, total, rate: (loaded * 1000) / Math.max(1, Date.now() - u.started) }),
        ac.signal,
      );
      start.mutate({ path: stationPath, ...options(v) });
    } catch (e) {
      if ((e as Error).name !== 'AbortError') void message.error(t('catalog.import.uploadFailed', { reason: (e as Error).message }));
    } finally {
      setUploading(null);
      uploadAbort.current = null;
    }
  };

  return (
    <Card title={t('catalog.import.title')} size="small">
      <Typography.Paragraph type="secondary">{t('catalog.import.help')}</Typography.Paragraph>
      <div data-testid="import-drop">
        <Upload.Dragger
          multiple={false}
          showUploadList={false}
          disabled={!!uploading || running}
          beforeUpload={(file) => {
            void onDrop(file as unknown as File);
            return false;
          }}
          style={{ marginBottom: 12 }}
        >
          <p className="ant-upload-drag-icon">
            <InboxOutlined />
          </p>
          <p className="ant-upload-text">{t('catalog.import.drop')}</p>
        </Upload.Dragger>
      </div>
      {uploading && (
        <Space direction="vertical" style={{ width: '100%', marginBottom: 12 }} data-testid="import-upload">
          <Progress percent={Math.floor((100 * uploading.loaded) / Math.max(1, uploading.total))} status="active" size="small" />
          <Space>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {`${t('catalog.import.uploading', { name: uploading.name })} ${formatBytes(uploading.loaded)} / ${formatBytes(uploading.total)}`}
              {uploading.rate > 0 && ` · ${t('jobs.eta', { eta: formatDuration((uploading.total - uploading.loaded) / uploading.rate, lang) })}`}
            </Typography.Text>
            <Button size="small" danger onClick={() => uploadAbort.current?.abort()}>
              {t('jobs.cancel')}
            </Button>
          </Space>
        </Space>
      )}
      <Form<Values>
        form={form}
        layout="inline"
        data-testid="import-form"
        initialValues={{ as: 'auto' }}
        onFinish={(v) => start.mutate({ path: v.path.trim(), ...options(v) })}
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
