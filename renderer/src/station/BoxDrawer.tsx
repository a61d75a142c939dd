import { CheckCircleFilled, CloseCircleFilled, DownloadOutlined, ReloadOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, App, Button, Descriptions, Drawer, Empty, Form, Input, Space, Table, Tabs, Tag, Typography, theme } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { FlashBox, HardwareCheck, HardwareReport } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { errorText } from '../api/errors';
import { formatBytes, formatDuration, formatTime } from '../i18n/format';
import { usePreferences } from '../settings/preferences';
import { failureText, StepStrip, VERB_KEYS, type BoxVerb } from './BoxCard';
import { usePalette } from './palette';
import { useLiveBox } from './progress';
import { BOX_TAG, canCancel, canRetry, canSkip, FINGERPRINT_RULE, fingerprintsIn, secondsBetween, sshEndpoint, targetText } from './model';

type StepRow = FlashBox['steps'][number];

const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace';

/**
 * A changed host key: the two fingerprints, and the explicit re-trust (only
 * when the box now presents the fingerprint the technician confirms).
 */
function Retrust({ box, onTrusted }: { box: FlashBox; onTrusted: () => void }) {
  const { t } = useTranslation();
  const { client } = useApi();
  const { lang } = usePreferences();
  const { modal, message } = App.useApp();
  const found = fingerprintsIn(box.error?.message.en ?? '');
  const [fingerprint, setFingerprint] = useState(found.now ?? '');
  const endpoint = sshEndpoint(box.target);
  const valid = FINGERPRINT_RULE.test(fingerprint.trim());
  const trust = useMutation({
    mutationFn: () => client.flash.trustHostKey({ host: endpoint!.host, port: endpoint!.port, fingerprint: fingerprint.trim() }),
    onSuccess: () => {
      void message.success(t('station.retrust.done', { host: `${endpoint!.host}:${endpoint!.port}` }));
      onTrusted();
    },
    onError: (e) => void message.error(errorText(e, lang, t('errors.generic'))),
  });
  if (!endpoint) return null;
  const confirm = () =>
    modal.confirm({
      title: t('station.retrust.confirmTitle', { host: `${endpoint.host}:${endpoint.port}` }),
      width: 560,
      content: (
        <Space orientation="vertical">
          <Typography.Paragraph style={{ margin: 0 }}>{t('station.retrust.risk')}</Typography.Paragraph>
          <Typography.Paragraph style={{ margin: 0 }}>{t('station.retrust.check')}</Typography.Paragraph>
          <Typography.Text code style={{ fontFamily: MONO }}>
            ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub
          </Typography.Text>
          <Typography.Text strong style={{ fontFamily: MONO }}>
            {fingerprint.trim()}
          </Typography.Text>
        </Space>
      ),
      okText: t('station.retrust.ok'),
      okButtonProps: { danger: true, 'data-testid': 'retrust-confirm' } as never,
      cancelText: t('common.cancel'),
      onOk: () => trust.mutateAsync(),
    });
  return (
    <Alert
      type="error"
      showIcon
      icon={<SafetyCertificateOutlined />}
      data-testid="retrust"
      title={t('station.retrust.title')}
      description={
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Descriptions size="small" column={1}>
            <Descriptions.Item label={t('station.retrust.old')}>
              <Typography.Text code style={{ fontFamily: MONO }} data-testid="retrust-old">
                {found.old ?? '—'}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('station.retrust.now')}>
              <Typography.Text code style={{ fontFamily: MONO }} data-testid="retrust-now">
                {found.now ?? '—'}
              </Typography.Text>
            </Descriptions.Item>
          </Descriptions>
          <Form layout="vertical" component="div">
            <Form.Item
              label={t('station.retrust.fingerprint')}
              validateStatus={fingerprint && !valid ? 'error' : undefined}
              help={fingerprint && !valid ? t('station.retrust.fingerprintBad') : t('station.retrust.fingerprintHelp')}
              style={{ marginBottom: 8 }}
            >
              <Input
                value={fingerprint}
                onChange={(e) => setFingerprint(e.target.value)}
                placeholder="SHA256:…"
                style={{ fontFamily: MONO }}
                spellCheck={false}
                data-testid="retrust-fingerprint"
              />
            </Form.Item>
          </Form>
          <Button danger disabled={!valid} loading={trust.isPending} onClick={confirm} data-testid="retrust-open">
            {t('station.retrust.button')}
          </Button>
        </Space>
      }
    />
  );
}

function ChecksTable({ checks }: { checks: HardwareCheck[] }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  const { token } = theme.useToken();
  const bad = checks.filter((c) => !c.ok).length;
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Typography.Text type={bad ? 'danger' : 'secondary'}>
        {bad ? t('station.drawer.checksBad', { bad, n: checks.length }) : t('station.drawer.checksOk', { n: checks.length })}
      </Typography.Text>
      <Table<HardwareCheck>
        size="small"
        rowKey={(c) => c.check}
        pagination={false}
        dataSource={checks}
        data-testid="box-checks"
        locale={{ emptyText: <Empty description={t('station.drawer.noChecks')} /> }}
        onRow={(c) => ({ style: c.ok ? undefined : { background: token.colorErrorBg }, 'data-ok': c.ok }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          {
            key: 'ok',
            width: 36,
            render: (_, c) => (c.ok ? <CheckCircleFilled style={{ color: token.colorSuccess }} /> : <CloseCircleFilled style={{ color: token.colorError }} />),
          },
          { title: t('station.drawer.check'), key: 'check', render: (_, c) => <Typography.Text strong={!c.ok}>{c.check}</Typography.Text> },
          { title: t('station.drawer.want'), key: 'want', render: (_, c) => <Typography.Text code>{c.want}</Typography.Text> },
          {
            title: t('station.drawer.found'),
            key: 'found',
            render: (_, c) => (
              <Typography.Text code type={c.ok ? undefined : 'danger'}>
                {c.found}
              </Typography.Text>
            ),
          },
          { title: t('station.drawer.verdict'), key: 'm', render: (_, c) => c.message[lang] },
        ]}
      />
    </Space>
  );
}

function HardwareView({ hw }: { hw: HardwareReport }) {
  const { t } = useTranslation();
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }} data-testid="box-hardware">
      <Descriptions size="small" bordered column={2}>
        <Descriptions.Item label={t('station.hw.product')}>{`${hw.dmi.vendor} ${hw.dmi.product}`.trim() || '—'}</Descriptions.Item>
        <Descriptions.Item label={t('station.hw.serial')}>{hw.dmi.serial || '—'}</Descriptions.Item>
        <Descriptions.Item label={t('station.hw.boardSerial')}>{hw.dmi.boardSerial || '—'}</Descriptions.Item>
        <Descriptions.Item label={t('station.hw.uuid')}>
          <Typography.Text code style={{ fontSize: 12 }}>
            {hw.dmi.uuid || '—'}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('station.hw.arch')}>{hw.arch}</Descriptions.Item>
        <Descriptions.Item label={t('station.hw.cpu')}>{`${hw.cpuModel} · ${t('station.hw.cores', { count: hw.cpuCores })}`}</Descriptions.Item>
        <Descriptions.Item label={t('station.hw.memory')}>{formatBytes(hw.memoryMiB * 1024 * 1024)}</Descriptions.Item>
        <Descriptions.Item label={t('station.hw.os')}>{hw.os}</Descriptions.Item>
        <Descriptions.Item label={t('station.hw.hostname')}>{hw.hostname}</Descriptions.Item>
        <Descriptions.Item label={t('station.hw.serialDevices')}>{hw.serialDevices.join(', ') || '—'}</Descriptions.Item>
      </Descriptions>
      <Table
        size="small"
        pagination={false}
        rowKey="name"
        title={() => t('station.hw.disks')}
        dataSource={hw.disks}
        columns={[
          { title: t('station.hw.name'), dataIndex: 'name' },
          { title: t('station.hw.size'), key: 's', render: (_, d) => formatBytes(d.sizeBytes) },
          { title: t('station.hw.model'), dataIndex: 'model' },
        ]}
      />
      <Table
        size="small"
        pagination={false}
        rowKey="name"
        title={() => t('station.hw.nics')}
        dataSource={hw.nics}
        columns={[
          { title: t('station.hw.name'), dataIndex: 'name' },
          { title: 'MAC', key: 'mac', render: (_, n) => <Typography.Text code>{n.mac}</Typography.Text> },
          {
            title: t('station.hw.link'),
            key: 'link',
            render: (_, n) => <Tag color={n.link === 'up' ? 'green' : n.link === 'down' ? 'red' : 'default'}>{t(`station.hw.linkState.${n.link}`)}</Tag>,
          },
          { title: t('station.hw.addresses'), key: 'a', render: (_, n) => n.addresses.join(', ') },
          { title: t('station.hw.physical'), key: 'p', render: (_, n) => (n.physical ? t('common.yes') : t('common.no')) },
        ]}
      />
      {hw.pciDevices.length > 0 && (
        <Table
          size="small"
          pagination={false}
          rowKey="slot"
          title={() => t('station.hw.pci')}
          dataSource={hw.pciDevices}
          columns={[
            { title: t('station.hw.slot'), dataIndex: 'slot' },
            { title: 'ID', key: 'id', render: (_, d) => <Typography.Text code>{d.id}</Typography.Text> },
            { title: t('station.hw.class'), dataIndex: 'classId' },
          ]}
        />
      )}
    </Space>
  );
}

/** The box's log, read when the tab opens and again when the box moves on to another step. */
function BoxLog({ box, onDownload }: { box: FlashBox; onDownload: () => void }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const log = useQuery({ ...orpc.flash.boxLog.queryOptions({ input: { id: box.id } }), staleTime: 0 });
  const { refetch } = log;
  useEffect(() => {
    void refetch();
  }, [box.step, box.state, refetch]);
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Space>
        <Button size="small" icon={<ReloadOutlined />} onClick={() => void log.refetch()} loading={log.isFetching}>
          {t('common.refresh')}
        </Button>
        <Button size="small" icon={<DownloadOutlined />} onClick={onDownload}>
          {`${t('station.verb.log')} (${VERB_KEYS.log})`}
        </Button>
      </Space>
      {log.error ? <Alert type="error" showIcon title={errorText(log.error, lang, t('errors.generic'))} /> : null}
      <pre
        data-testid="box-log-text"
        style={{ fontFamily: MONO, fontSize: 12, whiteSpace: 'pre-wrap', wordBreak: 'break-all', margin: 0, maxHeight: '60vh', overflow: 'auto' }}
      >
        {log.data?.text ?? ''}
      </pre>
    </Space>
  );
}

/** One box in full: its steps, checks, hardware and log, with the verbs of its card. */
export function BoxDrawer({ box: cached, onClose, onVerb }: { box: FlashBox; onClose: () => void; onVerb: (verb: BoxVerb, box: FlashBox) => void }) {
  const { t } = useTranslation();
  const box = useLiveBox(cached);
  const { lang } = usePreferences();
  const palette = usePalette();
  const failure = failureText(box, lang, t);
  const [tab, setTab] = useState('steps');
  const stepRows = box.steps;
  const onKeyDown = (e: React.KeyboardEvent) => {
    const el = e.target as HTMLElement;
    if (e.ctrlKey || e.metaKey || e.altKey || el.closest('input, textarea, [contenteditable="true"]')) return;
    const v = (['retry', 'skip', 'cancel', 'log'] as const).find((k) => VERB_KEYS[k] === e.key.toLowerCase());
    if (!v) return;
    const allowed = v === 'retry' ? canRetry(box.state) : v === 'skip' ? canSkip(box.state) : v === 'cancel' ? canCancel(box.state) : true;
    if (!allowed) return;
    e.preventDefault();
    onVerb(v, box);
  };
  return (
    <Drawer
      open
      size={900}
      onClose={onClose}
      data-testid="box-drawer"
      title={
        <Space wrap>
          <span>{box.label}</span>
          <Tag color={BOX_TAG[box.state]}>{t(`station.boxState.${box.state}`)}</Tag>
        </Space>
      }
      extra={
        <Space>
          {canRetry(box.state) && (
            <Button onClick={() => onVerb('retry', box)} data-testid="drawer-retry">{`${t('station.verb.retry')} (${VERB_KEYS.retry})`}</Button>
          )}
          {canSkip(box.state) && <Button onClick={() => onVerb('skip', box)}>{`${t('station.verb.skip')} (${VERB_KEYS.skip})`}</Button>}
          {canCancel(box.state) && <Button danger onClick={() => onVerb('cancel', box)}>{`${t('station.verb.cancel')} (${VERB_KEYS.cancel})`}</Button>}
          <Button icon={<DownloadOutlined />} onClick={() => onVerb('log', box)}>{`${t('station.verb.log')} (${VERB_KEYS.log})`}</Button>
        </Space>
      }
    >
      {/* The grid's verbs work here too, except while typing. */}
      <div onKeyDown={onKeyDown}>
        <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
          {failure && (
            <Alert
              type={box.state === 'interrupted' ? 'warning' : 'error'}
              showIcon
              title={failure}
              description={box.error ? <Typography.Text type="secondary">{box.error.code}</Typography.Text> : undefined}
              data-testid="drawer-error"
            />
          )}
          {box.error?.code === 'SSH_HOSTKEY_CHANGED' && <Retrust box={box} onTrusted={() => onVerb('retry', box)} />}
          <StepStrip box={box} palette={palette} />
          <Descriptions size="small" bordered column={2}>
            <Descriptions.Item label={t('station.drawer.target')}>
              <Typography.Text code>{targetText(box.target)}</Typography.Text>
              {box.target.transport === 'ssh' && box.target.legacyAlgorithms ? <Tag style={{ marginLeft: 8 }}>{t('station.cred.legacy')}</Tag> : null}
            </Descriptions.Item>
            <Descriptions.Item label={t('station.drawer.user')}>{box.username}</Descriptions.Item>
            <Descriptions.Item label={t('station.drawer.labelSerial')}>{box.labelSerial ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('station.drawer.serial')}>{box.serial ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('station.drawer.seat')}>{box.seat ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('station.drawer.node')}>
              {box.nodeName ? `${box.nodeName}${box.role ? ` (${t(`station.role.${box.role}`)})` : ''}` : '—'}
            </Descriptions.Item>
            <Descriptions.Item label={t('station.drawer.hostKey')} span={2}>
              {box.hostKey ? (
                <Space>
                  <Typography.Text code copyable style={{ fontFamily: MONO }}>
                    {box.hostKey.fingerprint}
                  </Typography.Text>
                  {box.hostKey.firstUse && <Tag color="gold">{t('station.box.firstUse')}</Tag>}
                </Space>
              ) : (
                '—'
              )}
            </Descriptions.Item>
            <Descriptions.Item label={t('station.drawer.updated')}>{formatTime(box.updatedAt, lang)}</Descriptions.Item>
            <Descriptions.Item label={t('station.drawer.job')}>{box.jobId ? <Typography.Text code>{box.jobId}</Typography.Text> : '—'}</Descriptions.Item>
          </Descriptions>
          <Tabs
            activeKey={tab}
            onChange={setTab}
            items={[
              {
                key: 'steps',
                label: t('station.drawer.steps'),
                children: (
                  <Table<StepRow>
                    size="small"
                    rowKey="step"
                    pagination={false}
                    dataSource={stepRows}
                    data-testid="box-steps"
                    columns={[
                      { title: t('station.drawer.step'), key: 'step', render: (_, s) => t(`station.step.${s.step}`) },
                      {
                        title: t('station.drawer.state'),
                        key: 'state',
                        width: 110,
                        render: (_, s) => (
                          <Tag color={s.state === 'done' ? 'success' : s.state === 'failed' ? 'error' : s.state === 'running' ? 'processing' : 'default'}>
                            {t(`station.stepState.${s.state}`)}
                          </Tag>
                        ),
                      },
                      { title: t('station.drawer.attempts'), key: 'a', width: 80, render: (_, s) => s.attempts || '' },
                      { title: t('station.drawer.started'), key: 'st', width: 160, render: (_, s) => (s.startedAt ? formatTime(s.startedAt, lang) : '') },
                      {
                        title: t('station.drawer.took'),
                        key: 'took',
                        width: 100,
                        render: (_, s) => {
                          const secs = s.state === 'running' || s.finishedAt ? secondsBetween(s.startedAt, s.finishedAt) : null;
                          return secs === null ? '' : formatDuration(secs, lang);
                        },
                      },
                      {
                        title: t('station.drawer.note'),
                        key: 'note',
                        render: (_, s) =>
                          s.error ? (
                            <Typography.Text type="danger">{`${s.error.code}: ${s.error.message[lang]}`}</Typography.Text>
                          ) : (
                            <Typography.Text type="secondary">{s.note ?? ''}</Typography.Text>
                          ),
                      },
                    ]}
                  />
                ),
              },
              {
                key: 'checks',
                label: (
                  <span data-testid="drawer-tab-checks">
                    {t('station.drawer.checks')}
                    {box.checks.some((c) => !c.ok) ? (
                      <Tag color="error" style={{ marginLeft: 6 }}>
                        {box.checks.filter((c) => !c.ok).length}
                      </Tag>
                    ) : null}
                  </span>
                ),
                children: <ChecksTable checks={box.checks} />,
              },
              {
                key: 'hardware',
                label: t('station.drawer.hardware'),
                children: box.hardware ? <HardwareView hw={box.hardware} /> : <Empty description={t('station.drawer.noHardware')} />,
              },
              { key: 'log', label: t('station.drawer.log'), children: tab === 'log' ? <BoxLog box={box} onDownload={() => onVerb('log', box)} /> : null },
            ]}
          />
        </Space>
      </div>
    </Drawer>
  );
}
