import { FileOutlined, KeyOutlined } from '@ant-design/icons';
import { Button, Form, Input, Segmented, Space, Switch, Typography } from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CREDENTIAL_DEFAULTS, type BoxDraft, type CredentialValues } from './draft';
import { clearChangedErrors } from './forms';

/** A private key chosen as a file and read here, in the browser; nothing is uploaded until the run starts. */
function KeyFileInput({ value, onChange }: { value?: string; onChange?: (v: string | undefined) => void }) {
  const { t } = useTranslation();
  const input = useRef<HTMLInputElement>(null);
  const [name, setName] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const kind = value ? (/-----BEGIN ([A-Z ]+) PRIVATE KEY-----/.exec(value)?.[1] ?? null) : null;
  return (
    <Space orientation="vertical" size={2} style={{ width: '100%' }}>
      <Space wrap>
        <Button icon={<FileOutlined />} onClick={() => input.current?.click()} data-testid="cred-key-choose">
          {value ? t('station.cred.keyOther') : t('station.cred.keyChoose')}
        </Button>
        {value && (
          <Button
            type="text"
            onClick={() => {
              setName(null);
              onChange?.(undefined);
            }}
          >
            {t('station.cred.keyClear')}
          </Button>
        )}
      </Space>
      {value ? (
        <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="cred-key-loaded">
          <KeyOutlined /> {t('station.cred.keyLoaded', { name: name ?? t('station.cred.keyUnnamed'), kind: kind ?? '?' })}
        </Typography.Text>
      ) : null}
      {problem && <Typography.Text type="danger">{problem}</Typography.Text>}
      <input
        ref={input}
        type="file"
        style={{ display: 'none' }}
        data-testid="cred-key-file"
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (!file) return;
          setProblem(null);
          if (file.size > 20_000) {
            setProblem(t('station.cred.keyTooBig'));
            return;
          }
          void file.text().then(
            (text) => {
              if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
                setProblem(t('station.cred.keyNotKey', { name: file.name }));
                return;
              }
              setName(file.name);
              onChange?.(text);
            },
            () => setProblem(t('station.cred.keyUnreadable', { name: file.name })),
          );
        }}
      />
    </Space>
  );
}

/** How the station logs in to every box being added: one block for all of them. */
export function CredentialsBlock({ draft }: { draft: BoxDraft }) {
  const { t } = useTranslation();
  const auth = Form.useWatch('auth', draft.credentials) ?? CREDENTIAL_DEFAULTS.auth;
  const username = (Form.useWatch('username', draft.credentials) ?? CREDENTIAL_DEFAULTS.username).trim();
  return (
    <Form<CredentialValues>
      form={draft.credentials}
      layout="vertical"
      initialValues={CREDENTIAL_DEFAULTS}
      data-testid="credentials"
      size="middle"
      onValuesChange={(changed: object) => clearChangedErrors(draft.credentials, changed)}
    >
      <Form.Item name="username" label={t('station.cred.username')} style={{ marginBottom: 12 }}>
        <Input autoComplete="off" spellCheck={false} data-testid="cred-username" />
      </Form.Item>
      <Form.Item name="auth" label={t('station.cred.auth')} style={{ marginBottom: 12 }}>
        <Segmented
          data-testid="cred-auth"
          options={[
            { value: 'password', label: t('station.cred.password') },
            { value: 'key', label: t('station.cred.key') },
          ]}
        />
      </Form.Item>
      {auth === 'password' ? (
        <Form.Item name="password" label={t('station.cred.password')} style={{ marginBottom: 12 }}>
          <Input.Password autoComplete="new-password" data-testid="cred-password" />
        </Form.Item>
      ) : (
        <>
          <Form.Item name="privateKey" label={t('station.cred.keyFile')} style={{ marginBottom: 12 }}>
            <KeyFileInput />
          </Form.Item>
          <Form.Item name="passphrase" label={t('station.cred.passphrase')} extra={t('station.cred.passphraseHelp')} style={{ marginBottom: 12 }}>
            <Input.Password autoComplete="new-password" data-testid="cred-passphrase" />
          </Form.Item>
        </>
      )}
      {username !== 'root' && (
        <Form.Item name="sudoPassword" label={t('station.cred.sudo')} extra={t('station.cred.sudoHelp')} style={{ marginBottom: 12 }}>
          <Input.Password autoComplete="new-password" data-testid="cred-sudo" />
        </Form.Item>
      )}
      <Form.Item name="legacyAlgorithms" valuePropName="checked" extra={t('station.cred.legacyHelp')} style={{ marginBottom: 0 }}>
        <Switch data-testid="cred-legacy" checkedChildren={t('station.cred.legacy')} unCheckedChildren={t('station.cred.legacy')} />
      </Form.Item>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('station.cred.sealed')}
      </Typography.Text>
    </Form>
  );
}
