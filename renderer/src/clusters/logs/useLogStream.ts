/**
 * A pod container's log, from clusters.logs: the lines as they come, folded
 * into the panel's buffer once per frame (a flood of lines renders once a
 * frame, not once per batch), then the stream's end and why. Each choice of
 * container, previous, tail… is a stream of its own.
 */
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import type { LogsInput } from '../../../../main/api/contract';
import type { LocalizedText } from '../../../../main/api/errors';
import type { ApiClient } from '../../api/client';
import { frameBatcher } from '../../api/coalesce';
import { useApi } from '../../api/context';
import { LogBuffer } from './buffer';

export interface LogOptions {
  container: string | undefined;
  previous: boolean;
  follow: boolean;
  tailLines: number;
  timestamps: boolean;
}

/** One stream's lines and end, as an external store the panel reads. */
class LogSession {
  readonly buffer = new LogBuffer();
  /** Set when the stream ended: the container stopped, the log was not followed, or the connection dropped (problem). */
  ended: { problem: LocalizedText | null } | null = null;
  error: unknown = null;
  version = 0;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly input: LogsInput,
    /** Which "follow again" this is: a new one makes a new stream. */
    readonly attempt: number,
  ) {}

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  changed(): void {
    this.version++;
    this.listeners.forEach((l) => l());
  }

  search(query: string): void {
    this.buffer.search(query);
    this.changed();
  }

  /** Streams until the signal aborts. */
  async run(client: ApiClient, signal: AbortSignal): Promise<void> {
    const pending: string[] = [];
    const batch = frameBatcher(() => {
      this.buffer.append(pending.splice(0));
      this.changed();
    });
    signal.addEventListener('abort', () => batch.cancel(), { once: true });
    try {
      for await (const e of await client.clusters.logs(this.input, { signal })) {
        if (e.type === 'lines') {
          for (const line of e.lines) pending.push(line);
          batch.schedule();
        } else {
          this.ended = { problem: e.problem };
          this.changed();
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      this.error = e;
      this.changed();
    }
  }
}

export function useLogStream(target: { clusterId: string; namespace: string; pod: string }, o: LogOptions, query: string, generation: number) {
  const { client } = useApi();
  const { clusterId, namespace, pod } = target;
  const { container, previous, follow, tailLines, timestamps } = o;
  const session = useMemo(
    () => new LogSession({ clusterId, namespace, pod, container, previous, follow: follow && !previous, tailLines, timestamps }, generation),
    [clusterId, namespace, pod, container, previous, follow, tailLines, timestamps, generation],
  );
  useEffect(() => {
    const controller = new AbortController();
    void session.run(client, controller.signal);
    return () => controller.abort();
  }, [client, session]);
  useEffect(() => session.search(query), [session, query]);
  const version = useSyncExternalStore(session.subscribe, () => session.version);
  return { buffer: session.buffer, version, ended: session.ended, error: session.error };
}
