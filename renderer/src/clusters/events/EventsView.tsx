import { CodeOutlined, InfoCircleOutlined } from '@ant-design/icons';
import { Descriptions, Drawer, Segmented, Tag, Tooltip, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatTime } from '../../i18n/format';
import { usePreferences } from '../../settings/preferences';
import { Age } from '../console/Age';
import { ActionButton, useConsole, useEmptyText, useGuard, useViewVerbs, type YamlKind } from '../console/context';
import { byNumber, byText, useObjectList, type Column } from '../console/list';
import { ListToolbar } from '../console/ListToolbar';
import { useKind } from '../console/objects';
import { ObjectTable } from '../console/ObjectTable';
import { keyOf, type Verb } from '../console/verbs';
import { eventRow, type EventRow } from './event';

/** The object kinds an event may be about whose YAML the console can show. */
const YAML_KINDS: Record<string, YamlKind> = {
  Node: 'nodes',
  Pod: 'pods',
  Deployment: 'deployments',
  DaemonSet: 'daemonsets',
  StatefulSet: 'statefulsets',
  Job: 'jobs',
  CronJob: 'cronjobs',
  Service: 'services',
  ConfigMap: 'configmaps',
  Namespace: 'namespaces',
};

function useEventColumns(): Column<EventRow>[] {
  const { t } = useTranslation();
  return useMemo(
    () => [
      {
        key: 'type',
        title: t('clusters.col.type'),
        width: 100,
        render: (r) => <Tag color={r.warning ? 'warning' : 'default'}>{r.warning ? t('clusters.events.warning') : t('clusters.events.normal')}</Tag>,
        sort: (a, b) => Number(a.warning) - Number(b.warning),
      },
      { key: 'reason', title: t('clusters.col.reason'), width: 170, render: (r) => r.reason, sort: (a, b) => byText(a.reason, b.reason) },
      {
        key: 'object',
        title: t('clusters.col.object'),
        width: 260,
        render: (r) => `${r.involved.kind.toLowerCase()}/${r.involved.name}`,
        sort: (a, b) => byText(`${a.involved.kind}/${a.involved.name}`, `${b.involved.kind}/${b.involved.name}`),
      },
      {
        key: 'message',
        title: t('clusters.col.message'),
        width: 420,
        render: (r) => (
          <Tooltip title={r.message} mouseEnterDelay={0.6}>
            <span>{r.message}</span>
          </Tooltip>
        ),
      },
      { key: 'count', title: t('clusters.col.count'), width: 80, render: (r) => r.count, sort: (a, b) => byNumber(a.count, b.count) },
      {
        key: 'lastSeen',
        title: t('clusters.col.lastSeen'),
        width: 120,
        render: (r) => <Age since={r.lastSeen} />,
        sort: (a, b) => byText(a.lastSeen ?? '', b.lastSeen ?? ''),
      },
      { key: 'namespace', title: t('clusters.col.namespace'), width: 140, render: (r) => r.namespace, sort: (a, b) => byText(a.namespace, b.namespace) },
    ],
    [t],
  );
}

const eventText = (r: EventRow) => `${r.reason} ${r.involved.kind} ${r.involved.name} ${r.message}`;

/** The Events view: what the cluster reported, newest first, warnings on their own if asked. */
export function EventsView() {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  const { store, openYaml } = useConsole();
  const guard = useGuard();
  const { items, listed } = useKind(store, 'events');
  const emptyText = useEmptyText(listed, t('clusters.events.empty'));
  const [warningsOnly, setWarningsOnly] = useState(false);
  const all = useMemo(() => items.map(eventRow), [items]);
  const warnings = useMemo(() => all.filter((r) => r.warning).length, [all]);
  const rows = useMemo(() => (warningsOnly ? all.filter((r) => r.warning) : all), [all, warningsOnly]);
  const columns = useEventColumns();
  const list = useObjectList(rows, columns, { sort: { key: 'lastSeen', order: 'descend' }, more: eventText });
  const [details, setDetails] = useState<string | null>(null);

  const target = list.selectedRow;
  const yamlKind = target ? YAML_KINDS[target.involved.kind] : undefined;
  const act = (verb: Verb, row: EventRow | null = target): boolean => {
    if (verb === 'down' || verb === 'up') list.move(verb === 'down' ? 1 : -1);
    else if (verb === 'first' || verb === 'last') list.move(verb);
    else if (!row) return false;
    else if (verb === 'open') setDetails(row.uid);
    else if (verb === 'yaml' && YAML_KINDS[row.involved.kind])
      guard(() => openYaml({ kind: YAML_KINDS[row.involved.kind]!, namespace: row.involved.namespace || undefined, name: row.involved.name }));
    else return false;
    return true;
  };
  useViewVerbs((verb) => act(verb));

  const none = target ? null : t('clusters.list.selectFirst');
  const detailRow = all.find((r) => r.uid === details) ?? null;
  return (
    <>
      <ListToolbar list={list} total={rows.length} namespaced>
        <Segmented<'all' | 'warnings'>
          value={warningsOnly ? 'warnings' : 'all'}
          onChange={(v) => setWarningsOnly(v === 'warnings')}
          data-testid="events-filter"
          options={[
            { value: 'all', label: t('clusters.events.all', { count: all.length }) },
            { value: 'warnings', label: t('clusters.events.warnings', { count: warnings }) },
          ]}
        />
        <ActionButton
          local
          icon={<InfoCircleOutlined />}
          unavailable={none}
          hint={`${t('clusters.list.details')} (${keyOf('open')})`}
          onClick={() => act('open')}
        >
          {t('clusters.list.details')}
        </ActionButton>
        <ActionButton
          icon={<CodeOutlined />}
          unavailable={none ?? (yamlKind ? null : t('clusters.events.noYaml'))}
          hint={`${t('clusters.events.objectYaml')} (${keyOf('yaml')})`}
          onClick={() => act('yaml')}
        >
          {t('clusters.events.objectYaml')}
        </ActionButton>
      </ListToolbar>
      <ObjectTable list={list} columns={columns} testId="events-table" onOpen={(r) => act('open', r)} emptyText={emptyText} />
      {detailRow && (
        <Drawer open title={detailRow.reason} onClose={() => setDetails(null)} data-testid="event-drawer">
          <Descriptions size="small" column={1} bordered>
            <Descriptions.Item label={t('clusters.col.type')}>{detailRow.type}</Descriptions.Item>
            <Descriptions.Item label={t('clusters.col.object')}>{`${detailRow.involved.kind}/${detailRow.involved.name}`}</Descriptions.Item>
            <Descriptions.Item label={t('clusters.col.namespace')}>{detailRow.namespace || '—'}</Descriptions.Item>
            <Descriptions.Item label={t('clusters.col.count')}>{detailRow.count}</Descriptions.Item>
            <Descriptions.Item label={t('clusters.col.lastSeen')}>{detailRow.lastSeen ? formatTime(detailRow.lastSeen, lang) : '—'}</Descriptions.Item>
            <Descriptions.Item label={t('clusters.events.source')}>{detailRow.source || '—'}</Descriptions.Item>
            <Descriptions.Item label={t('clusters.col.message')}>
              <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', margin: 0 }}>{detailRow.message}</Typography.Paragraph>
            </Descriptions.Item>
          </Descriptions>
        </Drawer>
      )}
    </>
  );
}
