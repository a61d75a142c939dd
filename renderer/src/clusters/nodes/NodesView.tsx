import { CodeOutlined, ExportOutlined, InfoCircleOutlined, PauseCircleOutlined, PlayCircleOutlined, TagsOutlined, WarningOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from '@tanstack/react-query';
import { App, Tag, Tooltip } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/context';
import { errorText } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';
import { ActionButton, useConsole, useEmptyText, useGuard, useViewVerbs } from '../console/context';
import { useObjectList } from '../console/list';
import { ListToolbar } from '../console/ListToolbar';
import { useKind } from '../console/objects';
import { ObjectTable } from '../console/ObjectTable';
import { keyOf, type Verb } from '../console/verbs';
import { useNodeColumns } from './columns';
import { DrainDialog } from './DrainDialog';
import { LabelsDialog } from './LabelsDialog';
import { nodeRow, type NodeRow } from './node';
import { NodeDrawer } from './NodeDrawer';
import { TaintsDialog } from './TaintsDialog';

const METRICS_MS = 15_000;

type Dialog = { kind: 'drain'; node: NodeRow } | { kind: 'labels'; nodes: NodeRow[] } | { kind: 'taints'; node: NodeRow };

/** Node usage from metrics-server, read every 15 s while this view is open and the cluster answers. */
function useMetrics(clusterId: string, online: boolean) {
  const { orpc } = useApi();
  return useQuery({ ...orpc.clusters.metrics.queryOptions({ input: { clusterId } }), refetchInterval: METRICS_MS, retry: false, enabled: online });
}

function MetricsNote({ metrics }: { metrics: ReturnType<typeof useMetrics> }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  if (metrics.data?.available) return null;
  const why = metrics.error ? errorText(metrics.error, lang, t('errors.generic')) : metrics.data ? t('clusters.nodes.noMetricsServer') : null;
  if (!why) return null;
  return (
    <Tooltip title={why}>
      <Tag icon={<WarningOutlined />} data-testid="metrics-unavailable">
        {t('clusters.nodes.metricsUnavailable')}
      </Tag>
    </Tooltip>
  );
}

/** The Nodes view: every node live, with cordon, drain, labels and taints. */
export function NodesView() {
  const { t } = useTranslation();
  const { client } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const { cluster, store, connection, openYaml } = useConsole();
  const guard = useGuard();
  const { items, listed } = useKind(store, 'nodes');
  const emptyText = useEmptyText(listed, t('clusters.nodes.empty'));
  const rows = useMemo(() => items.map(nodeRow), [items]);
  const metrics = useMetrics(cluster.id, connection.state === 'online');
  const columns = useNodeColumns(cluster.id, metrics.data);
  const list = useObjectList(rows, columns, { sort: { key: 'name', order: 'ascend' } });
  const [checked, setChecked] = useState<string[]>([]);
  const [details, setDetails] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog | null>(null);

  const cordon = useMutation({
    mutationFn: (r: NodeRow) => client.clusters.cordon({ clusterId: cluster.id, node: r.name, unschedulable: !r.unschedulable }),
    onSuccess: (_, r) => void message.success(t(r.unschedulable ? 'clusters.nodes.uncordoned' : 'clusters.nodes.cordoned', { name: r.name })),
    onError: (e) => void message.error(errorText(e, lang, t('errors.generic'))),
  });

  const target = list.selectedRow;
  const checkedRows = rows.filter((r) => checked.includes(r.uid));
  const act = (verb: Verb, row: NodeRow | null = target): boolean => {
    if (verb === 'labels') {
      const nodes = checkedRows.length > 0 ? checkedRows : row ? [row] : [];
      if (nodes.length > 0) guard(() => setDialog({ kind: 'labels', nodes }));
      return nodes.length > 0;
    }
    if (!row) return false;
    if (verb === 'open') setDetails(row.uid);
    else if (verb === 'yaml') guard(() => openYaml({ kind: 'nodes', name: row.name }));
    else if (verb === 'cordon') guard(() => cordon.mutate(row));
    else if (verb === 'drain') guard(() => setDialog({ kind: 'drain', node: row }));
    else if (verb === 'taints') guard(() => setDialog({ kind: 'taints', node: row }));
    else return false;
    return true;
  };
  useViewVerbs((verb) => {
    if (verb === 'down' || verb === 'up') list.move(verb === 'down' ? 1 : -1);
    else if (verb === 'first' || verb === 'last') list.move(verb);
    else return act(verb);
    return true;
  });

  const none = target ? null : t('clusters.list.selectFirst');
  const hint = (verb: Verb, label: string) => `${label} (${keyOf(verb)})`;
  const detailRow = rows.find((r) => r.uid === details) ?? null;
  return (
    <>
      <ListToolbar list={list} total={rows.length} namespaced={false}>
        <MetricsNote metrics={metrics} />
        <ActionButton
          local
          icon={<InfoCircleOutlined />}
          unavailable={none}
          hint={hint('open', t('clusters.list.details'))}
          onClick={() => act('open')}
          data-testid="node-details"
        >
          {t('clusters.list.details')}
        </ActionButton>
        <ActionButton
          icon={target?.unschedulable ? <PlayCircleOutlined /> : <PauseCircleOutlined />}
          unavailable={none}
          hint={hint('cordon', t(target?.unschedulable ? 'clusters.nodes.uncordon' : 'clusters.nodes.cordon'))}
          loading={cordon.isPending}
          onClick={() => act('cordon')}
          data-testid="node-cordon"
        >
          {t(target?.unschedulable ? 'clusters.nodes.uncordon' : 'clusters.nodes.cordon')}
        </ActionButton>
        <ActionButton
          icon={<ExportOutlined />}
          unavailable={none}
          hint={hint('drain', t('clusters.nodes.drain'))}
          onClick={() => act('drain')}
          data-testid="node-drain"
        >
          {t('clusters.nodes.drain')}
        </ActionButton>
        <ActionButton
          icon={<TagsOutlined />}
          unavailable={checkedRows.length === 0 ? none : null}
          hint={hint('labels', checkedRows.length > 1 ? t('clusters.labels.forNodes', { count: checkedRows.length }) : t('clusters.labels.edit'))}
          onClick={() => act('labels')}
          data-testid="node-labels"
        >
          {checkedRows.length > 1 ? t('clusters.labels.forNodes', { count: checkedRows.length }) : t('clusters.labels.edit')}
        </ActionButton>
        <ActionButton unavailable={none} hint={hint('taints', t('clusters.taints.edit'))} onClick={() => act('taints')} data-testid="node-taints">
          {t('clusters.taints.edit')}
        </ActionButton>
        <ActionButton icon={<CodeOutlined />} unavailable={none} hint={hint('yaml', 'YAML')} onClick={() => act('yaml')} data-testid="node-yaml">
          YAML
        </ActionButton>
      </ListToolbar>
      <ObjectTable
        list={list}
        columns={columns}
        testId="nodes-table"
        onOpen={(r) => act('open', r)}
        checked={checked}
        onChecked={setChecked}
        emptyText={emptyText}
      />
      {detailRow && <NodeDrawer row={detailRow} onClose={() => setDetails(null)} onVerb={(v) => act(v, detailRow)} />}
      {dialog?.kind === 'drain' && <DrainDialog node={dialog.node} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'labels' && <LabelsDialog nodes={dialog.nodes} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'taints' && <TaintsDialog node={dialog.node} onClose={() => setDialog(null)} />}
    </>
  );
}
