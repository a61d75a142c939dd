/**
 * The hardware probe: one POSIX sh script, run over SSH or a serial
 * console, that reads the box from /proc and /sys (no lshw, no dmidecode
 * needed), and the comparison of what it found with the hardware model.
 * Every mismatch is listed before anything is written to the box.
 *
 * The checks mirror the installer's own preflight (docs/installer.md,
 * step 2), including its 90% RAM tolerance, so the station refuses what
 * the box would refuse, earlier and with the whole list.
 */
import type { HardwareCheck, HardwareModelSpec, HardwareReport } from '../api/contract';
import { AppError } from '../api/errors';
import type { RemoteShell } from './shell';

export const ProbeErrors = {
  PROBE_FAILED: 'PROBE_FAILED',
  PROBE_MISMATCH: 'PROBE_MISMATCH',
} as const;

// Each line is "key<TAB>value…"; values never hold a tab or newline (tr).
export const PROBE_SCRIPT = String.raw`
t() { { tr -d '\n\t' < "$1"; } 2>/dev/null; }
p() { printf '%s\t%s\n' "$1" "$2"; }
p arch "$(uname -m)"
p hostname "$(hostname 2>/dev/null || t /etc/hostname)"
p os "$( (. /etc/os-release 2>/dev/null && printf '%s' "$PRETTY_NAME") )"
p cores "$(nproc 2>/dev/null || grep -c '^processor' /proc/cpuinfo)"
p cpu "$(grep -m1 -E '^(model name|Hardware|Processor)' /proc/cpuinfo | sed 's/^[^:]*: *//' | tr -d '\t')"
p memkib "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
for d in /sys/block/*; do
  n=$(basename "$d")
  case "$n" in loop*|ram*|zram*|sr*|fd*|dm-*|md*) continue ;; esac
  printf 'disk\t%s\t%s\t%s\n' "$n" "$(( $(cat "$d/size" 2>/dev/null || echo 0) * 512 ))" "$(t "$d/device/model")"
done
for n in /sys/class/net/*; do
  i=$(basename "$n")
  [ "$i" = lo ] && continue
  phys=0; [ -e "$n/device" ] && phys=1
  mac=$(t "$n/address")
  perm=$(ip -o link show "$i" 2>/dev/null | sed -n 's/.*permaddr \([0-9a-f:]*\).*/\1/p')
  [ -n "$perm" ] && mac=$perm
  addrs=$(ip -4 -o addr show dev "$i" 2>/dev/null | awk '{ print $4 }' | tr '\n' ',')
  printf 'nic\t%s\t%s\t%s\t%s\t%s\n' "$i" "$mac" "$(t "$n/operstate")" "$addrs" "$phys"
done
for s in /dev/ttyS* /dev/ttyUSB* /dev/ttyACM* /dev/ttyAMA* /dev/ttymxc*; do
  [ -c "$s" ] || continue
  case "$s" in /dev/ttyS*) [ "$(t "/sys/class/tty/$(basename "$s")/type")" = 0 ] && continue ;; esac
  p serial "$s"
done
for d in /sys/bus/pci/devices/*; do
  [ -e "$d/vendor" ] || continue
  printf 'pci\t%s\t%s:%s\t%s\n' "$(basename "$d")" "$(t "$d/vendor" | sed 's/^0x//')" "$(t "$d/device" | sed 's/^0x//')" "$(t "$d/class" | sed 's/^0x//')"
done
p dmi-uuid "$(t /sys/class/dmi/id/product_uuid)"
p dmi-serial "$(t /sys/class/dmi/id/product_serial)"
p dmi-board "$(t /sys/class/dmi/id/board_serial)"
p dmi-vendor "$(t /sys/class/dmi/id/sys_vendor)"
p dmi-product "$(t /sys/class/dmi/id/product_name)"
p end ok
`;

export function parseProbe(output: string): HardwareReport {
  const r: HardwareReport = {
    arch: '',
    cpuModel: '',
    cpuCores: 0,
    memoryMiB: 0,
    disks: [],
    nics: [],
    serialDevices: [],
    pciDevices: [],
    dmi: { uuid: '', serial: '', boardSerial: '', vendor: '', product: '' },
    hostname: '',
    os: '',
  };
  let complete = false;
  for (const raw of output.split(/\r?\n/)) {
    const f = raw.split('\t');
    const v = (f[1] ?? '').trim();
    switch (f[0]) {
      case 'arch':
        r.arch = v;
        break;
      case 'hostname':
        r.hostname = v;
        break;
      case 'os':
        r.os = v;
        break;
      case 'cores':
        r.cpuCores = Number.parseInt(v, 10) || 0;
        break;
      case 'cpu':
        r.cpuModel = v;
        break;
      case 'memkib':
        r.memoryMiB = Math.floor((Number.parseInt(v, 10) || 0) / 1024);
        break;
      case 'disk':
        r.disks.push({ name: v, sizeBytes: Number(f[2]) || 0, model: (f[3] ?? '').trim() });
        break;
      case 'nic': {
        const state = (f[3] ?? '').trim();
        r.nics.push({
          name: v,
          mac: (f[2] ?? '').trim().toLowerCase(),
          link: state === 'up' ? 'up' : state === 'down' ? 'down' : 'unknown',
          addresses: (f[4] ?? '').split(',').filter(Boolean),
          physical: (f[5] ?? '').trim() === '1',
        });
        break;
      }
      case 'serial':
        r.serialDevices.push(v);
        break;
      case 'pci':
        r.pciDevices.push({ slot: v, id: (f[2] ?? '').trim().toLowerCase(), classId: (f[3] ?? '').trim() });
        break;
      case 'dmi-uuid':
        r.dmi.uuid = v.toLowerCase();
        break;
      case 'dmi-serial':
        r.dmi.serial = v;
        break;
      case 'dmi-board':
        r.dmi.boardSerial = v;
        break;
      case 'dmi-vendor':
        r.dmi.vendor = v;
        break;
      case 'dmi-product':
        r.dmi.product = v;
        break;
      case 'end':
        complete = true;
        break;
    }
  }
  if (!complete || !r.arch)
    throw new AppError(ProbeErrors.PROBE_FAILED, {
      en: 'The hardware probe did not finish on the box (its output was cut short). Is /bin/sh there, and /proc and /sys mounted?',
      zh: '设备上的硬件探测未完成（输出被截断）。/bin/sh 是否存在，/proc 和 /sys 是否已挂载？',
    });
  return r;
}

export async function probeBox(shell: RemoteShell, signal?: AbortSignal): Promise<HardwareReport> {
  const res = await shell.exec(PROBE_SCRIPT, { timeoutMs: 60_000, signal });
  if (res.code !== 0 && !res.stdout.includes('end\tok'))
    throw new AppError(ProbeErrors.PROBE_FAILED, {
      en: `The hardware probe failed on ${shell.label} (exit ${res.code}): ${(res.stderr || res.stdout).trim().split('\n').slice(-1)[0] ?? ''}`,
      zh: `${shell.label} 上的硬件探测失败（退出码 ${res.code}）：${(res.stderr || res.stdout).trim().split('\n').slice(-1)[0] ?? ''}`,
    });
  return parseProbe(res.stdout);
}

const GIB = 1024 ** 3;

function check(name: string, ok: boolean, want: string, found: string, en: string, zh: string): HardwareCheck {
  return { check: name, ok, want, found, message: { en, zh } };
}

/** Every check of the box against the model, passed or not; `labelSerial` is the serial scanned off the box's label. */
export function compareWithModel(hw: HardwareReport, model: HardwareModelSpec, labelSerial: string | null = null): HardwareCheck[] {
  const out: HardwareCheck[] = [];
  const wantArch = model.arch;
  const arch = hw.arch === 'arm64' ? 'aarch64' : hw.arch;
  out.push(
    check(
      'arch',
      arch === wantArch,
      wantArch,
      hw.arch,
      `CPU architecture ${hw.arch}; the model needs ${wantArch}.`,
      `CPU 架构为 ${hw.arch}；型号要求 ${wantArch}。`,
    ),
  );
  out.push(
    check(
      'cpu',
      hw.cpuCores >= model.minCpuCores,
      `>= ${model.minCpuCores} cores`,
      `${hw.cpuCores} cores`,
      `${hw.cpuCores} CPU cores; the model needs at least ${model.minCpuCores}.`,
      `CPU 核数为 ${hw.cpuCores}；型号至少需要 ${model.minCpuCores}。`,
    ),
  );
  // The kernel keeps part of the RAM (docs/installer.md, "RAM tolerance"): 90% of the model's minimum passes.
  const memFloor = Math.floor(model.minMemoryMiB * 0.9);
  out.push(
    check(
      'memory',
      hw.memoryMiB >= memFloor,
      `>= ${model.minMemoryMiB} MiB (${memFloor} MiB seen by the kernel)`,
      `${hw.memoryMiB} MiB`,
      `${hw.memoryMiB} MiB of RAM; the model needs ${model.minMemoryMiB} MiB (at least ${memFloor} MiB seen by the kernel).`,
      `内存 ${hw.memoryMiB} MiB；型号需要 ${model.minMemoryMiB} MiB（内核可见至少 ${memFloor} MiB）。`,
    ),
  );
  const diskName = model.installDisk.replace(/^\/dev\//, '');
  const disk = hw.disks.find((d) => d.name === diskName);
  out.push(
    check(
      'disk',
      Boolean(disk && disk.sizeBytes >= model.minDiskGiB * GIB),
      `${model.installDisk} >= ${model.minDiskGiB} GiB`,
      disk
        ? `${model.installDisk} ${(disk.sizeBytes / GIB).toFixed(1)} GiB`
        : `no ${model.installDisk} (${hw.disks.map((d) => d.name).join(', ') || 'no disks'})`,
      disk
        ? `Install disk ${model.installDisk} has ${(disk.sizeBytes / GIB).toFixed(1)} GiB; the model needs ${model.minDiskGiB} GiB.`
        : `Install disk ${model.installDisk} is missing; the box has ${hw.disks.map((d) => d.name).join(', ') || 'no disks'}.`,
      disk
        ? `安装磁盘 ${model.installDisk} 为 ${(disk.sizeBytes / GIB).toFixed(1)} GiB；型号需要 ${model.minDiskGiB} GiB。`
        : `缺少安装磁盘 ${model.installDisk}；设备上有 ${hw.disks.map((d) => d.name).join('、') || '无磁盘'}。`,
    ),
  );
  for (const nic of model.nics) {
    const found = hw.nics.find((n) => n.name === nic.name);
    out.push(
      check(
        `nic ${nic.name}`,
        Boolean(found),
        nic.name,
        found ? `${found.name} ${found.mac} link ${found.link}` : 'missing',
        found
          ? `NIC ${nic.name} present (${found.mac}, link ${found.link}).`
          : `NIC ${nic.name} (${nic.role}) is missing; the box has ${hw.nics.map((n) => n.name).join(', ')}.`,
        found
          ? `网口 ${nic.name} 存在（${found.mac}，链路 ${found.link}）。`
          : `缺少网口 ${nic.name}（${nic.role}）；设备上有 ${hw.nics.map((n) => n.name).join('、')}。`,
      ),
    );
  }
  const physical = hw.nics.filter((n) => n.physical).length;
  out.push(
    check(
      'nics',
      physical >= model.nics.length,
      `>= ${model.nics.length} physical NICs`,
      `${physical}`,
      `${physical} physical NICs; the model has ${model.nics.length}.`,
      `物理网口 ${physical} 个；型号有 ${model.nics.length} 个。`,
    ),
  );
  for (const port of model.serialPorts) {
    if (/^COM/.test(port.device)) continue;
    const ok = hw.serialDevices.includes(port.device);
    out.push(
      check(
        `serial ${port.device}`,
        ok,
        port.device,
        ok ? port.device : hw.serialDevices.join(', ') || 'none',
        ok
          ? `Serial port ${port.device} present.`
          : `Serial port ${port.device} (${port.role}) is missing; the box has ${hw.serialDevices.join(', ') || 'none'}.`,
        ok ? `串口 ${port.device} 存在。` : `缺少串口 ${port.device}（${port.role}）；设备上有 ${hw.serialDevices.join('、') || '无'}。`,
      ),
    );
  }
  for (const acc of model.accelerators) {
    const ids = acc.pciIds.map((i) => i.toLowerCase());
    const n = hw.pciDevices.filter((d) => ids.includes(d.id)).length;
    out.push(
      check(
        `pci ${ids.join('|')}`,
        n >= acc.count,
        `${acc.count} × ${ids.join(' or ')} (${acc.kind})`,
        `${n}`,
        `${n} of ${acc.count} ${acc.kind} device(s) ${ids.join('/')} found on the PCI bus.`,
        `PCI 总线上找到 ${n} 个 ${acc.kind} 设备（${ids.join('/')}），需要 ${acc.count} 个。`,
      ),
    );
  }
  if (labelSerial) {
    const ok = hw.dmi.serial.trim().toLowerCase() === labelSerial.trim().toLowerCase();
    out.push(
      check(
        'label serial',
        ok,
        labelSerial,
        hw.dmi.serial || '(none)',
        ok
          ? `The DMI serial matches the scanned label.`
          : `The scanned label says ${labelSerial} but this box reports ${hw.dmi.serial || 'no serial'}: is the right box on this address?`,
        ok ? `DMI 序列号与扫描的标签一致。` : `扫描的标签为 ${labelSerial}，但此设备报告 ${hw.dmi.serial || '无序列号'}：此地址上的设备是否正确？`,
      ),
    );
  }
  return out;
}

export function mismatchError(label: string, checks: HardwareCheck[]): AppError {
  const bad = checks.filter((c) => !c.ok);
  return new AppError(ProbeErrors.PROBE_MISMATCH, {
    en: `${label} does not match the hardware model (${bad.length} problem${bad.length === 1 ? '' : 's'}): ${bad.map((c) => c.message.en).join(' ')} Nothing was written to the box.`,
    zh: `${label} 与硬件型号不符（${bad.length} 个问题）：${bad.map((c) => c.message.zh).join(' ')} 未向设备写入任何内容。`,
  });
}
