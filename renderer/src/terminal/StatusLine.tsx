import { SafetyCertificateOutlined } from '@ant-design/icons';
import { Badge, Space, Tag, Tooltip, Typography, theme } from 'antd';
import { useTranslation } from 'react-i18next';
import type { TerminalSession } from '../../../main/api/contract';
import type { Renderer } from './screen';
import { TERMINAL_FONT } from './theme';
import { StateDot } from './StateDot';

/** The line under the screen: what the session is, where it goes, its state and the facts a technician checks. */
export function StatusLine({ session, size, renderer }: { session: TerminalSession; size: { cols: number; rows: number }; renderer: Renderer | null }) {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const small = { fontSize: 12 };
  return (
    <div
      data-testid="terminal-status"
      data-state={session.state}
      style={{ display: 'flex', alignItems: 'center', gap: 12, padding: '4px 8px', borderTop: `1px solid ${token.colorBorderSecondary}`, flexWrap: 'wrap' }}
    >
      <Tag style={{ margin: 0 }}>{t(`terminal.kind.${session.kind}`)}</Tag>
      <Typography.Text style={{ ...small, fontFamily: TERMINAL_FONT }} data-testid="terminal-status-target">
        {session.target}
      </Typography.Text>
      <Space size={4} style={small}>
        <StateDot state={session.state} />
        <span data-testid="terminal-status-state">{t(`terminal.state.${session.state}`)}</span>
        {session.state === 'exited' && session.exitCode !== null ? <span>({t('terminal.exitCode', { code: session.exitCode })})</span> : null}
      </Space>
      {session.hostKey ? (
        <Space size={4} style={small} data-testid="terminal-hostkey">
          <Tooltip title={t('terminal.hostKey.help')}>
            <SafetyCertificateOutlined />
          </Tooltip>
          <Typography.Text style={{ ...small, fontFamily: TERMINAL_FONT }} copyable data-testid="terminal-fingerprint">
            {session.hostKey.fingerprint}
          </Typography.Text>
          {session.hostKey.firstUse ? (
            <Tooltip title={t('terminal.hostKey.firstUseHelp')}>
              <Tag color="warning" style={{ margin: 0 }} data-testid="terminal-first-use">
                {t('terminal.hostKey.firstUse')}
              </Tag>
            </Tooltip>
          ) : (
            <Tag color="success" style={{ margin: 0 }}>
              {t('terminal.hostKey.known')}
            </Tag>
          )}
        </Space>
      ) : null}
      {session.kind === 'serial' && session.newline ? (
        <Typography.Text type="secondary" style={small}>
          {t('terminal.serial.newlineIs', { newline: { cr: 'CR', lf: 'LF', crlf: 'CR LF' }[session.newline] })}
        </Typography.Text>
      ) : null}
      <span style={{ flex: 1 }} />
      <Typography.Text type="secondary" style={small} data-testid="terminal-size">
        {size.cols}×{size.rows}
      </Typography.Text>
      {renderer ? (
        <Tooltip title={renderer === 'webgl' ? t('terminal.renderer.webglHelp') : t('terminal.renderer.domHelp')}>
          <Badge
            status="default"
            text={<span style={small}>{t(`terminal.renderer.${renderer}`)}</span>}
            data-testid="terminal-renderer"
            data-renderer={renderer}
          />
        </Tooltip>
      ) : null}
    </div>
  );
}
