import { ArrowLeftOutlined, BarChartOutlined, PlusOutlined, RedoOutlined, StopOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Descriptions, Empty, Segmented, Space, Spin, Statistic, Typography } from 'antd';
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { FlashBox, FlashRun } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { apiErrorData, errorText } from '../api/errors';
import { formatDuration, formatTime } from '../i18n/format';
import { usePreferences } from '../settings/preferences';
import { ProblemAlert } from '../settings/StationLocked';
import { goTo } from '../shell/areas';
import { saveFile } from '../shell/files';
import { AddBoxesModal } from './AddBoxesModal';
import { BoxCard, VERB_KEYS, type BoxVerb } from './BoxCard';
import { BoxDrawer } from './BoxDrawer';
import { canCancel, canRetry, canSkip, countOf, isActive, secondsBetween } from './model';
import { usePalette } from './palette';
import { RunBar } from './RunBar';
import { JoinText, LiveBadge } from './RunsList';
import { ReportButton, SummaryModal } from './SummaryModal';
import './station.css';

type Filter = 'all' | 'active' | 'failed' | 'succeeded' | 'other';
const FILTERS: Filter[] = ['all', 'active', 'failed', 'succeeded', 'other'];

function matches(filter: Filter, box: FlashBox): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'active':
      return isActive(box.state);
    case 'failed':
      return box.state === 'failed' || box.state === 'interrupted';
    case 'succeeded':
      return box.state === 'succeeded';
    case 'other':
      return box.state === 'skipped' || box.state === 'cancelled';
  }
}

/** How many columns the grid lays out now (for ↑ and ↓). */
function columnsOf(grid: HTMLElement | null): number {
  if (!grid) return 1;
  return Math.max(1, getComputedStyle(grid).gridTemplateColumns.split(' ').filter(Boolean).length);
}

function RunHeader({ run, boxes, live, onAdd, onSummary }: { run: FlashRun; boxes: FlashBox[]; live: boolean; onAdd: () => void; onSummary: () => void }) {
  const { t } = useTranslation();
  const { client, orpc } = useApi();
  const { lang } = usePreferences();
  const { modal, message } = App.useApp();
  const queryClient = useQueryClient();
  const clusters = useQuery(orpc.clusters.list.queryOptions());
  const onError = (e: unknown) => void message.error(errorText(e, lang, t('errors.generic')));
  const cancelRun = useMutation({
    mutationFn: () => client.flash.cancelRun({ id: run.id }),
    onSuccess: (r) =>
      queryClient.setQueryData<{ run: FlashRun; boxes: FlashBox[] }>(orpc.flash.run.queryKey({ input: { id: r.id } }), (old) =>
        old ? { ...old, run: r } : old,
      ),
    onError,
  });
  const retryable = boxes.filter((b) => b.state === 'failed' || b.state === 'interrupted');
  const retryAll = useMutation({
    mutationFn: async () => {
      let done = 0;
      for (const b of retryable) {
        await client.flash.retryBox({ id: b.id });
        done++;
      }
      return done;
    },
    onSuccess: (n) => void message.success(t('station.run.retriedAll', { count: n })),
    onError,
  });
  const active = boxes.filter((b) => isActive(b.state)).length;
  // While the run goes on, its clock ticks (this header only; the grid does not re-render for it).
  const [, setTick] = useState(0);
  useEffect(() => {
    if (run.finishedAt) return;
    const id = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(id);
  }, [run.finishedAt]);
  const elapsed = secondsBetween(run.createdAt, run.finishedAt);
  return (
    <Card
      size="small"
      data-testid="run-header"
      data-run={run.id}
      title={
        <Space wrap>
          <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => goTo('station')} aria-label={t('station.run.back')} data-testid="run-back" />
          <span>{run.comboName}</span>
          <Typography.Text code style={{ fontWeight: 'normal' }}>
            {run.batchId}
          </Typography.Text>
          <LiveBadge live={live} />
        </Space>
      }
      extra={
        <Space wrap>
          <Button icon={<PlusOutlined />} onClick={onAdd} data-testid="run-add-boxes">
            {t('station.run.addBoxes')}
          </Button>
          {retryable.length > 0 && (
            <Button icon={<RedoOutlined />} onClick={() => retryAll.mutate()} loading={retryAll.isPending} data-testid="run-retry-failed">
              {t('station.run.retryFailed', { n: retryable.length })}
            </Button>
          )}
          <Button icon={<BarChartOutlined />} onClick={onSummary} data-testid="run-summary">
            {t('station.run.summary')}
          </Button>
          <ReportButton batchId={run.batchId} />
          {!run.finishedAt && (
            <Button
              danger
              icon={<StopOutlined />}
              loading={cancelRun.isPending}
              data-testid="run-cancel"
              onClick={() =>
                modal.confirm({
                  title: t('station.run.cancelTitle'),
                  content: t('station.run.cancelHelp', { count: active }),
                  okText: t('station.run.cancel'),
                  okButtonProps: { danger: true },
                  cancelText: t('station.run.keepGoing'),
                  onOk: () => cancelRun.mutateAsync(),
                })
              }
            >
              {t('station.run.cancel')}
            </Button>
          )}
        </Space>
      }
    >
      <Space size={32} wrap align="start" style={{ marginBottom: 12 }}>
        <Statistic title={t('station.boxState.succeeded')} value={countOf(run, 'succeeded')} data-testid="stat-succeeded" />
        <Statistic title={t('station.run.active')} value={countOf(run, 'running') + countOf(run, 'waiting') + countOf(run, 'queued')} />
        <Statistic
          title={t('station.boxState.failed')}
          value={countOf(run, 'failed') + countOf(run, 'interrupted')}
          styles={{ content: countOf(run, 'failed') ? { color: 'var(--ant-color-error)' } : undefined }}
          data-testid="stat-failed"
        />
        <Statistic title={t('station.run.total')} value={run.total} />
        <Descriptions size="small" column={2} style={{ maxWidth: 640 }}>
          <Descriptions.Item label={t('station.run.bundle')}>
            <Typography.Text style={{ fontSize: 12 }} ellipsis={{ tooltip: run.bundleFile }}>
              {run.bundleFile.split(/[\\/]/).pop()}
            </Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('station.runs.colJoin')}>
            <JoinText run={run} clusters={clusters.data} />
          </Descriptions.Item>
          <Descriptions.Item label={t('station.runs.colCreated')}>{formatTime(run.createdAt, lang)}</Descriptions.Item>
          <Descriptions.Item label={run.finishedAt ? t('station.runs.colFinished') : t('station.run.elapsed')}>
            {run.finishedAt ? `${formatTime(run.finishedAt, lang)} (${formatDuration(elapsed ?? 0, lang)})` : formatDuration(elapsed ?? 0, lang)}
          </Descriptions.Item>
        </Descriptions>
      </Space>
      <RunBar run={run} />
    </Card>
  );
}

/**
 * The header renders again only when what it shows changes: the run's
 * counts and end, the feed, and the boxes' states (not their progress).
 * Its two callbacks only open dialogs, so a newer copy of them changes
 * nothing.
 */
const StableRunHeader = memo(
  RunHeader,
  (a, b) =>
    a.live === b.live &&
    a.run.id === b.run.id &&
    a.run.finishedAt === b.run.finishedAt &&
    a.run.total === b.run.total &&
    JSON.stringify(a.run.counts) === JSON.stringify(b.run.counts) &&
    a.boxes.length === b.boxes.length &&
    a.boxes.every((box, i) => box.id === b.boxes[i]!.id && box.state === b.boxes[i]!.state),
);

/** A run: the grid of its boxes, live, with the run's and each box's actions. */
export function RunView({ runId, live }: { runId: string; live: boolean }) {
  const { t } = useTranslation();
  const { client, orpc } = useApi();
  const { lang } = usePreferences();
  const { modal, message } = App.useApp();
  const queryClient = useQueryClient();
  const palette = usePalette();
  const detailKey = orpc.flash.run.queryKey({ input: { id: runId } });
  const detail = useQuery(orpc.flash.run.queryOptions({ input: { id: runId } }));
  const [filter, setFilter] = useState<Filter>('all');
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [summary, setSummary] = useState(false);
  const grid = useRef<HTMLDivElement>(null);

  const boxes = useMemo(() => detail.data?.boxes ?? [], [detail.data]);
  const shown = useMemo(() => boxes.filter((b) => matches(filter, b)), [boxes, filter]);
  const counts = useMemo(() => Object.fromEntries(FILTERS.map((f) => [f, boxes.filter((b) => matches(f, b)).length])) as Record<Filter, number>, [boxes]);

  const putBox = (box: FlashBox) =>
    queryClient.setQueryData<{ run: FlashRun; boxes: FlashBox[] }>(detailKey, (old) =>
      old ? { ...old, boxes: old.boxes.map((b) => (b.id === box.id ? box : b)) } : old,
    );
  const onError = (e: unknown) => void message.error(errorText(e, lang, t('errors.generic')));
  const retry = useMutation({ mutationFn: (id: string) => client.flash.retryBox({ id }), onSuccess: putBox, onError });
  const skip = useMutation({ mutationFn: (id: string) => client.flash.skipBox({ id }), onSuccess: putBox, onError });
  const cancel = useMutation({ mutationFn: (id: string) => client.flash.cancelBox({ id }), onSuccess: putBox, onError });
  const log = useMutation({
    mutationFn: (id: string) => client.flash.boxLog({ id }),
    onSuccess: (r) => saveFile(r.fileName, r.text),
    onError,
  });

  const verb = (v: BoxVerb, box: FlashBox) => {
    if (v === 'open') return setOpenId(box.id);
    if (v === 'log') return log.mutate(box.id);
    if (v === 'retry') {
      if (canRetry(box.state)) retry.mutate(box.id);
      else void message.info(t('station.verbNot.retry', { state: t(`station.boxState.${box.state}`) }));
      return;
    }
    if (v === 'skip') {
      if (!canSkip(box.state)) return void message.info(t('station.verbNot.skip', { state: t(`station.boxState.${box.state}`) }));
      modal.confirm({
        title: t('station.skip.title', { label: box.label }),
        content: t('station.skip.help'),
        okText: t('station.verb.skip'),
        cancelText: t('common.cancel'),
        okButtonProps: { 'data-testid': 'skip-confirm' } as never,
        onOk: () => skip.mutateAsync(box.id),
      });
      return;
    }
    if (!canCancel(box.state)) return void message.info(t('station.verbNot.cancel', { state: t(`station.boxState.${box.state}`) }));
    modal.confirm({
      title: t('station.cancelBox.title', { label: box.label }),
      content: t('station.cancelBox.help'),
      okText: t('station.verb.cancel'),
      okButtonProps: { danger: true },
      cancelText: t('station.run.keepGoing'),
      onOk: () => cancel.mutateAsync(box.id),
    });
  };
  // The cards get one stable callback, so a box update re-renders only its own card.
  const verbRef = useRef(verb);
  useLayoutEffect(() => {
    verbRef.current = verb;
  });
  const onVerb = useCallback((v: BoxVerb, box: FlashBox) => verbRef.current(v, box), []);
  const onSelect = useCallback((id: string) => setSelectedId(id), []);

  const selectedIndex = shown.findIndex((b) => b.id === selectedId);
  const focusBox = (i: number) => {
    const box = shown[Math.max(0, Math.min(shown.length - 1, i))];
    if (!box) return;
    setSelectedId(box.id);
    grid.current?.querySelector<HTMLElement>(`[data-box-id="${box.id}"]`)?.focus();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const target = e.target as HTMLElement;
    if (!target.dataset.boxId || e.ctrlKey || e.metaKey || e.altKey) return;
    const cols = columnsOf(grid.current);
    const at = selectedIndex === -1 ? 0 : selectedIndex;
    const box = shown[at];
    const moves: Record<string, number> = { ArrowRight: at + 1, ArrowLeft: at - 1, ArrowDown: at + cols, ArrowUp: at - cols, Home: 0, End: shown.length - 1 };
    if (e.key in moves) {
      e.preventDefault();
      const to = moves[e.key]!;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp' ? to >= 0 && to < shown.length : true) focusBox(to);
      return;
    }
    if (!box) return;
    const key = e.key === 'Enter' ? 'Enter' : e.key.toLowerCase();
    const v = (Object.keys(VERB_KEYS) as BoxVerb[]).find((k) => VERB_KEYS[k] === key);
    if (v) {
      e.preventDefault();
      verb(v, box);
    }
  };

  if (detail.error) {
    const notFound = apiErrorData(detail.error)?.code === 'NOT_FOUND';
    return (
      <Space orientation="vertical" style={{ width: '100%' }}>
        {notFound ? <Alert type="warning" showIcon title={t('station.run.notFound', { id: runId })} /> : <ProblemAlert error={detail.error} />}
        <Button icon={<ArrowLeftOutlined />} onClick={() => goTo('station')}>
          {t('station.run.back')}
        </Button>
      </Space>
    );
  }
  if (!detail.data) return <Spin />;
  const run = detail.data.run;
  const openBox = boxes.find((b) => b.id === openId) ?? null;
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <StableRunHeader run={run} boxes={boxes} live={live} onAdd={() => setAdding(true)} onSummary={() => setSummary(true)} />
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Segmented<Filter>
          value={filter}
          onChange={setFilter}
          data-testid="grid-filter"
          options={FILTERS.map((f) => ({ value: f, label: `${t(`station.filter.${f}`)} (${counts[f]})` }))}
        />
        <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="grid-keys">
          {t('station.keys')}
        </Typography.Text>
      </Space>
      {shown.length === 0 ? (
        <Empty description={boxes.length === 0 ? t('station.run.noBoxes') : t('station.run.noneMatch')}>
          {boxes.length === 0 && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)}>
              {t('station.run.addBoxes')}
            </Button>
          )}
        </Empty>
      ) : (
        <div ref={grid} className="ef-grid" role="grid" aria-label={t('station.run.gridLabel')} onKeyDown={onKeyDown} data-testid="box-grid">
          {shown.map((box, i) => (
            <BoxCard
              key={box.id}
              box={box}
              selected={box.id === selectedId}
              tabStop={box.id === selectedId || (selectedIndex === -1 && i === 0)}
              lang={lang}
              palette={palette}
              onSelect={onSelect}
              onVerb={onVerb}
            />
          ))}
        </div>
      )}
      {openBox && <BoxDrawer box={openBox} onClose={() => setOpenId(null)} onVerb={onVerb} />}
      {adding && <AddBoxesModal run={run} boxes={boxes} onClose={() => setAdding(false)} />}
      {summary && <SummaryModal run={run} onClose={() => setSummary(false)} />}
    </Space>
  );
}
