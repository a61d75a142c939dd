import { DownloadOutlined, PrinterOutlined, SafetyOutlined, ShareAltOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, App, Button, Card, Empty, Segmented, Space, Statistic, Table, Tabs, Tag, Tooltip, Typography, theme } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { LedgerBatch, LedgerEvent, Seat } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { errorText } from '../api/errors';
import { formatTime } from '../i18n/format';
import { usePreferences } from '../settings/preferences';
import { ProblemAlert } from '../settings/StationLocked';
import { goTo } from '../shell/areas';
import { base64Bytes, saveFile } from '../shell/files';
import { DelegateModal } from './DelegateModal';
import { SeatBar, SeatCountsText, SeatStateTag, type SeatState } from './seats';

type SeatFilter = 'all' | 'free' | Exclude<SeatState, 'available' | 'released'>;
const FILTERS: SeatFilter[] = ['all', 'free', 'spent', 'reserved', 'delegated', 'returned'];
const KNOWN_EVENTS = new Set([
  'registered',
  'grant-imported',
  'reserved',
  'spent',
  'reactivated',
  'released',
  'clone-refused',
  'delegated',
  'grant-returned',
  'spent-by-delegate',
  'returned-to-issuer',
]);

function OriginTag({ origin }: { origin: LedgerBatch['origin'] }) {
  const { t } = useTranslation();
  return <Tag color={origin === 'own' ? 'blue' : 'purple'}>{t(`ledger.origin.${origin}`)}</Tag>;
}

function SeatTable({ batchId }: { batchId: string }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const [filter, setFilter] = useState<SeatFilter>('all');
  const [page, setPage] = useState({ current: 1, size: 25 });
  const seats = useQuery({
    ...orpc.activation.seats.queryOptions({
      input: { batchId, state: filter === 'all' ? undefined : filter, offset: (page.current - 1) * page.size, limit: page.size },
    }),
    placeholderData: (prev) => prev,
  });
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Segmented<SeatFilter>
        value={filter}
        onChange={(v) => {
          setFilter(v);
          setPage((p) => ({ ...p, current: 1 }));
        }}
        options={FILTERS.map((f) => ({ value: f, label: t(`seats.filter.${f}`) }))}
        data-testid="seat-filter"
      />
      {seats.error ? <ProblemAlert error={seats.error} /> : null}
      <Table<Seat>
        size="small"
        rowKey="seat"
        data-testid="seat-table"
        loading={seats.isFetching}
        dataSource={seats.data?.seats ?? []}
        locale={{ emptyText: <Empty description={t('seats.empty')} /> }}
        onRow={(s) => ({ 'data-testid': `seat-row-${s.seat}`, 'data-state': s.state }) as React.HTMLAttributes<HTMLElement>}
        pagination={{
          current: page.current,
          pageSize: page.size,
          total: seats.data?.matching ?? 0,
          showSizeChanger: true,
          pageSizeOptions: [25, 50, 100, 500],
          showTotal: (n) => t('seats.matching', { count: n }),
          onChange: (current, size) => setPage({ current: size === page.size ? current : 1, size }),
        }}
        columns={[
          { title: t('seats.seat'), key: 'seat', width: 80, render: (_, s) => s.seat },
          { title: t('seats.serial'), key: 'serial', render: (_, s) => <Typography.Text strong>{s.serial}</Typography.Text> },
          {
            title: t('seats.stateTitle'),
            key: 'state',
            render: (_, s) => (
              <Space size={2} wrap>
                <SeatStateTag state={s.state} />
                {s.flags.map((f) => (
                  <Tag key={f} color={f === 'clone' ? 'orange' : 'default'}>
                    {f === 'clone' ? t('seats.flagClone') : f}
                  </Tag>
                ))}
              </Space>
            ),
          },
          { title: t('seats.box'), key: 'fp', render: (_, s) => (s.fingerprintId ? <Typography.Text code>{s.fingerprintId}</Typography.Text> : '') },
          { title: t('seats.activations'), key: 'n', width: 110, render: (_, s) => s.activations || '' },
          { title: t('seats.updated'), key: 'u', width: 170, render: (_, s) => (s.updatedAt ? formatTime(s.updatedAt, lang) : '') },
          {
            title: t('seats.delegation'),
            key: 'd',
            render: (_, s) => (s.delegation ? <Typography.Text code>{s.delegation}</Typography.Text> : ''),
          },
        ]}
      />
    </Space>
  );
}

function eventSummary(e: LedgerEvent): string {
  return Object.entries(e.detail)
    .map(([k, v]) => {
      if (Array.isArray(v)) return `${k}=${v.length > 6 ? `${v.slice(0, 6).join(',')},…(${v.length})` : v.join(',')}`;
      // Keys and certificate hashes: enough to recognise them.
      if (typeof v === 'string' && /^[0-9a-f]{24,}$/.test(v)) return `${k}=${v.slice(0, 12)}…`;
      return `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`;
    })
    .join('  ');
}

function EventLog({ batchId }: { batchId: string }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const [limit, setLimit] = useState(100);
  const events = useQuery({ ...orpc.activation.events.queryOptions({ input: { batchId, limit } }), placeholderData: (prev) => prev });
  const verify = useMutation(orpc.activation.verify.mutationOptions({ onError: (e) => void message.error(errorText(e, lang, t('errors.generic'))) }));
  const list = events.data ?? [];
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Text type="secondary">{t('ledger.logHelp')}</Typography.Text>
        <Tooltip title={t('ledger.verifyHelp')}>
          <Button icon={<SafetyOutlined />} onClick={() => verify.mutate(undefined)} loading={verify.isPending} data-testid="ledger-verify">
            {t('ledger.verify')}
          </Button>
        </Tooltip>
      </Space>
      {verify.data &&
        (verify.data.ok ? (
          <Alert
            type="success"
            showIcon
            closable
            title={t('ledger.verifyOk', { events: verify.data.events, seats: verify.data.seats })}
            data-testid="ledger-verdict"
            data-ok="true"
          />
        ) : (
          <Alert
            type="error"
            showIcon
            title={t('ledger.verifyBad', { count: verify.data.problems.length })}
            description={
              <ul style={{ margin: 0, paddingLeft: 18, fontFamily: 'monospace', fontSize: 12 }}>
                {verify.data.problems.slice(0, 50).map((p, i) => (
                  <li key={i}>{p[lang]}</li>
                ))}
              </ul>
            }
            data-testid="ledger-verdict"
            data-ok="false"
          />
        ))}
      {events.error ? <ProblemAlert error={events.error} /> : null}
      <Table<LedgerEvent>
        size="small"
        rowKey="seq"
        data-testid="event-log"
        loading={events.isFetching}
        dataSource={list}
        pagination={false}
        scroll={{ y: 420 }}
        locale={{ emptyText: <Empty description={t('ledger.logEmpty')} /> }}
        onRow={(e) => ({ 'data-testid': `event-${e.seq}`, 'data-kind': e.kind }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: '#', key: 'seq', width: 70, render: (_, e) => e.seq },
          { title: t('ledger.time'), key: 'at', width: 170, render: (_, e) => formatTime(e.at, lang) },
          {
            title: t('ledger.kind'),
            key: 'kind',
            width: 190,
            render: (_, e) => (
              <Tag color={e.kind === 'clone-refused' ? 'orange' : e.kind === 'spent' || e.kind === 'reactivated' ? 'blue' : 'default'}>
                {KNOWN_EVENTS.has(e.kind) ? t(`ledger.event.${e.kind}`) : e.kind}
              </Tag>
            ),
          },
          { title: t('seats.seat'), key: 'seat', width: 70, render: (_, e) => e.seat ?? '' },
          {
            title: t('ledger.detail'),
            key: 'detail',
            render: (_, e) => (
              <Typography.Text type="secondary" style={{ fontFamily: 'monospace', fontSize: 12 }}>
                {eventSummary(e)}
              </Typography.Text>
            ),
          },
          {
            title: t('ledger.hash'),
            key: 'hash',
            width: 150,
            render: (_, e) => (
              <Typography.Text code copyable={{ text: e.hash }} style={{ fontSize: 12 }}>
                {e.hash.slice(0, 12)}
              </Typography.Text>
            ),
          },
        ]}
      />
      {list.length >= limit && limit < 1000 && (
        <Button onClick={() => setLimit((l) => Math.min(1000, l + 200))} loading={events.isFetching}>
          {t('ledger.more')}
        </Button>
      )}
    </Space>
  );
}

/** The report, its detached signature and the signer's public key, with how to check them. */
function ReportButton({ batchId }: { batchId: string }) {
  const { t } = useTranslation();
  const { client } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const stem = `report-${batchId}`;
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
  const help = (
    <div style={{ maxWidth: 520 }}>
      <div>{t('ledger.reportHelp')}</div>
      <pre style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all', margin: '8px 0 0', fontSize: 12 }}>
        {`{ printf 'edgeforge.report.v1\\n'; cat ${stem}.csv; } | openssl dgst -sha256 -verify ${stem}.station.pem -signature ${stem}.csv.sig`}
      </pre>
      <div style={{ marginTop: 8 }}>{t('ledger.reportHelpOk')}</div>
    </div>
  );
  return (
    <Tooltip title={help} styles={{ root: { maxWidth: 560 } }}>
      <Button icon={<DownloadOutlined />} onClick={() => download.mutate()} loading={download.isPending} data-testid="ledger-report">
        {t('ledger.report')}
      </Button>
    </Tooltip>
  );
}

function BatchLedger({ batch }: { batch: LedgerBatch }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  const [delegating, setDelegating] = useState(false);
  const [section, setSection] = useState('seats');
  const c = batch.counts;
  const n = (v: number) => v.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en');
  return (
    <Card
      size="small"
      data-testid="ledger-batch-detail"
      data-batch={batch.id}
      title={
        <Space wrap>
          <span>{batch.label}</span>
          <Typography.Text code style={{ fontWeight: 'normal' }}>
            {batch.id}
          </Typography.Text>
          <OriginTag origin={batch.origin} />
        </Space>
      }
      extra={
        <Space wrap>
          <ReportButton batchId={batch.id} />
          <Tooltip title={t('labels.help')}>
            <Button icon={<PrinterOutlined />} onClick={() => goTo('activation', 'labels', batch.id)} disabled={c.spent === 0} data-testid="ledger-labels">
              {t('labels.open')}
            </Button>
          </Tooltip>
          {batch.origin === 'own' && (
            <Button icon={<ShareAltOutlined />} onClick={() => setDelegating(true)} disabled={c.available === 0} data-testid="ledger-delegate">
              {t('delegate.open')}
            </Button>
          )}
        </Space>
      }
    >
      <Space size={40} wrap style={{ marginBottom: 12 }}>
        <Statistic title={t('seats.counts.spent')} value={n(c.spent)} data-testid="count-spent" />
        <Statistic title={t('seats.counts.reserved')} value={n(c.reserved)} />
        <Statistic title={t('seats.counts.free')} value={n(c.available)} data-testid="count-free" />
        <Statistic title={t('seats.counts.delegated')} value={n(c.delegated)} data-testid="count-delegated" />
        {c.returned > 0 && <Statistic title={t('seats.counts.returned')} value={n(c.returned)} />}
        <Statistic
          title={batch.origin === 'own' ? t('ledger.quantity') : t('ledger.heldRange')}
          value={batch.origin === 'own' ? n(batch.quantity) : `${n(c.total)} / ${n(batch.quantity)}`}
        />
      </Space>
      <SeatBar counts={c} />
      <Tabs
        activeKey={section}
        onChange={setSection}
        style={{ marginTop: 8 }}
        items={[
          { key: 'seats', label: t('ledger.seats'), children: <SeatTable batchId={batch.id} /> },
          { key: 'log', label: <span data-testid="ledger-log-tab">{t('ledger.log')}</span>, children: <EventLog batchId={batch.id} /> },
        ]}
      />
      {delegating && <DelegateModal batch={batch} onClose={() => setDelegating(false)} />}
    </Card>
  );
}

/** Batches & seats: every batch this station can activate (own and delegated), and the selected one's ledger. */
export function BatchesTab({ batchId }: { batchId: string | null }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { token } = theme.useToken();
  const batches = useQuery(orpc.activation.batches.queryOptions());
  const list = batches.data ?? [];
  const selected = list.find((b) => b.id === batchId) ?? null;
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      {batches.error ? <ProblemAlert error={batches.error} /> : null}
      <Card size="small" title={t('ledger.batches')}>
        <Table<LedgerBatch>
          size="small"
          rowKey="id"
          data-testid="ledger-batches"
          loading={batches.isLoading}
          dataSource={list}
          pagination={list.length > 8 ? { pageSize: 8 } : false}
          locale={{ emptyText: <Empty description={t('ledger.noBatches')} /> }}
          onRow={(b) =>
            ({
              'data-testid': `ledger-batch-${b.id}`,
              onClick: () => goTo('activation', 'batches', b.id),
              style: { cursor: 'pointer', background: b.id === batchId ? token.controlItemBgActive : undefined },
            }) as React.HTMLAttributes<HTMLElement>
          }
          columns={[
            {
              title: t('ledger.batch'),
              key: 'label',
              render: (_, b) => (
                <Space direction="vertical" size={0}>
                  <Button type="link" style={{ padding: 0, height: 'auto' }} onClick={() => goTo('activation', 'batches', b.id)}>
                    {b.label}
                  </Button>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {b.id}
                  </Typography.Text>
                </Space>
              ),
            },
            { title: t('ledger.originTitle'), key: 'origin', width: 120, render: (_, b) => <OriginTag origin={b.origin} /> },
            {
              title: t('ledger.seats'),
              key: 'bar',
              width: 360,
              render: (_, b) => (
                <Space direction="vertical" size={2} style={{ width: '100%' }}>
                  <SeatBar counts={b.counts} />
                  <SeatCountsText counts={b.counts} />
                </Space>
              ),
            },
            { title: t('ledger.created'), key: 'c', width: 170, render: (_, b) => formatTime(b.createdAt, lang) },
          ]}
        />
      </Card>
      {selected ? (
        <BatchLedger key={selected.id} batch={selected} />
      ) : batchId && batches.data ? (
        <Alert type="warning" showIcon title={t('ledger.unknownBatch', { id: batchId })} />
      ) : list.length > 0 ? (
        <Typography.Text type="secondary">{t('ledger.pick')}</Typography.Text>
      ) : null}
    </Space>
  );
}
