/**
 * Joining a box to a k3s cluster over its shell (DESIGN §3, "Cluster
 * runtime"). The bundle's installer put the binary and the k3s install
 * script in place without starting anything; here the station writes
 * /etc/rancher/k3s/config.yaml (node name, labels, node IP, token, server
 * or cluster-init: k3s reads the same keys as its flags) and runs the
 * bundle's install script again, air-gapped, which writes, enables and
 * starts the k3s or k3s-agent unit (INSTALL_K3S_EXEC, K3S_URL, K3S_TOKEN,
 * as in the k3s docs' "Configuration Options").
 */
import { NODE_NAME_RULE } from '../api/contract';
import { AppError } from '../api/errors';
import type { RemoteShell } from '../provision/shell';

export const JoinErrors = {
  JOIN_FAILED: 'JOIN_FAILED',
  JOIN_NO_KUBECONFIG: 'JOIN_NO_KUBECONFIG',
  JOIN_NODE_NAME: 'JOIN_NODE_NAME',
} as const;

export const K3S_CONFIG = '/etc/rancher/k3s/config.yaml';
export const K3S_KUBECONFIG = '/etc/rancher/k3s/k3s.yaml';

/**
 * A node name by the reference rule (4–30 of a–z, 0–9 and "-", not at
 * either end) made from the box serial: "LAB-000001" → "lab-000001".
 */
export function nodeNameFromSerial(serial: string, suffix = ''): string {
  let base = serial
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  if (base.length < 4) base = `node-${base}`.replace(/-$/, '');
  const room = 30 - suffix.length;
  base = base.slice(0, room).replace(/-$/, '');
  const name = `${base}${suffix}`;
  if (!NODE_NAME_RULE.test(name))
    throw new AppError(JoinErrors.JOIN_NODE_NAME, {
      en: `No valid node name can be made from the serial "${serial}". Give the box a node name (4–30 characters: a–z, 0–9, "-").`,
      zh: `无法由序列号“${serial}”生成有效的节点名称。请为该设备指定节点名称（4–30 个字符：a–z、0–9、“-”）。`,
    });
  return name;
}

export interface JoinPlan {
  role: 'server' | 'agent';
  /** The first server of a new cluster: --cluster-init. */
  init: boolean;
  nodeName: string;
  token: string;
  /** https://<first server>:6443, for every node but the first. */
  serverUrl: string | null;
  nodeIp: string | null;
  labels: Record<string, string>;
  /** The extracted bundle on the box (holds runtime/install.sh). */
  bundleDir: string;
}

function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** JSON strings are valid YAML scalars: no quoting rules of our own. */
export function k3sConfigYaml(p: JoinPlan): string {
  const lines = [`# Written by the EdgeForge station`, `node-name: ${JSON.stringify(p.nodeName)}`, `token: ${JSON.stringify(p.token)}`];
  if (p.init) lines.push('cluster-init: true');
  if (p.serverUrl && !p.init) lines.push(`server: ${JSON.stringify(p.serverUrl)}`);
  if (p.nodeIp) lines.push(`node-ip: ${JSON.stringify(p.nodeIp)}`);
  const labels = Object.entries(p.labels);
  if (labels.length) {
    lines.push('node-label:');
    for (const [k, v] of labels) lines.push(`  - ${JSON.stringify(`${k}=${v}`)}`);
  }
  if (p.role === 'server') lines.push('write-kubeconfig-mode: "0600"');
  return `${lines.join('\n')}\n`;
}

export async function joinBox(shell: RemoteShell, p: JoinPlan, opts: { signal?: AbortSignal; log?: (l: string) => void } = {}): Promise<void> {
  const fail = (en: string, zh: string, r: { code: number; stdout: string; stderr: string }) => {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ');
    return new AppError(JoinErrors.JOIN_FAILED, {
      en: `${en} failed on ${shell.label} (exit ${r.code}): ${tail}`,
      zh: `${shell.label} 上${zh}失败（退出码 ${r.code}）：${tail}`,
    });
  };
  // Every node needs a unique hostname (DESIGN §3b, k3s); boxes from one image share theirs.
  const host = await shell.exec(
    `hostnamectl set-hostname ${q(p.nodeName)} 2>/dev/null || { printf '%s\\n' ${q(p.nodeName)} > /etc/hostname && hostname ${q(p.nodeName)}; }`,
    { signal: opts.signal },
  );
  if (host.code !== 0) throw fail('Setting the hostname', '设置主机名', host);
  const cfg = await shell.exec(`mkdir -p /etc/rancher/k3s && umask 077 && cat > ${K3S_CONFIG}.tmp && mv -f ${K3S_CONFIG}.tmp ${K3S_CONFIG}`, {
    stdin: k3sConfigYaml(p),
    signal: opts.signal,
  });
  if (cfg.code !== 0) throw fail('Writing the k3s configuration', '写入 k3s 配置', cfg);
  const exec = p.role === 'server' ? (p.init ? 'server --cluster-init' : 'server') : 'agent';
  // FORCE_RESTART: the script restarts k3s only when its unit or env file changed, and a new config.yaml alone does not count.
  const env = [`INSTALL_K3S_SKIP_DOWNLOAD=true`, `INSTALL_K3S_FORCE_RESTART=true`, `INSTALL_K3S_EXEC=${q(exec)}`, `K3S_TOKEN=${q(p.token)}`];
  if (p.role === 'agent' && p.serverUrl) env.push(`K3S_URL=${q(p.serverUrl)}`);
  opts.log?.(`k3s ${exec} as ${p.nodeName}${p.serverUrl && !p.init ? `, server ${p.serverUrl}` : ''}`);
  const run = await shell.exec(`cd ${q(p.bundleDir)} && ${env.join(' ')} sh runtime/install.sh`, { timeoutMs: 10 * 60_000, signal: opts.signal });
  if (run.code !== 0) throw fail('Starting k3s', '启动 k3s', run);
  const unit = p.role === 'server' ? 'k3s' : 'k3s-agent';
  const active = await shell.exec(`systemctl is-active ${unit}`, { signal: opts.signal });
  if (active.stdout.trim() !== 'active' && active.stdout.trim() !== 'activating') throw fail(`The ${unit} service`, `${unit} 服务`, active);
}

/** Waits for k3s to write its kubeconfig on a server and returns it. */
export async function readKubeconfig(shell: RemoteShell, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<string> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    const r = await shell.exec(`cat ${K3S_KUBECONFIG}`, { signal: opts.signal });
    if (r.code === 0 && /apiVersion:/.test(r.stdout)) return r.stdout;
    if (Date.now() > deadline)
      throw new AppError(JoinErrors.JOIN_NO_KUBECONFIG, {
        en: `k3s on ${shell.label} did not write ${K3S_KUBECONFIG} within ${Math.round((opts.timeoutMs ?? 120_000) / 1000)} s. See journalctl -u k3s on the box.`,
        zh: `${shell.label} 上的 k3s 未在 ${Math.round((opts.timeoutMs ?? 120_000) / 1000)} 秒内写出 ${K3S_KUBECONFIG}。请在设备上查看 journalctl -u k3s。`,
      });
    await new Promise((res) => setTimeout(res, 2000));
  }
}
