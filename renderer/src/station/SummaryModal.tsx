import { DownloadOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from '@tanstack/react-query';
import { App, Button, Card, Col, Empty, Modal, Row, Space, Statistic, Table, Tooltip, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { FlashRun } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { errorText } from '../api/errors';
import { formatDuration } from '../i18n/format';
import { usePreferences } from '../settings/preferences';
import { ProblemAlert } from '../settings/StationLocked';
import { base64Bytes, saveFile } from '../shell/files';
import { countOf } from './model';
import { RunBar } from './RunBar';

/**
 * The batch's signed production report (CSV, its detached signature and the
 * station's public key), as Activation › Batches gives it.
 */
export function ReportButton({ batchId }: { batchId: string }) {
  const { t } = useTranslation();
  const { client } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const download = useMutation({
    mutationFn: () => client.activation.report({ batchId }),
    onSuccess: (r) => {
      saveFile(r.fileName, r.csv, 'text/csv;charset=utf-8');
      saveFile(`${r.fileName}.sig`, base64Bytes(r.signature), 'application/octet-stream');
      saveFile(`${r.fileName.replace(/\.csv$/, '')}.station.pem`, r.publicKeyPem, 'application/x-pem-file');
      void message.success(t('ledger.reportSaved', { file: r.fileName }));
    },
    onError: (e) => void message.error(errorText(e, lang, t('errors.generic'))),
  });
  return (
    <Tooltip title={t('station.run.reportHelp')}>
      <Button icon={<DownloadOutlined />} onClick={() => download.mutate()} loading={download.isPending} data-testid="run-report">
        {t('station.run.report')}
      </Button>
    </Tooltip>
  );
}

/** What a run did: how long, each step's count and mean time, what failed and which boxes were activated. */
export function SummaryModal({ run, onClose }: { run: FlashRun; onClose: () => void }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const summary = useQuery({ ...orpc.flash.summary.queryOptions({ input: { id: run.id } }), staleTime: 0 });
  const s = summary.data;
  return (
    <Modal
      open
      width={980}
      title={t('station.summary.title', { combo: run.comboName })}
      onCancel={onClose}
      footer={
        <Space>
          <ReportButton batchId={run.batchId} />
          <Button type="primary" onClick={onClose}>
            {t('common.ok')}
          </Button>
        </Space>
      }
      data-testid="summary-modal"
    >
      {summary.error ? <ProblemAlert error={summary.error} /> : null}
      {s && (
        <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
          <Row gutter={24}>
            <Col>
              <Statistic
                title={t('station.summary.duration')}
                value={s.durationSeconds === null ? '—' : formatDuration(s.durationSeconds, lang)}
                data-testid="summary-duration"
              />
            </Col>
            <Col>
              <Statistic title={t('station.boxState.succeeded')} value={countOf(s.run, 'succeeded')} />
            </Col>
            <Col>
              <Statistic title={t('station.boxState.failed')} value={countOf(s.run, 'failed')} />
            </Col>
            <Col>
              <Statistic title={t('station.summary.activated')} value={s.activated.length} />
            </Col>
            <Col>
              <Statistic title={t('station.summary.total')} value={s.run.total} />
            </Col>
          </Row>
          <RunBar run={s.run} />
          <Table
            size="small"
            rowKey="step"
            pagination={false}
            dataSource={s.steps}
            data-testid="summary-steps"
            columns={[
              { title: t('station.drawer.step'), key: 'step', render: (_, r) => t(`station.step.${r.step}`) },
              { title: t('station.stepState.done'), dataIndex: 'done', width: 110 },
              {
                title: t('station.stepState.failed'),
                key: 'failed',
                width: 110,
                render: (_, r) => (r.failed ? <Typography.Text type="danger">{r.failed}</Typography.Text> : 0),
              },
              {
                title: t('station.summary.mean'),
                key: 'mean',
                width: 160,
                render: (_, r) => (r.meanSeconds === null ? '—' : formatDuration(r.meanSeconds, lang)),
              },
            ]}
          />
          <Card size="small" title={t('station.summary.failures', { n: s.failures.length })}>
            {s.failures.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('station.summary.noFailures')} />
            ) : (
              <Table
                size="small"
                rowKey="boxId"
                pagination={false}
                dataSource={s.failures}
                data-testid="summary-failures"
                columns={[
                  { title: t('station.summary.box'), dataIndex: 'label', width: 180 },
                  { title: t('station.drawer.step'), key: 'step', width: 120, render: (_, f) => (f.step ? t(`station.step.${f.step}`) : '—') },
                  { title: t('station.summary.reason'), key: 'm', render: (_, f) => <Typography.Text type="danger">{f.message[lang]}</Typography.Text> },
                ]}
              />
            )}
          </Card>
          <Card size="small" title={t('station.summary.activatedList', { n: s.activated.length })}>
            {s.activated.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('station.summary.noneActivated')} />
            ) : (
              <Table
                size="small"
                rowKey="serial"
                pagination={s.activated.length > 20 ? { pageSize: 20 } : false}
                dataSource={s.activated}
                data-testid="summary-activated"
                columns={[
                  { title: t('station.summary.box'), dataIndex: 'label' },
                  { title: t('station.drawer.serial'), key: 'serial', render: (_, a) => <Typography.Text strong>{a.serial}</Typography.Text> },
                  { title: t('station.drawer.seat'), dataIndex: 'seat', width: 90 },
                  { title: t('station.drawer.node'), key: 'node', render: (_, a) => a.nodeName ?? '—' },
                ]}
              />
            )}
          </Card>
        </Space>
      )}
    </Modal>
  );
}
