import { CopyOutlined, DownloadOutlined, LockOutlined, SafetyCertificateOutlined, UnlockOutlined, UploadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Descriptions, Empty, Form, Input, Modal, Space, Table, Tag, Typography, type FormRule } from 'antd';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { StationStatus } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { errorText, formFieldErrors } from '../api/errors';
import { formatTime } from '../i18n/format';
import { copyText, saveFile } from '../shell/files';
import { usePreferences } from './preferences';

type KeyInfo = NonNullable<StationStatus['key']>;

const MIN_PASSPHRASE = 8;

/** The rules of a new passphrase and its confirmation field. */
function usePassphraseRules(confirmOf: string) {
  const { t } = useTranslation();
  const passphrase: FormRule[] = [
    { required: true, message: t('stationKey.passphraseRequired') },
    { min: MIN_PASSPHRASE, message: t('stationKey.passphraseShort', { n: MIN_PASSPHRASE }) },
  ];
  const confirm: FormRule[] = [
    { required: true, message: t('stationKey.confirmRequired') },
    ({ getFieldValue }) => ({
      validator: (_, v: string | undefined) =>
        !v || v === getFieldValue(confirmOf) ? Promise.resolve() : Promise.reject(new Error(t('stationKey.confirmMismatch'))),
    }),
  ];
  return { passphrase, confirm };
}

/** Shows an API error under the form's fields, or returns its text when no field claims it. */
function useServerErrors<T>(form: ReturnType<typeof Form.useForm<T>>[0], fields: string[]) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  return (e: unknown): string | null => {
    const f = formFieldErrors(e, lang, fields);
    if (f.length > 0) {
      form.setFields(f as never);
      return null;
    }
    return errorText(e, lang, t('errors.generic'));
  };
}

/** Locked: choose the first passphrase (a new station), or type it to unlock. */
function UnlockForm({ firstRun }: { firstRun: boolean }) {
  const { t } = useTranslation();
  const { client, orpc } = useApi();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<{ passphrase: string; confirm?: string }>();
  const [problem, setProblem] = useState<string | null>(null);
  const rules = usePassphraseRules('passphrase');
  const serverErrors = useServerErrors(form, ['passphrase']);
  const unlock = useMutation({
    mutationFn: (passphrase: string) => client.station.unlock({ passphrase }),
    onSuccess: (s) => {
      queryClient.setQueryData(orpc.station.status.queryKey(), s);
      // Everything that signs or shows the key may read differently now.
      void queryClient.invalidateQueries();
    },
    onError: (e) => setProblem(serverErrors(e)),
  });
  return (
    <Form
      form={form}
      layout="vertical"
      style={{ maxWidth: 480 }}
      onFinish={(v) => {
        setProblem(null);
        unlock.mutate(v.passphrase);
      }}
      data-testid={firstRun ? 'station-choose-form' : 'station-unlock-form'}
    >
      <Typography.Title level={5} style={{ marginTop: 0 }}>
        {firstRun ? t('stationKey.choose') : t('stationKey.unlockTitle')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{firstRun ? t('stationKey.chooseHelp') : t('stationKey.unlockHelp')}</Typography.Paragraph>
      <Form.Item name="passphrase" label={t('stationKey.passphrase')} rules={firstRun ? rules.passphrase : rules.passphrase.slice(0, 1)}>
        <Input.Password autoFocus autoComplete={firstRun ? 'new-password' : 'current-password'} data-testid="station-passphrase" />
      </Form.Item>
      {firstRun && (
        <Form.Item name="confirm" label={t('stationKey.confirm')} dependencies={['passphrase']} rules={rules.confirm}>
          <Input.Password autoComplete="new-password" data-testid="station-passphrase-confirm" />
        </Form.Item>
      )}
      {problem && <Alert type="error" showIcon title={problem} style={{ marginBottom: 16 }} data-testid="station-unlock-error" />}
      <Button type="primary" htmlType="submit" icon={<UnlockOutlined />} loading={unlock.isPending} data-testid="station-unlock">
        {firstRun ? t('stationKey.chooseSubmit') : t('stationKey.unlock')}
      </Button>
    </Form>
  );
}

/** Backup: the private key as an encrypted PEM under a passphrase of its own. */
function BackupModal({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const { client } = useApi();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ passphrase: string; confirm: string }>();
  const [problem, setProblem] = useState<string | null>(null);
  const rules = usePassphraseRules('passphrase');
  const serverErrors = useServerErrors(form, ['passphrase']);
  const backup = useMutation({
    mutationFn: (passphrase: string) => client.station.exportKey({ passphrase }),
    onSuccess: (f) => {
      saveFile(f.fileName, f.file, 'application/x-pem-file');
      void message.success(t('stationKey.backupSaved', { file: f.fileName }));
      onClose();
    },
    onError: (e) => setProblem(serverErrors(e)),
  });
  return (
    <Modal
      open
      title={t('stationKey.backup')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('stationKey.backupSubmit')}
      cancelText={t('common.cancel')}
      confirmLoading={backup.isPending}
      okButtonProps={{ 'data-testid': 'station-backup-ok' } as never}
      data-testid="station-backup-modal"
    >
      <Alert type="warning" showIcon title={t('stationKey.backupWarning')} description={t('stationKey.backupWarningHelp')} style={{ marginBottom: 16 }} />
      <Form
        form={form}
        layout="vertical"
        onFinish={(v) => {
          setProblem(null);
          backup.mutate(v.passphrase);
        }}
      >
        <Form.Item name="passphrase" label={t('stationKey.backupPassphrase')} rules={rules.passphrase} extra={t('stationKey.backupPassphraseHelp')}>
          <Input.Password autoFocus autoComplete="new-password" data-testid="station-backup-passphrase" />
        </Form.Item>
        <Form.Item name="confirm" label={t('stationKey.confirm')} dependencies={['passphrase']} rules={rules.confirm}>
          <Input.Password autoComplete="new-password" data-testid="station-backup-confirm" />
        </Form.Item>
        {/* Enter in a field submits. */}
        <button type="submit" hidden />
      </Form>
      {problem && <Alert type="error" showIcon title={problem} data-testid="station-backup-error" />}
    </Modal>
  );
}

/** Restore: a backup becomes the signing key; the current key is retired (kept for verifying). */
function RestoreModal({ current, onClose }: { current: KeyInfo | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { client } = useApi();
  const { message, modal } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<{ pem: string; passphrase: string }>();
  const [problem, setProblem] = useState<string | null>(null);
  const serverErrors = useServerErrors(form, ['pem', 'passphrase']);
  const restore = useMutation({
    mutationFn: (v: { pem: string; passphrase: string }) => client.station.importKey(v),
    onSuccess: (s) => {
      void queryClient.invalidateQueries();
      void message.success(t('stationKey.restored', { fingerprint: s.key?.fingerprint ?? '' }));
      onClose();
    },
    onError: (e) => setProblem(serverErrors(e)),
  });
  const readFile = (file: File | undefined) => {
    if (!file) return;
    file.text().then(
      (text) => form.setFieldsValue({ pem: text }),
      () => form.setFields([{ name: 'pem', errors: [t('stationKey.fileUnreadable')] }]),
    );
  };
  const confirm = (v: { pem: string; passphrase: string }) => {
    setProblem(null);
    modal.confirm({
      title: t('stationKey.restoreConfirmTitle'),
      content: current ? t('stationKey.restoreConfirm', { fingerprint: current.fingerprint }) : t('stationKey.restoreConfirmNoKey'),
      okText: t('stationKey.restoreSubmit'),
      okButtonProps: { danger: true, 'data-testid': 'station-restore-confirm' } as never,
      cancelText: t('common.cancel'),
      onOk: () => restore.mutateAsync(v).catch(() => undefined),
    });
  };
  const pemRules: FormRule[] = [
    { required: true, message: t('stationKey.pemRequired') },
    {
      validator: (_, v: string | undefined) =>
        !v || v.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----') ? Promise.resolve() : Promise.reject(new Error(t('stationKey.pemNotBackup'))),
    },
  ];
  return (
    <Modal
      open
      width={640}
      title={t('stationKey.restore')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('stationKey.restoreNext')}
      cancelText={t('common.cancel')}
      confirmLoading={restore.isPending}
      okButtonProps={{ 'data-testid': 'station-restore-ok' } as never}
      data-testid="station-restore-modal"
    >
      <Typography.Paragraph type="secondary">{t('stationKey.restoreHelp')}</Typography.Paragraph>
      <Form form={form} layout="vertical" onFinish={confirm}>
        <Form.Item label={t('stationKey.backupFile')}>
          <input
            type="file"
            accept=".pem,.key,.txt,application/x-pem-file"
            onChange={(e) => readFile(e.target.files?.[0])}
            data-testid="station-restore-file"
          />
        </Form.Item>
        <Form.Item name="pem" label={t('stationKey.backupPem')} rules={pemRules}>
          <Input.TextArea rows={6} spellCheck={false} style={{ fontFamily: 'monospace', fontSize: 12 }} data-testid="station-restore-pem" />
        </Form.Item>
        <Form.Item name="passphrase" label={t('stationKey.backupPassphrase')} rules={[{ required: true, message: t('stationKey.passphraseRequired') }]}>
          <Input.Password autoComplete="off" data-testid="station-restore-passphrase" />
        </Form.Item>
        <button type="submit" hidden />
      </Form>
      {problem && <Alert type="error" showIcon title={problem} data-testid="station-restore-error" />}
    </Modal>
  );
}

function CopyButton({ text, label, testId }: { text: string; label: string; testId?: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  return (
    <Button
      size="small"
      icon={<CopyOutlined />}
      data-testid={testId}
      onClick={() =>
        copyText(text).then(
          () => void message.success(t('common.copied')),
          () => void message.error(t('common.copyFailed')),
        )
      }
    >
      {label}
    </Button>
  );
}

/** The station's public key, as other stations and people compare and paste it. */
export function PublicKeyDetails({ fingerprint, hex, pem, extra }: { fingerprint: string; hex: string; pem: string; extra?: ReactNode }) {
  const { t } = useTranslation();
  return (
    <Descriptions column={1} size="small" bordered>
      <Descriptions.Item label={t('stationKey.fingerprint')}>
        <Typography.Text code data-testid="station-fingerprint">
          {fingerprint}
        </Typography.Text>
      </Descriptions.Item>
      <Descriptions.Item label={t('stationKey.publicKey')}>
        <Space direction="vertical" size={4} style={{ width: '100%' }}>
          <Typography.Text code style={{ wordBreak: 'break-all', fontSize: 13 }} data-testid="station-public-hex">
            {hex}
          </Typography.Text>
          <Space wrap>
            <CopyButton text={hex} label={t('stationKey.copyHex')} testId="station-copy-hex" />
            <CopyButton text={pem} label={t('stationKey.copyPem')} />
            <Button
              size="small"
              icon={<DownloadOutlined />}
              onClick={() => saveFile(`edgeforge-station-${hex.slice(2, 14)}.pub.pem`, pem, 'application/x-pem-file')}
              data-testid="station-export-public"
            >
              {t('stationKey.exportPublic')}
            </Button>
            {extra}
          </Space>
        </Space>
      </Descriptions.Item>
    </Descriptions>
  );
}

/** Settings › Station key: the vault, the signing key, its backup and restore, and retired keys. */
export function StationKeyCard({ focus }: { focus?: boolean }) {
  const { t } = useTranslation();
  const { orpc, client } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const status = useQuery(orpc.station.status.queryOptions());
  const [dialog, setDialog] = useState<'backup' | 'restore' | null>(null);
  const cardRef = useRef<HTMLDivElement>(null);
  const lock = useMutation({
    mutationFn: () => client.station.lock(),
    onSuccess: () => void queryClient.invalidateQueries(),
    onError: (e) => void message.error(errorText(e, lang, t('errors.generic'))),
  });
  const loaded = !!status.data;
  useEffect(() => {
    if (focus && loaded) cardRef.current?.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }, [focus, loaded]);

  const s = status.data;
  const vault = s?.vault;
  const stateTags = vault && (
    <Space size={4}>
      <Tag data-testid="station-vault-method">{vault.method === 'os-keychain' ? t('stationKey.methodKeychain') : t('stationKey.methodPassphrase')}</Tag>
      <Tag color={vault.locked ? 'red' : 'green'} icon={vault.locked ? <LockOutlined /> : <UnlockOutlined />} data-testid="station-vault-state">
        {vault.locked ? t('stationKey.locked') : t('stationKey.unlocked')}
      </Tag>
    </Space>
  );

  let body: ReactNode = null;
  if (status.error) body = <Alert type="error" showIcon title={errorText(status.error, lang, t('errors.generic'))} />;
  else if (s && vault!.locked && vault!.method === 'os-keychain') body = <Alert type="warning" showIcon title={t('stationKey.keychainMissing')} />;
  else if (s && vault!.locked) body = <UnlockForm firstRun={!vault!.initialised} />;
  else if (s && !s.key) body = <Empty description={t('stationKey.noKey')} />;
  else if (s?.key) {
    const k = s.key;
    body = (
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        <PublicKeyDetails fingerprint={k.fingerprint} hex={k.publicKeyHex} pem={k.publicKeyPem} />
        <Typography.Text type="secondary">{t('stationKey.createdAt', { at: formatTime(k.createdAt, lang) })}</Typography.Text>
        <Space wrap>
          <Button icon={<SafetyCertificateOutlined />} onClick={() => setDialog('backup')} data-testid="station-backup">
            {t('stationKey.backup')}
          </Button>
          <Button icon={<UploadOutlined />} onClick={() => setDialog('restore')} data-testid="station-restore">
            {t('stationKey.restore')}
          </Button>
          {vault!.method === 'passphrase' && (
            <Button icon={<LockOutlined />} onClick={() => lock.mutate()} loading={lock.isPending} data-testid="station-lock">
              {t('stationKey.lock')}
            </Button>
          )}
        </Space>
      </Space>
    );
  }

  return (
    <div ref={cardRef} id="station-key" style={{ scrollMarginTop: 16 }}>
      <Card title={t('stationKey.title')} size="small" loading={status.isLoading} extra={stateTags} data-testid="station-key-card">
        <Typography.Paragraph type="secondary">{t('stationKey.help')}</Typography.Paragraph>
        {body}
        {s && s.retired.length > 0 && (
          <>
            <Typography.Title level={5}>{t('stationKey.retired')}</Typography.Title>
            <Typography.Paragraph type="secondary">{t('stationKey.retiredHelp')}</Typography.Paragraph>
            <Table<KeyInfo>
              size="small"
              rowKey="id"
              pagination={false}
              dataSource={s.retired}
              data-testid="station-retired"
              columns={[
                { title: t('stationKey.fingerprint'), key: 'fp', render: (_, r) => <Typography.Text code>{r.fingerprint}</Typography.Text> },
                {
                  title: t('stationKey.publicKey'),
                  key: 'hex',
                  render: (_, r) => <Typography.Text code copyable={{ text: r.publicKeyHex }}>{`${r.publicKeyHex.slice(0, 18)}…`}</Typography.Text>,
                },
                { title: t('stationKey.created'), key: 'c', width: 180, render: (_, r) => formatTime(r.createdAt, lang) },
                { title: t('stationKey.retiredAt'), key: 'r', width: 180, render: (_, r) => (r.retiredAt ? formatTime(r.retiredAt, lang) : '') },
              ]}
            />
          </>
        )}
      </Card>
      {dialog === 'backup' && <BackupModal onClose={() => setDialog(null)} />}
      {dialog === 'restore' && <RestoreModal current={s?.key ?? null} onClose={() => setDialog(null)} />}
    </div>
  );
}
