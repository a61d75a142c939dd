import { useQuery, type UseQueryOptions } from '@tanstack/react-query';
import { Modal, Select, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SpecChange } from '../../../main/api/contract';

/** Field-by-field changes between two revisions (models) or versions (apps) of a spec. */
export function SpecDiffModal({
  numbers,
  prefix,
  query,
  onClose,
  testId,
}: {
  numbers: number[];
  /** "r" for model revisions, "v" for app versions. */
  prefix: 'r' | 'v';
  query: (from: number, to: number) => UseQueryOptions<SpecChange[], Error, SpecChange[], readonly unknown[]>;
  onClose: () => void;
  testId: string;
}) {
  const { t } = useTranslation();
  const [from, setFrom] = useState(numbers.at(-2) ?? numbers[0]!);
  const [to, setTo] = useState(numbers.at(-1)!);
  const diff = useQuery(query(from, to));
  const show = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const options = numbers.map((n) => ({ value: n, label: `${prefix}${n}` }));
  return (
    <Modal
      open
      width={900}
      title={t('models.diffTitle', { from: `${prefix}${from}`, to: `${prefix}${to}` })}
      onCancel={onClose}
      footer={null}
      data-testid={testId}
    >
      <Space style={{ marginBottom: 12 }}>
        <Select value={from} onChange={setFrom} options={options} aria-label={t('models.before')} />
        →
        <Select value={to} onChange={setTo} options={options} aria-label={t('models.after')} />
      </Space>
      <Table
        size="small"
        rowKey="path"
        pagination={false}
        loading={diff.isLoading}
        locale={{ emptyText: t('models.diffNone') }}
        dataSource={diff.data ?? []}
        columns={[
          { title: t('models.field'), key: 'path', render: (_, c) => <Typography.Text code>{c.path}</Typography.Text> },
          { title: t('models.before'), key: 'before', render: (_, c) => <Typography.Text delete>{show(c.before)}</Typography.Text> },
          { title: t('models.after'), key: 'after', render: (_, c) => <Typography.Text strong>{show(c.after)}</Typography.Text> },
        ]}
      />
    </Modal>
  );
}
