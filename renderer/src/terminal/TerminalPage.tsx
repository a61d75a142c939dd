import { CodeOutlined, PlusOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Empty, Spin, Typography, theme } from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TerminalSession } from '../../../main/api/contract';
import '@xterm/xterm/css/xterm.css';
import { useApi } from '../api/context';
import { apiErrorData, errorText } from '../api/errors';
import { usePreferences } from '../settings/preferences';
import { ProblemAlert } from '../settings/StationLocked';
import { hashPath } from '../shell/areas';
import { useAreaPath } from '../shell/location';
import { inTextField } from './clipboard';
import { terminalKey } from './keys';
import { useTerminalFeed } from './feed';
import { byCreation } from './model';
import { NewSessionModal } from './NewSessionModal';
import { SessionTabs } from './SessionTabs';
import { SessionView } from './SessionView';

/** The size a new session opens at before its screen is fitted: the last fitted screen's, else a common one. */
const FIRST_SIZE = { cols: 120, rows: 32 };

/**
 * The Terminal area: a tab per session of terminal.sessions (sessions live
 * on the station, so after a reload every running session's tab comes back
 * and its screen is replayed), kept live by terminal.events (a session
 * opened or closed in another window, or by the cluster console, comes and
 * goes), the new-session dialog, and the keys that work across tabs:
 * Ctrl+Shift+T new, Ctrl+Shift+W close, Ctrl+PageUp / Ctrl+PageDown switch.
 * "#/terminal/<session>" is the shown tab: a link there (the cluster
 * console's Shell opens a pod session, then goes there) shows that session,
 * also once it is listed after the page.
 */
export function TerminalPage() {
  const { t } = useTranslation();
  const { client, orpc } = useApi();
  const { lang } = usePreferences();
  const { modal, message } = App.useApp();
  const { token } = theme.useToken();
  const queryClient = useQueryClient();
  const listKey = orpc.terminal.sessions.queryKey();
  const list = useQuery(orpc.terminal.sessions.queryOptions());
  const sessions = [...(list.data ?? [])].sort(byCreation);
  const [wanted] = useAreaPath();
  const [active, setActive] = useState<string | null>(wanted ?? null);
  const [creating, setCreating] = useState(false);
  useTerminalFeed();

  // A link followed while the area is open. The page's own address updates (replaceState below) fire no hashchange.
  useEffect(() => {
    const onHash = () => {
      const id = hashPath(window.location.hash)[1];
      if (id) setActive(id);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const confirming = useRef(false);
  const size = useRef(FIRST_SIZE);

  const shown = sessions.find((s) => s.id === active) ?? sessions[sessions.length - 1] ?? null;
  const shownId = shown?.id ?? null;

  // The shown tab in the address, replaced (not pushed), so Back leaves the area rather than walking the tabs.
  useEffect(() => {
    const hash = shownId ? `#/terminal/${encodeURIComponent(shownId)}` : '#/terminal';
    if (window.location.hash !== hash) window.history.replaceState(null, '', hash);
  }, [shownId]);

  const upsert = useCallback(
    (s: TerminalSession) => queryClient.setQueryData<TerminalSession[]>(listKey, (old) => old?.map((x) => (x.id === s.id ? s : x))),
    [queryClient, listKey],
  );
  const forget = useCallback(
    (id: string) => {
      queryClient.setQueryData<TerminalSession[]>(listKey, (old) => old?.filter((x) => x.id !== id));
      void queryClient.invalidateQueries({ queryKey: listKey });
    },
    [queryClient, listKey],
  );
  const onGone = useCallback(
    (id: string, error: unknown) => {
      if (error && apiErrorData(error)?.code !== 'TERMINAL_NOT_FOUND') void message.error(errorText(error, lang, t('errors.generic')));
      forget(id);
    },
    [forget, message, lang, t],
  );
  const onSize = useCallback((s: { cols: number; rows: number }) => {
    size.current = s;
  }, []);

  const close = (s: TerminalSession) => {
    const end = async () => {
      try {
        await client.terminal.close({ id: s.id });
      } catch (e) {
        if (apiErrorData(e)?.code !== 'TERMINAL_NOT_FOUND') {
          void message.error(errorText(e, lang, t('errors.generic')));
          return;
        }
      }
      // The neighbour to the left (or right) is shown next.
      if (s.id === shownId) {
        const i = sessions.findIndex((x) => x.id === s.id);
        setActive((sessions[i - 1] ?? sessions[i + 1])?.id ?? null);
      }
      forget(s.id);
    };
    if (s.state === 'exited') return void end();
    if (confirming.current) return;
    confirming.current = true;
    modal.confirm({
      title: t('terminal.close.title', { title: s.title }),
      content: t(`terminal.close.${s.kind}`),
      okText: t('terminal.close.ok'),
      okButtonProps: { danger: true, 'data-testid': 'terminal-close-confirm' } as never,
      cancelText: t('common.cancel'),
      // Done asking once answered (not when the dialog has faded out): the next key works at once.
      onOk: () => {
        confirming.current = false;
        return end();
      },
      onCancel: () => {
        confirming.current = false;
      },
    });
  };

  const step = (by: number) => {
    if (sessions.length === 0) return;
    const i = sessions.findIndex((s) => s.id === shownId);
    setActive(sessions[(i + by + sessions.length) % sessions.length]!.id);
  };

  // The area's keys, wherever the focus is (xterm passes them on instead of typing them).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (creating || confirming.current) return;
      const k = terminalKey(e);
      if (k === 'newSession') setCreating(true);
      else if (k === 'closeTab' && shown) close(shown);
      else if (k === 'nextTab' && !inTextField(e)) step(1);
      else if (k === 'previousTab' && !inTextField(e)) step(-1);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  if (list.error) return <ProblemAlert error={list.error} />;

  return (
    <div data-testid="terminal-page" style={{ display: 'flex', flexDirection: 'column', height: 'calc(100vh - 160px)', minHeight: 360 }}>
      {sessions.length > 0 ? <SessionTabs sessions={sessions} active={shownId} onSelect={setActive} onClose={close} onNew={() => setCreating(true)} /> : null}
      <div
        style={{
          position: 'relative',
          flex: 1,
          minHeight: 0,
          border: `1px solid ${token.colorBorderSecondary}`,
          borderTop: sessions.length > 0 ? 'none' : undefined,
          borderRadius: sessions.length > 0 ? `0 0 ${token.borderRadius}px ${token.borderRadius}px` : token.borderRadius,
          background: token.colorBgContainer,
          overflow: 'hidden',
        }}
      >
        {list.isLoading ? (
          <Spin style={{ position: 'absolute', inset: 0, margin: 'auto', height: 32 }} />
        ) : sessions.length === 0 ? (
          <Empty
            data-testid="terminal-empty"
            style={{ marginTop: 80 }}
            image={<CodeOutlined style={{ fontSize: 48, color: token.colorTextQuaternary }} />}
            description={t('terminal.empty')}
          >
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="terminal-new-first">
              {t('terminal.new.title')}
            </Button>
          </Empty>
        ) : (
          sessions.map((s) => <SessionView key={s.id} session={s} active={s.id === shownId} onSession={upsert} onGone={onGone} onSize={onSize} />)
        )}
      </div>
      <Typography.Text type="secondary" style={{ fontSize: 12, marginTop: 6 }} data-testid="terminal-keys">
        {t('terminal.keys')}
      </Typography.Text>
      {creating ? (
        <NewSessionModal
          sizeNow={() => size.current}
          onClose={() => setCreating(false)}
          onOpened={(s) => {
            queryClient.setQueryData<TerminalSession[]>(listKey, (old) => [...(old ?? []).filter((x) => x.id !== s.id), s]);
            setActive(s.id);
            setCreating(false);
          }}
        />
      ) : null}
    </div>
  );
}
