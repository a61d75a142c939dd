import { CheckOutlined, ExperimentOutlined, ReloadOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, App, Button, Drawer, List, Space, Spin, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApplyResult } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { apiErrorData, errorText } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';
import { ActionButton, useConsole, type YamlRef } from '../console/context';
import { metaOf, useObject, WATCHED_KINDS, type WatchKind } from '../console/objects';
import { YamlEditor } from './YamlEditor';

const CONFLICT = 'CLUSTER_APPLY_CONFLICT';

function Result({ result }: { result: ApplyResult }) {
  const { t } = useTranslation();
  return (
    <Alert
      type="success"
      showIcon
      data-testid="yaml-result"
      data-dry-run={String(result.dryRun)}
      title={result.dryRun ? t('clusters.yaml.dryRunOk') : t('clusters.yaml.applied')}
      description={
        <List
          size="small"
          dataSource={result.objects}
          renderItem={(o) => (
            <List.Item style={{ padding: '2px 0' }}>
              <Space>
                <Typography.Text code>{`${o.kind.toLowerCase()}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`}</Typography.Text>
                <Tag color={o.action === 'unchanged' ? 'default' : 'blue'} data-testid="yaml-action">
                  {t(`clusters.yaml.action.${o.action}`)}
                </Tag>
              </Space>
            </List.Item>
          )}
        />
      }
    />
  );
}

/** A refusal of the apply; for a field-ownership conflict, the fields and their managers, and the way to take them over. */
function Refusal({ error, onForce, forcing }: { error: unknown; onForce: () => void; forcing: boolean }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  const d = apiErrorData(error);
  if (d?.code !== CONFLICT) return <Alert type="error" showIcon title={errorText(error, lang, t('errors.generic'))} data-testid="yaml-error" />;
  return (
    <Alert
      type="warning"
      showIcon
      data-testid="yaml-conflict"
      title={t('clusters.yaml.conflict')}
      description={
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Typography.Text style={{ whiteSpace: 'pre-wrap' }}>{d.message[lang]}</Typography.Text>
          {(d.fields ?? []).map((f) => (
            <Typography.Text key={f.path.join('.')} code data-testid="yaml-conflict-field">
              {`${f.path.join('.')}: ${f.message[lang]}`}
            </Typography.Text>
          ))}
          <Typography.Text type="secondary">{t('clusters.yaml.forceHelp')}</Typography.Text>
          <ActionButton danger size="small" loading={forcing} onClick={onForce} data-testid="yaml-force">
            {t('clusters.yaml.force')}
          </ActionButton>
        </Space>
      }
    />
  );
}

/**
 * An object's YAML (clusters.yaml), editable, then checked by the server
 * (dry run) or applied (server-side apply). The result says what each
 * object became; a conflict over fields another manager owns is shown with
 * the offer to take them over (force). When the object changes on the
 * cluster after it was loaded, the drawer says so.
 */
export function YamlDrawer({ target, onClose }: { target: YamlRef; onClose: () => void }) {
  const { t } = useTranslation();
  const { client, orpc } = useApi();
  const { modal } = App.useApp();
  const { cluster, store } = useConsole();
  const input = { clusterId: cluster.id, kind: target.kind, namespace: target.namespace, name: target.name };
  const loaded = useQuery({ ...orpc.clusters.yaml.queryOptions({ input }), staleTime: 0, gcTime: 0 });
  const [edited, setEdited] = useState<string | null>(null);
  const text = edited ?? loaded.data?.yaml ?? '';
  const dirty = edited !== null && edited !== loaded.data?.yaml;
  const watched = (WATCHED_KINDS as string[]).includes(target.kind) ? (target.kind as WatchKind) : null;
  const live = useObject(store, watched, target.namespace, target.name);
  const changed = Boolean(loaded.data?.resourceVersion && live && metaOf(live).resourceVersion !== loaded.data.resourceVersion && !loaded.isFetching);

  const apply = useMutation({
    mutationFn: (o: { dryRun: boolean; force: boolean }) => client.clusters.apply({ clusterId: cluster.id, yaml: text, ...o }),
    onSuccess: async (r) => {
      if (r.dryRun) return;
      await loaded.refetch();
      setEdited(null);
    },
  });
  const reload = () => {
    const go = () => {
      apply.reset();
      setEdited(null);
      void loaded.refetch();
    };
    if (!dirty) return go();
    modal.confirm({
      title: t('clusters.yaml.discardTitle'),
      content: t('clusters.yaml.discardHelp'),
      okText: t('clusters.yaml.discard'),
      cancelText: t('common.cancel'),
      onOk: go,
    });
  };

  const title = `${target.kind}/${target.namespace ? `${target.namespace}/` : ''}${target.name}`;
  return (
    <Drawer
      open
      size="70vw"
      title={
        <Space>
          {title}
          {dirty && <Tag color="gold">{t('clusters.yaml.edited')}</Tag>}
        </Space>
      }
      onClose={onClose}
      data-testid="yaml-drawer"
      styles={{ body: { display: 'flex', flexDirection: 'column', gap: 8 } }}
      extra={
        <Space>
          <Button icon={<ReloadOutlined />} onClick={reload} loading={loaded.isFetching} data-testid="yaml-reload">
            {t('clusters.yaml.reload')}
          </Button>
          <ActionButton
            icon={<ExperimentOutlined />}
            loading={apply.isPending && apply.variables?.dryRun}
            onClick={() => apply.mutate({ dryRun: true, force: false })}
            data-testid="yaml-dry-run"
          >
            {t('clusters.yaml.dryRun')}
          </ActionButton>
          <ActionButton
            type="primary"
            icon={<CheckOutlined />}
            unavailable={dirty ? null : t('clusters.yaml.nothingEdited')}
            loading={apply.isPending && !apply.variables?.dryRun}
            onClick={() => apply.mutate({ dryRun: false, force: false })}
            data-testid="yaml-apply"
          >
            {t('clusters.yaml.apply')}
          </ActionButton>
        </Space>
      }
    >
      {changed && (
        <Alert
          type="info"
          showIcon
          title={dirty ? t('clusters.yaml.changedEdited') : t('clusters.yaml.changed')}
          action={
            <Button size="small" onClick={reload}>
              {t('clusters.yaml.reload')}
            </Button>
          }
          data-testid="yaml-changed"
        />
      )}
      {apply.data && <Result result={apply.data} />}
      {apply.error && <Refusal error={apply.error} forcing={apply.isPending} onForce={() => apply.mutate({ dryRun: false, force: true })} />}
      {loaded.error ? (
        <ProblemText error={loaded.error} />
      ) : loaded.data ? (
        <div style={{ flex: 1, minHeight: 300 }}>
          <YamlEditor value={text} onChange={setEdited} height="100%" />
        </div>
      ) : (
        <Spin />
      )}
    </Drawer>
  );
}

function ProblemText({ error }: { error: unknown }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  return <Alert type="error" showIcon title={errorText(error, lang, t('errors.generic'))} data-testid="yaml-load-error" />;
}
