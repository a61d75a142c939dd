import { ArrowDownOutlined, ArrowUpOutlined, DownloadOutlined, PauseOutlined, CaretRightOutlined, ReloadOutlined, SearchOutlined } from '@ant-design/icons';
import { useMutation } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { Alert, App, Button, Drawer, Input, Select, Space, Switch, Tooltip, Typography, type InputRef } from 'antd';
import { memo, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/context';
import { errorText } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';
import { saveFile } from '../../shell/files';
import type { LogsRef } from '../console/context';
import { useConsole } from '../console/context';
import { useSettled } from '../console/useSettled';
import { MAX_LINES, splitMatches } from './buffer';
import { useLogStream, type LogOptions } from './useLogStream';

const LINE_HEIGHT = 18;
const TAILS = [100, 1000, 10_000, 100_000];
/** The search runs once typing pauses this long (100,000 lines take a few tens of ms). */
const SEARCH_DELAY_MS = 150;

const LogLine = memo(function LogLine({ text, query, current }: { text: string; query: string; current: boolean }) {
  const parts = splitMatches(text, query);
  return (
    <>
      {parts.map((p, i) =>
        i % 2 === 1 ? (
          <mark key={i} className={current ? 'ef-current' : undefined}>
            {p}
          </mark>
        ) : (
          p
        ),
      )}
    </>
  );
});

/**
 * A pod container's log: followed live, or the previous container's;
 * searched with highlights (Enter next, Shift+Enter previous); auto-scroll
 * that pauses when the reader scrolls up and resumes at the bottom; wrap;
 * download of the whole log. Lines are virtualised (only those in view are
 * in the page), so 100,000 of them stay smooth; beyond that the oldest are
 * dropped and the panel says so.
 */
export function LogsPanel({ target, onClose }: { target: LogsRef; onClose: () => void }) {
  const { t } = useTranslation();
  const { client } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const { cluster } = useConsole();
  const [options, setOptions] = useState<LogOptions>({
    container: target.container ?? target.containers[0],
    previous: false,
    follow: true,
    tailLines: 1000,
    timestamps: false,
  });
  const [generation, setGeneration] = useState(0);
  const [wrap, setWrap] = useState(false);
  const [autoScroll, setAutoScroll] = useState(true);
  const [query, setQuery] = useState('');
  const search = useSettled(query, SEARCH_DELAY_MS);
  const [current, setCurrent] = useState<number | null>(null);
  const { buffer, version, ended, error } = useLogStream({ clusterId: cluster.id, namespace: target.namespace, pod: target.pod }, options, search, generation);
  const scroller = useRef<HTMLDivElement>(null);
  const searchInput = useRef<InputRef>(null);
  const set = (patch: Partial<LogOptions>) => setOptions((o) => ({ ...o, ...patch }));

  const count = buffer.lines.length;
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual's functions change each render; this panel is not compiler-memoised.
  const virtualizer = useVirtualizer({ count, getScrollElement: () => scroller.current, estimateSize: () => LINE_HEIGHT, overscan: 30 });
  useEffect(() => virtualizer.measure(), [wrap, virtualizer]);
  useEffect(() => {
    if (autoScroll && count > 0) virtualizer.scrollToIndex(count - 1, { align: 'end' });
  }, [version, autoScroll, count, virtualizer]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < LINE_HEIGHT * 2;
    if (atBottom !== autoScroll) setAutoScroll(atBottom);
  };

  const matches = buffer.matches;
  const at = current === null ? -1 : matches.indexOf(current);
  const go = (step: 1 | -1) => {
    // Enter right after typing: search what is typed now, not what the settled search has reached.
    if (query !== search) buffer.search(query);
    const matches = buffer.matches;
    if (matches.length === 0) return;
    const next =
      step === 1
        ? (matches.find((m) => current === null || m > current) ?? matches[0]!)
        : ([...matches].reverse().find((m) => current !== null && m < current) ?? matches.at(-1)!);
    setCurrent(next);
    setAutoScroll(false);
    virtualizer.scrollToIndex(next - buffer.first, { align: 'center' });
  };

  const download = useMutation({
    mutationFn: () =>
      client.clusters.logText({
        clusterId: cluster.id,
        namespace: target.namespace,
        pod: target.pod,
        container: options.container,
        previous: options.previous,
        timestamps: options.timestamps,
      }),
    onSuccess: (r) => saveFile(r.fileName, r.text),
    onError: (e) => void message.error(errorText(e, lang, t('errors.generic'))),
  });

  const live = !ended && !error && options.follow && !options.previous;
  return (
    <Drawer
      open
      size="85vw"
      title={
        <Space>
          {t('clusters.logs.title', { pod: target.pod })}
          <Typography.Text type={live ? 'success' : 'secondary'} style={{ fontSize: 12, fontWeight: 'normal' }} data-testid="logs-state">
            {live ? t('clusters.logs.live') : ended ? t('clusters.logs.ended') : ''}
          </Typography.Text>
        </Space>
      }
      onClose={onClose}
      data-testid="logs-panel"
      styles={{ body: { display: 'flex', flexDirection: 'column', gap: 8, paddingTop: 12 } }}
    >
      <div
        style={{ display: 'flex', flexWrap: 'wrap', gap: 12, alignItems: 'center' }}
        onKeyDown={(e) => {
          if (e.key === '/' && (e.target as HTMLElement).tagName !== 'INPUT') {
            e.preventDefault();
            searchInput.current?.focus();
          }
        }}
      >
        {target.containers.length > 1 && (
          <Select
            value={options.container}
            onChange={(container) => set({ container })}
            options={target.containers.map((c) => ({ value: c, label: c }))}
            style={{ width: 160 }}
            aria-label={t('clusters.logs.container')}
            data-testid="logs-container"
          />
        )}
        <Space size={4}>
          <Switch size="small" checked={options.follow} disabled={options.previous} onChange={(follow) => set({ follow })} data-testid="logs-follow" />
          {t('clusters.logs.follow')}
        </Space>
        <Space size={4}>
          <Switch size="small" checked={options.previous} onChange={(previous) => set({ previous })} data-testid="logs-previous" />
          {t('clusters.logs.previous')}
        </Space>
        <Space size={4}>
          {t('clusters.logs.tail')}
          <Select
            size="small"
            value={options.tailLines}
            onChange={(tailLines) => set({ tailLines })}
            options={TAILS.map((n) => ({ value: n, label: n.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en') }))}
            style={{ width: 100 }}
            data-testid="logs-tail"
          />
        </Space>
        <Space size={4}>
          <Switch size="small" checked={options.timestamps} onChange={(timestamps) => set({ timestamps })} />
          {t('clusters.logs.timestamps')}
        </Space>
        <Space size={4}>
          <Switch size="small" checked={wrap} onChange={setWrap} data-testid="logs-wrap" />
          {t('clusters.logs.wrap')}
        </Space>
        <Input
          ref={searchInput}
          size="small"
          allowClear
          prefix={<SearchOutlined />}
          placeholder={t('clusters.logs.search')}
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setCurrent(null);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              go(e.shiftKey ? -1 : 1);
            }
          }}
          style={{ width: 220 }}
          data-testid="logs-search"
        />
        <Typography.Text type="secondary" style={{ fontSize: 12, minWidth: 60 }} data-testid="logs-matches">
          {search ? t('clusters.logs.matches', { at: at + 1, count: matches.length }) : ''}
        </Typography.Text>
        <Tooltip title={t('clusters.logs.previousMatch')}>
          <Button
            size="small"
            icon={<ArrowUpOutlined />}
            disabled={matches.length === 0}
            onClick={() => go(-1)}
            aria-label={t('clusters.logs.previousMatch')}
          />
        </Tooltip>
        <Tooltip title={t('clusters.logs.nextMatch')}>
          <Button size="small" icon={<ArrowDownOutlined />} disabled={matches.length === 0} onClick={() => go(1)} aria-label={t('clusters.logs.nextMatch')} />
        </Tooltip>
        <Space style={{ marginLeft: 'auto' }}>
          <Button
            size="small"
            icon={autoScroll ? <PauseOutlined /> : <CaretRightOutlined />}
            onClick={() => setAutoScroll(!autoScroll)}
            data-testid="logs-autoscroll"
            data-paused={String(!autoScroll)}
          >
            {autoScroll ? t('clusters.logs.pause') : t('clusters.logs.resume')}
          </Button>
          <Button size="small" icon={<DownloadOutlined />} loading={download.isPending} onClick={() => download.mutate()} data-testid="logs-download">
            {t('clusters.logs.download')}
          </Button>
        </Space>
      </div>
      {buffer.first > 0 && (
        <Alert type="info" showIcon title={t('clusters.logs.dropped', { count: buffer.first, max: MAX_LINES })} data-testid="logs-dropped" />
      )}
      {error !== null && (
        <Alert
          type="error"
          showIcon
          title={errorText(error, lang, t('clusters.logs.failed'))}
          action={
            <Button size="small" icon={<ReloadOutlined />} onClick={() => setGeneration((g) => g + 1)}>
              {t('clusters.logs.retry')}
            </Button>
          }
          data-testid="logs-error"
        />
      )}
      {ended && options.follow && !options.previous && (
        <Alert
          type={ended.problem ? 'warning' : 'info'}
          showIcon
          title={ended.problem ? ended.problem[lang] : t('clusters.logs.streamEnded')}
          action={
            <Button size="small" icon={<ReloadOutlined />} onClick={() => setGeneration((g) => g + 1)}>
              {t('clusters.logs.reconnect')}
            </Button>
          }
          data-testid="logs-ended"
        />
      )}
      <div
        ref={scroller}
        onScroll={onScroll}
        className={`ef-mono${wrap ? ' ef-log-wrap' : ''}`}
        style={{ flex: 1, minHeight: 200, overflow: 'auto', position: 'relative', border: '1px solid var(--ant-color-border-secondary)', borderRadius: 6 }}
        data-testid="logs-lines"
        data-count={count}
        tabIndex={0}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative', minWidth: '100%' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const abs = buffer.first + item.index;
            return (
              <div
                key={abs}
                data-index={item.index}
                ref={wrap ? virtualizer.measureElement : undefined}
                className="ef-log-line"
                data-testid="log-line"
                style={{ position: 'absolute', top: 0, left: 0, minWidth: '100%', width: wrap ? '100%' : undefined, transform: `translateY(${item.start}px)` }}
              >
                <LogLine text={buffer.lines[item.index]!} query={search} current={abs === current} />
              </div>
            );
          })}
        </div>
        {count === 0 && !error && (
          <Typography.Text type="secondary" style={{ position: 'absolute', top: 12, left: 12 }}>
            {ended ? t('clusters.logs.empty') : t('clusters.logs.waiting')}
          </Typography.Text>
        )}
      </div>
      <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="logs-summary">
        {t('clusters.logs.summary', { count: count + buffer.first, container: options.container ?? '' })}
      </Typography.Text>
    </Drawer>
  );
}
