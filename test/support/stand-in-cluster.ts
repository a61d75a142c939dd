/**
 * A cluster for the console tests: the Kubernetes API stand-in
 * (./kube-stand-in) with its nodes registered, an API client on a running
 * headless host (./host) to import it with, and, where asked for, a TCP
 * relay in front of it (./relay: a cable a test can pull). Importing the
 * cluster is left to the test: through the API, or through the console as a
 * person would.
 */
import type { WebSocket } from 'ws';
import { connectClient, type RunningHost, type TestClient } from './host';
import { startKubeStandIn, type KubeStandIn, type KubeStandInOptions } from './kube-stand-in';
import { tcpRelay } from './relay';

export type Cable = Awaited<ReturnType<typeof tcpRelay>>;
export type NodeOptions = NonNullable<Parameters<KubeStandIn['addNode']>[1]>;

/** Four nodes in two zones: edge-1 and edge-2 in zone a, edge-3 and edge-4 in zone b. */
export const EDGE_NODES_IN_TWO_ZONES: Readonly<Record<string, NodeOptions>> = {
  'edge-1': { labels: { zone: 'a' } },
  'edge-2': { labels: { zone: 'a' } },
  'edge-3': { labels: { zone: 'b' } },
  'edge-4': { labels: { zone: 'b' } },
};

/**
 * The StatefulSet `db` the edit tests change and roll back, as first
 * created: 2 replicas, change-cause "db 1", one container `db` with
 * MODE=one; `template` adds annotations to its pod template and ports to
 * its container.
 */
export function dbStatefulSet(image: string, template: { annotations?: Record<string, string>; ports?: { containerPort: number }[] } = {}) {
  return {
    metadata: { name: 'db', annotations: { 'kubernetes.io/change-cause': 'db 1' } },
    spec: {
      replicas: 2,
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' }, ...(template.annotations && { annotations: template.annotations }) },
        spec: { containers: [{ name: 'db', image, env: [{ name: 'MODE', value: 'one' }], ...(template.ports && { ports: template.ports }) }] },
      },
    },
  };
}

export interface StandInClusterOptions {
  kube?: KubeStandInOptions;
  /** Registered in this order, by name. */
  nodes?: Readonly<Record<string, NodeOptions>>;
  /** A relay to the stand-in, whose kubeconfig then goes through it with `kube.kubeconfig(cable.url())`. */
  cable?: boolean;
}

export interface StandInCluster {
  kube: KubeStandIn;
  client: TestClient;
  ws: WebSocket;
  cable?: Cable;
  /** Closes the client, the relay and the stand-in; the host is its starter's to stop. */
  close(): Promise<void>;
}

export async function startStandInCluster(host: RunningHost, options: StandInClusterOptions & { cable: true }): Promise<StandInCluster & { cable: Cable }>;
export async function startStandInCluster(host: RunningHost, options?: StandInClusterOptions): Promise<StandInCluster>;
export async function startStandInCluster(host: RunningHost, options: StandInClusterOptions = {}): Promise<StandInCluster> {
  const kube = await startKubeStandIn(options.kube);
  let cable: Cable | undefined;
  try {
    for (const [name, node] of Object.entries(options.nodes ?? {})) kube.addNode(name, node);
    if (options.cable) cable = await tcpRelay(new URL(kube.url));
    const { client, ws } = await connectClient(host);
    return {
      kube,
      client,
      ws,
      cable,
      async close() {
        ws.close();
        await cable?.close();
        await kube.close();
      },
    };
  } catch (e) {
    await cable?.close();
    await kube.close();
    throw e;
  }
}
