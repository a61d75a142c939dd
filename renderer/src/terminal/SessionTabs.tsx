import { Tabs, Tooltip, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { TerminalSession } from '../../../main/api/contract';
import { usePreferences } from '../settings/preferences';
import { StateDot } from './StateDot';

/**
 * One tab per session: its state dot, its title, and a close button (the
 * page asks first when the session still runs). An ended session's tab
 * says why it ended.
 */
export function SessionTabs({
  sessions,
  active,
  onSelect,
  onClose,
  onNew,
}: {
  sessions: TerminalSession[];
  active: string | null;
  onSelect: (id: string) => void;
  onClose: (s: TerminalSession) => void;
  onNew: () => void;
}) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  return (
    <Tabs
      type="editable-card"
      size="small"
      data-testid="terminal-tabs"
      activeKey={active ?? undefined}
      onChange={onSelect}
      tabBarStyle={{ margin: 0 }}
      addIcon={
        <Tooltip title={`${t('terminal.new.title')} (Ctrl+Shift+T)`}>
          <span data-testid="terminal-new-tab" aria-label={t('terminal.new.title')}>
            +
          </span>
        </Tooltip>
      }
      onEdit={(key, action) => {
        if (action === 'add') onNew();
        else {
          const s = sessions.find((x) => x.id === key);
          if (s) onClose(s);
        }
      }}
      items={sessions.map((s) => ({
        key: s.id,
        closable: true,
        closeIcon: <span data-testid={`terminal-tab-close-${s.id}`}>×</span>,
        label: (
          <Tooltip title={s.status ? s.status[lang] : `${t(`terminal.kind.${s.kind}`)} · ${s.target} · ${t(`terminal.state.${s.state}`)}`}>
            <span data-testid={`terminal-tab-${s.id}`} data-state={s.state} style={{ display: 'inline-flex', alignItems: 'center', gap: 6, maxWidth: 260 }}>
              <StateDot state={s.state} />
              <span style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{s.title}</span>
              {s.state === 'exited' ? (
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t('terminal.state.exited')}
                </Typography.Text>
              ) : null}
            </span>
          </Tooltip>
        ),
      }))}
    />
  );
}
