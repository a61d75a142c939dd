import { BarcodeOutlined, UndoOutlined } from '@ant-design/icons';
import { Button, Col, Form, Input, InputNumber, Radio, Row, Space, Typography, type InputRef } from 'antd';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { nextBench, rowKey, rowName, type BoxDraft } from './draft';
import { isIpv4, parseAddress } from './model';

/** A short low tone: the scan was refused (the technician is looking at the box, not the screen). */
function refusedTone(): void {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'square';
    osc.frequency.value = 220;
    gain.gain.value = 0.05;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.18);
    osc.onended = () => void ctx.close();
  } catch {
    // No audio device: the message on screen says it all.
  }
}

const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace';

/**
 * Scanning box labels: a barcode scanner types a serial number and Enter
 * (or Tab) into the focused field; each scan is a row. The box's address is
 * either its bench position counted from the first address, or scanned or
 * typed after its serial.
 */
export function LabelScan({ draft, existingSerials, active }: { draft: BoxDraft; existingSerials: ReadonlySet<string>; active: boolean }) {
  const { t } = useTranslation();
  const input = useRef<InputRef>(null);
  const [value, setValue] = useState('');
  const [note, setNote] = useState<{ kind: 'error' | 'ok'; text: string } | null>(null);
  const { rows, label } = draft;

  useEffect(() => {
    if (active) input.current?.focus();
  }, [active]);

  const refuse = (text: string) => {
    setNote({ kind: 'error', text });
    refusedTone();
    // Selected, so the next scan replaces the refused one.
    input.current?.select();
  };

  const accept = (raw: string) => {
    const scanned = raw.trim();
    if (!scanned) return;
    const awaiting = label.mode === 'each' ? [...rows].reverse().find((r) => r.source === 'label' && !r.host) : undefined;
    const address = parseAddress(scanned);
    if (address && label.mode === 'each') {
      if (!awaiting) return refuse(t('station.add.labels.addressFirst'));
      const used = rows.findIndex((r) => r.host === address.host && (r.port ?? 22) === address.port);
      if (used !== -1) return refuse(t('station.add.sameAddress', { address: `${address.host}:${address.port}`, row: rowName(rows, used) }));
      draft.setRows((rs) => rs.map((r) => (r.key === awaiting.key ? { ...r, host: address.host, port: address.port } : r)));
      setNote({ kind: 'ok', text: t('station.add.labels.addressSet', { serial: awaiting.labelSerial, address: scanned }) });
      setValue('');
      return;
    }
    if (isIpv4(scanned) && label.mode === 'consecutive') return refuse(t('station.add.labels.addressInConsecutive'));
    if (scanned.length > 64) return refuse(t('station.add.labels.tooLong'));
    const upper = scanned.toUpperCase();
    const dup = rows.findIndex((r) => r.labelSerial?.toUpperCase() === upper);
    if (dup !== -1) return refuse(t('station.add.labels.duplicate', { serial: scanned, row: rowName(rows, dup) }));
    if (existingSerials.has(upper)) return refuse(t('station.add.labels.inRun', { serial: scanned }));
    draft.setRows((rs) => [...rs, { key: rowKey(), source: 'label', labelSerial: scanned, bench: nextBench(rs), host: null, port: null, path: null }]);
    setNote(
      label.mode === 'each'
        ? { kind: 'ok', text: t('station.add.labels.nowAddress', { serial: scanned }) }
        : { kind: 'ok', text: t('station.add.labels.added', { serial: scanned, n: nextBench(rows) }) },
    );
    setValue('');
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter' || (e.key === 'Tab' && value.trim())) {
      // Scanners end with Enter (some with Tab); never submit or leave the field.
      e.preventDefault();
      accept(value);
    } else if ((e.key === 'Backspace' || e.key === 'Delete') && value === '') {
      e.preventDefault();
      const last = rows[rows.length - 1];
      if (last) {
        draft.removeLast();
        setNote({ kind: 'ok', text: t('station.add.removed', { what: last.labelSerial ?? last.host ?? last.path ?? '' }) });
      }
    } else if (e.key.toLowerCase() === 'z' && (e.ctrlKey || e.metaKey) && value === '') {
      e.preventDefault();
      if (draft.undo()) setNote({ kind: 'ok', text: t('station.add.undone') });
    }
  };

  const firstBad = label.mode === 'consecutive' && label.firstAddress.trim() !== '' && !isIpv4(label.firstAddress);
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }} data-testid="label-scan">
      <Radio.Group
        value={label.mode}
        onChange={(e) => draft.setLabel({ mode: e.target.value as 'consecutive' | 'each' })}
        data-testid="label-mode"
        options={[
          { value: 'consecutive', label: t('station.add.labels.modeConsecutive') },
          { value: 'each', label: t('station.add.labels.modeEach') },
        ]}
      />
      {label.mode === 'consecutive' && (
        <Form layout="vertical" component="div">
          <Row gutter={12}>
            <Col flex="1 1 220px">
              <Form.Item
                label={t('station.add.labels.first')}
                validateStatus={firstBad ? 'error' : undefined}
                help={firstBad ? t('station.add.labels.firstBad') : t('station.add.labels.firstHelp')}
                style={{ marginBottom: 0 }}
              >
                <Input
                  value={label.firstAddress}
                  onChange={(e) => draft.setLabel({ firstAddress: e.target.value })}
                  placeholder="192.168.10.101"
                  autoComplete="off"
                  spellCheck={false}
                  data-testid="label-first"
                />
              </Form.Item>
            </Col>
            <Col flex="0 0 120px">
              <Form.Item label={t('station.add.port')} style={{ marginBottom: 0 }}>
                <InputNumber
                  min={1}
                  max={65535}
                  value={label.port}
                  onChange={(v) => draft.setLabel({ port: typeof v === 'number' ? v : 22 })}
                  style={{ width: '100%' }}
                  data-testid="label-port"
                />
              </Form.Item>
            </Col>
          </Row>
        </Form>
      )}
      <div>
        <Input
          ref={input}
          size="large"
          prefix={<BarcodeOutlined />}
          value={value}
          onChange={(e) => {
            setValue(e.target.value);
            if (note?.kind === 'error') setNote(null);
          }}
          onKeyDown={onKeyDown}
          placeholder={label.mode === 'each' ? t('station.add.labels.placeholderEach') : t('station.add.labels.placeholder')}
          autoComplete="off"
          spellCheck={false}
          style={{ fontFamily: MONO }}
          status={note?.kind === 'error' ? 'error' : undefined}
          aria-label={t('station.add.labels.scanField')}
          data-testid="label-input"
          suffix={
            <Button
              size="small"
              type="text"
              icon={<UndoOutlined />}
              disabled={draft.removed.length === 0}
              onClick={() => {
                if (draft.undo()) setNote({ kind: 'ok', text: t('station.add.undone') });
                input.current?.focus();
              }}
              title={t('station.add.undoTitle')}
              aria-label={t('station.add.undo')}
              data-testid="label-undo"
            />
          }
        />
        <div style={{ minHeight: 22, marginTop: 4 }} aria-live="polite">
          {note ? (
            <Typography.Text type={note.kind === 'error' ? 'danger' : 'success'} data-testid={note.kind === 'error' ? 'label-error' : 'label-note'}>
              {note.text}
            </Typography.Text>
          ) : (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('station.add.labels.keys')}
            </Typography.Text>
          )}
        </div>
      </div>
    </Space>
  );
}
