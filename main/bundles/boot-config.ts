/**
 * Boot menus of a remastered installer: a new first entry that starts the
 * unattended install, made the default with a short timeout, in isolinux
 * and in GRUB (on the ISO and inside the El Torito EFI image). The entry is
 * a copy of the source's first install entry, so kernel, initrd and their
 * own arguments stay what the vendor shipped.
 *
 * isolinux: SYSLINUX "Config" (LABEL, KERNEL/LINUX, APPEND, DEFAULT, TIMEOUT in
 * 1/10 s, MENU DEFAULT). GRUB 2 manual §6.3 (menuentry --id, set default to an
 * id, set timeout in seconds); arguments holding ";" are quoted, or GRUB
 * would end the command there (DESIGN.md §3b).
 */
import type { InstallerFamily } from '../iso/inspect';

export const ENTRY_ID = 'edgeforge';
export const ENTRY_TITLE = 'EdgeForge unattended install';

/** Arguments that start the unattended install, per installer family. */
export function unattendedArgs(family: InstallerFamily, label: string): string[] {
  if (family === 'rhel-kickstart') return [`inst.ks=hd:LABEL=${label.replace(/ /g, '\\x20')}:/edgeforge/ks.cfg`];
  if (family === 'ubuntu-autoinstall') return ['autoinstall', 'ds=nocloud;s=/cdrom/edgeforge/'];
  if (family === 'debian-preseed') return ['auto=true', 'priority=critical', 'preseed/file=/cdrom/edgeforge/preseed.cfg'];
  return [];
}

/** Drops arguments that would point the installer elsewhere, then adds ours. */
function mergeArgs(existing: string, ours: string[], quoteSemicolons: boolean): string {
  const drop = /^(inst\.ks|ks|autoinstall|ds|auto|priority|preseed\/[a-z_]+|file)(=|$)/;
  const kept = existing.split(/\s+/).filter((a) => a && !drop.test(a.replace(/^"|"$/g, '')));
  const add = ours.map((a) => (quoteSemicolons && a.includes(';') ? `"${a}"` : a));
  // Kernel options end at "---" (arguments after it go to the installed system); ours go before it.
  const dash = kept.indexOf('---');
  return (dash >= 0 ? [...kept.slice(0, dash), ...add, ...kept.slice(dash)] : [...kept, ...add]).join(' ');
}

export class BootConfigError extends Error {}

/** isolinux.cfg with our entry first and default. Null when it has no entry with a kernel. */
export function patchIsolinux(text: string, args: string[]): string | null {
  const lines = text.split(/\r?\n/);
  const labelAt = lines.findIndex((l) => /^\s*label\s+/i.test(l));
  if (labelAt < 0) return null;
  let end = lines.findIndex((l, i) => i > labelAt && /^\s*label\s+/i.test(l));
  if (end < 0) end = lines.length;
  const block = lines.slice(labelAt, end);
  const kernel = block.find((l) => /^\s*(kernel|linux)\s+/i.test(l));
  if (!kernel) return null;
  const appendLine = block.find((l) => /^\s*append\s+/i.test(l)) ?? '  append';
  const appendArgs = appendLine.replace(/^\s*append\s*/i, '');
  const entry = [`label ${ENTRY_ID}`, `  menu label ${ENTRY_TITLE}`, '  menu default', `  ${kernel.trim()}`, `  append ${mergeArgs(appendArgs, args, false)}`];
  const body = lines.filter((l) => !/^\s*menu\s+default\s*$/i.test(l));
  const firstLabel = body.findIndex((x) => /^\s*label\s+/i.test(x));
  const head = body.slice(0, firstLabel);
  const rest = body.slice(firstLabel);
  const headOut = head.filter((l) => !/^\s*(default|timeout|ontimeout)\s+/i.test(l));
  return [...headOut, `default ${ENTRY_ID}`, 'timeout 30', ...entry, '', ...rest].join('\n');
}

/** The first `menuentry … { … }` block of a GRUB config: [start, end] line indexes. */
function firstMenuentry(lines: string[]): [number, number] | null {
  const start = lines.findIndex((l) => /^\s*menuentry\s/.test(l));
  if (start < 0) return null;
  let depth = 0;
  for (let i = start; i < lines.length; i++) {
    for (const ch of lines[i]!.replace(/'[^']*'|"[^"]*"/g, '')) {
      if (ch === '{') depth++;
      if (ch === '}') depth--;
    }
    if (depth === 0 && i >= start && lines[i]!.includes('}')) return [start, i];
  }
  return null;
}

/** grub.cfg with our entry first and default. Null when it has no menu entry (a stub that loads another config). */
export function patchGrub(text: string, args: string[]): string | null {
  const lines = text.split(/\r?\n/);
  const span = firstMenuentry(lines);
  if (!span) return null;
  const [s, e] = span;
  const block = lines.slice(s, e + 1);
  if (!block.some((l) => /^\s*(linux|linuxefi|linux16)\s+/.test(l))) return null;
  const entry = block.map((l, i) => {
    if (i === 0) return `menuentry '${ENTRY_TITLE}' --id ${ENTRY_ID} {`;
    const m = /^(\s*)(linux|linuxefi|linux16)\s+(\S+)\s*(.*)$/.exec(l);
    return m ? `${m[1]}${m[2]} ${m[3]} ${mergeArgs(m[4]!, args, true)}` : l;
  });
  const out: string[] = [];
  let sawDefault = false;
  let sawTimeout = false;
  lines.forEach((l, i) => {
    if (i === s) out.push(...entry);
    if (/^\s*set\s+default=/.test(l)) {
      sawDefault = true;
      out.push(l.replace(/set\s+default=.*$/, `set default="${ENTRY_ID}"`));
    } else if (/^\s*set\s+timeout=/.test(l)) {
      sawTimeout = true;
      out.push(l.replace(/set\s+timeout=.*$/, 'set timeout=3'));
    } else out.push(l);
  });
  const head = [...(sawDefault ? [] : [`set default="${ENTRY_ID}"`]), ...(sawTimeout ? [] : ['set timeout=3'])];
  return [...head, ...out].join('\n');
}
