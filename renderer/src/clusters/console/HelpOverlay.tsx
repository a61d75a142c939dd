import { Col, Modal, Row, Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { VERB_KEYS, type Verb } from './verbs';

/** Keys that work in every view, then the verbs of one kind of object. */
const EVERYWHERE: Verb[] = ['down', 'up', 'first', 'last', 'open', 'yaml'];
const BY_VIEW: { verb: Verb; where: string }[] = [
  { verb: 'logs', where: 'pods' },
  { verb: 'shell', where: 'pods' },
  { verb: 'delete', where: 'pods' },
  { verb: 'cordon', where: 'nodes' },
  { verb: 'drain', where: 'nodes' },
  { verb: 'labels', where: 'nodes' },
  { verb: 'taints', where: 'nodes' },
  { verb: 'scale', where: 'workloads' },
  { verb: 'restart', where: 'workloads' },
  { verb: 'rollback', where: 'workloads' },
  { verb: 'suspend', where: 'cronjobs' },
];

const KEY_NAMES: Record<string, string> = { ArrowDown: '↓', ArrowUp: '↑' };
const keysOf = (verb: Verb) => VERB_KEYS[verb].map((k) => KEY_NAMES[k] ?? k).join(' / ');

interface KeyRow {
  key: string;
  what: string;
  where?: string;
}

function KeyTable({ rows, where }: { rows: KeyRow[]; where?: boolean }) {
  const { t } = useTranslation();
  return (
    <Table<KeyRow>
      size="small"
      pagination={false}
      rowKey="what"
      dataSource={rows}
      columns={[
        { title: t('clusters.keys.key'), dataIndex: 'key', width: 120, render: (k: string) => <Typography.Text keyboard>{k}</Typography.Text> },
        { title: t('clusters.keys.action'), dataIndex: 'what' },
        ...(where ? [{ title: t('clusters.keys.whereTitle'), dataIndex: 'where', width: 100 }] : []),
      ]}
    />
  );
}

/** The console's keys (`?`): the same key does the same thing in every view. */
export function HelpOverlay({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const general: KeyRow[] = [
    { key: '/', what: t('clusters.keys.filter') },
    { key: '1 … 5', what: t('clusters.keys.views') },
    ...EVERYWHERE.map((verb) => ({ key: keysOf(verb), what: t(`clusters.keys.verb.${verb}`) })),
    { key: 'Esc', what: t('clusters.keys.close') },
    { key: '?', what: t('clusters.keys.help') },
  ];
  const verbs = BY_VIEW.map(({ verb, where }) => ({ key: keysOf(verb), what: t(`clusters.keys.verb.${verb}`), where: t(`clusters.keys.where.${where}`) }));
  return (
    <Modal
      open
      title={t('clusters.keys.title')}
      footer={null}
      onCancel={onClose}
      width={920}
      modalRender={(node) => <div data-testid="console-help">{node}</div>}
    >
      <Typography.Paragraph type="secondary">{t('clusters.keys.intro')}</Typography.Paragraph>
      <Row gutter={24}>
        <Col span={11}>
          <KeyTable rows={general} />
        </Col>
        <Col span={13}>
          <KeyTable rows={verbs} where />
        </Col>
      </Row>
    </Modal>
  );
}
