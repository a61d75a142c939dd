import { App, Button, Tooltip, type ButtonProps } from 'antd';
import { createContext, useCallback, useContext, useLayoutEffect, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { Cluster } from '../../../../main/api/contract';
import type { ConsoleConnection, ConsoleObjects } from './objects';
import type { Verb } from './verbs';

export type YamlKind = 'nodes' | 'pods' | 'deployments' | 'daemonsets' | 'statefulsets' | 'jobs' | 'cronjobs' | 'services' | 'configmaps' | 'namespaces';
export interface YamlRef {
  kind: YamlKind;
  namespace?: string;
  name: string;
}
export interface LogsRef {
  namespace: string;
  pod: string;
  containers: string[];
  container?: string;
}

/** What any view of an open console needs: the cluster, its live objects, the shared panels and the keys. */
export interface ConsoleValue {
  cluster: Cluster;
  store: ConsoleObjects;
  connection: ConsoleConnection;
  /** Why nothing can be changed now (offline, connecting, no credential), in the UI language; null when actions are allowed. */
  blocked: string | null;
  openYaml(ref: YamlRef): void;
  openLogs(ref: LogsRef): void;
  /** The shown view's handler of the console's keys; true when it took the verb. */
  verbsRef: RefObject<((verb: Verb) => boolean) | null>;
}

export const ConsoleContext = createContext<ConsoleValue | null>(null);

export function useConsole(): ConsoleValue {
  const v = useContext(ConsoleContext);
  if (!v) throw new Error('useConsole outside a cluster console');
  return v;
}

/** Gives the console's keys to this view while it is shown. */
export function useViewVerbs(handler: (verb: Verb) => boolean): void {
  const { verbsRef } = useConsole();
  useLayoutEffect(() => {
    verbsRef.current = handler;
  });
  useLayoutEffect(
    () => () => {
      verbsRef.current = null;
    },
    [verbsRef],
  );
}

/** What an empty table says: nothing there, not known yet, or not knowable now (the cluster has not answered). */
export function useEmptyText(listed: boolean, empty: string): string {
  const { connection } = useConsole();
  const { t } = useTranslation();
  if (listed) return empty;
  return connection.state === 'online' || connection.state === 'connecting' ? t('clusters.list.loading') : t('clusters.list.unknown');
}

/** Runs a change only while the cluster can take it; otherwise says why not. */
export function useGuard(): (change: () => void) => void {
  const { blocked } = useConsole();
  const { message } = App.useApp();
  return useCallback(
    (change: () => void) => {
      if (blocked) void message.warning(blocked);
      else change();
    },
    [blocked, message],
  );
}

/**
 * A button that acts on the cluster: disabled, with the reason in its
 * tooltip, while the cluster cannot be reached (unless it only reads what
 * the console holds: `local`) or while `unavailable` says why not for this
 * object; otherwise its tooltip names its key.
 */
export function ActionButton({ unavailable, hint, local, ...props }: ButtonProps & { unavailable?: string | null; hint?: string; local?: boolean }) {
  const { blocked } = useConsole();
  const reason = (local ? null : blocked) ?? unavailable ?? null;
  return (
    <Tooltip title={reason ?? hint}>
      <Button {...props} disabled={reason !== null || props.disabled} data-blocked={reason !== null ? 'true' : undefined} />
    </Tooltip>
  );
}
