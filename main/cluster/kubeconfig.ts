/**
 * Kubeconfig files: reading one a box gave us (k3s writes
 * /etc/rancher/k3s/k3s.yaml), pointing it at the address the station reaches
 * the server at, and summing it up for the UI.
 *
 * Loading is @kubernetes/client-node's KubeConfig.loadFromString, the same
 * code that later makes the requests. Before it runs, the document is read
 * with the `yaml` library to refuse what that loader would act on by itself:
 * `token-file` (it reads a local file at load time and would send it to the
 * server the file names) and `exec` / `auth-provider` plugins (they run
 * programs). A kubeconfig the station keeps in its vault must also be
 * self-contained, so file references are refused with the command that makes
 * an inline one.
 *
 * Format: https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/
 * (clusters / contexts / users, current-context, the *-data fields are base64 PEM).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import { isMap, isSeq, parseDocument } from 'yaml';
import { AppError, ErrorCodes } from '../api/errors';

export const KubeconfigErrors = {
  KUBECONFIG_INVALID: 'KUBECONFIG_INVALID',
} as const;

export interface Kubeconfig {
  /** Loaded, with its current context set: hand it to the client-node APIs. */
  config: KubeConfig;
  context: Context;
  cluster: Cluster;
  user: User;
}

export interface KubeconfigInfo {
  /** The API server URL of the current context. */
  server: string;
  /** The name of the current context's user entry (k3s: 'default'). */
  user: string;
  authKind: 'client-cert' | 'token' | 'other';
  /** The client certificate's notAfter (ISO 8601), or null without one. k3s's admin certificate lasts a year. */
  clientCertExpiresAt: string | null;
  /** The client certificate's subject (k3s: CN=system:admin, O=system:masters), or null. */
  clientCertSubject: string | null;
}

const FILE_FIELDS = [
  ['clusters', 'cluster', 'certificate-authority'],
  ['users', 'user', 'client-certificate'],
  ['users', 'user', 'client-key'],
  ['users', 'user', 'token-file'],
] as const;

function invalid(source: string | undefined, en: string, zh: string, cause?: unknown): AppError {
  const where = source ? { en: `The kubeconfig ${source}`, zh: `kubeconfig ${source}` } : { en: 'The kubeconfig', zh: 'kubeconfig' };
  return new AppError(
    KubeconfigErrors.KUBECONFIG_INVALID,
    { en: `${where.en} ${en}`, zh: `${where.zh}${zh}` },
    { ...(source ? { file: source } : {}), ...(cause === undefined ? {} : { cause }) },
  );
}

/** PEM blocks of one type, in order (a client-certificate-data may carry the chain after the leaf). */
function pemBlocks(pem: string, type: string): string[] {
  return pem.match(new RegExp(`-----BEGIN ${type}-----[^-]+-----END ${type}-----`, 'g')) ?? [];
}

const decode64 = (data: string): string => Buffer.from(data, 'base64').toString('utf8');

function firstCertificate(data: string): X509Certificate | null {
  const pem = pemBlocks(decode64(data), 'CERTIFICATE')[0];
  if (!pem) return null;
  try {
    return new X509Certificate(pem);
  } catch {
    return null;
  }
}

/**
 * Loads a kubeconfig and checks that it can be used as it is: one current
 * context whose cluster and user exist, an https server, inline certificates
 * that parse, a client key that belongs to its certificate, no plugins.
 * `source` names where it came from (a box, a file) in the messages.
 */
export function parseKubeconfig(yaml: string, source?: string): Kubeconfig {
  if (!yaml.trim()) throw invalid(source, 'is empty.', '为空。');
  const doc = parseDocument(yaml, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw invalid(
      source,
      `is not valid YAML${line ? ` (line ${line})` : ''}: ${e.message.split('\n')[0]}`,
      `不是有效的 YAML${line ? `（第 ${line} 行）` : ''}：${e.message.split('\n')[0]}`,
      e,
    );
  }
  const raw: unknown = doc.toJS();
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || !isMap(doc.contents)) {
    throw invalid(source, 'is not a YAML mapping, so it is not a kubeconfig.', '不是 YAML 映射，因此不是 kubeconfig。');
  }
  const obj = raw as Record<string, unknown>;
  if (obj.kind !== undefined && obj.kind !== 'Config') {
    throw invalid(source, `is a "${String(obj.kind)}", not a kubeconfig (kind: Config).`, `是“${String(obj.kind)}”，不是 kubeconfig（kind: Config）。`);
  }
  for (const key of ['clusters', 'contexts', 'users'] as const) {
    if (!Array.isArray(obj[key]) || (obj[key] as unknown[]).length === 0) {
      throw invalid(
        source,
        `has no ${key}: it is not a kubeconfig (k3s writes one at /etc/rancher/k3s/k3s.yaml).`,
        `没有 ${key}：不是 kubeconfig（k3s 会在 /etc/rancher/k3s/k3s.yaml 生成一个）。`,
      );
    }
  }
  // Refused before loading: the loader would read these files, and the requests would run these programs.
  for (const [list, inner, field] of FILE_FIELDS) {
    const items = obj[list] as Record<string, Record<string, unknown> | undefined>[];
    items.forEach((item, i) => {
      const value = item?.[inner]?.[field];
      if (typeof value === 'string' && value) {
        throw invalid(
          source,
          `refers to the file ${value} (${list}[${i}].${inner}.${field}) on the machine it came from. EdgeForge keeps kubeconfigs self-contained: export one with \`kubectl config view --raw --flatten\`.`,
          `引用了来源机器上的文件 ${value}（${list}[${i}].${inner}.${field}）。EdgeForge 只保存自包含的 kubeconfig：请用 \`kubectl config view --raw --flatten\` 导出。`,
        );
      }
    });
  }
  (obj.users as { name?: unknown; user?: Record<string, unknown> }[]).forEach((u, i) => {
    const plugin = u?.user?.exec ? 'exec' : u?.user?.['auth-provider'] ? 'auth-provider' : null;
    if (plugin) {
      throw invalid(
        source,
        `authenticates user "${String(u.name ?? i)}" through an ${plugin} plugin, which EdgeForge does not run. Use a kubeconfig with a client certificate or a token (k3s's /etc/rancher/k3s/k3s.yaml has a client certificate).`,
        `的用户“${String(u.name ?? i)}”通过 ${plugin} 插件认证，EdgeForge 不会运行插件。请使用带客户端证书或令牌的 kubeconfig（k3s 的 /etc/rancher/k3s/k3s.yaml 带有客户端证书）。`,
      );
    }
  });

  const config = new KubeConfig();
  try {
    config.loadFromString(yaml);
  } catch (e) {
    // client-node names the missing field: "clusters[0].cluster.server is missing".
    const what = (e as Error).message;
    throw invalid(source, `is incomplete: ${what}.`, `不完整：${what}。`, e);
  }

  const contexts = config.getContexts();
  let contextName = config.getCurrentContext();
  if (!contextName) {
    if (contexts.length !== 1) {
      throw invalid(
        source,
        `sets no current-context and has ${contexts.length} contexts (${contexts.map((c) => c.name).join(', ')}): set current-context.`,
        `未设置 current-context，且有 ${contexts.length} 个上下文（${contexts.map((c) => c.name).join('、')}）：请设置 current-context。`,
      );
    }
    contextName = contexts[0]!.name;
    config.setCurrentContext(contextName);
  }
  const context = config.getContextObject(contextName);
  if (!context) {
    throw invalid(
      source,
      `has current-context "${contextName}", which is not among its contexts (${contexts.map((c) => c.name).join(', ')}).`,
      `的 current-context 为“${contextName}”，但它不在上下文列表（${contexts.map((c) => c.name).join('、')}）中。`,
    );
  }
  const cluster = config.getCluster(context.cluster);
  if (!cluster) {
    throw invalid(
      source,
      `has context "${context.name}" naming cluster "${context.cluster}", which it does not define.`,
      `的上下文“${context.name}”引用的集群“${context.cluster}”未定义。`,
    );
  }
  if (!context.user) {
    throw invalid(
      source,
      `has context "${context.name}" with no user: EdgeForge needs its credentials.`,
      `的上下文“${context.name}”没有用户：EdgeForge 需要其凭据。`,
    );
  }
  const user = config.getUser(context.user);
  if (!user) {
    throw invalid(
      source,
      `has context "${context.name}" naming user "${context.user}", which it does not define.`,
      `的上下文“${context.name}”引用的用户“${context.user}”未定义。`,
    );
  }

  let url: URL | null = null;
  try {
    url = new URL(cluster.server);
  } catch {
    url = null;
  }
  if (!url || url.protocol !== 'https:' || !url.hostname) {
    throw invalid(
      source,
      `gives cluster "${cluster.name}" the server "${cluster.server}", which is not an https:// URL.`,
      `为集群“${cluster.name}”给出的服务器“${cluster.server}”不是 https:// 地址。`,
    );
  }
  if (cluster.caData && !firstCertificate(cluster.caData)) {
    throw invalid(
      source,
      `has a certificate-authority-data for cluster "${cluster.name}" that is not a base64-encoded PEM certificate.`,
      `中集群“${cluster.name}”的 certificate-authority-data 不是 base64 编码的 PEM 证书。`,
    );
  }
  if (user.certData || user.keyData) {
    if (!user.certData || !user.keyData) {
      const has = user.certData ? 'client-certificate-data' : 'client-key-data';
      const lacks = user.certData ? 'client-key-data' : 'client-certificate-data';
      throw invalid(source, `gives user "${user.name}" a ${has} but no ${lacks}.`, `为用户“${user.name}”提供了 ${has}，但没有 ${lacks}。`);
    }
    const cert = firstCertificate(user.certData);
    if (!cert) {
      throw invalid(
        source,
        `has a client-certificate-data for user "${user.name}" that is not a base64-encoded PEM certificate.`,
        `中用户“${user.name}”的 client-certificate-data 不是 base64 编码的 PEM 证书。`,
      );
    }
    let key;
    try {
      key = createPrivateKey(decode64(user.keyData));
    } catch (e) {
      throw invalid(
        source,
        `has a client-key-data for user "${user.name}" that is not a base64-encoded PEM private key.`,
        `中用户“${user.name}”的 client-key-data 不是 base64 编码的 PEM 私钥。`,
        e,
      );
    }
    if (!cert.checkPrivateKey(key)) {
      throw invalid(
        source,
        `gives user "${user.name}" a client-key-data that does not belong to its client-certificate-data.`,
        `中用户“${user.name}”的 client-key-data 与其 client-certificate-data 不匹配。`,
      );
    }
  }
  return { config, context, cluster, user };
}

/**
 * The same kubeconfig with the current context's cluster pointing at
 * `serverUrl`. k3s writes https://127.0.0.1:6443, which is only right on the
 * box itself. Everything else (other clusters, comments, key order, the
 * base64 fields) stays as it was.
 */
export function rewriteServer(yaml: string, serverUrl: string, source?: string): string {
  const { cluster } = parseKubeconfig(yaml, source);
  let url: URL | null = null;
  try {
    url = new URL(serverUrl);
  } catch {
    url = null;
  }
  if (!url || url.protocol !== 'https:' || !url.hostname || url.username || url.password || url.search || url.hash) {
    throw new AppError(
      ErrorCodes.INPUT_INVALID,
      {
        en: `"${serverUrl}" is not a Kubernetes API server address: give https://HOST:PORT (k3s listens on 6443).`,
        zh: `“${serverUrl}”不是 Kubernetes API 服务器地址：请填写 https://主机:端口（k3s 监听 6443）。`,
      },
      { field: ['serverUrl'] },
    );
  }
  const server = url.pathname === '/' ? url.origin : `${url.origin}${url.pathname.replace(/\/$/, '')}`;
  const doc = parseDocument(yaml);
  const clusters = doc.get('clusters');
  if (!isSeq(clusters)) throw invalid(source, 'has no clusters.', '没有 clusters。');
  const index = clusters.items.findIndex((item) => isMap(item) && item.get('name') === cluster.name);
  // parseKubeconfig found it by the same name; the index cannot be -1.
  doc.setIn(['clusters', index, 'cluster', 'server'], server);
  // lineWidth 0: never fold the long base64 values.
  return doc.toString({ lineWidth: 0 });
}

/** What the UI shows about a kubeconfig: where it points, as whom, and until when. */
export function kubeconfigInfo(yaml: string, source?: string): KubeconfigInfo {
  const { cluster, user } = parseKubeconfig(yaml, source);
  const cert = user.certData ? firstCertificate(user.certData) : null;
  return {
    server: cluster.server,
    user: user.name,
    authKind: cert ? 'client-cert' : user.token ? 'token' : 'other',
    clientCertExpiresAt: cert ? new Date(cert.validTo).toISOString() : null,
    clientCertSubject: cert ? cert.subject.split('\n').join(', ') : null,
  };
}
