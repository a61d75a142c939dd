/**
 * The Terminal area's own keys. Everything else goes to the session (Ctrl+C,
 * Ctrl+D, Ctrl+Z, Esc…): these are the only ones taken from the shell, and
 * each has the Shift or PageUp/PageDown that shells do not use.
 */
export type TerminalKey = 'newSession' | 'closeTab' | 'nextTab' | 'previousTab' | 'search' | 'copy' | 'paste' | 'area';

export function terminalKey(e: KeyboardEvent): TerminalKey | null {
  if (e.metaKey) return null;
  if (e.ctrlKey && !e.altKey) {
    if (e.shiftKey) {
      // By key position, so that the keys are the same on every keyboard layout.
      if (e.code === 'KeyT') return 'newSession';
      if (e.code === 'KeyW') return 'closeTab';
      if (e.code === 'KeyF') return 'search';
      if (e.code === 'KeyC') return 'copy';
      if (e.code === 'KeyV') return 'paste';
    } else {
      if (e.key === 'PageDown') return 'nextTab';
      if (e.key === 'PageUp') return 'previousTab';
    }
  }
  // The app's Alt+1…8 (switch area): the area switches, the shell gets nothing.
  if (e.altKey && !e.ctrlKey && /^Digit[1-8]$/.test(e.code)) return 'area';
  return null;
}
