/**
 * One clusters.watch stream per open console, for every kind the console
 * shows: snapshots, then the server's batched changes, folded into the
 * console's store (console/objects.ts) on a frame, at most four times a
 * second. No polling. A stream that fails is opened again with a back-off;
 * meanwhile the last known objects stay and the console says it is
 * offline. A replaced kubeconfig does not touch the stream (the station
 * carries it on with the new credential); a revoked one, or the cluster
 * forgotten, ends it for good: the objects go, and the console says why.
 */
import i18next from 'i18next';
import { useEffect, useState } from 'react';
import type { ClusterWatchEvent } from '../../../../main/api/contract';
import { frameBatcher } from '../../api/coalesce';
import { useApi } from '../../api/context';
import { apiErrorData } from '../../api/errors';
import { ConsoleObjects, WATCHED_KINDS, type ConsoleEnd } from './objects';

const BACKOFF_MS = [1_000, 2_000, 5_000, 10_000];
/** At most this often the console shows a new batch (5,000 churning pods would otherwise render every frame). */
const UPDATE_MS = 250;

const bothLanguages = (key: string) => ({ en: i18next.t(key, { lng: 'en' }), zh: i18next.t(key, { lng: 'zh-CN' }) });

/** The codes a stream ends with for good (main/cluster/console-client.ts, ConsoleErrors): opening it again would not help. */
const ENDS: Record<string, ConsoleEnd> = { CLUSTER_CREDENTIAL_REVOKED: 'revoked', CLUSTER_FORGOTTEN: 'forgotten' };

/** The console's store, fed by the stream; a new `generation` opens the stream again (after a new kubeconfig). */
export function useClusterWatch(clusterId: string, generation: number): ConsoleObjects {
  const { client } = useApi();
  const [store] = useState(() => new ConsoleObjects());

  useEffect(() => {
    const controller = new AbortController();
    const queue: ClusterWatchEvent[] = [];
    let flushedAt = 0;
    const batch = frameBatcher(() => {
      flushedAt = performance.now();
      store.apply(queue.splice(0));
    });
    let pause: ReturnType<typeof setTimeout> | null = null;
    /** On the next frame, but not sooner than UPDATE_MS after the last one: a churning cluster renders a few times a second. */
    const schedule = () => {
      pause ??= setTimeout(
        () => {
          pause = null;
          batch.schedule();
        },
        Math.max(0, flushedAt + UPDATE_MS - performance.now()),
      );
    };
    let retry: ReturnType<typeof setTimeout> | null = null;
    let failures = 0;

    /**
     * Why the stream failed. An API error says so itself, with its code, also
     * when the stream raised it while running (main/api/rpc.ts); anything
     * else (the connection to the station dropped) has the cluster's status
     * asked once instead, which says whether the credential is missing or
     * refused, or the server unreachable, and why.
     */
    const explain = async (e: unknown) => {
      const d = apiErrorData(e);
      if (d) return store.streamFailed(d.code === 'CLUSTER_NO_KUBECONFIG' ? 'no-credential' : 'offline', d.message);
      try {
        const status = await client.clusters.status({ id: clusterId }, { signal: controller.signal });
        if (status.state !== 'online')
          return store.streamFailed(
            status.state === 'no-credential' ? 'no-credential' : 'offline',
            status.problem ?? bothLanguages('clusters.connection.streamLost'),
          );
      } catch {
        // The station itself is gone: the shell says so.
      }
      store.streamFailed('offline', bothLanguages('clusters.connection.streamLost'));
    };

    const open = async () => {
      try {
        const stream = await client.clusters.watch({ id: clusterId, kinds: WATCHED_KINDS }, { signal: controller.signal });
        for await (const event of stream) {
          failures = 0;
          queue.push(event);
          schedule();
        }
      } catch (e) {
        if (controller.signal.aborted) return;
        const d = apiErrorData(e);
        const end = d ? ENDS[d.code] : undefined;
        if (d && end) {
          // Events still waiting for a frame would bring back what the credential showed.
          queue.length = 0;
          store.ended(end, d.message);
          return;
        }
        await explain(e);
      }
      if (controller.signal.aborted) return;
      retry = setTimeout(() => void open(), BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)]);
    };
    void open();

    return () => {
      controller.abort();
      batch.cancel();
      if (pause !== null) clearTimeout(pause);
      if (retry !== null) clearTimeout(retry);
    };
  }, [client, clusterId, store, generation]);

  return store;
}
