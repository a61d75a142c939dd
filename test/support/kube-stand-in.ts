/**
 * A STAND-IN for the Kubernetes API server, for tests only: no kube-apiserver
 * and no k3s can run on these machines (DESIGN.md §4). It speaks the real wire
 * format, so @kubernetes/client-node (and anything else) talks to it as it
 * would to k3s, and it is checked against that client and against raw https
 * requests in test/cluster/kube-stand-in*.test.ts. Its parts live in
 * ./kube-stand-in/ (server, store, resources, patch, apply, cluster, logs,
 * exec, metrics, pki); this file is its public surface.
 *
 * What it implements, with the Kubernetes API documentation it follows
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/ unless said):
 *   - HTTPS with its own CAs made by the system `openssl` (ECDSA P-256, like
 *     k3s): a server CA that signs the serving certificate (127.0.0.1,
 *     localhost), a client CA that signs the admin certificate
 *     (CN=system:admin, O=system:masters). Authentication
 *     (https://kubernetes.io/docs/reference/access-authn-authz/authentication/):
 *     an X509 client certificate the client CA issued, or a bearer token; the
 *     server requests a certificate but does not fail the handshake without
 *     one (as kube-apiserver), and anything else gets 401 with a Status. No
 *     authorization: every authenticated request may do everything.
 *   - Discovery: GET /version, /api, /api/v1, /apis, /apis/<group>,
 *     /apis/<group>/<version> ("Discovery API"), APIResourceLists with name,
 *     singularName, namespaced, kind, verbs, shortNames, categories and the
 *     subresources (pods/log, pods/exec, pods/eviction, <resource>/status,
 *     deployments|replicasets|statefulsets/scale). Not the aggregated
 *     discovery format (application/json;g=apidiscovery.k8s.io…).
 *   - Resource types (resources.ts): core/v1 namespaces, nodes, pods, events,
 *     services, configmaps, secrets; apps/v1 deployments, replicasets,
 *     daemonsets, statefulsets, controllerrevisions; batch/v1 jobs, cronjobs;
 *     policy/v1 poddisruptionbudgets. Not events.k8s.io/v1. Namespaces
 *     default, kube-system, kube-public, kube-node-lease and the service
 *     default/kubernetes exist at start.
 *   - One resourceVersion counter across all objects ("Resource versions"),
 *     metadata.generation moving with the spec of workloads, and an event
 *     history of `historyLimit` events.
 *   - Verbs ("API verbs"): list (a List with metadata.resourceVersion; items
 *     without kind/apiVersion, as the server sends typed lists), get (404
 *     Status), create (201; 409 AlreadyExists; 404 when the namespace does
 *     not exist, 403 while it terminates; generateName), update (PUT, 409
 *     Conflict on a stale resourceVersion), patch with
 *     application/merge-patch+json (RFC 7386), application/json-patch+json
 *     (RFC 6902) or application/strategic-merge-patch+json (merge keys of the
 *     core and apps types, $patch directives; patch.ts), on the object or its
 *     /status subresource ("Subresources": the main resource keeps status,
 *     /status keeps everything else), delete (pods gracefully, see below;
 *     other objects at once, answered with a Status Success; dependents
 *     garbage-collected in the background), deletecollection. ?dryRun=All on
 *     every write: validated and answered, not stored.
 *   - Server-side apply (apply.ts, "Server-Side Apply"): PATCH with
 *     application/apply-patch+yaml (YAML or JSON), fieldManager required
 *     (422), force, create when absent (201), metadata.managedFields for
 *     every API write (Apply and Update entries, FieldsV1), 409 Conflict with
 *     kube-apiserver's message and FieldManagerConflict causes. Controllers'
 *     own writes are not recorded in managedFields.
 *   - Watch ("Efficient detection of changes", "Semantics for watch"):
 *     `?watch=1&resourceVersion=N` streams newline-delimited JSON events
 *     {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":…} after N;
 *     unset or "0" starts with synthetic ADDED events for the current state.
 *     N older than the kept history gets a 410 Gone Status "too old resource
 *     version" as an ERROR event on a 200 stream, which is what
 *     kube-apiserver sends ("410 Gone responses"); `expiredWatch: 'http-410'`
 *     answers with an HTTP 410 instead, which some servers and proxies do.
 *     allowWatchBookmarks=true adds BOOKMARK events ("Watch bookmarks");
 *     timeoutSeconds ends the stream.
 *   - Selectors (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors,
 *     .../field-selectors/): labelSelector with =, ==, !=, in, notin, exists,
 *     !exists; fieldSelector metadata.name, metadata.namespace and each
 *     type's own fields (pods spec.nodeName, status.phase…; events
 *     involvedObject.*, reason, type…; nodes spec.unschedulable), others
 *     refused with 400 "field label not supported". On a watch, an object
 *     entering the selection is ADDED and one leaving it DELETED (with its
 *     previous content), as the watch cache does.
 *   - `limit`/`continue` are ignored: every list is complete, as a list served
 *     from the watch cache is.
 *   - Controllers (cluster.ts, which lists what each does and how it is
 *     simpler than the real one): defaulting, Deployment → ReplicaSets with
 *     revisions (rollout restart, rollback by template), ReplicaSet,
 *     DaemonSet, StatefulSet, Job, CronJob (suspend; runs only when a test
 *     calls runCronJob), PodDisruptionBudget status, a scheduler (cordon,
 *     taints, nodeSelector/affinity; FailedScheduling), a kubelet (Pending →
 *     ContainerCreating → Running, Job pods → Succeeded, graceful deletion),
 *     the unschedulable taint on cordon, a garbage collector, and core/v1
 *     Events. Rollouts switch ReplicaSets at once (no surge steps).
 *   - Scale (autoscaling/v1 Scale): GET/PUT/PATCH deployments, replicasets,
 *     statefulsets /scale, status.selector as a selector string.
 *   - Eviction (policy/v1, POST pods/{name}/eviction): PodDisruptionBudgets
 *     honoured; 429 TooManyRequests "Cannot evict pod as it would violate the
 *     pod's disruption budget." with a DisruptionBudget cause; 500 for more
 *     than one budget; otherwise 201 Status Success, the pod marked
 *     DisruptionTarget and deleted gracefully. Pending or finished pods are
 *     evicted without a budget check, as the real server does.
 *   - Logs (logs.ts): GET pods/{name}/log with container, previous, follow,
 *     timestamps, tailLines, sinceSeconds, sinceTime, limitBytes; the
 *     kubelet's error texts. The logs are what the stand-in and the tests
 *     write (appendLog, logEveryMs), not a program's output.
 *   - Exec (exec.ts): WebSocket upgrade with v5.channel.k8s.io,
 *     v4.channel.k8s.io or v4.base64.channel.k8s.io (others: 403); the
 *     command is a REAL process on this machine in a per-pod temporary
 *     directory (node-pty for tty=true), not inside any container image.
 *     No SPDY, no attach, no port-forward.
 *   - metrics.k8s.io/v1beta1 (metrics.ts) when `metricsServer` is on (or
 *     setMetricsServer(true)): NodeMetrics and PodMetrics with deterministic
 *     figures, a PodMetrics listing the pod's running containers (one waiting
 *     or terminated is left out, as the kubelet does not measure it); off,
 *     the group is absent from discovery and its paths 404.
 *   - Seeding and churn for benchmarks: seed() creates nodes, namespaces and
 *     running pods in memory without controller delays; churn() makes a
 *     sustained rate of MODIFIED events.
 *
 * The registration listener (plain HTTP, registrationUrl) stands in for the
 * kubelet registering itself. The box-side k3s stand-in
 * (test/lab/k3s-stand-in.ts) can speak only plain HTTP, through bash's
 * /dev/tcp, so it POSTs its Node here and fetches its kubeconfig from
 * GET /standin/kubeconfig. A node registered this way then goes through what
 * a real one does: its Ready condition is False, then True `readyAfterMs`
 * later, each change a MODIFIED event.
 *
 * Not implemented: protobuf and Table output (Accept: application/json only),
 * chunked lists, CRDs, RBAC, admission webhooks, resource quotas, resource
 * requests in scheduling, preemption, node-pressure eviction, the not-ready
 * taints of the node lifecycle controller, pod-to-pod networking, SPDY
 * streaming.
 */
export { parseLabelSelector } from './kube-stand-in/selectors';
export { STAND_IN_K3S_VERSION, startKubeStandIn } from './kube-stand-in/server';
export type { Churn, KubeStandIn, KubeStandInOptions, SeedOptions, StandInRequest } from './kube-stand-in/server';
export type { KubeObject } from './kube-stand-in/types';
export { usageOf } from './kube-stand-in/metrics';
export { EXEC_PROTOCOLS } from './kube-stand-in/exec';
