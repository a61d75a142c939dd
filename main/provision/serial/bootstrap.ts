/**
 * Network bootstrap over the console: give a NIC an address (and the box a
 * default route), start sshd, and read the address back, so that the bulk of
 * a flash can go over SSH at network speed instead of down the serial line.
 *
 * iproute2 only (every supported OS ships it); the change is at run time and
 * is not written to the box's network configuration.
 */
import { AppError, ErrorCodes } from '../../api/errors';
import type { ExecResult, RemoteShell } from '../shell';
import { SerialErrors, serialError } from './errors';
import { shQuote as q } from './markers';

export interface NetworkBootstrap {
  /** The NIC's kernel name: eth1, enp3s0. */
  nic: string;
  /** IPv4 CIDR, e.g. 10.77.0.200/24. */
  address: string;
  gateway?: string | null;
  /** Start sshd (systemd `ssh` or `sshd`, or SysV init) after the address is up. */
  startSsh: boolean;
  signal?: AbortSignal;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// IFNAMSIZ is 16 with the NUL; the kernel refuses "/", whitespace and ":" is an alias separator.
const NIC = /^[A-Za-z0-9_.@-]{1,15}$/;

function invalid(field: string, en: string, zh: string): AppError {
  return new AppError(ErrorCodes.INPUT_INVALID, { en, zh }, { field: [field] });
}

/** Resolves the address to reach the box at over SSH, once the box itself reports it on the NIC. */
export async function bootstrapNetwork(shell: RemoteShell, b: NetworkBootstrap): Promise<string> {
  if (!NIC.test(b.nic)) throw invalid('nic', `"${b.nic}" is not a NIC name (e.g. eth1, enp3s0).`, `“${b.nic}”不是网口名称（如 eth1、enp3s0）。`);
  const m = /^(.+)\/(\d{1,2})$/.exec(b.address.trim());
  if (!m || !IPV4.test(m[1]!) || Number(m[2]) > 32)
    throw invalid(
      'address',
      `"${b.address}" is not an IPv4 address with a prefix, e.g. 192.168.1.10/24.`,
      `“${b.address}”不是带前缀的 IPv4 地址，例如 192.168.1.10/24。`,
    );
  const ip = m[1]!;
  const cidr = `${ip}/${Number(m[2])}`;
  const gateway = b.gateway?.trim() || null;
  if (gateway && !IPV4.test(gateway)) throw invalid('gateway', `"${gateway}" is not an IPv4 address.`, `“${gateway}”不是 IPv4 地址。`);
  const where = shell.label;
  const run = (cmd: string, timeoutMs = 60_000) => shell.exec(cmd, { timeoutMs, signal: b.signal });

  const found = await run(
    `command -v ip >/dev/null || { echo EF_NO_IP; exit 2; }; ip link show dev ${q(b.nic)} >/dev/null 2>&1 || { ls /sys/class/net; exit 3; }`,
  );
  if (found.code === 2)
    throw serialError(
      SerialErrors.SERIAL_TOOL_MISSING,
      `The box on ${where} has no "ip" command (iproute2), so EdgeForge cannot configure its network. Install iproute2 or set the address by hand.`,
      `${where} 上的设备没有 “ip” 命令（iproute2），EdgeForge 无法配置其网络。请安装 iproute2 或手动设置地址。`,
    );
  if (found.code === 3) {
    const nics = found.stdout
      .split(/\s+/)
      .filter((n) => n && n !== 'lo')
      .join(', ');
    throw serialError(
      SerialErrors.SERIAL_NIC_MISSING,
      `The box on ${where} has no NIC named ${b.nic}. It has: ${nics || 'none'}. Choose one of those (names differ between OS versions: eth1 vs enp3s0).`,
      `${where} 上的设备没有名为 ${b.nic} 的网口。现有网口：${nics || '无'}。请从中选择（不同系统版本命名不同：eth1 与 enp3s0）。`,
      { field: ['nic'] },
    );
  }
  if (found.code !== 0) throw netFailed(where, `ip link show ${b.nic}`, found);

  const up = await run(`ip link set dev ${q(b.nic)} up && ip addr replace ${q(cidr)} dev ${q(b.nic)}`);
  if (up.code !== 0) throw netFailed(where, `ip addr replace ${cidr} dev ${b.nic}`, up);
  if (gateway) {
    const route = await run(`ip route replace default via ${q(gateway)} dev ${q(b.nic)}`);
    if (route.code !== 0) throw netFailed(where, `ip route replace default via ${gateway}`, route);
  }

  if (b.startSsh) {
    const ssh = await run(
      'systemctl start ssh 2>/dev/null || systemctl start sshd 2>/dev/null || service ssh start 2>/dev/null || service sshd start 2>/dev/null || /etc/init.d/sshd start 2>/dev/null || /etc/init.d/dropbear start 2>/dev/null',
      120_000,
    );
    if (ssh.code !== 0)
      throw serialError(
        SerialErrors.SERIAL_SSH_START_FAILED,
        `The address is set on ${b.nic}, but no SSH server would start on the box (${where}). Install openssh-server, or check "journalctl -u ssh" on the box.`,
        `已为 ${b.nic} 设置地址，但设备（${where}）上无法启动 SSH 服务。请安装 openssh-server，或在设备上查看 “journalctl -u ssh”。`,
      );
  }

  // Read back from the kernel: an address that NetworkManager or networkd took away again must not pass.
  const back = await run(`ip -4 -o addr show dev ${q(b.nic)}`);
  const addresses = [...back.stdout.matchAll(/\binet (\d+\.\d+\.\d+\.\d+\/\d+)/g)].map((x) => x[1]!);
  if (back.code !== 0 || !addresses.includes(cidr))
    throw serialError(
      SerialErrors.SERIAL_NETWORK_FAILED,
      `${cidr} did not stay on ${b.nic} (${where}); the NIC now has ${addresses.join(', ') || 'no IPv4 address'}. A network manager on the box may have replaced it: set the address in its configuration instead.`,
      `${cidr} 未能保留在 ${b.nic} 上（${where}）；该网口现有地址：${addresses.join('、') || '无 IPv4 地址'}。设备上的网络管理服务可能覆盖了它：请改在其配置中设置地址。`,
      { field: ['address'] },
    );
  return ip;
}

function netFailed(where: string, what: string, r: ExecResult): AppError {
  const detail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-2).join(' ').slice(0, 200);
  return serialError(
    SerialErrors.SERIAL_NETWORK_FAILED,
    `"${what}" failed on the box (${where}): ${detail || 'no message'}.`,
    `设备（${where}）上执行 “${what}” 失败：${detail || '无信息'}。`,
  );
}
