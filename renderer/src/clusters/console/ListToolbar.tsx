import { SearchOutlined } from '@ant-design/icons';
import { Input, Select, Space, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ObjectList, Row } from './list';

/** The id the console's `/` key focuses. */
export const FILTER_INPUT_ID = 'ef-console-filter';

/** Above a table: the filter box, the namespace (for namespaced kinds), how many rows are shown, and the view's actions. */
export function ListToolbar<R extends Row>({
  list,
  total,
  namespaced,
  children,
}: {
  list: ObjectList<R>;
  total: number;
  namespaced: boolean;
  children?: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', marginBottom: 8 }}>
      <Input
        id={FILTER_INPUT_ID}
        allowClear
        prefix={<SearchOutlined />}
        placeholder={t('clusters.list.filter')}
        value={list.filter}
        onChange={(e) => list.setFilter(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape' || e.key === 'Enter') {
            e.preventDefault();
            e.currentTarget.blur();
            if (e.key === 'Enter') list.move('first');
          }
        }}
        style={{ width: 280 }}
        data-testid="console-filter"
        aria-label={t('clusters.list.filter')}
      />
      {namespaced && (
        <Select<string>
          value={list.namespace ?? ''}
          onChange={(v) => list.setNamespace(v || null)}
          style={{ width: 200 }}
          showSearch
          data-testid="console-namespace"
          aria-label={t('clusters.list.namespace')}
          options={[{ value: '', label: t('clusters.list.allNamespaces') }, ...list.namespaces.map((n) => ({ value: n, label: n }))]}
        />
      )}
      <Typography.Text type="secondary" data-testid="console-count">
        {list.shown.length === total ? t('clusters.list.count', { count: total }) : t('clusters.list.countOf', { shown: list.shown.length, total })}
      </Typography.Text>
      <Space wrap style={{ marginLeft: 'auto' }}>
        {children}
      </Space>
    </div>
  );
}
