export { ClusterStore, ClusterStoreErrors, clusterSchema, type ClusterNode } from './store';
export { joinBox, JoinErrors, k3sConfigYaml, nodeNameFromSerial, readKubeconfig, type JoinPlan } from './join';
export { kubeconfigInfo, parseKubeconfig, rewriteServer } from './kubeconfig';
export { listNodes, serverVersion, waitNodeReady } from './kube';
export { ClusterService } from './service';
export { ClusterWatch, slim, type WatchEvent, type WatchKind } from './watch';
