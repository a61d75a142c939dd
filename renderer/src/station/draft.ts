/**
 * Boxes about to be added to a run, as the technician gathers them: scanned
 * labels, SSH scan hits and serial ports, with one credentials block for all
 * of them. `buildBoxes` turns the draft into the API's FlashBoxInput list and
 * says, per row, what is still missing.
 */
import { Form, type FormInstance } from 'antd';
import type { TFunction } from 'i18next';
import { useCallback, useMemo, useState } from 'react';
import type { ApiClient } from '../api/client';
import { apiErrorData } from '../api/errors';
import type { Lang } from '../i18n';
import { nthAddress, nthCidr } from './model';

/** A box as the API takes it (defaults may be left out). */
export type FlashBoxInput = NonNullable<Parameters<ApiClient['flash']['createRun']>[0]['boxes']>[number];

export type RowSource = 'label' | 'scan' | 'serial';

export interface DraftRow {
  key: string;
  source: RowSource;
  labelSerial: string | null;
  /** Label rows: the bench position the box was scanned at (1, 2, …); its address in consecutive mode. */
  bench: number | null;
  /** SSH rows: the address typed or scanned for this box; null when it comes from the bench position (or is still missing). */
  host: string | null;
  port: number | null;
  /** Serial rows: the device path. */
  path: string | null;
}

export interface LabelSettings {
  /** consecutive: bench position n gets first address + n − 1; each: every box's address is scanned or typed after its serial. */
  mode: 'consecutive' | 'each';
  firstAddress: string;
  port: number;
}

export interface SerialSettings {
  /** null: the model's provisioning console settings. */
  baud: number | null;
  bootstrap: boolean;
  nic: string;
  /** CIDR of the first port's box; the next ports get the next addresses. */
  firstAddress: string;
  gateway: string;
  sshPort: number;
}

export interface CredentialValues {
  username: string;
  auth: 'password' | 'key';
  password?: string;
  privateKey?: string;
  passphrase?: string;
  sudoPassword?: string;
  legacyAlgorithms: boolean;
}

export const CREDENTIAL_DEFAULTS: CredentialValues = { username: 'root', auth: 'password', legacyAlgorithms: false };

let counter = 0;
export const rowKey = () => `row-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export interface BoxDraft {
  rows: DraftRow[];
  setRows: (update: (rows: DraftRow[]) => DraftRow[]) => void;
  label: LabelSettings;
  setLabel: (patch: Partial<LabelSettings>) => void;
  serial: SerialSettings;
  setSerial: (patch: Partial<SerialSettings>) => void;
  credentials: FormInstance<CredentialValues>;
  /** Per-row problems (from the last build or from the API), by row key. */
  rowErrors: Record<string, string>;
  setRowErrors: (errors: Record<string, string>) => void;
  /** Rows taken out, newest last, for undo. */
  removed: { row: DraftRow; index: number }[];
  remove: (key: string) => void;
  removeLast: () => void;
  undo: () => boolean;
  clear: () => void;
}

export function useBoxDraft(): BoxDraft {
  const [rows, setRowsState] = useState<DraftRow[]>([]);
  const [label, setLabelState] = useState<LabelSettings>({ mode: 'consecutive', firstAddress: '', port: 22 });
  const [serial, setSerialState] = useState<SerialSettings>({ baud: null, bootstrap: false, nic: 'eth0', firstAddress: '', gateway: '', sshPort: 22 });
  const [rowErrors, setRowErrors] = useState<Record<string, string>>({});
  const [removed, setRemoved] = useState<{ row: DraftRow; index: number }[]>([]);
  const [credentials] = Form.useForm<CredentialValues>();

  const setRows = useCallback((update: (rows: DraftRow[]) => DraftRow[]) => setRowsState(update), []);
  const setLabel = useCallback((patch: Partial<LabelSettings>) => setLabelState((l) => ({ ...l, ...patch })), []);
  const setSerial = useCallback((patch: Partial<SerialSettings>) => setSerialState((s) => ({ ...s, ...patch })), []);

  const takeOut = useCallback(
    (index: number) => {
      const row = rows[index];
      if (!row) return;
      setRemoved((r) => [...r.slice(-49), { row, index }]);
      setRowsState(rows.filter((_, i) => i !== index));
    },
    [rows],
  );
  const remove = useCallback((key: string) => takeOut(rows.findIndex((r) => r.key === key)), [rows, takeOut]);
  const removeLast = useCallback(() => takeOut(rows.length - 1), [rows, takeOut]);
  const undo = useCallback(() => {
    const last = removed[removed.length - 1];
    if (!last) return false;
    setRemoved(removed.slice(0, -1));
    setRowsState((rs) => {
      const next = rs.slice();
      next.splice(Math.min(last.index, next.length), 0, last.row);
      return next;
    });
    return true;
  }, [removed]);
  const clear = useCallback(() => {
    setRowsState([]);
    setRemoved([]);
    setRowErrors({});
  }, []);

  return useMemo(
    () => ({ rows, setRows, label, setLabel, serial, setSerial, credentials, rowErrors, setRowErrors, removed, remove, removeLast, undo, clear }),
    [rows, setRows, label, setLabel, serial, setSerial, credentials, rowErrors, removed, remove, removeLast, undo, clear],
  );
}

/** How a row is named to the technician: its bench position ("P3") or its place in the list. */
export function rowName(rows: DraftRow[], index: number): string {
  const row = rows[index];
  return row && row.bench !== null ? `P${row.bench}` : String(index + 1);
}

/** The next free bench position after the label rows scanned so far. */
export function nextBench(rows: DraftRow[]): number {
  return rows.reduce((m, r) => (r.bench !== null && r.bench > m ? r.bench : m), 0) + 1;
}

/** Where a row's box is reached, as far as the draft knows. */
export function rowAddress(row: DraftRow, label: LabelSettings): { host: string; port: number } | null {
  if (row.source === 'serial') return null;
  if (row.host) return { host: row.host, port: row.port ?? 22 };
  if (row.source === 'label' && label.mode === 'consecutive' && row.bench !== null) {
    const host = nthAddress(label.firstAddress, row.bench - 1);
    return host ? { host, port: label.port } : null;
  }
  return null;
}

/** The bootstrap address of the i-th serial row. */
export function serialAddress(rows: DraftRow[], key: string, serial: SerialSettings): string | null {
  if (!serial.bootstrap) return null;
  const i = rows.filter((r) => r.source === 'serial').findIndex((r) => r.key === key);
  return i === -1 ? null : nthCidr(serial.firstAddress, i);
}

export type BuildResult = { ok: true; boxes: FlashBoxInput[] } | { ok: false; rowErrors: Record<string, string>; problem: string | null };

/**
 * The draft as the API's box list, or what is missing: a row without an
 * address, a bench without a first address, the same address twice. The
 * API checks everything again; these are the things only the draft knows.
 */
export function buildBoxes(draft: BoxDraft, t: TFunction): BuildResult {
  const { rows, label, serial } = draft;
  const c = { ...CREDENTIAL_DEFAULTS, ...(draft.credentials.getFieldsValue(true) as Partial<CredentialValues>) };
  const username = (c.username ?? '').trim();
  const credentials: FlashBoxInput['credentials'] = { username };
  if (c.auth === 'key') {
    if (c.privateKey) credentials.privateKey = c.privateKey;
    if (c.passphrase) credentials.passphrase = c.passphrase;
  } else if (c.password) credentials.password = c.password;
  if (username !== 'root' && c.sudoPassword) credentials.sudoPassword = c.sudoPassword;

  const errors: Record<string, string> = {};
  const seen = new Map<string, number>();
  const boxes: FlashBoxInput[] = [];
  let problem: string | null = null;
  rows.forEach((row, i) => {
    if (row.source === 'serial') {
      const bootstrap = serial.bootstrap
        ? {
            nic: serial.nic.trim(),
            address: serialAddress(rows, row.key, serial) ?? serial.firstAddress,
            gateway: serial.gateway.trim() || null,
            sshPort: serial.sshPort,
          }
        : null;
      if (serial.bootstrap && !serialAddress(rows, row.key, serial)) {
        errors[row.key] = t('station.add.serial.needFirst');
        problem ??= t('station.add.serial.needFirst');
      }
      boxes.push({
        target: { transport: 'serial', path: row.path ?? '', ...(serial.baud ? { baud: serial.baud } : {}), bootstrap },
        credentials,
        labelSerial: row.labelSerial,
        nodeName: null,
      });
      return;
    }
    const at = rowAddress(row, label);
    if (!at) {
      const msg = row.source === 'label' && label.mode === 'consecutive' && !row.host ? t('station.add.labels.needFirst') : t('station.add.labels.needAddress');
      errors[row.key] = msg;
      problem ??= msg;
    } else {
      const id = `${at.host}:${at.port}`;
      const other = seen.get(id);
      if (other !== undefined) errors[row.key] = t('station.add.sameAddress', { address: id, row: rowName(rows, other) });
      else seen.set(id, i);
    }
    boxes.push({
      target: { transport: 'ssh', host: at?.host ?? '', port: at?.port ?? 22, legacyAlgorithms: Boolean(c.legacyAlgorithms) },
      credentials,
      labelSerial: row.labelSerial,
      nodeName: null,
    });
  });
  if (Object.keys(errors).length > 0) return { ok: false, rowErrors: errors, problem };
  return { ok: true, boxes };
}

/**
 * Puts the API's field issues about boxes where they belong: credentials
 * under the credentials fields, anything else on the row it is about.
 * Returns whether any issue was about boxes.
 */
export function showBoxIssues(error: unknown, lang: Lang, draft: BoxDraft, sent: DraftRow[]): boolean {
  const d = apiErrorData(error);
  if (!d) return false;
  const issues = d.fields?.length ? d.fields : d.field ? [{ path: d.field, message: d.message }] : [];
  const rowErrors: Record<string, string> = {};
  const credentialFields: { name: string; errors: string[] }[] = [];
  for (const issue of issues) {
    if (issue.path[0] !== 'boxes') continue;
    const row = typeof issue.path[1] === 'number' ? sent[issue.path[1]] : undefined;
    if (issue.path[2] === 'credentials' && typeof issue.path[3] === 'string') {
      if (!credentialFields.some((f) => f.name === issue.path[3])) credentialFields.push({ name: issue.path[3], errors: [issue.message[lang]] });
    } else if (row) rowErrors[row.key] = rowErrors[row.key] ? `${rowErrors[row.key]} ${issue.message[lang]}` : issue.message[lang];
  }
  if (credentialFields.length > 0) draft.credentials.setFields(credentialFields as never);
  draft.setRowErrors(rowErrors);
  return credentialFields.length > 0 || Object.keys(rowErrors).length > 0;
}
