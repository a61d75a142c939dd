import { WarningOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Tag, Tooltip, Typography } from 'antd';
import type { CSSProperties } from 'react';
import { useTranslation } from 'react-i18next';
import type { Metrics } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { apiErrorData, errorText } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';
import { useConsole } from './context';
import { usageTone } from './usage';

/** metrics-server has no watch: its figures are read on this timer, the console's only one (docs/clusters.md). */
const METRICS_MS = 15_000;

/** Why there are no figures: no metrics-server, one that does not answer (503), or another failure. */
export type MetricsProblem = { state: 'absent' | 'unavailable' | 'failed'; reason: string };

export interface ClusterMetrics {
  /** The latest figures; null while there are none to show (not read yet, or the last read found none). */
  metrics: Metrics | null;
  problem: MetricsProblem | null;
}

/**
 * Node and pod usage from metrics-server, read every 15 s while the view
 * that calls this is open and the cluster answers. Only the latest answer
 * counts: once metrics-server stops answering, its last figures go.
 */
export function useMetrics(): ClusterMetrics {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const { cluster, connection } = useConsole();
  const q = useQuery({
    ...orpc.clusters.metrics.queryOptions({ input: { clusterId: cluster.id } }),
    refetchInterval: METRICS_MS,
    retry: false,
    enabled: connection.state === 'online',
  });
  if (q.status === 'error') {
    const state = apiErrorData(q.error)?.code === 'CLUSTER_METRICS_UNAVAILABLE' ? 'unavailable' : 'failed';
    return { metrics: null, problem: { state, reason: errorText(q.error, lang, t('errors.generic')) } };
  }
  if (q.data && !q.data.available) return { metrics: null, problem: { state: 'absent', reason: t('clusters.metrics.absentHelp') } };
  return { metrics: q.data ?? null, problem: null };
}

/** Above a table while there are no usage figures: what is wrong in a word, why in its tooltip. */
export function MetricsNote({ problem }: { problem: MetricsProblem | null }) {
  const { t } = useTranslation();
  if (!problem) return null;
  return (
    <Tooltip title={problem.reason}>
      <Tag icon={<WarningOutlined />} data-testid="metrics-unavailable" data-state={problem.state}>
        {t(`clusters.metrics.${problem.state}`)}
      </Tag>
    </Tooltip>
  );
}

/** Read by screen readers, not shown (the dash is shown instead). */
const SCREEN_READER_ONLY: CSSProperties = {
  position: 'absolute',
  width: 1,
  height: 1,
  overflow: 'hidden',
  clip: 'rect(0 0 0 0)',
  clipPath: 'inset(50%)',
  whiteSpace: 'nowrap',
};

/**
 * A figure in use, coloured by its share of what is allowed (`percent`, when
 * there is a limit). Without a figure, a dash; with `why`, the dash takes
 * the keyboard's focus and shows why in its tooltip, and a screen reader
 * reads why instead of the dash.
 */
export function UsageText({ text, percent, why }: { text: string | null; percent: number | null; why?: string }) {
  if (text === null && why)
    return (
      <Tooltip title={why} trigger={['hover', 'focus']}>
        <Typography.Text type="secondary" tabIndex={0}>
          <span aria-hidden>—</span>
          <span style={SCREEN_READER_ONLY}>{why}</span>
        </Typography.Text>
      </Tooltip>
    );
  if (text === null) return <Typography.Text type="secondary">—</Typography.Text>;
  return <Typography.Text type={usageTone(percent)}>{text}</Typography.Text>;
}
