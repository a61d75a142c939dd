import { ClearOutlined, CopyOutlined, SearchOutlined, SnippetsOutlined, SoundOutlined } from '@ant-design/icons';
import { Alert, App, Button, Space, Tooltip, theme } from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TerminalSession } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { errorText } from '../api/errors';
import { usePreferences } from '../settings/preferences';
import { copyText, inTextField, readClipboard } from './clipboard';
import { ByteRing, latin1Bytes } from './hex';
import { HexView } from './HexView';
import { SessionIO } from './io';
import { terminalKey } from './keys';
import { Screen, type Renderer } from './screen';
import { SearchBar } from './SearchBar';
import { SerialToolbar } from './SerialToolbar';
import { StatusLine } from './StatusLine';
import { useAttach } from './useAttach';
import './terminal.css';

/** How long the screen's size must hold before the pty is told (a window being dragged sends one resize, not fifty). */
const RESIZE_MS = 100;

/** What xterm answers to a program's queries (CSI device attributes / cursor position, OSC colours, DCS): not the user's typing. */
const isReply = (data: string) => data.charCodeAt(0) === 0x1b && (data[1] === '[' || data[1] === ']' || data[1] === 'P');

export interface SessionViewProps {
  session: TerminalSession;
  active: boolean;
  onSession: (s: TerminalSession) => void;
  /** The stream failed or the session was ended here ("free port"): the page forgets it. */
  onGone: (id: string, error: unknown) => void;
  /** The screen's size after a fit (a new session opens at that size). */
  onSize: (size: { cols: number; rows: number }) => void;
}

/**
 * One session: its xterm screen fed by the attach stream, keystrokes and
 * acknowledgements through SessionIO, the toolbar (copy, paste, clear,
 * search; for serial the newline mode, the hex view and "free port") and
 * the status line. Inactive sessions stay mounted (hidden), so their
 * screens keep up and switching tabs is instant.
 */
export function SessionView({ session, active, onSession, onGone, onSize }: SessionViewProps) {
  const { t } = useTranslation();
  const { client } = useApi();
  const { dark, lang } = usePreferences();
  const { message } = App.useApp();
  const { token } = theme.useToken();
  const host = useRef<HTMLDivElement>(null);
  const [screen, setScreen] = useState<Screen | null>(null);
  /** The same screen, for the stream's handlers (which run between renders). */
  const screenRef = useRef<Screen | null>(null);
  const io = useRef<SessionIO | null>(null);
  const ring = useMemo(() => new ByteRing(), []);
  const [renderer, setRenderer] = useState<Renderer | null>(null);
  const [size, setSize] = useState({ cols: session.cols, rows: session.rows });
  const [searching, setSearching] = useState(false);
  const [hex, setHex] = useState(false);
  /** xterm's screen reader mode: the visible lines also as an accessibility tree (read by screen readers), whatever draws them. */
  const [reader, setReader] = useState(false);
  const id = session.id;
  const bytes = session.encoding === 'bytes';

  // What the long-lived callbacks below read without being made again.
  const latest = useRef({ session, dark, lang, onSession, onGone, onSize, t });
  useEffect(() => {
    latest.current = { session, dark, lang, onSession, onGone, onSize, t };
  });
  /** The output offset at attach time (what is replayed) and the offset written to the screen. */
  const replay = useRef({ until: -1, reached: 0 });

  useEffect(() => {
    const el = host.current!;
    const first = latest.current.session;
    const s = new Screen({ dark: latest.current.dark, cols: first.cols, rows: first.rows, onRenderer: setRenderer });
    const link = new SessionIO({
      write: (data) => client.terminal.write({ id, data }),
      ack: (offset) => client.terminal.ack({ id, offset }),
      onWriteError: (e) => {
        if (latest.current.session.state !== 'exited') void message.error(errorText(e, latest.current.lang, latest.current.t('errors.generic')));
      },
    });
    io.current = link;
    screenRef.current = s;
    replay.current = { until: -1, reached: 0 };
    const { term } = s;
    let sent = { cols: first.cols, rows: first.rows };
    let resizeTimer: ReturnType<typeof setTimeout> | undefined;
    const subscriptions = [
      term.onData((data) => {
        if (latest.current.session.state === 'exited') return;
        // While the earlier output is replayed, the queries in it are answered again by xterm; the program asked long ago.
        if (replay.current.reached < replay.current.until && isReply(data)) return;
        link.send(data);
      }),
      term.onResize(({ cols, rows }) => {
        setSize({ cols, rows });
        latest.current.onSize({ cols, rows });
        clearTimeout(resizeTimer);
        resizeTimer = setTimeout(() => {
          if ((cols === sent.cols && rows === sent.rows) || latest.current.session.state === 'exited') return;
          sent = { cols, rows };
          void client.terminal.resize({ id, cols, rows }).catch(() => undefined);
        }, RESIZE_MS);
      }),
    ];
    // The page's keys (tabs, search, copy) are not typed into the session; everything else is.
    term.attachCustomKeyEventHandler((e) => terminalKey(e) === null);
    let opened = false;
    let frame: number | null = null;
    const fit = () => {
      frame = null;
      if (el.clientWidth === 0 || el.clientHeight === 0) return;
      if (!opened) {
        s.open(el);
        opened = true;
      }
      s.refit();
    };
    // Fitted on the next frame: a fit inside the observer's callback would resize what it observes.
    const observer = new ResizeObserver(() => {
      frame ??= requestAnimationFrame(fit);
    });
    observer.observe(el);
    fit();
    setScreen(s);
    return () => {
      observer.disconnect();
      if (frame !== null) cancelAnimationFrame(frame);
      clearTimeout(resizeTimer);
      for (const sub of subscriptions) sub.dispose();
      link.close();
      s.dispose();
      io.current = null;
      screenRef.current = null;
      setScreen(null);
    };
  }, [client, id, message]);

  // Declared after the screen's effect, so the screen exists when the stream starts.
  useAttach(id, {
    session: (next) => {
      if (replay.current.until < 0) replay.current.until = next.offset;
      latest.current.onSession(next);
    },
    data: (_offset, end, output) => {
      const s = screenRef.current;
      if (!s) return;
      let payload = output;
      if (bytes) {
        // One character per byte: xterm decodes the UTF-8 itself (also across chunks); the hex view keeps the bytes.
        payload = typeof output === 'string' ? latin1Bytes(output) : output;
        ring.push(payload);
      }
      s.pacer.write(payload, () => {
        replay.current.reached = end;
        io.current?.written(end);
      });
    },
    gap: (from, to) => screenRef.current?.pacer.write(`\r\n\x1b[2m${latest.current.t('terminal.gap', { count: to - from })}\x1b[0m\r\n`, () => undefined),
    gone: (e) => latest.current.onGone(id, e),
  });

  useEffect(() => screen?.setDark(dark), [screen, dark]);

  useEffect(() => {
    screen?.setScreenReader(reader);
  }, [screen, reader]);

  useEffect(() => {
    if (!active || !screen) return;
    const frame = requestAnimationFrame(() => {
      screen.refit();
      screen.term.focus();
    });
    return () => cancelAnimationFrame(frame);
  }, [active, screen]);

  const copy = async () => {
    if (!screen) return;
    const text = screen.term.getSelection();
    if (!text) void message.info(t('terminal.nothingSelected'));
    else if (await copyText(text)) void message.success(t('common.copied'));
    else void message.error(t('common.copyFailed'));
    screen.term.focus();
  };
  const paste = async () => {
    if (!screen) return;
    const text = await readClipboard();
    if (text === null) void message.info(t('terminal.pasteKeys'));
    else if (text) screen.term.paste(text);
    screen.term.focus();
  };
  const closeSearch = () => {
    setSearching(false);
    screen?.term.focus();
  };

  // Search and copy for the shown session, wherever the focus is on the page (but not in another text field).
  useEffect(() => {
    if (!active) return;
    const onKey = (e: KeyboardEvent) => {
      const k = terminalKey(e);
      if (k === 'search' && !inTextField(e)) {
        e.preventDefault();
        setSearching(true);
      } else if (k === 'copy' && screen?.term.hasSelection() && !inTextField(e)) {
        e.preventDefault();
        void copyText(screen.term.getSelection());
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [active, screen]);

  const banner =
    (session.state === 'reconnecting' || session.state === 'exited') && session.status ? (
      <Alert
        type={session.state === 'reconnecting' ? 'warning' : 'info'}
        showIcon
        banner
        title={session.status[lang]}
        data-testid="terminal-banner"
        data-state={session.state}
      />
    ) : null;

  return (
    <div
      data-testid={`terminal-view-${id}`}
      data-active={active}
      style={{
        position: 'absolute',
        inset: 0,
        display: 'flex',
        flexDirection: 'column',
        visibility: active ? 'visible' : 'hidden',
        zIndex: active ? 1 : 0,
      }}
    >
      <div
        style={{
          display: 'flex',
          alignItems: 'center',
          gap: 12,
          padding: '6px 8px',
          flexWrap: 'wrap',
          borderBottom: `1px solid ${token.colorBorderSecondary}`,
        }}
      >
        <Space size={4}>
          <Tooltip title={`${t('terminal.copy')} (Ctrl+Shift+C)`}>
            <Button size="small" icon={<CopyOutlined />} onClick={() => void copy()} data-testid="terminal-copy" aria-label={t('terminal.copy')} />
          </Tooltip>
          <Tooltip title={`${t('terminal.paste')} (Ctrl+Shift+V)`}>
            <Button size="small" icon={<SnippetsOutlined />} onClick={() => void paste()} data-testid="terminal-paste" aria-label={t('terminal.paste')} />
          </Tooltip>
          <Tooltip title={t('terminal.clear')}>
            <Button
              size="small"
              icon={<ClearOutlined />}
              onClick={() => {
                screen?.term.clear();
                screen?.term.focus();
              }}
              data-testid="terminal-clear"
              aria-label={t('terminal.clear')}
            />
          </Tooltip>
          <Tooltip title={`${t('terminal.search.open')} (Ctrl+Shift+F)`}>
            <Button
              size="small"
              icon={<SearchOutlined />}
              onClick={() => setSearching(true)}
              data-testid="terminal-search-open"
              aria-label={t('terminal.search.open')}
            />
          </Tooltip>
          <Tooltip title={t('terminal.screenReader')}>
            <Button
              size="small"
              type={reader ? 'primary' : 'default'}
              icon={<SoundOutlined />}
              onClick={() => setReader(!reader)}
              aria-pressed={reader}
              data-testid="terminal-screen-reader"
              aria-label={t('terminal.screenReader')}
            />
          </Tooltip>
        </Space>
        {session.kind === 'serial' ? <SerialToolbar session={session} hex={hex} onHex={setHex} onSession={onSession} onFreed={() => onGone(id, null)} /> : null}
      </div>
      {banner}
      <div style={{ flex: 1, minHeight: 0, display: 'flex' }}>
        <div style={{ position: 'relative', flex: 1, minWidth: 0, background: dark ? '#141414' : '#ffffff', padding: '4px 0 0 6px' }}>
          {searching && screen ? <SearchBar search={screen.search} dark={dark} onClose={closeSearch} /> : null}
          <div ref={host} data-testid="terminal-screen" data-renderer={renderer ?? undefined} style={{ position: 'absolute', inset: '4px 0 0 6px' }} />
        </div>
        {hex && session.kind === 'serial' ? (
          <div style={{ flex: '0 0 auto', width: 'min(600px, 55%)', minWidth: 0 }}>
            <HexView ring={ring} />
          </div>
        ) : null}
      </div>
      <StatusLine session={session} size={size} renderer={renderer} />
    </div>
  );
}
