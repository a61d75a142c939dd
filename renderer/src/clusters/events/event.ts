/** A core/v1 Event as the Events view shows it. */
import { derived } from '../console/derive';
import { metaOf, uidOf, type KubeObject } from '../console/objects';

interface EventShape {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  source?: { component?: string; host?: string };
  series?: { count?: number; lastObservedTime?: string };
}

export interface EventRow {
  uid: string;
  name: string;
  namespace: string;
  object: KubeObject;
  warning: boolean;
  type: string;
  reason: string;
  message: string;
  count: number;
  lastSeen: string | undefined;
  involved: { kind: string; name: string; namespace: string };
  source: string;
  labels: Record<string, string>;
}

export const eventRow = derived((o: KubeObject): EventRow => {
  const m = metaOf(o);
  const e = o as EventShape;
  return {
    uid: uidOf(o),
    name: m.name,
    namespace: m.namespace ?? '',
    object: o,
    warning: e.type === 'Warning',
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    message: e.message ?? '',
    count: e.series?.count ?? e.count ?? 1,
    lastSeen: e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? m.creationTimestamp,
    involved: { kind: e.involvedObject?.kind ?? '', name: e.involvedObject?.name ?? '', namespace: e.involvedObject?.namespace ?? '' },
    source: e.source?.component ?? e.source?.host ?? '',
    labels: m.labels ?? {},
  };
});
