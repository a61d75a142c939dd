import { ColumnHeightOutlined, HistoryOutlined, PauseCircleOutlined, PlayCircleOutlined, ReloadOutlined } from '@ant-design/icons';
import { useMutation } from '@tanstack/react-query';
import { App, Segmented } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/context';
import { errorText } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';
import { useConsole, useEmptyText, useGuard, useViewVerbs } from '../console/context';
import { useObjectList } from '../console/list';
import { ListToolbar } from '../console/ListToolbar';
import { useCounts, useKind } from '../console/objects';
import { ObjectTable } from '../console/ObjectTable';
import { detailsAction, VerbButtons, YAML_ACTION, type VerbAction } from '../console/VerbButtons';
import type { Verb } from '../console/verbs';
import { useWorkloadColumns } from './columns';
import { RollbackDialog } from './RollbackDialog';
import { ScaleDialog } from './ScaleDialog';
import { WORKLOAD_KINDS, workloadRows, type WorkloadKind, type WorkloadRow } from './workload';
import { WorkloadDrawer } from './WorkloadDrawer';

const SCALABLE: WorkloadKind[] = ['deployments', 'statefulsets'];
const ROLLABLE: WorkloadKind[] = ['deployments', 'daemonsets', 'statefulsets'];

type Dialog = { kind: 'scale' | 'rollback'; row: WorkloadRow };

function WorkloadTable({ kind }: { kind: WorkloadKind }) {
  const { t } = useTranslation();
  const { client } = useApi();
  const { lang } = usePreferences();
  const { modal, message } = App.useApp();
  const { cluster, store, openYaml } = useConsole();
  const guard = useGuard();
  const { items, listed } = useKind(store, kind);
  const emptyText = useEmptyText(listed, t('clusters.workloads.empty', { kind: t(`clusters.workloads.kinds.${kind}`) }));
  const rows = useMemo(() => items.map(workloadRows[kind]), [items, kind]);
  const columns = useWorkloadColumns(kind);
  const list = useObjectList(rows, columns, { sort: { key: 'name', order: 'ascend' } });
  const [details, setDetails] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const onError = (e: unknown) => void message.error(errorText(e, lang, t('errors.generic')));

  const restart = useMutation({
    mutationFn: (r: WorkloadRow) => client.clusters.restart({ clusterId: cluster.id, kind: r.kind as 'deployments', namespace: r.namespace, name: r.name }),
    onSuccess: (_, r) => void message.success(t('clusters.workloads.restarted', { name: r.name })),
    onError,
  });
  const suspend = useMutation({
    mutationFn: (r: WorkloadRow) => client.clusters.suspendCronJob({ clusterId: cluster.id, namespace: r.namespace, name: r.name, suspend: !r.suspended }),
    onSuccess: (_, r) => void message.success(t(r.suspended ? 'clusters.workloads.resumed' : 'clusters.workloads.suspended', { name: r.name })),
    onError,
  });

  const target = list.selectedRow;
  /** Why the verb does not apply to this kind, or null. */
  const notFor = (kinds: WorkloadKind[]) => (kinds.includes(kind) ? null : t('clusters.workloads.notForKind', { kind: t(`clusters.workloads.kinds.${kind}`) }));
  const act = (verb: Verb, row: WorkloadRow | null = target): boolean => {
    if (verb === 'down' || verb === 'up') list.move(verb === 'down' ? 1 : -1);
    else if (verb === 'first' || verb === 'last') list.move(verb);
    else if (!row) return false;
    else if (verb === 'open') setDetails(row.uid);
    else if (verb === 'yaml') guard(() => openYaml({ kind, namespace: row.namespace, name: row.name }));
    else if (verb === 'scale' && !notFor(SCALABLE)) guard(() => setDialog({ kind: 'scale', row }));
    else if (verb === 'rollback' && !notFor(ROLLABLE)) guard(() => setDialog({ kind: 'rollback', row }));
    else if (verb === 'suspend' && kind === 'cronjobs') guard(() => suspend.mutate(row));
    else if (verb === 'restart' && !notFor(ROLLABLE))
      guard(() =>
        modal.confirm({
          title: t('clusters.workloads.restartTitle', { name: row.name }),
          content: t('clusters.workloads.restartHelp'),
          okText: t('clusters.workloads.restart'),
          okButtonProps: { 'data-testid': 'restart-confirm' } as never,
          cancelText: t('common.cancel'),
          onOk: () => restart.mutateAsync(row),
        }),
      );
    else return false;
    return true;
  };
  useViewVerbs((verb) => act(verb));

  /** The verbs this kind takes, above the table and in the drawer. */
  const workloadActions = (row: WorkloadRow | null): VerbAction[] => {
    const actions: VerbAction[] = [];
    if (SCALABLE.includes(kind)) actions.push({ verb: 'scale', label: t('clusters.workloads.scale'), icon: <ColumnHeightOutlined /> });
    if (ROLLABLE.includes(kind))
      actions.push(
        { verb: 'restart', label: t('clusters.workloads.restart'), icon: <ReloadOutlined />, loading: restart.isPending },
        { verb: 'rollback', label: t('clusters.workloads.rollback'), icon: <HistoryOutlined /> },
      );
    if (kind === 'cronjobs')
      actions.push({
        verb: 'suspend',
        label: t(row?.suspended ? 'clusters.workloads.resume' : 'clusters.workloads.suspend'),
        icon: row?.suspended ? <PlayCircleOutlined /> : <PauseCircleOutlined />,
        loading: suspend.isPending,
      });
    return [...actions, YAML_ACTION];
  };
  const detailRow = rows.find((r) => r.uid === details) ?? null;
  return (
    <>
      <ListToolbar list={list} total={rows.length} namespaced>
        <VerbButtons actions={[detailsAction(t), ...workloadActions(target)]} selected={target !== null} onVerb={act} testId="workload" />
      </ListToolbar>
      <ObjectTable list={list} columns={columns} testId="workloads-table" onOpen={(r) => act('open', r)} emptyText={emptyText} />
      {detailRow && <WorkloadDrawer row={detailRow} actions={workloadActions(detailRow)} onVerb={(v) => act(v, detailRow)} onClose={() => setDetails(null)} />}
      {dialog?.kind === 'scale' && <ScaleDialog row={dialog.row} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'rollback' && <RollbackDialog row={dialog.row} onClose={() => setDialog(null)} />}
    </>
  );
}

/** The Workloads view: Deployments, DaemonSets, StatefulSets, Jobs and CronJobs, one kind at a time. */
export function WorkloadsView({ kind, onKind }: { kind: WorkloadKind; onKind: (kind: WorkloadKind) => void }) {
  const { t } = useTranslation();
  const { store } = useConsole();
  const counts = useCounts(store, WORKLOAD_KINDS);
  return (
    <>
      <Segmented<WorkloadKind>
        value={kind}
        onChange={onKind}
        style={{ marginBottom: 8 }}
        data-testid="workload-kind"
        options={WORKLOAD_KINDS.map((k, i) => ({ value: k, label: `${t(`clusters.workloads.kinds.${k}`)} (${counts[i]})` }))}
      />
      <WorkloadTable key={kind} kind={kind} />
    </>
  );
}
