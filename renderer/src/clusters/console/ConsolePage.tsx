import { ArrowLeftOutlined, QuestionCircleOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { Button, Space, Tabs, Tooltip, Typography } from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Cluster } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { goTo } from '../../shell/areas';
import { DeployView } from '../deploy/DeployView';
import { EventsView } from '../events/EventsView';
import { KubeconfigDialog } from '../list/KubeconfigDialog';
import { LogsPanel } from '../logs/LogsPanel';
import { NodesView } from '../nodes/NodesView';
import { PodsView } from '../pods/PodsView';
import { WORKLOAD_KINDS, type WorkloadKind } from '../workloads/workload';
import { WorkloadsView } from '../workloads/WorkloadsView';
import { YamlDrawer } from '../yaml/YamlDrawer';
import { ConnectionMarker, OfflineBanner, StreamEnded } from './ConnectionMarker';
import { ConsoleContext, type ConsoleValue, type LogsRef, type YamlRef } from './context';
import { HelpOverlay } from './HelpOverlay';
import { FILTER_INPUT_ID } from './ListToolbar';
import { useConnection } from './objects';
import { useClusterWatch } from './useClusterWatch';
import { typing, verbOf, type Verb } from './verbs';

export const VIEWS = ['nodes', 'workloads', 'pods', 'events', 'deploy'] as const;
export type View = (typeof VIEWS)[number];

const shown = (selector: string) => [...document.querySelectorAll<HTMLElement>(selector)].filter((el) => getComputedStyle(el).display !== 'none');
/** A dialog or drawer is open: the console's keys are its own until it closes (Esc). */
const overlayOpen = () => shown('.ant-modal-wrap, .ant-drawer-open').length > 0;

/**
 * Esc closes the topmost drawer even when the keyboard is not in it (its
 * focused button went away, the page was clicked): antd listens only inside.
 */
function closeDrawer(): boolean {
  if (document.activeElement !== document.body || shown('.ant-modal-wrap').length > 0) return false;
  const close = shown('.ant-drawer-open .ant-drawer-close').at(-1);
  close?.click();
  return close !== undefined;
}

/** Keys on a button or link act on it (Enter clicks it), not on the table. */
const onControl = (e: KeyboardEvent) => e.key === 'Enter' && (e.target as HTMLElement | null)?.closest('button, a, [role="button"], [role="tab"]') !== null;

/**
 * One cluster's console: Nodes, Workloads, Pods, Events and Deploy, all fed
 * by one clusters.watch stream (no polling), with the connection shown
 * honestly, the shared YAML and logs panels, and k9s-like keys (`?`).
 * "#/clusters/<id>/<view>[/<workload kind>]" is the place shown. Once the
 * stream ended for good (credential revoked, cluster forgotten) only why
 * and the way back are shown.
 */
export function ConsolePage({ cluster, view, workloadKind }: { cluster: Cluster; view: View; workloadKind: WorkloadKind }) {
  const { t } = useTranslation();
  const [generation, setGeneration] = useState(0);
  const store = useClusterWatch(cluster.id, generation);
  const connection = useConnection(store);
  const verbsRef = useRef<((verb: Verb) => boolean) | null>(null);
  const [yaml, setYaml] = useState<YamlRef | null>(null);
  const [logs, setLogs] = useState<LogsRef | null>(null);
  const [help, setHelp] = useState(false);
  const [replacing, setReplacing] = useState(false);

  const blocked =
    connection.state === 'online'
      ? null
      : connection.state === 'connecting'
        ? t('clusters.connection.blockedConnecting')
        : connection.state === 'no-credential'
          ? t('clusters.connection.blockedNoCredential')
          : t('clusters.connection.blockedOffline');

  const value = useMemo<ConsoleValue>(
    () => ({ cluster, store, connection, blocked, openYaml: setYaml, openLogs: setLogs, verbsRef }),
    [cluster, store, connection, blocked],
  );

  // The watches came online again (also after a kubeconfig replaced in another window, which restarts them): the
  // header's record (server, version, expiry) is read again, once each time, not on a timer.
  const { orpc } = useApi();
  const queryClient = useQueryClient();
  const onlineSince = connection.onlineSince;
  useEffect(() => {
    if (onlineSince) void queryClient.invalidateQueries({ queryKey: orpc.clusters.list.queryKey() });
  }, [onlineSince, orpc, queryClient]);

  const show = (v: View) => goTo('clusters', cluster.id, v, ...(v === 'workloads' ? [workloadKind] : []));

  // Panels on the objects of an ended stream close with it (while rendering: React's "adjusting state when a prop changes").
  const [ended, setEnded] = useState(connection.ended);
  if (ended !== connection.ended) {
    setEnded(connection.ended);
    if (connection.ended) {
      setYaml(null);
      setLogs(null);
      setHelp(false);
    }
  }

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && closeDrawer()) return e.preventDefault();
      if (connection.ended || e.ctrlKey || e.metaKey || e.altKey || typing(e) || onControl(e) || overlayOpen()) return;
      const n = Number.parseInt(e.key, 10);
      if (e.key === '?') setHelp(true);
      else if (e.key === '/') document.getElementById(FILTER_INPUT_ID)?.focus();
      else if (n >= 1 && n <= VIEWS.length) show(VIEWS[n - 1]!);
      else {
        const verb = verbOf(e.key);
        if (!verb || !verbsRef.current?.(verb)) return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  return (
    <ConsoleContext.Provider value={value}>
      <div data-testid="cluster-console" data-cluster={cluster.id}>
        <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 8 }} wrap>
          <Space wrap>
            <Button
              type="text"
              icon={<ArrowLeftOutlined />}
              onClick={() => goTo('clusters')}
              aria-label={t('clusters.console.back')}
              data-testid="console-back"
            />
            <Typography.Title level={4} style={{ margin: 0 }} data-testid="console-title">
              {cluster.name}
            </Typography.Title>
            <Typography.Text type="secondary" data-testid="console-server">
              {cluster.server}
            </Typography.Text>
            <ConnectionMarker connection={connection} />
          </Space>
          {!connection.ended && (
            <Tooltip title={t('clusters.keys.title')}>
              <Button icon={<QuestionCircleOutlined />} onClick={() => setHelp(true)} data-testid="console-help-open">
                ?
              </Button>
            </Tooltip>
          )}
        </Space>
        {connection.ended ? (
          <StreamEnded connection={connection} onReplace={() => setReplacing(true)} />
        ) : (
          <>
            <OfflineBanner connection={connection} onReplace={() => setReplacing(true)} />
            <Tabs
              activeKey={view}
              onChange={(k) => show(k as View)}
              data-testid="console-views"
              items={VIEWS.map((v, i) => ({
                key: v,
                label: (
                  <span data-testid={`console-view-${v}`}>
                    {t(`clusters.console.views.${v}`)}
                    <Typography.Text type="secondary" keyboard style={{ fontSize: 11, marginLeft: 6 }}>
                      {i + 1}
                    </Typography.Text>
                  </span>
                ),
              }))}
              tabBarStyle={{ marginBottom: 8 }}
            />
            {view === 'nodes' && <NodesView />}
            {view === 'workloads' && <WorkloadsView kind={workloadKind} onKind={(k) => goTo('clusters', cluster.id, 'workloads', k)} />}
            {view === 'pods' && <PodsView />}
            {view === 'events' && <EventsView />}
            {view === 'deploy' && <DeployView />}
            {yaml && <YamlDrawer key={`${yaml.kind}/${yaml.namespace}/${yaml.name}`} target={yaml} onClose={() => setYaml(null)} />}
            {logs && <LogsPanel key={`${logs.namespace}/${logs.pod}`} target={logs} onClose={() => setLogs(null)} />}
            {help && <HelpOverlay onClose={() => setHelp(false)} />}
          </>
        )}
        {replacing && (
          <KubeconfigDialog
            cluster={cluster}
            onClose={() => setReplacing(false)}
            onDone={() => {
              setReplacing(false);
              setGeneration((g) => g + 1);
            }}
          />
        )}
      </div>
    </ConsoleContext.Provider>
  );
}

export const isWorkloadKind = (s: string | undefined): s is WorkloadKind => (WORKLOAD_KINDS as readonly string[]).includes(s ?? '');
