import { CloseOutlined, PrinterOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Button, Empty, Space, Spin, Typography, theme } from 'antd';
import { useEffect } from 'react';
import { createPortal } from 'react-dom';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context';
import { ProblemAlert } from '../settings/StationLocked';
import { goTo } from '../shell/areas';
import { QrImage, useQrSvgs } from './qr';
import './labels.css';

const PER_SHEET = 24;

/**
 * The labels of a batch's activated boxes, as A4 sheets: on screen over the
 * app, and alone on paper (labels.css hides everything else in print).
 */
export function LabelSheet({ batchId }: { batchId: string }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { token } = theme.useToken();
  const labels = useQuery(orpc.activation.labels.queryOptions({ input: { batchId } }));
  const list = labels.data?.labels ?? [];
  const svgs = useQrSvgs(list.map((l) => l.qr));
  const close = () => goTo('activation', 'batches', batchId);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        goTo('activation', 'batches', batchId);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [batchId]);

  const sheets: (typeof list)[] = [];
  for (let i = 0; i < list.length; i += PER_SHEET) sheets.push(list.slice(i, i + PER_SHEET));
  const ready = labels.data && svgs !== null;

  return createPortal(
    <div className="ef-labels" role="dialog" aria-modal="true" aria-label={t('labels.title')} data-testid="labels-view" data-ready={ready ? 'true' : 'false'}>
      <div className="ef-labels-toolbar" style={{ background: token.colorBgContainer, borderColor: token.colorBorderSecondary, color: token.colorText }}>
        <Space direction="vertical" size={0}>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {labels.data ? t('labels.heading', { label: labels.data.label, count: list.length }) : t('labels.title')}
          </Typography.Title>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('labels.sheetHelp', { sheets: sheets.length })}
          </Typography.Text>
        </Space>
        <Space>
          <Button
            type="primary"
            icon={<PrinterOutlined />}
            onClick={() => window.print()}
            disabled={!ready || list.length === 0}
            autoFocus
            data-testid="labels-print"
          >
            {t('labels.print')}
          </Button>
          <Button icon={<CloseOutlined />} onClick={close} data-testid="labels-close">
            {t('labels.close')}
          </Button>
        </Space>
      </div>
      <div className="ef-labels-pages">
        {labels.error ? (
          <div style={{ maxWidth: 640, margin: '0 auto' }}>
            <ProblemAlert error={labels.error} />
          </div>
        ) : !labels.data ? (
          <div style={{ textAlign: 'center', padding: 48 }}>
            <Spin />
          </div>
        ) : list.length === 0 ? (
          <div className="ef-label-page" style={{ display: 'flex', alignItems: 'center', justifyContent: 'center' }}>
            <Empty description={t('labels.empty')} />
          </div>
        ) : (
          sheets.map((sheet, s) => (
            <section className="ef-label-page" key={s} aria-label={t('labels.sheet', { n: s + 1 })}>
              {sheet.map((l, i) => (
                <article className="ef-label" key={l.seat} data-testid="label" data-serial={l.serial}>
                  <div className="ef-label-text">
                    <div className="ef-label-serial">{l.serial}</div>
                    <div className="ef-label-line">{labels.data.label}</div>
                    <div className="ef-label-line ef-label-mono">{batchId}</div>
                    <div className="ef-label-line">{t('labels.seat', { seat: l.seat })}</div>
                    <div className="ef-label-line">
                      {t('labels.box')} <span className="ef-label-mono">{l.fingerprintId}</span>
                    </div>
                  </div>
                  <div className="ef-label-qr">
                    <QrImage svg={svgs?.[s * PER_SHEET + i] ?? null} size="100%" label={l.qr} testId="label-qr" />
                  </div>
                </article>
              ))}
            </section>
          ))
        )}
      </div>
    </div>,
    document.body,
  );
}
