import { DeleteOutlined, WarningOutlined } from '@ant-design/icons';
import { Button, Empty, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { rowAddress, rowName, serialAddress, type BoxDraft, type DraftRow } from './draft';
import { LabelScan } from './LabelScan';
import { SerialPorts } from './SerialPorts';
import { SshScan } from './SshScan';

type Source = 'labels' | 'scan' | 'serial';

function RowTarget({ row, draft }: { row: DraftRow; draft: BoxDraft }) {
  const { t } = useTranslation();
  if (row.source === 'serial') {
    const boot = serialAddress(draft.rows, row.key, draft.serial);
    return (
      <Typography.Text code>
        {row.path}
        {boot ? ` → ${boot}` : ''}
      </Typography.Text>
    );
  }
  const at = rowAddress(row, draft.label);
  if (!at)
    return (
      <Typography.Text type="warning">
        <WarningOutlined />{' '}
        {row.source === 'label' && draft.label.mode === 'consecutive' && !row.host ? t('station.add.labels.needFirst') : t('station.add.labels.needAddress')}
      </Typography.Text>
    );
  return <Typography.Text code>{at.port === 22 ? at.host : `${at.host}:${at.port}`}</Typography.Text>;
}

/**
 * The three ways to add boxes (labels, SSH scan, serial ports) and the boxes
 * gathered so far.
 */
export function BoxSources({ draft, existingSerials }: { draft: BoxDraft; existingSerials: ReadonlySet<string> }) {
  const { t } = useTranslation();
  const [source, setSource] = useState<Source>('labels');
  const { rows, rowErrors } = draft;
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Tabs
        size="small"
        activeKey={source}
        onChange={(k) => setSource(k as Source)}
        data-testid="box-sources"
        items={[
          {
            key: 'labels',
            label: <span data-testid="source-labels">{t('station.add.tabLabels')}</span>,
            children: <LabelScan draft={draft} existingSerials={existingSerials} active={source === 'labels'} />,
          },
          { key: 'scan', label: <span data-testid="source-scan">{t('station.add.tabScan')}</span>, children: <SshScan draft={draft} /> },
          {
            key: 'serial',
            label: <span data-testid="source-serial">{t('station.add.tabSerial')}</span>,
            children: <SerialPorts draft={draft} active={source === 'serial'} />,
          },
        ]}
      />
      <Table<DraftRow>
        size="small"
        rowKey="key"
        data-testid="draft-rows"
        pagination={false}
        scroll={{ y: 260 }}
        dataSource={[...rows].reverse()}
        title={() => (
          <Space style={{ justifyContent: 'space-between', width: '100%' }}>
            <Typography.Text strong data-testid="draft-count" data-count={rows.length}>
              {t('station.add.count', { count: rows.length })}
            </Typography.Text>
            {rows.length > 0 && (
              <Button size="small" type="text" danger onClick={draft.clear} data-testid="draft-clear">
                {t('station.add.clear')}
              </Button>
            )}
          </Space>
        )}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('station.add.empty')} /> }}
        onRow={(r) => ({ 'data-testid': 'draft-row', 'data-serial': r.labelSerial ?? '' }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: '#',
            key: 'n',
            width: 56,
            render: (_, r) => <span title={r.bench !== null ? t('station.add.benchTitle', { n: r.bench }) : undefined}>{rowName(rows, rows.indexOf(r))}</span>,
          },
          {
            title: t('station.add.colSerial'),
            key: 'serial',
            render: (_, r) => (r.labelSerial ? <Typography.Text strong>{r.labelSerial}</Typography.Text> : ''),
          },
          {
            title: t('station.add.colTarget'),
            key: 'target',
            render: (_, r) => (
              <Space orientation="vertical" size={0}>
                <span data-testid="draft-target">
                  <RowTarget row={r} draft={draft} />
                </span>
                {rowErrors[r.key] && (
                  <Typography.Text type="danger" style={{ fontSize: 12 }} data-testid="draft-row-error">
                    {rowErrors[r.key]}
                  </Typography.Text>
                )}
              </Space>
            ),
          },
          { title: t('station.add.colSource'), key: 'source', width: 110, render: (_, r) => <Tag>{t(`station.add.source.${r.source}`)}</Tag> },
          {
            key: 'remove',
            width: 44,
            render: (_, r) => (
              <Button
                size="small"
                type="text"
                icon={<DeleteOutlined />}
                onClick={() => draft.remove(r.key)}
                aria-label={t('station.add.remove')}
                title={t('station.add.remove')}
              />
            ),
          },
        ]}
      />
    </Space>
  );
}
