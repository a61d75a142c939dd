/** The terminal's refusals, with what the user can do about each. */
import { AppError, type LocalizedText } from '../api/errors';

export const TerminalErrors = {
  NOT_FOUND: 'TERMINAL_NOT_FOUND',
  ENDED: 'TERMINAL_ENDED',
  SHELL_MISSING: 'TERMINAL_SHELL_MISSING',
  SPAWN_FAILED: 'TERMINAL_SPAWN_FAILED',
  TARGET_MISSING: 'TERMINAL_TARGET_MISSING',
  NOT_SERIAL: 'TERMINAL_NOT_SERIAL',
  POD_NOT_FOUND: 'TERMINAL_POD_NOT_FOUND',
  CONTAINER_NOT_FOUND: 'TERMINAL_CONTAINER_NOT_FOUND',
  POD_NOT_RUNNING: 'TERMINAL_POD_NOT_RUNNING',
  CLUSTER_UNAUTHORIZED: 'TERMINAL_CLUSTER_UNAUTHORIZED',
  CLUSTER_OFFLINE: 'TERMINAL_CLUSTER_OFFLINE',
  EXEC_FAILED: 'TERMINAL_EXEC_FAILED',
} as const;

export function sessionNotFound(id: string): AppError {
  return new AppError(TerminalErrors.NOT_FOUND, {
    en: `There is no terminal session ${id}. It was closed, or the station was restarted.`,
    zh: `没有终端会话 ${id}。它已关闭，或工作站已重启。`,
  });
}

export function sessionEnded(title: string): AppError {
  return new AppError(TerminalErrors.ENDED, {
    en: `The session "${title}" has ended; open a new one.`,
    zh: `会话“${title}”已结束；请新开一个。`,
  });
}

/** A pod as the messages name it. */
export interface PodRef {
  cluster: string;
  namespace: string;
  pod: string;
}

export function podNotFound(p: PodRef): AppError {
  return new AppError(
    TerminalErrors.POD_NOT_FOUND,
    {
      en: `There is no pod ${p.pod} in namespace ${p.namespace} of cluster ${p.cluster}. Check the name in the cluster's pod list; a pod replaced by its controller gets a new name.`,
      zh: `集群 ${p.cluster} 的命名空间 ${p.namespace} 中没有 pod ${p.pod}。请在集群的 pod 列表中核对名称；被控制器替换的 pod 会有新名称。`,
    },
    { field: ['pod'] },
  );
}

/** `has`: the pod's containers, when known. */
export function containerNotFound(p: PodRef, container: string, has: string[]): AppError {
  return new AppError(
    TerminalErrors.CONTAINER_NOT_FOUND,
    has.length > 0
      ? {
          en: `Pod ${p.pod} has no container ${container}; it has ${has.join(', ')}.`,
          zh: `pod ${p.pod} 中没有容器 ${container}；它的容器为 ${has.join('、')}。`,
        }
      : { en: `Pod ${p.pod} has no container ${container}.`, zh: `pod ${p.pod} 中没有容器 ${container}。` },
    { field: ['container'] },
  );
}

/** `why` says what state it is in instead (a phase, a waiting reason). */
export function podNotRunning(p: PodRef, container: string | null, why: LocalizedText): AppError {
  return new AppError(
    TerminalErrors.POD_NOT_RUNNING,
    container
      ? {
          en: `Container ${container} of pod ${p.pod} is not running (${why.en}): a shell opens only in a running container.`,
          zh: `pod ${p.pod} 的容器 ${container} 未在运行（${why.zh}）：只能在运行中的容器里打开 shell。`,
        }
      : {
          en: `Pod ${p.pod} is not running (${why.en}): a shell opens only in a running container.`,
          zh: `pod ${p.pod} 未在运行（${why.zh}）：只能在运行中的容器里打开 shell。`,
        },
    { field: [container ? 'container' : 'pod'] },
  );
}

/** The API server refused the station's credentials, or its certificate does not fit the kubeconfig's. */
export function clusterUnauthorized(cluster: string, why: LocalizedText): AppError {
  return new AppError(
    TerminalErrors.CLUSTER_UNAUTHORIZED,
    {
      en: `The API server of cluster ${cluster} ${why.en} Import a current kubeconfig (Clusters › Replace kubeconfig; k3s keeps it in /etc/rancher/k3s/k3s.yaml).`,
      zh: `集群 ${cluster} 的 API 服务器${why.zh}请导入当前的 kubeconfig（集群 › 更换 kubeconfig；k3s 将其保存在 /etc/rancher/k3s/k3s.yaml）。`,
    },
    { field: ['clusterId'] },
  );
}

export function clusterOffline(cluster: string, server: string, why: LocalizedText): AppError {
  const host = new URL(server).host;
  return new AppError(
    TerminalErrors.CLUSTER_OFFLINE,
    {
      en: `The API server of cluster ${cluster} (${server}) cannot be reached: ${why.en}. Check that k3s runs on the server (systemctl status k3s) and that this station reaches ${host} (address, cable, firewall).`,
      zh: `无法访问集群 ${cluster} 的 API 服务器（${server}）：${why.zh}。请确认服务器上 k3s 正在运行（systemctl status k3s），且本工作站能访问 ${host}（地址、网线、防火墙）。`,
    },
    { field: ['clusterId'] },
  );
}

/** Any other refusal of the exec request: the API server's own message. */
export function execFailed(p: PodRef, message: string): AppError {
  return new AppError(TerminalErrors.EXEC_FAILED, {
    en: `The API server of cluster ${p.cluster} refused to open a shell in pod ${p.pod}: ${message}`,
    zh: `集群 ${p.cluster} 的 API 服务器拒绝在 pod ${p.pod} 中打开 shell：${message}`,
  });
}
