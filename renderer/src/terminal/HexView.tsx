import { Typography, theme } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatBytes } from '../i18n/format';
import { hexDump, type ByteRing } from './hex';
import { TERMINAL_FONT } from './theme';

const REDRAW_MS = 250;

/**
 * The bytes a serial line received, in hex and ASCII: the last few KiB
 * (the ring), redrawn a few times a second while open, newest at the bottom.
 */
export function HexView({ ring }: { ring: ByteRing }) {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const [seen, setSeen] = useState(ring.total);
  useEffect(() => {
    const timer = setInterval(() => setSeen((s) => (s === ring.total ? s : ring.total)), REDRAW_MS);
    return () => clearInterval(timer);
  }, [ring]);
  const bytes = ring.bytes();
  const lines = hexDump(bytes, seen - bytes.length);
  return (
    <div
      data-testid="terminal-hex"
      data-bytes={seen}
      style={{ display: 'flex', flexDirection: 'column', minHeight: 0, height: '100%', borderLeft: `1px solid ${token.colorBorderSecondary}` }}
    >
      <Typography.Text type="secondary" style={{ fontSize: 12, padding: '4px 8px' }}>
        {t('terminal.hex.title', { kept: formatBytes(bytes.length), total: formatBytes(seen) })}
      </Typography.Text>
      <pre
        ref={(el) => {
          if (el) el.scrollTop = el.scrollHeight;
        }}
        data-testid="terminal-hex-dump"
        style={{ flex: 1, margin: 0, padding: '4px 8px', overflow: 'auto', fontFamily: TERMINAL_FONT, fontSize: 11, lineHeight: 1.4 }}
      >
        {lines.length ? lines.join('\n') : t('terminal.hex.empty')}
      </pre>
    </div>
  );
}
