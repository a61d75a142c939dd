import { CloudServerOutlined, CodeOutlined, DisconnectOutlined, GlobalOutlined, SafetyCertificateOutlined, UsbOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, App, Button, Descriptions, Form, Input, Modal, Segmented, Select, Space, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TerminalOpen, TerminalSession } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { apiErrorData, errorText, formFieldErrors } from '../api/errors';
import { usePreferences } from '../settings/preferences';
import { ProblemAlert } from '../settings/StationLocked';
import { changedFingerprints, FINGERPRINT_RULE } from './hostKey';
import { PodFields, podInput, podIssues, type PodValues } from './PodFields';
import { SerialFields } from './SerialFields';
import { SshFields } from './SshFields';
import { TERMINAL_FONT } from './theme';
import { useFreePort } from '../serial/useFreePort';

type Kind = TerminalOpen['kind'];

interface Values extends PodValues {
  kind: Kind;
  shell?: string;
  sshVia: 'address' | 'box';
  boxId?: string;
  host?: string;
  port?: number | null;
  username?: string;
  auth: 'password' | 'key';
  password?: string;
  privateKey?: string;
  passphrase?: string;
  legacyAlgorithms: boolean;
  path?: string;
  baud: number;
  dataBits: number;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits: 1 | 1.5 | 2;
  flowControl: 'none' | 'rts-cts' | 'xon-xoff';
  newline: 'cr' | 'lf' | 'crlf';
}

const DEFAULTS: Omit<Values, 'kind'> = {
  sshVia: 'address',
  port: 22,
  auth: 'password',
  legacyAlgorithms: false,
  baud: 115200,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
  flowControl: 'none',
  newline: 'cr',
  namespace: 'default',
  command: '/bin/sh',
};

/** The form's fields, named as the API names them (so its field errors land on them). */
const FIELDS = [
  'shell',
  'boxId',
  'host',
  'port',
  'username',
  'password',
  'privateKey',
  'passphrase',
  'path',
  'baud',
  'dataBits',
  'parity',
  'stopBits',
  'flowControl',
  'newline',
  'clusterId',
  'namespace',
  'pod',
  'container',
  'command',
] as const;

const text = (s: string | undefined) => (s?.trim() ? s.trim() : undefined);

function openInput(v: Values, size: { cols: number; rows: number }, retrustFingerprint?: string): TerminalOpen {
  if (v.kind === 'local') return { kind: 'local', ...(v.shell ? { shell: v.shell } : {}), ...size };
  if (v.kind === 'serial') {
    const { baud, dataBits, parity, stopBits, flowControl, newline } = v;
    return { kind: 'serial', path: (v.path ?? '').trim(), baud, dataBits, parity, stopBits, flowControl, newline, ...size };
  }
  if (v.kind === 'pod') return podInput(v, size);
  const common = { kind: 'ssh' as const, legacyAlgorithms: false, port: 22, ...size, ...(retrustFingerprint ? { retrustFingerprint } : {}) };
  if (v.sshVia === 'box') return { ...common, ...(v.boxId ? { boxId: v.boxId } : {}) };
  const key = v.auth === 'key';
  const input: TerminalOpen = { ...common, port: v.port ?? 22, legacyAlgorithms: v.legacyAlgorithms };
  const host = text(v.host);
  const username = text(v.username);
  if (host) input.host = host;
  if (username) input.username = username;
  if (!key && v.password) input.password = v.password;
  if (key && text(v.privateKey)) input.privateKey = v.privateKey!.trim() + '\n';
  if (key && v.passphrase) input.passphrase = v.passphrase;
  return input;
}

/**
 * The SSH host key changed: the recorded and the presented fingerprints,
 * and the explicit "trust the new key", only for the fingerprint the user
 * confirms (the station checks the host presents exactly that one).
 */
function HostKeyChanged({ error, onTrust, busy }: { error: unknown; onTrust: (fingerprint: string) => void; busy: boolean }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  const { modal } = App.useApp();
  const found = changedFingerprints(apiErrorData(error)?.message.en ?? '');
  const [fingerprint, setFingerprint] = useState(found.presented ?? '');
  const valid = FINGERPRINT_RULE.test(fingerprint.trim());
  const confirm = () =>
    modal.confirm({
      title: t('terminal.hostKey.confirmTitle'),
      width: 560,
      content: (
        <Space orientation="vertical">
          <Typography.Paragraph style={{ margin: 0 }}>{t('terminal.hostKey.risk')}</Typography.Paragraph>
          <Typography.Text strong style={{ fontFamily: TERMINAL_FONT }}>
            {fingerprint.trim()}
          </Typography.Text>
        </Space>
      ),
      okText: t('terminal.hostKey.trust'),
      okButtonProps: { danger: true, 'data-testid': 'terminal-retrust-confirm' } as never,
      cancelText: t('common.cancel'),
      onOk: () => onTrust(fingerprint.trim()),
    });
  return (
    <Alert
      type="error"
      showIcon
      icon={<SafetyCertificateOutlined />}
      data-testid="terminal-hostkey-changed"
      title={t('terminal.hostKey.changed')}
      description={
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Typography.Text>{errorText(error, lang, t('errors.generic'))}</Typography.Text>
          <Descriptions size="small" column={1}>
            <Descriptions.Item label={t('terminal.hostKey.recorded')}>
              <Typography.Text code style={{ fontFamily: TERMINAL_FONT }}>
                {found.recorded ?? '—'}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('terminal.hostKey.presented')}>
              <Typography.Text code style={{ fontFamily: TERMINAL_FONT }}>
                {found.presented ?? '—'}
              </Typography.Text>
            </Descriptions.Item>
          </Descriptions>
          <Form.Item
            layout="vertical"
            label={t('terminal.hostKey.confirmLabel')}
            validateStatus={fingerprint && !valid ? 'error' : undefined}
            help={fingerprint && !valid ? t('terminal.hostKey.fingerprintBad') : t('terminal.hostKey.confirmHelp')}
            style={{ marginBottom: 8 }}
          >
            <Input
              value={fingerprint}
              onChange={(e) => setFingerprint(e.target.value)}
              placeholder="SHA256:…"
              spellCheck={false}
              style={{ fontFamily: TERMINAL_FONT }}
              data-testid="terminal-retrust-fingerprint"
            />
          </Form.Item>
          <Button danger disabled={!valid} loading={busy} onClick={confirm} data-testid="terminal-retrust">
            {t('terminal.hostKey.trustAndConnect')}
          </Button>
        </Space>
      }
    />
  );
}

/**
 * A new session (Ctrl+Shift+T): a local shell, SSH, a serial console, or a
 * shell in a pod. Enter opens it, Esc cancels. The station checks the input;
 * its field errors show under the fields, in the UI's language, as do the
 * pod fields' own checks made here first.
 */
export function NewSessionModal({
  sizeNow,
  onOpened,
  onClose,
}: {
  /** The size the session opens at (its screen is fitted right after). */
  sizeNow: () => { cols: number; rows: number };
  onOpened: (s: TerminalSession) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const { client, orpc } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const kind = (Form.useWatch('kind', form) as Kind | undefined) ?? 'local';
  const shells = useQuery(orpc.terminal.shells.queryOptions());
  const [problem, setProblem] = useState<unknown>(null);
  /** The fields whose station error still shows (an edited field's goes away). */
  const [problemFields, setProblemFields] = useState<string[]>([]);
  /** The dialog's own findings (i18n keys), shown like the station's until their field is edited. */
  const [checks, setChecks] = useState<{ name: string; key: string }[]>([]);

  // The login shell (listed first) preselected.
  useEffect(() => {
    const first = shells.data?.[0];
    if (first && !form.getFieldValue('shell')) form.setFieldValue('shell', first.path);
  }, [shells.data, form]);

  // Field errors in the current language: set again when the language changes.
  const fieldErrors = [
    ...formFieldErrors(problem, lang, FIELDS).filter((f) => problemFields.includes(String(f.name[0]))),
    ...checks.map((c) => ({ name: [c.name], errors: [t(c.key)] })),
  ];
  useEffect(() => {
    form.setFields(FIELDS.map((name) => ({ name, errors: fieldErrors.find((f) => f.name[0] === name)?.errors ?? [] })));
    // fieldErrors is derived from these.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [problem, problemFields, checks, lang, form]);

  const open = useMutation({
    mutationFn: (input: TerminalOpen) => client.terminal.open(input),
    onSuccess: (s) => {
      if (s.hostKey?.firstUse) void message.info(t('terminal.hostKey.trustedFirstUse', { fingerprint: s.hostKey.fingerprint }), 6);
      onOpened(s);
    },
    onError: (e) => {
      setProblem(e);
      setProblemFields(formFieldErrors(e, lang, FIELDS).map((f) => String(f.name[0])));
    },
  });

  const submit = (retrustFingerprint?: string) => {
    if (open.isPending) return;
    const v = { ...DEFAULTS, ...form.getFieldsValue(true) } as Values;
    const issues = v.kind === 'pod' ? podIssues(v) : [];
    setProblem(null);
    setProblemFields([]);
    setChecks(issues);
    if (issues.length === 0) open.mutate(openInput(v, sizeNow(), retrustFingerprint));
  };

  // Enter opens the session from anywhere in the dialog, except where Enter means something else
  // (a new line in the key, a button, an open drop-down).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Enter' || e.isComposing || e.shiftKey || e.ctrlKey || e.altKey) return;
      const el = e.target as HTMLElement;
      if (!el.closest('[data-testid="terminal-new"]')) return;
      if (el.tagName === 'TEXTAREA' || el.tagName === 'BUTTON' || el.getAttribute('aria-expanded') === 'true') return;
      e.preventDefault();
      e.stopPropagation();
      submit();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  });

  // The keyboard starts in the form (antd would start on the dialog's close button, where Enter closes): on the kind's
  // first field, or on the kind itself.
  const focusFirst = () => {
    const root = document.querySelector('[data-testid="terminal-new"]');
    const first = root?.querySelector<HTMLElement>(
      '[data-testid="terminal-ssh-host"], [data-testid="terminal-serial-path"], [data-testid="terminal-kind"] input:checked',
    );
    first?.focus();
  };
  useEffect(() => {
    const frame = requestAnimationFrame(focusFirst);
    return () => cancelAnimationFrame(frame);
  }, [kind]);

  const code = apiErrorData(problem)?.code;
  const serialPath = kind === 'serial' ? ((form.getFieldValue('path') as string | undefined)?.trim() ?? '') : '';
  // A refusal about a field shows only under it, and goes once the field is edited.
  const general = problem && formFieldErrors(problem, lang, FIELDS).length === 0 && code !== 'SSH_HOSTKEY_CHANGED';

  return (
    <Modal
      open
      width={720}
      title={t('terminal.new.title')}
      onCancel={onClose}
      onOk={() => submit()}
      okText={t('terminal.new.open')}
      okButtonProps={{ loading: open.isPending, 'data-testid': 'terminal-new-open' } as never}
      cancelText={t('common.cancel')}
      destroyOnHidden
      afterOpenChange={(opened) => opened && focusFirst()}
      modalRender={(node) => <div data-testid="terminal-new">{node}</div>}
    >
      <Form<Values>
        form={form}
        layout="vertical"
        initialValues={{ ...DEFAULTS, kind: 'local' }}
        onValuesChange={(changed: Partial<Values>) => {
          const names = Object.keys(changed);
          if (names.includes('kind')) {
            setProblem(null);
            setProblemFields([]);
            setChecks([]);
          } else {
            if (names.some((n) => problemFields.includes(n))) setProblemFields(problemFields.filter((n) => !names.includes(n)));
            if (checks.some((c) => names.includes(c.name))) setChecks(checks.filter((c) => !names.includes(c.name)));
          }
        }}
      >
        <Form.Item name="kind" style={{ marginBottom: 16 }}>
          <Segmented
            block
            data-testid="terminal-kind"
            options={[
              { value: 'local', label: t('terminal.kind.local'), icon: <CodeOutlined /> },
              { value: 'ssh', label: t('terminal.kind.ssh'), icon: <GlobalOutlined /> },
              { value: 'serial', label: t('terminal.kind.serial'), icon: <UsbOutlined /> },
              { value: 'pod', label: t('terminal.kind.pod'), icon: <CloudServerOutlined /> },
            ]}
          />
        </Form.Item>
        {kind === 'local' ? (
          <Form.Item name="shell" label={t('terminal.new.shell')} extra={t('terminal.new.shellHelp')}>
            <Select
              data-testid="terminal-shell"
              loading={shells.isLoading}
              options={(shells.data ?? []).map((s, i) => ({
                value: s.path,
                label: i === 0 ? `${s.path} (${t('terminal.new.loginShell')})` : s.path,
              }))}
            />
          </Form.Item>
        ) : kind === 'ssh' ? (
          <SshFields />
        ) : kind === 'pod' ? (
          <PodFields />
        ) : (
          <SerialFields />
        )}
      </Form>
      {shells.error && kind === 'local' ? <ProblemAlert error={shells.error} /> : null}
      {code === 'SSH_HOSTKEY_CHANGED' ? <HostKeyChanged error={problem} busy={open.isPending} onTrust={(fp) => submit(fp)} /> : null}
      {general ? (
        <Space orientation="vertical" style={{ width: '100%', marginTop: 8 }}>
          <ProblemAlert error={problem} testId="terminal-new-error" />
          {kind === 'serial' && serialPath ? <FreePortHint path={serialPath} /> : null}
        </Space>
      ) : null}
      <Typography.Text type="secondary" style={{ fontSize: 12, display: 'block', marginTop: 12 }}>
        {t('terminal.new.keys')}
      </Typography.Text>
    </Modal>
  );
}

/** A port that would not open may be held by a flash job or another session: free it, then try again. */
function FreePortHint({ path }: { path: string }) {
  const { t } = useTranslation();
  const free = useFreePort(path);
  return (
    <Button size="small" icon={<DisconnectOutlined />} loading={free.isPending} onClick={() => free.mutate()} data-testid="terminal-new-free-port">
      {t('terminal.serial.freeThis', { path })}
    </Button>
  );
}
