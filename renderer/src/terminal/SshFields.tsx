import { FileOutlined } from '@ant-design/icons';
import { useQueries, useQuery } from '@tanstack/react-query';
import { Alert, Button, Col, Form, Input, InputNumber, Row, Segmented, Select, Space, Switch, Typography } from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { FlashBox } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { errorText } from '../api/errors';
import { formatTime } from '../i18n/format';
import { usePreferences } from '../settings/preferences';

/** How many of the newest flash runs the box picker reads. */
const RUNS_READ = 20;

/** A box the terminal can reach over SSH: an SSH target, or a serial one that brought a NIC up (bootstrap). */
function sshAddress(box: FlashBox): string | null {
  const target = box.target;
  if (target.transport === 'ssh') return `${target.host}:${target.port}`;
  if (target.bootstrap) return `${target.bootstrap.sshHost ?? target.bootstrap.address.replace(/\/\d+$/, '')}:${target.bootstrap.sshPort}`;
  return null;
}

/** The flashed boxes, by run (newest first); the station keeps each one's address and credentials. */
function BoxPicker({ value, onChange }: { value?: string; onChange?: (v: string) => void }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { lang } = usePreferences();
  const runs = useQuery(orpc.flash.runs.queryOptions());
  const recent = [...(runs.data ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, RUNS_READ);
  const details = useQueries({ queries: recent.map((r) => orpc.flash.run.queryOptions({ input: { id: r.id } })) });
  const loading = runs.isLoading || details.some((d) => d.isLoading);
  const options = details.flatMap((d) => {
    if (!d.data) return [];
    const boxes = d.data.boxes.map((b) => ({ box: b, address: sshAddress(b) })).filter((x) => x.address);
    if (boxes.length === 0) return [];
    return [
      {
        label: `${d.data.run.comboName} · ${formatTime(d.data.run.createdAt, lang)}`,
        title: d.data.run.id,
        options: boxes.map(({ box, address }) => ({
          value: box.id,
          label: `${box.label}${box.serial ? ` (${box.serial})` : ''} — ${box.username}@${address}`,
        })),
      },
    ];
  });
  const problem = runs.error ?? details.find((d) => d.error)?.error;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size={4}>
      {problem ? <Alert type="error" showIcon title={errorText(problem, lang, t('errors.generic'))} /> : null}
      <Select
        value={value}
        onChange={onChange}
        showSearch={{ optionFilterProp: 'label' }}
        loading={loading}
        options={options}
        placeholder={t('terminal.new.boxPlaceholder')}
        notFoundContent={loading ? t('common.loading') : t('terminal.new.noBoxes')}
        data-testid="terminal-ssh-box"
      />
    </Space>
  );
}

/** A private key pasted, or read from a file here in the browser (it goes to the station only with the request). */
function KeyInput({ value, onChange }: { value?: string; onChange?: (v: string) => void }) {
  const { t } = useTranslation();
  const file = useRef<HTMLInputElement>(null);
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size={4}>
      <Input.TextArea
        value={value}
        onChange={(e) => onChange?.(e.target.value)}
        autoSize={{ minRows: 3, maxRows: 6 }}
        placeholder="-----BEGIN OPENSSH PRIVATE KEY-----"
        spellCheck={false}
        style={{ fontFamily: 'ui-monospace, monospace', fontSize: 12 }}
        data-testid="terminal-ssh-key"
      />
      <Space>
        <Button size="small" icon={<FileOutlined />} onClick={() => file.current?.click()} data-testid="terminal-ssh-key-open">
          {t('terminal.new.keyOpen')}
        </Button>
        {problem ? <Typography.Text type="danger">{problem}</Typography.Text> : null}
      </Space>
      <input
        ref={file}
        type="file"
        style={{ display: 'none' }}
        data-testid="terminal-ssh-key-file"
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (!f) return;
          setProblem(null);
          if (f.size > 64 * 1024) return setProblem(t('terminal.new.keyTooBig'));
          void f.text().then(
            (text) => {
              if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) setProblem(t('terminal.new.keyNotKey', { name: f.name }));
              else onChange?.(text);
            },
            () => setProblem(t('terminal.new.keyUnreadable', { name: f.name })),
          );
        }}
      />
    </Space>
  );
}

/** SSH: an address and a login, or a flashed box the station already knows how to reach. */
export function SshFields() {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  const via = (Form.useWatch('sshVia', form) as 'address' | 'box' | undefined) ?? 'address';
  const auth = (Form.useWatch('auth', form) as 'password' | 'key' | undefined) ?? 'password';
  return (
    <>
      <Form.Item name="sshVia" style={{ marginBottom: 12 }}>
        <Segmented
          data-testid="terminal-ssh-via"
          options={[
            { value: 'address', label: t('terminal.new.viaAddress') },
            { value: 'box', label: t('terminal.new.viaBox') },
          ]}
        />
      </Form.Item>
      {via === 'box' ? (
        <Form.Item name="boxId" label={t('terminal.new.box')} extra={t('terminal.new.boxHelp')}>
          <BoxPicker />
        </Form.Item>
      ) : (
        <>
          <Row gutter={12}>
            <Col flex="1 1 240px">
              <Form.Item name="host" label={t('terminal.new.host')}>
                <Input placeholder="192.168.1.20" autoComplete="off" spellCheck={false} data-testid="terminal-ssh-host" />
              </Form.Item>
            </Col>
            <Col flex="0 0 110px">
              <Form.Item name="port" label={t('terminal.new.port')}>
                <InputNumber min={1} max={65535} style={{ width: '100%' }} data-testid="terminal-ssh-port" />
              </Form.Item>
            </Col>
            <Col flex="1 1 160px">
              <Form.Item name="username" label={t('terminal.new.username')}>
                <Input autoComplete="off" spellCheck={false} data-testid="terminal-ssh-user" />
              </Form.Item>
            </Col>
          </Row>
          <Form.Item name="auth" label={t('terminal.new.auth')} style={{ marginBottom: 12 }}>
            <Segmented
              data-testid="terminal-ssh-auth"
              options={[
                { value: 'password', label: t('terminal.new.password') },
                { value: 'key', label: t('terminal.new.key') },
              ]}
            />
          </Form.Item>
          {auth === 'password' ? (
            <Form.Item name="password" label={t('terminal.new.password')}>
              <Input.Password autoComplete="new-password" data-testid="terminal-ssh-password" />
            </Form.Item>
          ) : (
            <>
              <Form.Item name="privateKey" label={t('terminal.new.key')}>
                <KeyInput />
              </Form.Item>
              <Form.Item name="passphrase" label={t('terminal.new.passphrase')} extra={t('terminal.new.passphraseHelp')}>
                <Input.Password autoComplete="new-password" data-testid="terminal-ssh-passphrase" />
              </Form.Item>
            </>
          )}
          <Form.Item name="legacyAlgorithms" valuePropName="checked" extra={t('terminal.new.legacyHelp')} style={{ marginBottom: 0 }}>
            <Switch data-testid="terminal-ssh-legacy" checkedChildren={t('terminal.new.legacy')} unCheckedChildren={t('terminal.new.legacy')} />
          </Form.Item>
        </>
      )}
    </>
  );
}
