import { Descriptions, Drawer, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Artifact } from '../../../../main/api/contract';
import { formatBytes, formatTime } from '../../i18n/format';
import { usePreferences } from '../../settings/preferences';

export function ArtifactDetails({ artifact, onClose }: { artifact: Artifact; onClose: () => void }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  const m = artifact.metadata as {
    format?: string;
    entrypoint?: string[] | null;
    cmd?: string[] | null;
    exposedPorts?: string[];
    env?: string[];
    layers?: { digest: string; size: number; mediaType: string }[];
  };
  const none = <Typography.Text type="secondary">{t('catalog.details.none')}</Typography.Text>;
  const iso =
    artifact.kind === 'iso'
      ? (artifact.metadata as {
          family?: string;
          bios?: boolean;
          uefi?: boolean;
          hybrid?: boolean;
          bootConfigs?: { loader: string; location: string; path: string }[];
        })
      : null;
  return (
    <Drawer open size="large" title={`${t('catalog.details.title')}: ${artifact.name}`} onClose={onClose} data-testid="artifact-details">
      <Descriptions column={1} size="small" bordered>
        <Descriptions.Item label={t('catalog.list.kind')}>{t(`catalog.kind.${artifact.kind}`)}</Descriptions.Item>
        <Descriptions.Item label={t('catalog.list.platform')}>{artifact.platform ?? none}</Descriptions.Item>
        <Descriptions.Item label={t('catalog.details.format')}>{m.format ?? none}</Descriptions.Item>
        <Descriptions.Item label={t('catalog.list.digest')}>
          <Typography.Text code copyable>
            {artifact.digest}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('catalog.list.size')}>{formatBytes(artifact.size)}</Descriptions.Item>
        {iso && (
          <>
            <Descriptions.Item label={t('catalog.details.family')}>{iso.family}</Descriptions.Item>
            <Descriptions.Item label={t('catalog.details.boot')}>
              {[iso.bios && 'BIOS', iso.uefi && 'UEFI', iso.hybrid && 'hybrid (USB)'].filter(Boolean).map((x) => (
                <Tag key={String(x)}>{x}</Tag>
              ))}
            </Descriptions.Item>
            <Descriptions.Item label={t('catalog.details.bootConfigs')}>
              <pre style={{ margin: 0, fontSize: 12 }}>
                {(iso.bootConfigs ?? []).map((c) => `${c.loader}  ${c.location === 'efi-image' ? 'EFI image:' : 'ISO:'}${c.path}`).join('\n')}
              </pre>
            </Descriptions.Item>
          </>
        )}
        <Descriptions.Item label={t('catalog.details.entrypoint')}>
          {m.entrypoint?.length ? <Typography.Text code>{m.entrypoint.join(' ')}</Typography.Text> : none}
        </Descriptions.Item>
        <Descriptions.Item label={t('catalog.details.cmd')}>
          {m.cmd?.length ? <Typography.Text code>{m.cmd.join(' ')}</Typography.Text> : none}
        </Descriptions.Item>
        <Descriptions.Item label={t('catalog.details.ports')}>
          {m.exposedPorts?.length ? m.exposedPorts.map((p) => <Tag key={p}>{p}</Tag>) : none}
        </Descriptions.Item>
        <Descriptions.Item label={t('catalog.details.env')}>
          {m.env?.length ? <pre style={{ margin: 0, fontSize: 12 }}>{m.env.join('\n')}</pre> : none}
        </Descriptions.Item>
        <Descriptions.Item label={t('catalog.details.source')}>
          <Typography.Text code>{artifact.source}</Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('catalog.list.imported')}>{formatTime(artifact.createdAt, lang)}</Descriptions.Item>
      </Descriptions>
      {m.layers && (
        <Table
          style={{ marginTop: 16 }}
          size="small"
          rowKey="digest"
          pagination={false}
          title={() => t('catalog.details.layers')}
          dataSource={m.layers}
          columns={[
            { key: 'digest', render: (_, l) => <Typography.Text code>{l.digest.slice(0, 19)}…</Typography.Text> },
            { key: 'size', width: 110, render: (_, l) => formatBytes(l.size) },
            { key: 'type', render: (_, l) => <Typography.Text type="secondary">{l.mediaType}</Typography.Text> },
          ]}
        />
      )}
    </Drawer>
  );
}
