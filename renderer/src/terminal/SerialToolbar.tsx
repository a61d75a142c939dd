import { DisconnectOutlined } from '@ant-design/icons';
import { useMutation } from '@tanstack/react-query';
import { App, Button, Segmented, Space, Switch, Tooltip, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { TerminalSession } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { errorText } from '../api/errors';
import { usePreferences } from '../settings/preferences';
import { serialPath } from './model';
import { useFreePort } from '../serial/useFreePort';

/** A serial session's extras: what Enter sends, the hex view, and "free the port". */
export function SerialToolbar({
  session,
  hex,
  onHex,
  onSession,
  onFreed,
}: {
  session: TerminalSession;
  hex: boolean;
  onHex: (on: boolean) => void;
  onSession: (s: TerminalSession) => void;
  onFreed: () => void;
}) {
  const { t } = useTranslation();
  const { client } = useApi();
  const { lang } = usePreferences();
  const { modal, message } = App.useApp();
  const path = serialPath(session);
  const newline = useMutation({
    mutationFn: (n: 'cr' | 'lf' | 'crlf') => client.terminal.setNewline({ id: session.id, newline: n }),
    onSuccess: onSession,
    onError: (e) => void message.error(errorText(e, lang, t('errors.generic'))),
  });
  const free = useFreePort(path, onFreed);
  const confirmFree = () =>
    modal.confirm({
      title: t('terminal.serial.freeTitle', { path }),
      content: t('terminal.serial.freeHelp'),
      okText: t('terminal.serial.free'),
      okButtonProps: { danger: true, 'data-testid': 'terminal-free-confirm' } as never,
      cancelText: t('common.cancel'),
      onOk: () => free.mutateAsync(),
    });
  return (
    <Space size={12} wrap data-testid="terminal-serial-toolbar">
      <Space size={6}>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('terminal.serial.enterSends')}
        </Typography.Text>
        <Segmented
          size="small"
          data-testid="terminal-newline"
          value={session.newline ?? 'cr'}
          disabled={session.state === 'exited'}
          onChange={(v) => newline.mutate(v as 'cr' | 'lf' | 'crlf')}
          options={[
            { value: 'cr', label: 'CR' },
            { value: 'lf', label: 'LF' },
            { value: 'crlf', label: 'CR LF' },
          ]}
        />
      </Space>
      <Space size={6}>
        <Switch size="small" checked={hex} onChange={onHex} data-testid="terminal-hex-toggle" aria-label={t('terminal.hex.toggle')} />
        <Typography.Text style={{ fontSize: 12 }}>{t('terminal.hex.toggle')}</Typography.Text>
      </Space>
      <Tooltip title={t('terminal.serial.freeTip')}>
        <Button size="small" danger icon={<DisconnectOutlined />} loading={free.isPending} onClick={confirmFree} data-testid="terminal-free-port">
          {t('terminal.serial.free')}
        </Button>
      </Tooltip>
    </Space>
  );
}
