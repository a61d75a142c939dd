import { ExportOutlined, PauseCircleOutlined, PlayCircleOutlined, TagsOutlined } from '@ant-design/icons';
import { useMutation } from '@tanstack/react-query';
import { App } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/context';
import { errorText } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';
import { useConsole, useEmptyText, useGuard, useViewVerbs } from '../console/context';
import { useObjectList } from '../console/list';
import { ListToolbar } from '../console/ListToolbar';
import { MetricsNote, useMetrics } from '../console/metrics';
import { useKind } from '../console/objects';
import { ObjectTable } from '../console/ObjectTable';
import { detailsAction, VerbButtons, YAML_ACTION, type VerbAction } from '../console/VerbButtons';
import type { Verb } from '../console/verbs';
import { useNodeColumns } from './columns';
import { DrainDialog } from './DrainDialog';
import { LabelsDialog } from './LabelsDialog';
import { nodeRow, type NodeRow } from './node';
import { NodeDrawer } from './NodeDrawer';
import { TaintsDialog } from './TaintsDialog';

type Dialog = { kind: 'drain'; node: NodeRow } | { kind: 'labels'; nodes: NodeRow[] } | { kind: 'taints'; node: NodeRow };

/** The Nodes view: every node live, with cordon, drain, labels and taints. */
export function NodesView() {
  const { t } = useTranslation();
  const { client } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const { cluster, store, openYaml } = useConsole();
  const guard = useGuard();
  const { items, listed } = useKind(store, 'nodes');
  const emptyText = useEmptyText(listed, t('clusters.nodes.empty'));
  const rows = useMemo(() => items.map(nodeRow), [items]);
  const { metrics, problem } = useMetrics();
  const columns = useNodeColumns(cluster.id, metrics);
  const list = useObjectList(rows, columns, { sort: { key: 'name', order: 'ascend' } });
  const [checked, setChecked] = useState<string[]>([]);
  const [details, setDetails] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog | null>(null);

  const cordon = useMutation({
    mutationFn: (r: NodeRow) => client.clusters.cordon({ clusterId: cluster.id, node: r.name, unschedulable: !r.unschedulable }),
    onSuccess: (_, r) => void message.success(t(r.unschedulable ? 'clusters.nodes.uncordoned' : 'clusters.nodes.cordoned', { name: r.name })),
    onError: (e) => void message.error(errorText(e, lang, t('errors.generic'))),
  });

  /** The labels dialog's nodes as the watch has them now: a change that arrives while it is open shows in it. */
  const byUid = useMemo(() => new Map(rows.map((r) => [r.uid, r])), [rows]);
  const labelled = useMemo(() => (dialog?.kind === 'labels' ? dialog.nodes.map((n) => byUid.get(n.uid) ?? n) : []), [dialog, byUid]);

  const target = list.selectedRow;
  const checkedRows = rows.filter((r) => checked.includes(r.uid));
  /** `checkedToo`: labels go to the checked nodes when there are any (the toolbar); a drawer's verbs are for its node only. */
  const act = (verb: Verb, row: NodeRow | null = target, checkedToo = true): boolean => {
    if (verb === 'labels') {
      const nodes = checkedToo && checkedRows.length > 0 ? checkedRows : row ? [row] : [];
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

  /** The verbs on a node, above the table (with the checked nodes for labels) and in its drawer. */
  const nodeActions = (row: NodeRow | null, nodes: NodeRow[] = []): VerbAction[] => [
    {
      verb: 'cordon',
      label: t(row?.unschedulable ? 'clusters.nodes.uncordon' : 'clusters.nodes.cordon'),
      icon: row?.unschedulable ? <PlayCircleOutlined /> : <PauseCircleOutlined />,
      loading: cordon.isPending,
    },
    { verb: 'drain', label: t('clusters.nodes.drain'), icon: <ExportOutlined /> },
    {
      verb: 'labels',
      label: nodes.length > 1 ? t('clusters.labels.forNodes', { count: nodes.length }) : t('clusters.labels.edit'),
      icon: <TagsOutlined />,
      ...(nodes.length > 0 ? { unavailable: null } : {}),
    },
    { verb: 'taints', label: t('clusters.taints.edit') },
    YAML_ACTION,
  ];
  const detailRow = rows.find((r) => r.uid === details) ?? null;
  return (
    <>
      <ListToolbar list={list} total={rows.length} namespaced={false}>
        <MetricsNote problem={problem} />
        <VerbButtons actions={[detailsAction(t), ...nodeActions(target, checkedRows)]} selected={target !== null} onVerb={act} testId="node" />
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
      {detailRow && <NodeDrawer row={detailRow} actions={nodeActions(detailRow)} onVerb={(v) => act(v, detailRow, false)} onClose={() => setDetails(null)} />}
      {dialog?.kind === 'drain' && <DrainDialog node={dialog.node} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'labels' && <LabelsDialog nodes={labelled} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'taints' && <TaintsDialog node={dialog.node} onClose={() => setDialog(null)} />}
    </>
  );
}
