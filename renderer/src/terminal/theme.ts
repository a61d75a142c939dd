/** xterm's colours for the app's light and dark themes (Settings › theme). */
import type { ITheme } from '@xterm/xterm';

export const TERMINAL_FONT = 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, "Noto Sans Mono CJK SC", monospace';

const DARK: ITheme = {
  background: '#141414',
  foreground: '#d9d9d9',
  cursor: '#f0f0f0',
  cursorAccent: '#141414',
  selectionBackground: '#264f78',
  black: '#1e1e1e',
  red: '#f14c4c',
  green: '#23d18b',
  yellow: '#f5f543',
  blue: '#3b8eea',
  magenta: '#d670d6',
  cyan: '#29b8db',
  white: '#e5e5e5',
  brightBlack: '#666666',
  brightRed: '#f14c4c',
  brightGreen: '#23d18b',
  brightYellow: '#f5f543',
  brightBlue: '#3b8eea',
  brightMagenta: '#d670d6',
  brightCyan: '#29b8db',
  brightWhite: '#ffffff',
};

const LIGHT: ITheme = {
  background: '#ffffff',
  foreground: '#1f1f1f',
  cursor: '#1f1f1f',
  cursorAccent: '#ffffff',
  selectionBackground: '#add6ff',
  black: '#000000',
  red: '#cd3131',
  green: '#107c10',
  yellow: '#949800',
  blue: '#0451a5',
  magenta: '#bc05bc',
  cyan: '#0598bc',
  white: '#555555',
  brightBlack: '#666666',
  brightRed: '#cd3131',
  brightGreen: '#14ce14',
  brightYellow: '#b5ba00',
  brightBlue: '#0451a5',
  brightMagenta: '#bc05bc',
  brightCyan: '#0598bc',
  brightWhite: '#a5a5a5',
};

export function terminalTheme(dark: boolean): ITheme {
  return dark ? DARK : LIGHT;
}

/** Search matches (the addon wants #RRGGBB). */
export function searchDecorations(dark: boolean) {
  return dark
    ? { matchBackground: '#5a4a00', matchOverviewRuler: '#d4b000', activeMatchBackground: '#b36b00', activeMatchColorOverviewRuler: '#ff9900' }
    : { matchBackground: '#fff3a3', matchOverviewRuler: '#d4b000', activeMatchBackground: '#ffb74d', activeMatchColorOverviewRuler: '#ff9900' };
}
