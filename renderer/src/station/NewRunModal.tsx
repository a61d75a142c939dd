import { InboxOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Col, Divider, Form, Input, Modal, Row, Segmented, Select, Space, Switch, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Batch, BundleOutput, FlashJoin } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { formFieldErrors } from '../api/errors';
import { formatBytes, formatTime } from '../i18n/format';
import { usePreferences } from '../settings/preferences';
import { ProblemAlert } from '../settings/StationLocked';
import { goTo } from '../shell/areas';
import { BoxSources } from './BoxSources';
import { CredentialsBlock } from './Credentials';
import { clearChangedErrors } from './forms';
import { buildBoxes, showBoxIssues, useBoxDraft, type BoxDraft, type DraftRow } from './draft';

interface RunValues {
  batchId?: string;
  bundleFile?: string | null;
  join: { mode: FlashJoin['mode']; clusterName?: string; ha?: boolean; apiEndpoint?: string; clusterId?: string };
}

const NO_SERIALS: ReadonlySet<string> = new Set();

/** The batch's tar bundles, newest first. */
export function tarOutputs(batch: Batch | undefined): BundleOutput[] {
  return (batch?.outputs ?? []).filter((o) => o.kind === 'tar').sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

const baseName = (p: string) => p.split(/[\\/]/).pop() ?? p;

/** Asks before a dialog holding gathered boxes is closed. */
export function useCloseGuard(draft: BoxDraft, onClose: () => void): () => void {
  const { t } = useTranslation();
  const { modal } = App.useApp();
  return () => {
    if (draft.rows.length === 0) return onClose();
    modal.confirm({
      title: t('station.add.discardTitle', { count: draft.rows.length }),
      content: t('station.add.discardHelp'),
      okText: t('station.add.discard'),
      okButtonProps: { danger: true },
      cancelText: t('station.add.keep'),
      onOk: onClose,
    });
  };
}

/** A new flash run: the batch and its bundle, the cluster to join, then the boxes. */
export function NewRunModal({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const { orpc, client } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<RunValues>();
  const draft = useBoxDraft();
  const [problem, setProblem] = useState<unknown>(null);
  const [localProblem, setLocalProblem] = useState<string | null>(null);
  const batches = useQuery(orpc.batches.list.queryOptions());
  const ledger = useQuery(orpc.activation.batches.queryOptions());
  const clusters = useQuery(orpc.clusters.list.queryOptions());
  const batchId = Form.useWatch('batchId', form);
  const joinMode = Form.useWatch(['join', 'mode'], form) ?? 'none';
  const ha = Form.useWatch(['join', 'ha'], form) ?? false;
  const batch = batches.data?.find((b) => b.id === batchId);
  const tars = useMemo(() => tarOutputs(batch), [batch]);
  const present = tars.filter((o) => o.present);
  const close = useCloseGuard(draft, onClose);

  // A batch chosen: its newest tar bundle that is still on disk.
  useEffect(() => {
    if (batchId) form.setFieldValue('bundleFile', present[0]?.file ?? null);
    // Only when the batch changes, not when its outputs list is re-read.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [batchId]);

  const create = useMutation({
    mutationFn: (input: Parameters<typeof client.flash.createRun>[0] & { sent: DraftRow[] }) => {
      const { sent: _sent, ...rest } = input;
      return client.flash.createRun(rest);
    },
    onSuccess: (run) => {
      void message.success(t('station.newRun.started', { count: run.total }));
      void queryClient.invalidateQueries({ queryKey: orpc.flash.runs.key() });
      onClose();
      goTo('station', run.id);
    },
    onError: (e, input) => {
      // With no bundle to choose, the bundle field is hidden: its error goes in the alert below.
      const bundleShown = Boolean(batch) && present.length > 0;
      const fields = formFieldErrors(e, lang, ['batchId', 'bundleFile', 'join']).filter((f) => bundleShown || f.name[0] !== 'bundleFile');
      if (fields.length > 0) form.setFields(fields as never);
      const boxes = showBoxIssues(e, lang, draft, input.sent);
      if (fields.length === 0 && !boxes) setProblem(e);
    },
  });

  const submit = (v: RunValues) => {
    setProblem(null);
    setLocalProblem(null);
    draft.setRowErrors({});
    const built = buildBoxes(draft, t);
    if (!built.ok) {
      draft.setRowErrors(built.rowErrors);
      setLocalProblem(built.problem ?? t('station.add.fixRows'));
      return;
    }
    const j = v.join;
    const join: FlashJoin =
      j.mode === 'new'
        ? { mode: 'new', clusterName: (j.clusterName ?? '').trim(), ha: Boolean(j.ha), apiEndpoint: j.apiEndpoint?.trim() || null }
        : j.mode === 'existing'
          ? { mode: 'existing', clusterId: j.clusterId ?? '' }
          : { mode: 'none' };
    create.mutate({ batchId: v.batchId ?? '', bundleFile: v.bundleFile ?? null, join, boxes: built.boxes, sent: draft.rows });
  };

  const seatsOf = (id: string) => ledger.data?.find((l) => l.id === id)?.counts;
  const n = draft.rows.length;
  return (
    <Modal
      open
      width="min(1280px, 96vw)"
      title={t('station.newRun.title')}
      onCancel={close}
      mask={{ closable: false }}
      footer={
        <div style={{ display: 'flex', gap: 16, alignItems: 'flex-start', justifyContent: 'flex-end' }}>
          <div style={{ flex: 1, textAlign: 'left', maxHeight: 120, overflowY: 'auto' }}>
            {localProblem && <Alert type="error" showIcon title={localProblem} data-testid="run-local-error" />}
            {problem ? <ProblemAlert error={problem} testId="run-error" /> : null}
          </div>
          <Space>
            <Button onClick={close}>{t('common.cancel')}</Button>
            <Button type="primary" onClick={() => form.submit()} loading={create.isPending} data-testid="run-start">
              {t('station.newRun.start', { count: n })}
            </Button>
          </Space>
        </div>
      }
      data-testid="run-modal"
      styles={{ body: { maxHeight: 'calc(100vh - 220px)', overflowY: 'auto', overflowX: 'hidden' } }}
    >
      <Row gutter={[32, 16]}>
        <Col xs={24} lg={9}>
          <Form<RunValues>
            form={form}
            layout="vertical"
            initialValues={{ join: { mode: 'none', ha: false } }}
            onFinish={submit}
            onValuesChange={(changed: object) => {
              setProblem(null);
              clearChangedErrors(form, changed);
            }}
          >
            <Form.Item name="batchId" label={t('station.newRun.batch')} rules={[{ required: true, message: t('station.newRun.batchRequired') }]}>
              <Select
                data-testid="run-batch"
                loading={batches.isLoading}
                placeholder={t('station.newRun.batchPick')}
                notFoundContent={t('station.newRun.noBatches')}
                optionLabelProp="title"
                options={(batches.data ?? []).map((b) => {
                  const seats = seatsOf(b.id);
                  return {
                    value: b.id,
                    title: `${b.comboName} · ${b.id}`,
                    label: (
                      <Space orientation="vertical" size={0}>
                        <span>
                          <b>{b.comboName}</b> · {`${b.modelName} r${b.modelRevision}`}
                        </span>
                        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                          {`${b.id} · `}
                          {seats
                            ? t('station.newRun.seatsFree', { free: seats.available, total: b.quantity })
                            : t('station.newRun.seats', { total: b.quantity })}
                        </Typography.Text>
                      </Space>
                    ),
                  };
                })}
              />
            </Form.Item>
            {batch && (
              <Typography.Paragraph type="secondary" style={{ marginTop: -16, fontSize: 12 }} data-testid="run-batch-info">
                {`${batch.comboName} · ${batch.modelName} r${batch.modelRevision} · ${batch.firstSerial} … ${batch.lastSerial} · `}
                {seatsOf(batch.id)
                  ? t('station.newRun.seatsFree', { free: seatsOf(batch.id)!.available, total: batch.quantity })
                  : t('station.newRun.seats', { total: batch.quantity })}
              </Typography.Paragraph>
            )}
            {batch && present.length === 0 ? (
              <Alert
                type="warning"
                showIcon
                style={{ marginBottom: 16 }}
                data-testid="run-no-bundle"
                title={tars.length === 0 ? t('station.newRun.noBundle') : t('station.newRun.bundlesMissing')}
                description={
                  <Space orientation="vertical" size={8}>
                    <span>{t('station.newRun.noBundleHelp')}</span>
                    <Button size="small" icon={<InboxOutlined />} onClick={() => goTo('bundles')} data-testid="run-to-bundles">
                      {t('station.newRun.toBundles')}
                    </Button>
                  </Space>
                }
              />
            ) : null}
            <Form.Item
              name="bundleFile"
              label={t('station.newRun.bundle')}
              extra={t('station.newRun.bundleHelp')}
              hidden={!batch || present.length === 0}
              rules={[{ required: Boolean(batch) && present.length > 0, message: t('station.newRun.bundleRequired') }]}
            >
              <Select
                data-testid="run-bundle"
                optionLabelProp="title"
                options={tars.map((o) => ({
                  value: o.file,
                  disabled: !o.present,
                  title: baseName(o.file),
                  label: (
                    <Space orientation="vertical" size={0}>
                      <span>{baseName(o.file)}</span>
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {[
                          formatBytes(o.size),
                          o.compression === 'zstd' ? 'zstd' : null,
                          formatTime(o.createdAt, lang),
                          o.present ? null : t('station.newRun.bundleGone'),
                        ]
                          .filter(Boolean)
                          .join(' · ')}
                      </Typography.Text>
                    </Space>
                  ),
                }))}
              />
            </Form.Item>
            <Form.Item name={['join', 'mode']} label={t('station.newRun.join')} style={{ marginBottom: 12 }}>
              <Segmented
                data-testid="run-join"
                options={[
                  { value: 'none', label: t('station.join.none') },
                  { value: 'new', label: t('station.join.new') },
                  { value: 'existing', label: t('station.join.existing') },
                ]}
              />
            </Form.Item>
            {joinMode === 'new' && (
              <>
                <Form.Item
                  name={['join', 'clusterName']}
                  label={t('station.join.clusterName')}
                  rules={[{ required: true, message: t('station.join.clusterNameRequired') }]}
                >
                  <Input autoComplete="off" spellCheck={false} placeholder="line-a-edge" data-testid="run-cluster-name" />
                </Form.Item>
                <Form.Item
                  name={['join', 'ha']}
                  valuePropName="checked"
                  extra={ha ? t('station.join.haHelpOn', { count: n }) : t('station.join.haHelp')}
                  validateStatus={ha && n > 0 && n < 3 ? 'warning' : undefined}
                >
                  <Switch checkedChildren={t('station.join.ha')} unCheckedChildren={t('station.join.ha')} data-testid="run-ha" />
                </Form.Item>
                <Form.Item name={['join', 'apiEndpoint']} label={t('station.join.apiEndpoint')} extra={t('station.join.apiEndpointHelp')}>
                  <Input autoComplete="off" spellCheck={false} placeholder="https://192.168.10.100:6443" data-testid="run-api-endpoint" />
                </Form.Item>
              </>
            )}
            {joinMode === 'existing' && (
              <Form.Item
                name={['join', 'clusterId']}
                label={t('station.join.cluster')}
                rules={[{ required: true, message: t('station.join.clusterRequired') }]}
                extra={clusters.data && clusters.data.length === 0 ? t('station.join.noClusters') : undefined}
              >
                <Select
                  data-testid="run-cluster"
                  loading={clusters.isLoading}
                  options={(clusters.data ?? []).map((c) => ({
                    value: c.id,
                    label: `${c.name} · ${c.server} · ${t('station.join.nodes', { count: c.nodes.length })}${c.ha ? ` · ${t('station.join.haTag')}` : ''}`,
                  }))}
                />
              </Form.Item>
            )}
          </Form>
          <Divider titlePlacement="start" style={{ margin: '8px 0 12px' }}>
            {t('station.cred.title')}
          </Divider>
          <CredentialsBlock draft={draft} />
        </Col>
        <Col xs={24} lg={15}>
          <Typography.Title level={5} style={{ marginTop: 0 }}>
            {t('station.add.title')}
          </Typography.Title>
          <BoxSources draft={draft} existingSerials={NO_SERIALS} />
        </Col>
      </Row>
    </Modal>
  );
}
