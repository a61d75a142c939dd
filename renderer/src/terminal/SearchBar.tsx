import { ArrowDownOutlined, ArrowUpOutlined, CloseOutlined } from '@ant-design/icons';
import type { SearchAddon } from '@xterm/addon-search';
import { Button, Input, Space, Tooltip, Typography, theme, type InputRef } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { searchDecorations } from './theme';

/**
 * Find in the session's screen and scrollback (Ctrl+Shift+F): Enter finds
 * the next match, Shift+Enter the previous one, Esc closes and gives the
 * keyboard back to the terminal.
 */
export function SearchBar({ search, dark, onClose }: { search: SearchAddon; dark: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const input = useRef<InputRef>(null);
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<{ index: number; count: number } | null>(null);

  useEffect(() => {
    input.current?.focus({ cursor: 'all' });
    const sub = search.onDidChangeResults((r) => setResults({ index: r.resultIndex, count: r.resultCount }));
    return () => {
      sub.dispose();
      search.clearDecorations();
    };
  }, [search]);

  const [failed, setFailed] = useState(false);
  const options = (incremental: boolean) => ({ incremental, decorations: searchDecorations(dark) });
  /**
   * The addon overflows the stack on one very long wrapped line (tens of thousands of rows without a newline:
   * xterm.js issue #6148); the search then says it could not look, instead of failing silently.
   */
  const find = (how: 'next' | 'previous', term: string, incremental: boolean) => {
    if (!term) return;
    try {
      if (how === 'next') search.findNext(term, options(incremental));
      else search.findPrevious(term, options(incremental));
      setFailed(false);
    } catch {
      setFailed(true);
    }
  };
  const next = () => find('next', query, false);
  const previous = () => find('previous', query, false);

  return (
    <div
      data-testid="terminal-search"
      style={{
        position: 'absolute',
        top: 8,
        right: 24,
        zIndex: 5,
        padding: 6,
        background: token.colorBgElevated,
        border: `1px solid ${token.colorBorder}`,
        borderRadius: token.borderRadius,
        boxShadow: token.boxShadowSecondary,
      }}
    >
      <Space size={4}>
        <Input
          ref={input}
          size="small"
          style={{ width: 220 }}
          value={query}
          placeholder={t('terminal.search.placeholder')}
          aria-label={t('terminal.search.placeholder')}
          spellCheck={false}
          data-testid="terminal-search-input"
          onChange={(e) => {
            setQuery(e.target.value);
            if (e.target.value) find('next', e.target.value, true);
            else {
              search.clearDecorations();
              setResults(null);
            }
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              if (e.shiftKey) previous();
              else next();
            } else if (e.key === 'Escape') {
              e.preventDefault();
              e.stopPropagation();
              onClose();
            }
          }}
        />
        <Typography.Text type="secondary" style={{ fontSize: 12, minWidth: 70, display: 'inline-block' }} data-testid="terminal-search-count">
          {failed
            ? t('terminal.search.failed')
            : query && results
              ? results.count === 0
                ? t('terminal.search.none')
                : t('terminal.search.count', { index: results.index + 1, count: results.count })
              : ''}
        </Typography.Text>
        <Tooltip title={t('terminal.search.previous')}>
          <Button size="small" type="text" icon={<ArrowUpOutlined />} onClick={previous} aria-label={t('terminal.search.previous')} />
        </Tooltip>
        <Tooltip title={t('terminal.search.next')}>
          <Button size="small" type="text" icon={<ArrowDownOutlined />} onClick={next} aria-label={t('terminal.search.next')} />
        </Tooltip>
        <Tooltip title={t('terminal.search.close')}>
          <Button
            size="small"
            type="text"
            icon={<CloseOutlined />}
            onClick={onClose}
            aria-label={t('terminal.search.close')}
            data-testid="terminal-search-close"
          />
        </Tooltip>
      </Space>
    </div>
  );
}
