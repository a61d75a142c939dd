import { useRef, type KeyboardEvent } from 'react';

/**
 * YAML in a monospace text area with line numbers (kept level with the text
 * as it scrolls); Tab indents by two spaces instead of leaving the field.
 */
export function YamlEditor({
  value,
  onChange,
  height,
  readOnly,
}: {
  value: string;
  onChange: (v: string) => void;
  height: number | string;
  readOnly?: boolean;
}) {
  const gutter = useRef<HTMLDivElement>(null);
  const lines = value.split('\n').length;
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key !== 'Tab' || e.shiftKey || e.ctrlKey || e.altKey || e.metaKey || readOnly) return;
    e.preventDefault();
    const el = e.currentTarget;
    const { selectionStart: start, selectionEnd: end } = el;
    onChange(`${value.slice(0, start)}  ${value.slice(end)}`);
    requestAnimationFrame(() => el.setSelectionRange(start + 2, start + 2));
  };
  return (
    <div className="ef-yaml ef-mono" style={{ height }}>
      <div ref={gutter} className="ef-yaml-gutter" aria-hidden>
        {Array.from({ length: lines }, (_, i) => i + 1).join('\n')}
      </div>
      <textarea
        className="ef-mono"
        value={value}
        readOnly={readOnly}
        spellCheck={false}
        wrap="off"
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        onScroll={(e) => {
          if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
        }}
        data-testid="yaml-text"
      />
    </div>
  );
}
