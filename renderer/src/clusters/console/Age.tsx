import { Tooltip } from 'antd';
import { formatTime } from '../../i18n/format';
import { usePreferences } from '../../settings/preferences';
import { formatAge, secondsSince, useNow } from './clock';

/** How long ago `since` was, ticking; the time itself in a tooltip. */
export function Age({ since }: { since: string | null | undefined }) {
  const { lang } = usePreferences();
  const now = useNow(1000);
  const seconds = secondsSince(since, now);
  if (seconds === null || !since) return <span>—</span>;
  return (
    <Tooltip title={formatTime(since, lang)} mouseEnterDelay={0.6}>
      <span>{formatAge(seconds, lang)}</span>
    </Tooltip>
  );
}
