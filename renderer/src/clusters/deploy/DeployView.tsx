import { CheckCircleTwoTone, CloseCircleTwoTone, RocketOutlined } from '@ant-design/icons';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { Alert, App, Card, Col, Collapse, Empty, Form, Input, List, Row, Select, Space, Table, Tag, Typography } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { CatalogDeployInput } from '../../../../main/api/contract';
import { useApi } from '../../api/context';
import { errorText, formFieldErrors } from '../../api/errors';
import { usePreferences } from '../../settings/preferences';
import { ActionButton, useConsole, useViewVerbs } from '../console/context';
import { useSettled } from '../console/useSettled';
import { YamlEditor } from '../yaml/YamlEditor';
import { requirementProblems, SelectorRows, type Requirement } from './SelectorRows';

const PREVIEW_DELAY_MS = 400;
const NAMESPACE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

interface Values {
  appId?: string;
  version?: number;
  namespace: string;
  selector: Requirement[];
}

/** The deploy input once every field holds something the API would take; null before. */
function inputOf(clusterId: string, v: Values | undefined): CatalogDeployInput | null {
  if (!v?.appId || !v.version || !NAMESPACE.test(v.namespace ?? '') || !v.selector?.length) return null;
  if (v.selector.some((r) => Object.keys(requirementProblems(r)).length > 0)) return null;
  return {
    clusterId,
    appId: v.appId,
    version: v.version,
    namespace: v.namespace,
    selector: v.selector.map((r) => ({ key: r.key.trim(), operator: r.operator, values: r.values ?? [] })),
  };
}

function PreviewNodes({
  nodes,
}: {
  nodes: { name: string; ready: boolean; arch: string | null; fits: boolean; problem: { en: string; zh: string } | null }[];
}) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  return (
    <Table
      size="small"
      rowKey="name"
      pagination={nodes.length > 10 ? { pageSize: 10, size: 'small' } : false}
      dataSource={nodes}
      data-testid="deploy-nodes"
      onRow={(n) => ({ 'data-testid': 'deploy-node', 'data-name': n.name, 'data-fits': String(n.fits) }) as React.HTMLAttributes<HTMLElement>}
      columns={[
        { title: t('clusters.col.name'), dataIndex: 'name', width: 220, ellipsis: true },
        {
          title: t('clusters.col.status'),
          key: 'ready',
          width: 100,
          render: (_, n) => <Tag color={n.ready ? 'success' : 'error'}>{t(n.ready ? 'clusters.nodes.ready' : 'clusters.nodes.notReady')}</Tag>,
        },
        { title: t('clusters.nodes.arch'), key: 'arch', width: 120, render: (_, n) => n.arch ?? '—' },
        {
          title: t('clusters.deploy.fits'),
          key: 'fits',
          render: (_, n) =>
            n.fits ? (
              <CheckCircleTwoTone twoToneColor="#52c41a" aria-label={t('common.yes')} />
            ) : (
              <Space>
                <CloseCircleTwoTone twoToneColor="#ff4d4f" />
                <Typography.Text type="danger">{n.problem?.[lang] ?? ''}</Typography.Text>
              </Space>
            ),
        },
      ]}
    />
  );
}

/**
 * Deploy from the catalog: a published container app version, a namespace,
 * and the label match that picks the nodes (In / NotIn / Exists /
 * DoesNotExist), previewed live as the matching nodes (each with whether it
 * can run the app, and why not) and the manifests; Deploy applies them.
 */
export function DeployView() {
  const { t } = useTranslation();
  const { client, orpc } = useApi();
  const { lang } = usePreferences();
  const { modal } = App.useApp();
  const { cluster, connection } = useConsole();
  const [form] = Form.useForm<Values>();
  const values = Form.useWatch([], form) as Values | undefined;
  useViewVerbs(() => false);

  const apps = useQuery(orpc.apps.list.queryOptions());
  const published = useMemo(() => (apps.data ?? []).filter((a) => a.kind === 'container' && a.versions.some((v) => v.state === 'published')), [apps.data]);
  const app = published.find((a) => a.id === values?.appId);
  const versions = (app?.versions ?? []).filter((v) => v.state === 'published').sort((a, b) => b.version - a.version);

  const input = useSettled(inputOf(cluster.id, values), PREVIEW_DELAY_MS);
  const preview = useQuery({
    queryKey: ['clusters', 'deployPreview', input],
    queryFn: () => client.clusters.deployPreview(input!),
    enabled: input !== null && connection.state === 'online',
    placeholderData: keepPreviousData,
    retry: false,
  });
  const deploy = useMutation({
    mutationFn: (i: CatalogDeployInput) => client.clusters.deploy(i),
    onError: (e) => form.setFields(formFieldErrors(e, lang, ['appId', 'version', 'namespace', 'selector']) as never),
  });

  const nodes = preview.data?.nodes ?? [];
  const fitting = nodes.filter((n) => n.fits).length;
  const current = inputOf(cluster.id, values);
  const why = !current
    ? t('clusters.deploy.incomplete')
    : preview.isFetching
      ? t('clusters.deploy.previewing')
      : nodes.length === 0
        ? t('clusters.deploy.noMatch')
        : null;
  const start = () => {
    if (!current) return;
    modal.confirm({
      title: t('clusters.deploy.confirmTitle', { app: app?.name ?? '', version: current.version }),
      content: t('clusters.deploy.confirmHelp', { count: nodes.length, namespace: current.namespace, cluster: cluster.name }),
      okText: t('clusters.deploy.deploy'),
      okButtonProps: { 'data-testid': 'deploy-confirm' } as never,
      cancelText: t('common.cancel'),
      onOk: () => deploy.mutateAsync(current).catch(() => undefined),
    });
  };

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }} data-testid="deploy-view">
      <Card size="small" title={t('clusters.deploy.what')}>
        <Form
          form={form}
          layout="vertical"
          initialValues={{ namespace: 'default', selector: [{ key: '', operator: 'In', values: [] }] }}
          onValuesChange={() => deploy.reset()}
        >
          <Row gutter={16}>
            <Col span={10}>
              <Form.Item
                name="appId"
                label={t('clusters.deploy.app')}
                extra={published.length === 0 && !apps.isLoading ? t('clusters.deploy.noApps') : undefined}
              >
                <Select
                  showSearch
                  optionFilterProp="label"
                  loading={apps.isLoading}
                  placeholder={t('clusters.deploy.appPick')}
                  options={published.map((a) => ({ value: a.id, label: a.name }))}
                  onChange={(id: string) => {
                    const latest = published
                      .find((a) => a.id === id)
                      ?.versions.filter((v) => v.state === 'published')
                      .sort((a, b) => b.version - a.version)[0];
                    form.setFieldValue('version', latest?.version);
                  }}
                  data-testid="deploy-app"
                />
              </Form.Item>
            </Col>
            <Col span={6}>
              <Form.Item name="version" label={t('clusters.deploy.version')}>
                <Select
                  disabled={!app}
                  options={versions.map((v) => ({
                    value: v.version,
                    label: t('clusters.deploy.versionLabel', { version: v.version, change: t(`clusters.deploy.change.${v.change}`) }),
                  }))}
                  data-testid="deploy-version"
                />
              </Form.Item>
            </Col>
            <Col span={8}>
              <Form.Item name="namespace" label={t('clusters.col.namespace')} rules={[{ pattern: NAMESPACE, message: t('clusters.deploy.namespaceRule') }]}>
                <Input data-testid="deploy-namespace" autoComplete="off" />
              </Form.Item>
            </Col>
          </Row>
          <Typography.Text strong>{t('clusters.deploy.targets')}</Typography.Text>
          <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
            {t('clusters.deploy.targetsHelp')}
          </Typography.Paragraph>
          <SelectorRows />
        </Form>
      </Card>
      <Card
        size="small"
        title={t('clusters.deploy.preview')}
        extra={
          <ActionButton type="primary" icon={<RocketOutlined />} unavailable={why} loading={deploy.isPending} onClick={start} data-testid="deploy-start">
            {t('clusters.deploy.deploy')}
          </ActionButton>
        }
      >
        <Space orientation="vertical" style={{ width: '100%' }}>
          {deploy.data && (
            <Alert
              type="success"
              showIcon
              data-testid="deploy-result"
              title={t('clusters.deploy.done')}
              description={
                <List
                  size="small"
                  dataSource={deploy.data.objects}
                  renderItem={(o) => (
                    <List.Item style={{ padding: '2px 0' }}>
                      <Typography.Text code>{`${o.kind.toLowerCase()}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`}</Typography.Text>{' '}
                      <Tag color="blue">{t(`clusters.yaml.action.${o.action}`)}</Tag>
                    </List.Item>
                  )}
                />
              }
            />
          )}
          {deploy.error && <Alert type="error" showIcon title={errorText(deploy.error, lang, t('errors.generic'))} data-testid="deploy-error" />}
          {!current ? (
            <Empty description={t('clusters.deploy.incomplete')} />
          ) : preview.error ? (
            <Alert type="error" showIcon title={errorText(preview.error, lang, t('errors.generic'))} data-testid="deploy-preview-error" />
          ) : (
            <>
              <Typography.Text data-testid="deploy-match">
                {preview.data ? t('clusters.deploy.matching', { count: nodes.length, fitting }) : t('clusters.deploy.previewing')}
              </Typography.Text>
              {nodes.length > 0 && fitting < nodes.length && (
                <Alert type="warning" showIcon title={t('clusters.deploy.someDoNotFit', { count: nodes.length - fitting })} />
              )}
              {preview.data && <PreviewNodes nodes={nodes} />}
              {preview.data && (
                <Collapse
                  size="small"
                  items={[
                    {
                      key: 'yaml',
                      label: t('clusters.deploy.manifests'),
                      children: <YamlEditor value={preview.data.yaml} onChange={() => undefined} height={320} readOnly />,
                    },
                  ]}
                />
              )}
            </>
          )}
        </Space>
      </Card>
    </Space>
  );
}
