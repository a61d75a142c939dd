import { useQuery } from '@tanstack/react-query';
import { Button, Space, Tag, Tooltip, Typography, theme } from 'antd';
import { useTranslation } from 'react-i18next';
import type { SeatPage } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { usePreferences } from '../settings/preferences';
import { ProblemAlert } from '../settings/StationLocked';
import { goTo } from '../shell/areas';

export type SeatCounts = SeatPage['counts'];
export type SeatState = SeatPage['seats'][number]['state'];

export const SEAT_STATE_COLOR: Record<SeatState, string> = {
  available: 'default',
  released: 'default',
  reserved: 'gold',
  spent: 'blue',
  delegated: 'purple',
  returned: 'default',
};

/** The batch's seats as one bar: spent, being activated, delegated, returned, free. */
export function SeatBar({ counts, width = '100%' }: { counts: SeatCounts; width?: number | string }) {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const total = Math.max(1, counts.total);
  const parts = [
    { key: 'spent', n: counts.spent, color: token.colorPrimary },
    { key: 'reserved', n: counts.reserved, color: token.colorWarning },
    { key: 'delegated', n: counts.delegated, color: '#9254de' },
    { key: 'returned', n: counts.returned, color: token.colorTextQuaternary },
  ] as const;
  const legend = [...parts.map((p) => `${t(`seats.counts.${p.key}`)}: ${p.n}`), `${t('seats.counts.free')}: ${counts.available}`].join(' · ');
  return (
    <Tooltip title={legend}>
      <div
        role="img"
        aria-label={legend}
        data-testid="seat-bar"
        style={{ display: 'flex', width, height: 10, borderRadius: 5, overflow: 'hidden', background: token.colorFillSecondary }}
      >
        {parts.map((p) => (p.n > 0 ? <div key={p.key} style={{ width: `${(100 * p.n) / total}%`, minWidth: 3, background: p.color }} /> : null))}
      </div>
    </Tooltip>
  );
}

/** "12 spent · 3 being activated · 80 free · 5 delegated" */
export function SeatCountsText({ counts }: { counts: SeatCounts }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  const items = [
    ['spent', counts.spent],
    ['reserved', counts.reserved],
    ['free', counts.available],
    ['delegated', counts.delegated],
    ['returned', counts.returned],
  ] as const;
  return (
    <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="seat-counts">
      {items
        .filter(([k, n]) => n > 0 || k === 'spent' || k === 'free')
        .map(([k, n]) => t(`seats.countsText.${k}`, { n: n.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en') }))
        .join(' · ')}
    </Typography.Text>
  );
}

export function SeatStateTag({ state }: { state: SeatState }) {
  const { t } = useTranslation();
  return <Tag color={SEAT_STATE_COLOR[state]}>{t(`seats.state.${state}`)}</Tag>;
}

/** The seats of one batch, compact, for the batch's detail in Batches & Bundles. */
export function BatchSeatsSummary({ batchId }: { batchId: string }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const page = useQuery(orpc.activation.seats.queryOptions({ input: { batchId, limit: 1 } }));
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="drawer-seats">
      {page.error ? <ProblemAlert error={page.error} /> : null}
      {page.data && (
        <>
          <SeatBar counts={page.data.counts} />
          <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
            <SeatCountsText counts={page.data.counts} />
            <Button size="small" onClick={() => goTo('activation', 'batches', batchId)} data-testid="drawer-seats-open">
              {t('seats.openInActivation')}
            </Button>
          </Space>
        </>
      )}
    </Space>
  );
}
