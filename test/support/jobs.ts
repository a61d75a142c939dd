import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from '../../main/api/contract';
import type { JobService } from '../../main/jobs';

/** Waits for a job to leave queued/running, and returns it as it ended. */
export async function jobEnded(jobs: JobService, id: string): Promise<Job> {
  for (;;) {
    const j = jobs.get(id);
    if (j.state !== 'queued' && j.state !== 'running') return j;
    await sleep(10);
  }
}

/** The first artifact id an import job created; throws with its error code otherwise. */
export async function importedId(jobs: JobService, id: string, what: string): Promise<string> {
  const j = await jobEnded(jobs, id);
  if (j.state !== 'succeeded') throw new Error(`import of ${what} ${j.state}: ${j.error?.code} ${j.error?.message.en}`);
  return (j.result as { artifacts: { id: string }[] }).artifacts[0]!.id;
}
