import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Checkbox, Form, InputNumber, Modal, Space, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Job } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { errorText, formFieldErrors } from '../../api/errors';
import { JobProgress } from '../../jobs/JobsPage';
import { usePreferences } from '../../settings/preferences';
import { useConsole } from '../console/context';
import { useKind } from '../console/objects';
import { podRow } from '../pods/pod';
import { useDrainJob } from './columns';
import type { NodeRow } from './node';
import { NodePods } from './NodeDrawer';

interface DrainOptions {
  ignoreDaemonSets: boolean;
  deleteEmptyDirData: boolean;
  force: boolean;
  timeoutSeconds: number;
}

const DRAIN_FIELDS = ['ignoreDaemonSets', 'deleteEmptyDirData', 'force', 'timeoutSeconds'];
const DEFAULTS: DrainOptions = { ignoreDaemonSets: true, deleteEmptyDirData: false, force: false, timeoutSeconds: 300 };

/** What a drain of the node would meet: its pods, those of DaemonSets, those no controller owns, those with emptyDir data. */
function usePodSummary(node: string) {
  const { store } = useConsole();
  const { items } = useKind(store, 'pods');
  return useMemo(() => {
    const pods = items.map(podRow).filter((p) => p.node === node && p.health !== 'done');
    return {
      total: pods.length,
      daemonSet: pods.filter((p) => p.owner?.kind === 'DaemonSet').length,
      unmanaged: pods.filter((p) => !p.owner).length,
      emptyDir: pods.filter((p) => p.hasEmptyDir).length,
    };
  }, [items, node]);
}

function DrainForm({ node, onStarted }: { node: NodeRow; onStarted: (job: Job) => void }) {
  const { t } = useTranslation();
  const { client } = useApi();
  const { lang } = usePreferences();
  const { cluster, blocked } = useConsole();
  const [form] = Form.useForm<DrainOptions>();
  const options = Form.useWatch([], form) ?? DEFAULTS;
  const pods = usePodSummary(node.name);
  const drain = useMutation({
    mutationFn: (o: DrainOptions) => client.clusters.drain({ clusterId: cluster.id, node: node.name, ...o }),
    onSuccess: onStarted,
    onError: (e) => form.setFields(formFieldErrors(e, lang, DRAIN_FIELDS) as never),
  });
  return (
    <Form form={form} layout="vertical" initialValues={DEFAULTS} onFinish={(o) => drain.mutate(o)} data-testid="drain-form">
      <Typography.Paragraph>{t('clusters.drain.help', { name: node.name })}</Typography.Paragraph>
      <Typography.Paragraph data-testid="drain-summary">
        {t('clusters.drain.summary', { count: pods.total })} {pods.daemonSet > 0 && <Tag>{t('clusters.drain.daemonSetPods', { count: pods.daemonSet })}</Tag>}
        {pods.unmanaged > 0 && <Tag color="warning">{t('clusters.drain.unmanagedPods', { count: pods.unmanaged })}</Tag>}
        {pods.emptyDir > 0 && <Tag color="warning">{t('clusters.drain.emptyDirPods', { count: pods.emptyDir })}</Tag>}
      </Typography.Paragraph>
      <Form.Item name="ignoreDaemonSets" valuePropName="checked" extra={t('clusters.drain.ignoreDaemonSetsHelp')} style={{ marginBottom: 8 }}>
        <Checkbox data-testid="drain-ignore-daemonsets">{t('clusters.drain.ignoreDaemonSets')}</Checkbox>
      </Form.Item>
      <Form.Item name="deleteEmptyDirData" valuePropName="checked" extra={t('clusters.drain.deleteEmptyDirDataHelp')} style={{ marginBottom: 8 }}>
        <Checkbox data-testid="drain-empty-dir">{t('clusters.drain.deleteEmptyDirData')}</Checkbox>
      </Form.Item>
      <Form.Item name="force" valuePropName="checked" extra={t('clusters.drain.forceHelp')} style={{ marginBottom: 8 }}>
        <Checkbox data-testid="drain-force">{t('clusters.drain.force')}</Checkbox>
      </Form.Item>
      <Form.Item
        name="timeoutSeconds"
        label={t('clusters.drain.timeout')}
        extra={t('clusters.drain.timeoutHelp')}
        rules={[{ required: true, type: 'integer', min: 10, max: 3600, message: t('clusters.drain.timeoutRule') }]}
      >
        <InputNumber min={10} max={3600} step={30} suffix={t('clusters.drain.seconds')} data-testid="drain-timeout" />
      </Form.Item>
      {pods.unmanaged > 0 && !options.force && (
        <Alert type="warning" showIcon style={{ marginBottom: 12 }} title={t('clusters.drain.unmanagedWarning', { count: pods.unmanaged })} />
      )}
      {pods.emptyDir > 0 && !options.deleteEmptyDirData && (
        <Alert type="warning" showIcon style={{ marginBottom: 12 }} title={t('clusters.drain.emptyDirWarning', { count: pods.emptyDir })} />
      )}
      {drain.error && !formFieldErrors(drain.error, lang, DRAIN_FIELDS).length && (
        <Alert type="error" showIcon style={{ marginBottom: 12 }} title={errorText(drain.error, lang, t('errors.generic'))} data-testid="drain-error" />
      )}
      <Space style={{ justifyContent: 'flex-end', width: '100%' }}>
        <Button
          danger
          type="primary"
          htmlType="submit"
          loading={drain.isPending}
          disabled={blocked !== null}
          title={blocked ?? undefined}
          data-testid="drain-start"
        >
          {t('clusters.drain.start', { name: node.name })}
        </Button>
      </Space>
    </Form>
  );
}

const STATE_COLOR: Record<Job['state'], string> = {
  queued: 'default',
  running: 'processing',
  succeeded: 'success',
  failed: 'error',
  cancelled: 'warning',
  interrupted: 'orange',
};

/** The drain under way: its job's progress with ETA, cancel, and the node's pods leaving. */
function DrainProgress({ node, jobId, onClose }: { node: NodeRow; jobId: string; onClose: () => void }) {
  const { t } = useTranslation();
  const { client, orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const job = useQuery(orpc.jobs.get.queryOptions({ input: { id: jobId } })).data;
  // The jobs feed appends the drain's log lines as they come: why it waits (a budget refusing an eviction) is in them.
  const log = useQuery(orpc.jobs.logs.queryOptions({ input: { id: jobId } })).data ?? [];
  const cancel = useMutation({
    mutationFn: () => client.jobs.cancel({ id: jobId }),
    onError: (e) => void message.error(errorText(e, lang, t('errors.generic'))),
  });
  if (!job) return null;
  const active = job.state === 'running' || job.state === 'queued';
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="drain-progress" data-state={job.state}>
      <Space style={{ justifyContent: 'space-between', width: '100%' }}>
        <Tag color={STATE_COLOR[job.state]} data-testid="drain-state">
          {t(`jobs.state.${job.state}`)}
        </Tag>
        {active && (
          <Button danger size="small" loading={cancel.isPending} onClick={() => cancel.mutate()} data-testid="drain-cancel">
            {t('clusters.drain.cancel')}
          </Button>
        )}
      </Space>
      <JobProgress job={job} />
      {job.error && <Alert type="error" showIcon title={job.error.message[lang]} data-testid="drain-failed" />}
      {job.state === 'succeeded' && <Alert type="success" showIcon title={t('clusters.drain.done', { name: node.name })} />}
      {log.length > 0 && (
        <div className="ef-mono" data-testid="drain-log" style={{ maxHeight: 90, overflow: 'auto', whiteSpace: 'pre-wrap' }}>
          {log.slice(-4).map((l) => (
            <Typography.Text
              key={l.seq}
              type={l.level === 'info' ? 'secondary' : l.level === 'warn' ? 'warning' : 'danger'}
              style={{ display: 'block', fontSize: 12 }}
            >
              {l.message}
            </Typography.Text>
          ))}
        </div>
      )}
      <Typography.Text strong>{t('clusters.drain.remaining')}</Typography.Text>
      <NodePods node={node.name} />
      <Space style={{ justifyContent: 'flex-end', width: '100%' }}>
        <Button onClick={onClose} data-testid="drain-close">
          {active ? t('clusters.drain.close') : t('clusters.drain.closeDone')}
        </Button>
      </Space>
    </Space>
  );
}

/** Drain a node: the options and an explicit confirmation, then the drain's progress. */
export function DrainDialog({ node, onClose }: { node: NodeRow; onClose: () => void }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const queryClient = useQueryClient();
  const { cluster } = useConsole();
  const running = useDrainJob(cluster.id, node.name);
  const [jobId, setJobId] = useState<string | null>(running?.id ?? null);
  const started = (job: Job) => {
    queryClient.setQueryData(orpc.jobs.get.queryKey({ input: { id: job.id } }), job);
    setJobId(job.id);
  };
  return (
    <Modal
      open
      width={760}
      title={t('clusters.drain.title', { name: node.name })}
      onCancel={onClose}
      footer={null}
      destroyOnHidden
      modalRender={(node) => <div data-testid="drain-dialog">{node}</div>}
    >
      {jobId ? <DrainProgress node={node} jobId={jobId} onClose={onClose} /> : <DrainForm node={node} onStarted={started} />}
    </Modal>
  );
}
