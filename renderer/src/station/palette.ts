import { theme } from 'antd';
import { useMemo } from 'react';
import type { Palette } from './model';

/** The station's state colours from the current antd theme (light or dark). */
export function usePalette(): Palette {
  const { token } = theme.useToken();
  return useMemo(
    () => ({
      pending: token.colorFill,
      running: token.colorPrimary,
      done: token.colorSuccess,
      failed: token.colorError,
      waiting: token.colorWarning,
      interrupted: '#fa8c16',
      muted: token.colorTextQuaternary,
    }),
    [token],
  );
}
