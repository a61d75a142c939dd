import { Tag } from 'antd';
import type { PodHealth, PodRow } from './pod';

const COLOR: Record<PodHealth, string> = { ok: 'success', pending: 'processing', failed: 'error', done: 'default' };

/** A pod's status as kubectl prints it (Running, CrashLoopBackOff, Init:0/1…), coloured by what it means. */
export function PodStatusTag({ row }: { row: PodRow }) {
  return (
    <Tag color={COLOR[row.health]} data-testid="pod-status" data-status={row.status}>
      {row.status}
    </Tag>
  );
}
