import { useEffect, useState } from 'react';

/**
 * `value`, once it has stopped changing for `ms` (compared as JSON): for
 * work worth doing once typing pauses (a preview request, a search of
 * 100,000 log lines), and which must not wait behind a stream of updates.
 */
export function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  const key = JSON.stringify(value);
  useEffect(() => {
    const id = setTimeout(() => setSettled(JSON.parse(key) as T), ms);
    return () => clearTimeout(id);
  }, [key, ms]);
  return settled;
}
