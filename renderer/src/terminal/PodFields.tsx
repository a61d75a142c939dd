import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Col, Form, Input, Row, Select, Space, Typography } from 'antd';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { TerminalOpen } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { errorText } from '../api/errors';
import { usePreferences } from '../settings/preferences';
import { goTo } from '../shell/areas';

/** What the dialog holds for a pod session; the command is typed as one line. */
export interface PodValues {
  clusterId?: string;
  namespace: string;
  pod?: string;
  container?: string;
  command: string;
}

/** The Kubernetes name rules the contract checks (a DNS subdomain for a pod, a DNS label for a namespace or a container). */
const SUBDOMAIN = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The command's words: split at spaces, with "…" or '…' keeping spaces in a
 * word (as a shell would, without expansions). Null when a quote is not
 * closed.
 */
export function commandWords(line: string): string[] | null {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (/\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? '') + ch;
  }
  if (quote) return null;
  if (word !== null) words.push(word);
  return words;
}

/** The fields the dialog checks before asking the station, as i18n keys of their messages (so they follow a language switch). */
export function podIssues(v: PodValues): { name: keyof PodValues; key: string }[] {
  const issues: { name: keyof PodValues; key: string }[] = [];
  const namespace = v.namespace.trim();
  const pod = v.pod?.trim() ?? '';
  const container = v.container?.trim() ?? '';
  const words = commandWords(v.command);
  if (!v.clusterId) issues.push({ name: 'clusterId', key: 'terminal.pod.check.cluster' });
  if (!LABEL.test(namespace)) issues.push({ name: 'namespace', key: namespace ? 'terminal.pod.check.namespace' : 'terminal.pod.check.namespaceMissing' });
  if (!pod) issues.push({ name: 'pod', key: 'terminal.pod.check.podMissing' });
  else if (pod.length > 253 || !SUBDOMAIN.test(pod)) issues.push({ name: 'pod', key: 'terminal.pod.check.pod' });
  if (container && !LABEL.test(container)) issues.push({ name: 'container', key: 'terminal.pod.check.container' });
  if (words === null) issues.push({ name: 'command', key: 'terminal.pod.check.quote' });
  else if (words.length === 0) issues.push({ name: 'command', key: 'terminal.pod.check.command' });
  return issues;
}

export function podInput(v: PodValues, size: { cols: number; rows: number }): TerminalOpen {
  const container = v.container?.trim();
  return {
    kind: 'pod',
    clusterId: v.clusterId ?? '',
    namespace: v.namespace.trim(),
    pod: v.pod?.trim() ?? '',
    ...(container ? { container } : {}),
    command: commandWords(v.command) ?? [],
    ...size,
  };
}

/**
 * A shell in a pod's container: a cluster the station holds a kubeconfig
 * for (clusters.list), the pod's namespace and name, its container (the
 * pod's default one when empty) and the command (a shell).
 */
export function PodFields() {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const form = Form.useFormInstance();
  const clusters = useQuery(orpc.clusters.list.queryOptions());
  const usable = (clusters.data ?? []).filter((c) => c.credential);

  // The first cluster that can be reached, when none is chosen yet.
  const first = usable[0]?.id;
  useEffect(() => {
    if (first && !form.getFieldValue('clusterId')) form.setFieldValue('clusterId', first);
  }, [first, form]);

  return (
    <>
      {clusters.error ? <Alert type="error" showIcon style={{ marginBottom: 12 }} title={errorText(clusters.error, lang, t('errors.generic'))} /> : null}
      {clusters.isSuccess && clusters.data.length === 0 ? (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 12 }}
          data-testid="terminal-pod-no-clusters"
          title={t('terminal.pod.noClusters')}
          action={
            <Button size="small" onClick={() => goTo('clusters')}>
              {t('terminal.pod.openClusters')}
            </Button>
          }
        />
      ) : null}
      <Row gutter={12}>
        <Col flex="1 1 260px">
          <Form.Item name="clusterId" label={t('terminal.pod.cluster')}>
            <Select
              data-testid="terminal-pod-cluster"
              loading={clusters.isLoading}
              showSearch={{ optionFilterProp: 'label' }}
              placeholder={t('terminal.pod.clusterPlaceholder')}
              options={(clusters.data ?? []).map((c) => ({
                value: c.id,
                label: c.name,
                disabled: !c.credential,
                title: c.server,
              }))}
              optionRender={(o) => {
                const c = clusters.data?.find((x) => x.id === o.value);
                return (
                  <Space size={8}>
                    <span>{o.label}</span>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {c?.credential ? c.server : t('terminal.pod.noCredential')}
                    </Typography.Text>
                  </Space>
                );
              }}
            />
          </Form.Item>
        </Col>
        <Col flex="0 1 200px">
          <Form.Item name="namespace" label={t('terminal.pod.namespace')}>
            <Input autoComplete="off" spellCheck={false} data-testid="terminal-pod-namespace" />
          </Form.Item>
        </Col>
      </Row>
      <Row gutter={12}>
        <Col flex="1 1 260px">
          <Form.Item name="pod" label={t('terminal.pod.pod')}>
            <Input autoComplete="off" spellCheck={false} placeholder="web-7d9f8c6b5-x2x4q" data-testid="terminal-pod-name" />
          </Form.Item>
        </Col>
        <Col flex="0 1 200px">
          <Form.Item name="container" label={t('terminal.pod.container')} extra={t('terminal.pod.containerHelp')}>
            <Input autoComplete="off" spellCheck={false} data-testid="terminal-pod-container" />
          </Form.Item>
        </Col>
      </Row>
      <Form.Item name="command" label={t('terminal.pod.command')} extra={t('terminal.pod.commandHelp')} style={{ marginBottom: 0 }}>
        <Input autoComplete="off" spellCheck={false} style={{ fontFamily: 'ui-monospace, monospace' }} data-testid="terminal-pod-command" />
      </Form.Item>
    </>
  );
}
