/**
 * Keeps the jobs cache live: one subscription to jobs.events for the whole
 * app, folded into the TanStack Query cache that every view reads. No
 * polling.
 *
 * Every progress report of a running job is a job event (fifty boxes
 * flashing send well over a hundred a second), so events are gathered and
 * written once per frame: the newest state of each job wins, log lines are
 * appended in order.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { Job, JobLogLine } from '../../../main/api/contract';
import { frameBatcher } from '../api/coalesce';
import { useApi } from '../api/context';

export const JOBS_LIST_INPUT = { limit: 200 } as const;

export function useJobsFeed(onLost: () => void): void {
  const { client, orpc } = useApi();
  const queryClient = useQueryClient();
  useEffect(() => {
    const controller = new AbortController();
    const listKey = orpc.jobs.list.queryKey({ input: JOBS_LIST_INPUT });
    const jobs = new Map<string, Job>();
    const removed = new Set<string>();
    const lines = new Map<string, JobLogLine[]>();

    const batch = frameBatcher(() => {
      const changed = [...jobs.values()];
      const gone = [...removed];
      jobs.clear();
      removed.clear();
      if (changed.length > 0 || gone.length > 0)
        queryClient.setQueryData<Job[]>(listKey, (old) => {
          if (!old) return old;
          const next = old.filter((j) => !gone.includes(j.id));
          const fresh: Job[] = [];
          for (const job of changed) {
            const i = next.findIndex((j) => j.id === job.id);
            if (i === -1) fresh.push(job);
            else next[i] = job;
          }
          return fresh.length > 0 ? [...fresh.reverse(), ...next] : next;
        });
      for (const job of changed) queryClient.setQueryData(orpc.jobs.get.queryKey({ input: { id: job.id } }), job);
      for (const [jobId, added] of lines) {
        queryClient.setQueryData<JobLogLine[]>(orpc.jobs.logs.queryKey({ input: { id: jobId } }), (old) => {
          if (!old) return old;
          const seen = new Set(old.map((l) => l.seq));
          const fresh = added.filter((l) => !seen.has(l.seq));
          return fresh.length > 0 ? [...old, ...fresh] : old;
        });
      }
      lines.clear();
    });

    void (async () => {
      try {
        const stream = await client.jobs.events(undefined, { signal: controller.signal });
        // Anything that changed before the stream was open is read afresh.
        void queryClient.invalidateQueries({ queryKey: listKey });
        for await (const event of stream) {
          if (event.type === 'job') {
            jobs.set(event.job.id, event.job);
            removed.delete(event.job.id);
          } else if (event.type === 'log') {
            const list = lines.get(event.line.jobId);
            if (list) list.push(event.line);
            else lines.set(event.line.jobId, [event.line]);
          } else {
            jobs.delete(event.jobId);
            removed.add(event.jobId);
          }
          batch.schedule();
        }
        if (!controller.signal.aborted) onLost();
      } catch {
        if (!controller.signal.aborted) onLost();
      }
    })();
    return () => {
      controller.abort();
      batch.cancel();
    };
  }, [client, orpc, queryClient, onLost]);
}
