import { Tooltip, Typography, theme } from 'antd';
import { useTranslation } from 'react-i18next';
import type { FlashRun } from '../../../main/api/contract';
import { usePalette } from './palette';
import { BOX_STATES, boxStateColor, countOf } from './model';

/** A run's boxes as one bar, by state: done, running, waiting, queued, failed… */
export function RunBar({ run, width = '100%' }: { run: FlashRun; width?: number | string }) {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const palette = usePalette();
  const total = Math.max(1, run.total);
  const order = ['succeeded', 'running', 'waiting', 'queued', 'failed', 'interrupted', 'cancelled', 'skipped'] as const;
  const legend = BOX_STATES.filter((s) => countOf(run, s) > 0)
    .map((s) => `${t(`station.boxState.${s}`)}: ${countOf(run, s)}`)
    .join(' · ');
  return (
    <Tooltip title={legend || t('station.runs.noBoxes')}>
      <div
        role="img"
        aria-label={legend || t('station.runs.noBoxes')}
        data-testid="run-bar"
        style={{ display: 'flex', width, height: 10, borderRadius: 5, overflow: 'hidden', background: token.colorFillSecondary }}
      >
        {order.map((s) => {
          const n = countOf(run, s);
          if (n === 0) return null;
          const color = boxStateColor(s, palette);
          return (
            <div
              key={s}
              style={{
                width: `${(100 * n) / total}%`,
                minWidth: 3,
                background: s === 'skipped' ? `repeating-linear-gradient(45deg, ${color}, ${color} 3px, transparent 3px, transparent 6px)` : color,
              }}
            />
          );
        })}
      </div>
    </Tooltip>
  );
}

/** "12 done · 3 running · 1 failed of 16" */
export function RunCountsText({ run }: { run: FlashRun }) {
  const { t } = useTranslation();
  const parts = BOX_STATES.filter((s) => countOf(run, s) > 0).map((s) => t(`station.countsText.${s}`, { n: countOf(run, s) }));
  return (
    <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="run-counts">
      {[...parts, t('station.countsText.total', { n: run.total })].join(' · ')}
    </Typography.Text>
  );
}
