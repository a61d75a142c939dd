import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Select } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TerminalSession } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { errorText } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';
import { goTo } from '../../shell/areas';
import { useConsole, useGuard } from '../console/context';
import type { PodRow } from './pod';

/**
 * The pod verbs every place that shows a pod offers: logs, a shell (exec,
 * in the Terminal area), YAML, and delete after a confirmation. A pod with
 * several containers asks which one.
 */
export function usePodActions() {
  const { t } = useTranslation();
  const { client, orpc } = useApi();
  const { lang } = usePreferences();
  const { modal, message } = App.useApp();
  const queryClient = useQueryClient();
  const { cluster, openLogs, openYaml } = useConsole();
  const guard = useGuard();
  const [opening, setOpening] = useState(false);

  const remove = useMutation({
    mutationFn: (p: PodRow) => client.clusters.deletePod({ clusterId: cluster.id, namespace: p.namespace, name: p.name }),
    onSuccess: (_, p) => void message.success(t('clusters.pods.deleted', { name: p.name })),
    onError: (e) => void message.error(errorText(e, lang, t('errors.generic'))),
  });

  const shellInto = async (p: PodRow, container: string | undefined) => {
    setOpening(true);
    try {
      const session = await client.terminal.open({ kind: 'pod', clusterId: cluster.id, namespace: p.namespace, pod: p.name, container, cols: 120, rows: 32 });
      queryClient.setQueryData<TerminalSession[]>(orpc.terminal.sessions.queryKey(), (old) =>
        old ? [...old.filter((s) => s.id !== session.id), session] : old,
      );
      goTo('terminal', session.id);
    } catch (e) {
      void message.error(errorText(e, lang, t('errors.generic')));
    } finally {
      setOpening(false);
    }
  };

  /** Asks which container when there are several; resolves undefined when the question was dismissed. */
  const chooseContainer = (p: PodRow, title: string): Promise<string | undefined> => {
    if (p.containers.length <= 1) return Promise.resolve(p.containers[0]);
    let chosen = p.containers[0]!;
    return new Promise((resolve) =>
      modal.confirm({
        title,
        icon: null,
        content: (
          <Select
            autoFocus
            defaultValue={chosen}
            style={{ width: '100%' }}
            onChange={(v: string) => (chosen = v)}
            options={p.containers.map((c) => ({ value: c, label: c }))}
            data-testid="container-choice"
          />
        ),
        okText: t('common.ok'),
        cancelText: t('common.cancel'),
        onOk: () => resolve(chosen),
        onCancel: () => resolve(undefined),
      }),
    );
  };

  return {
    opening,
    logs: (p: PodRow, container?: string) => guard(() => openLogs({ namespace: p.namespace, pod: p.name, containers: p.containers, container })),
    yaml: (p: PodRow) => guard(() => openYaml({ kind: 'pods', namespace: p.namespace, name: p.name })),
    shell: (p: PodRow, container?: string) =>
      guard(() => {
        if (container) return void shellInto(p, container);
        void chooseContainer(p, t('clusters.pods.shellWhich', { name: p.name })).then((c) => (c ? shellInto(p, c) : undefined));
      }),
    remove: (p: PodRow) =>
      guard(() =>
        modal.confirm({
          title: t('clusters.pods.deleteTitle', { name: p.name }),
          content: p.owner ? t('clusters.pods.deleteOwned', { owner: `${p.owner.kind}/${p.owner.name}` }) : t('clusters.pods.deleteUnowned'),
          okText: t('clusters.pods.delete'),
          okButtonProps: { danger: true, 'data-testid': 'pod-delete-confirm' } as never,
          cancelText: t('common.cancel'),
          onOk: () => remove.mutateAsync(p),
        }),
      ),
  };
}
