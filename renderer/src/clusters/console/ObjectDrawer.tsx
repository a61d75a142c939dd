import { Drawer, Space, Table, Tag, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { formatTime } from '../../i18n/format';
import { usePreferences } from '../../settings/preferences';
import { VerbButtons, type VerbAction } from './VerbButtons';
import type { Verb } from './verbs';

/** A status condition (metav1.Condition and the older per-kind ones alike), as far as the drawers show it. */
export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/**
 * An object's details (Enter on its row): its verbs first, as the buttons
 * above the table name them (`<testId>-<verb>`), then its sections.
 */
export function ObjectDrawer({
  title,
  testId,
  onClose,
  actions,
  onVerb,
  children,
}: {
  title: ReactNode;
  testId: string;
  onClose: () => void;
  actions?: VerbAction[];
  onVerb?: (verb: Verb) => void;
  children: ReactNode;
}) {
  return (
    <Drawer open size="large" title={title} onClose={onClose} data-testid={testId}>
      <Space orientation="vertical" size="large" style={{ width: '100%' }}>
        {actions && onVerb && (
          <Space wrap>
            <VerbButtons size="small" actions={actions} onVerb={onVerb} testId={testId} />
          </Space>
        )}
        {children}
      </Space>
    </Drawer>
  );
}

/** A titled part of a drawer. */
export function DrawerSection({ title, children }: { title: ReactNode; children: ReactNode }) {
  return (
    <section>
      <Typography.Title level={5}>{title}</Typography.Title>
      {children}
    </section>
  );
}

/** Conditions with their reason, message and since when. */
export function ConditionsTable({ conditions, testId }: { conditions: Condition[]; testId?: string }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  return (
    <Table
      size="small"
      rowKey="type"
      pagination={false}
      dataSource={conditions}
      data-testid={testId}
      columns={[
        { title: t('clusters.col.type'), dataIndex: 'type', width: 160 },
        { title: t('clusters.col.status'), dataIndex: 'status', width: 80 },
        { title: t('clusters.col.reason'), dataIndex: 'reason', width: 180, ellipsis: true },
        { title: t('clusters.col.message'), dataIndex: 'message', ellipsis: true },
        {
          title: t('clusters.col.since'),
          key: 'since',
          width: 170,
          render: (_, c) => (c.lastTransitionTime ? formatTime(c.lastTransitionTime, lang) : '—'),
        },
      ]}
    />
  );
}

/** An object's labels, k=v (k alone when its value is empty). */
export function LabelList({ labels, testId }: { labels: Record<string, string>; testId?: string }) {
  const entries = Object.entries(labels);
  return (
    <Space size={[4, 4]} wrap data-testid={testId}>
      {entries.map(([k, v]) => (
        <Tag key={k}>{v ? `${k}=${v}` : k}</Tag>
      ))}
      {entries.length === 0 && <Typography.Text type="secondary">—</Typography.Text>}
    </Space>
  );
}
