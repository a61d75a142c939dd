import { Badge } from 'antd';
import type { SessionState } from './model';

const STATUS = { connecting: 'processing', open: 'success', reconnecting: 'warning', exited: 'default' } as const;

/** A session's state as a coloured dot (its words are next to it or in its tooltip). */
export function StateDot({ state }: { state: SessionState }) {
  return <Badge status={STATUS[state]} data-state={state} />;
}
