import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Collapse,
  Descriptions,
  Drawer,
  Empty,
  Form,
  Input,
  Modal,
  Space,
  Switch,
  Table,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Batch, BundleOutput } from '../../../main/api/contract';
import { BatchSeatsSummary } from '../activation';
import { useApi } from '../api/context';
import { errorText, formFieldErrors } from '../api/errors';
import { formatBytes, formatTime } from '../i18n/format';
import { JOBS_LIST_INPUT } from '../jobs/feed';
import { JobProgress } from '../jobs/JobsPage';
import { usePreferences } from '../settings/preferences';

interface BuildValues {
  tar: boolean;
  iso: boolean;
  zstd: boolean;
  outDir?: string;
}

function BuildModal({ batch, onStarted, onClose }: { batch: Batch; onStarted: (jobId: string) => void; onClose: () => void }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const [form] = Form.useForm<BuildValues>();
  const [problem, setProblem] = useState<string | null>(null);
  const start = useMutation(
    orpc.bundles.build.mutationOptions({
      onSuccess: (job) => onStarted(job.id),
      onError: (e) => {
        const fields = formFieldErrors(e, lang, ['tar', 'iso', 'zstd', 'outDir']);
        if (fields.length > 0) form.setFields(fields as never);
        setProblem(errorText(e, lang, t('errors.generic')));
      },
    }),
  );
  const submit = (v: BuildValues) => {
    setProblem(null);
    start.mutate({ batchId: batch.id, tar: v.tar, iso: v.iso, zstd: v.zstd, outDir: v.outDir?.trim() || null });
  };
  return (
    <Modal
      open
      title={t('bundles.build.title', { batch: batch.id })}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('bundles.build.start')}
      cancelText={t('common.cancel')}
      confirmLoading={start.isPending}
      okButtonProps={{ 'data-testid': 'build-start' } as never}
      data-testid="build-modal"
    >
      <Form<BuildValues> form={form} layout="vertical" initialValues={{ tar: true, iso: false, zstd: false }} onFinish={submit}>
        <Form.Item name="tar" valuePropName="checked" extra={t('bundles.build.tarHelp')}>
          <Checkbox data-testid="build-tar">{t('bundles.build.tar')}</Checkbox>
        </Form.Item>
        <Form.Item name="iso" valuePropName="checked" extra={t('bundles.build.isoHelp')}>
          <Checkbox data-testid="build-iso">{t('bundles.build.iso')}</Checkbox>
        </Form.Item>
        <Form.Item name="zstd" label={t('bundles.build.zstd')} valuePropName="checked" extra={t('bundles.build.zstdHelp')}>
          <Switch data-testid="build-zstd" />
        </Form.Item>
        <Form.Item name="outDir" label={t('bundles.build.outDir')} extra={t('bundles.build.outDirHelp')}>
          <Input placeholder={t('bundles.build.outDirDefault')} data-testid="build-out" autoComplete="off" />
        </Form.Item>
      </Form>
      {problem && <Alert type="error" showIcon title={problem} data-testid="build-error" />}
    </Modal>
  );
}

/** One batch: its seats and serials, its signed license, its bundles, and the build. */
export function BatchDrawer({ batchId, onClose }: { batchId: string; onClose: () => void }) {
  const { t } = useTranslation();
  const { orpc, client } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const batch = useQuery(orpc.batches.get.queryOptions({ input: { id: batchId } }));
  const jobs = useQuery(orpc.jobs.list.queryOptions({ input: JOBS_LIST_INPUT }));
  const [building, setBuilding] = useState(false);
  const [jobId, setJobId] = useState<string | null>(null);
  const job = jobs.data?.find((j) => j.id === jobId) ?? null;
  const cancel = useMutation(orpc.jobs.cancel.mutationOptions());
  const finished = job && ['succeeded', 'failed', 'cancelled', 'interrupted'].includes(job.state);
  const jobState = job?.state;
  useEffect(() => {
    if (jobState === 'succeeded') void queryClient.invalidateQueries({ queryKey: orpc.batches.key() });
  }, [jobState, queryClient, orpc]);
  const reveal = async (o: BundleOutput) => {
    try {
      const r = await client.system.reveal({ path: o.file });
      if (!r.shown) void message.info(t('bundles.revealBrowser'));
    } catch (e) {
      void message.error(errorText(e, lang, t('errors.generic')));
    }
  };
  const b = batch.data;
  return (
    <Drawer open size="large" width={960} title={t('bundles.detailTitle', { id: batchId })} onClose={onClose} data-testid="batch-drawer">
      {!b ? null : (
        <Space direction="vertical" style={{ width: '100%' }} size="middle">
          <Descriptions bordered size="small" column={2}>
            <Descriptions.Item label={t('bundles.combo')}>{b.comboName}</Descriptions.Item>
            <Descriptions.Item label={t('combos.model')}>{`${b.modelName} r${b.modelRevision}`}</Descriptions.Item>
            <Descriptions.Item label={t('bundles.quantity')}>{b.quantity.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en')}</Descriptions.Item>
            <Descriptions.Item label={t('bundles.serials')}>
              <span data-testid="batch-serials">{`${b.firstSerial} … ${b.lastSerial}`}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('bundles.key')}>
              <Typography.Text code copyable={{ text: b.keyId }}>{`${b.keyId.slice(0, 16)}…`}</Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('bundles.created')}>{formatTime(b.createdAt, lang)}</Descriptions.Item>
          </Descriptions>
          <Card size="small" title={t('seats.title')}>
            <BatchSeatsSummary batchId={b.id} />
          </Card>
          <Collapse
            size="small"
            items={[
              {
                key: 'license',
                label: t('bundles.license'),
                children: <pre style={{ margin: 0, fontSize: 12 }}>{b.license}</pre>,
              },
            ]}
          />
          <Card
            size="small"
            title={t('bundles.outputs')}
            extra={
              <Button type="primary" onClick={() => setBuilding(true)} disabled={!!job && !finished} data-testid="build-open">
                {t('bundles.build.open')}
              </Button>
            }
          >
            {job && (
              <Space direction="vertical" style={{ width: '100%', marginBottom: 12 }} data-testid="build-job" data-state={job.state}>
                <Space>
                  <Typography.Text strong>{job.title[lang]}</Typography.Text>
                  <Tag>{t(`jobs.state.${job.state}`)}</Tag>
                  {!finished && (
                    <Button size="small" danger onClick={() => cancel.mutate({ id: job.id })} data-testid="build-cancel">
                      {t('common.cancel')}
                    </Button>
                  )}
                </Space>
                <JobProgress job={job} />
                {job.error && <Alert type="error" showIcon title={`${job.error.code}: ${job.error.message[lang]}`} data-testid="build-job-error" />}
              </Space>
            )}
            <Table<BundleOutput>
              rowKey="id"
              size="small"
              pagination={false}
              dataSource={b.outputs}
              data-testid="outputs-table"
              locale={{ emptyText: <Empty description={t('bundles.noOutputs')} /> }}
              columns={[
                {
                  title: t('bundles.kind'),
                  key: 'kind',
                  width: 90,
                  render: (_, o) => <Tag>{o.kind === 'tar' ? (o.compression === 'zstd' ? 'tar.zst' : 'tar') : 'ISO'}</Tag>,
                },
                { title: t('bundles.size'), key: 'size', width: 100, render: (_, o) => formatBytes(o.size) },
                {
                  title: 'sha256',
                  key: 'sha',
                  render: (_, o) => (
                    <Typography.Text code copyable={{ text: o.sha256 }} data-testid="output-sha256">
                      {`${o.sha256.slice(0, 16)}…`}
                    </Typography.Text>
                  ),
                },
                {
                  title: t('bundles.file'),
                  key: 'file',
                  render: (_, o) => (
                    <Space direction="vertical" size={0}>
                      <Typography.Text copyable style={{ fontSize: 12 }} data-testid="output-file">
                        {o.file}
                      </Typography.Text>
                      {!o.present && <Typography.Text type="warning">{t('bundles.missing')}</Typography.Text>}
                    </Space>
                  ),
                },
                {
                  key: 'reveal',
                  width: 140,
                  render: (_, o) => (
                    <Tooltip title={t('bundles.revealHelp')}>
                      <Button size="small" disabled={!o.present} onClick={() => void reveal(o)}>
                        {t('bundles.reveal')}
                      </Button>
                    </Tooltip>
                  ),
                },
              ]}
            />
          </Card>
        </Space>
      )}
      {building && b && (
        <BuildModal
          batch={b}
          onClose={() => setBuilding(false)}
          onStarted={(id) => {
            setJobId(id);
            setBuilding(false);
          }}
        />
      )}
    </Drawer>
  );
}
