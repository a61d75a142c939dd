/**
 * Keeps the jobs cache live: one subscription to jobs.events for the whole
 * app, folding each event into the TanStack Query cache that every view
 * reads. No polling.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { Job, JobLogLine } from '../../../main/api/contract';
import { useApi } from '../api/context';

export const JOBS_LIST_INPUT = { limit: 200 } as const;

export function useJobsFeed(onLost: () => void): void {
  const { client, orpc } = useApi();
  const queryClient = useQueryClient();
  useEffect(() => {
    const controller = new AbortController();
    const listKey = orpc.jobs.list.queryKey({ input: JOBS_LIST_INPUT });
    void (async () => {
      try {
        const stream = await client.jobs.events(undefined, { signal: controller.signal });
        // Anything that changed before the stream was open is read afresh.
        void queryClient.invalidateQueries({ queryKey: listKey });
        for await (const event of stream) {
          if (event.type === 'job') {
            const job = event.job;
            queryClient.setQueryData<Job[]>(listKey, (old) => {
              if (!old) return old;
              const i = old.findIndex((j) => j.id === job.id);
              if (i === -1) return [job, ...old];
              const next = old.slice();
              next[i] = job;
              return next;
            });
            queryClient.setQueryData(orpc.jobs.get.queryKey({ input: { id: job.id } }), job);
          } else if (event.type === 'log') {
            const line = event.line;
            queryClient.setQueryData<JobLogLine[]>(orpc.jobs.logs.queryKey({ input: { id: line.jobId } }), (old) =>
              old && !old.some((l) => l.seq === line.seq) ? [...old, line] : old,
            );
          } else {
            const id = event.jobId;
            queryClient.setQueryData<Job[]>(listKey, (old) => old?.filter((j) => j.id !== id));
          }
        }
        if (!controller.signal.aborted) onLost();
      } catch {
        if (!controller.signal.aborted) onLost();
      }
    })();
    return () => controller.abort();
  }, [client, orpc, queryClient, onLost]);
}
