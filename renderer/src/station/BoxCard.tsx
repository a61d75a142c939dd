import { CloseOutlined, FileTextOutlined, KeyOutlined, ProfileOutlined, RedoOutlined, StepForwardOutlined } from '@ant-design/icons';
import { theme, type GlobalToken } from 'antd';
import type { TFunction } from 'i18next';
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import type { FlashBox } from '../../../main/api/contract';
import type { Lang } from '../i18n';
import { formatBytes, formatDuration } from '../i18n/format';
import { useLiveBox } from './progress';
import { boxStateColor, BOX_TAG, canCancel, canRetry, canSkip, shortFingerprint, STEPS, targetText, type Palette, type StepState } from './model';

export type BoxVerb = 'retry' | 'skip' | 'cancel' | 'log' | 'open';

/** The keys of the grid, k9s-like: the same verb has the same key everywhere. */
export const VERB_KEYS: Record<BoxVerb, string> = { retry: 'r', skip: 's', cancel: 'c', log: 'l', open: 'Enter' };

function stepColor(state: StepState, p: Palette): string {
  return state === 'done' ? p.done : state === 'failed' ? p.failed : state === 'running' ? p.running : p.pending;
}

/** The eight steps as a strip: grey pending, blue running, green done, red failed, striped skipped. */
export function StepStrip({ box, palette }: { box: FlashBox; palette: Palette }) {
  const { t } = useTranslation();
  const byStep = new Map(box.steps.map((s) => [s.step, s]));
  return (
    <div style={{ display: 'flex', gap: 2 }} role="list" aria-label={t('station.box.steps')}>
      {STEPS.map((step) => {
        const s = byStep.get(step);
        const state: StepState = s?.state ?? 'pending';
        const color = stepColor(state, palette);
        const title = [
          `${t(`station.step.${step}`)}: ${t(`station.stepState.${state}`)}`,
          s && s.attempts > 1 ? t('station.box.attempts', { n: s.attempts }) : null,
          s?.note ?? null,
        ]
          .filter(Boolean)
          .join(' · ');
        return (
          <div
            key={step}
            role="listitem"
            title={title}
            aria-label={title}
            data-testid={`box-step-${step}`}
            data-state={state}
            className={state === 'running' ? 'ef-step ef-step-running' : 'ef-step'}
            style={{
              background: state === 'skipped' ? `repeating-linear-gradient(135deg, ${palette.muted} 0 3px, transparent 3px 6px)` : color,
              outline: state === 'skipped' ? `1px solid ${palette.muted}` : undefined,
              outlineOffset: -1,
            }}
          />
        );
      })}
    </div>
  );
}

/** A state tag in antd's colours, as a plain element (see the verbs below for why). */
function tagStyle(color: string, token: GlobalToken): React.CSSProperties {
  const [bg, fg, border] =
    color === 'processing'
      ? [token.colorPrimaryBg, token.colorPrimaryText, token.colorPrimaryBorder]
      : color === 'success'
        ? [token.colorSuccessBg, token.colorSuccessText, token.colorSuccessBorder]
        : color === 'error'
          ? [token.colorErrorBg, token.colorErrorText, token.colorErrorBorder]
          : color === 'gold' || color === 'orange'
            ? [token.colorWarningBg, token.colorWarningText, token.colorWarningBorder]
            : [token.colorFillQuaternary, token.colorText, token.colorBorder];
  return { background: bg, color: fg, borderColor: border };
}

/** What went wrong, always with the step: "Upload failed: the cable was pulled …". */
export function failureText(box: FlashBox, lang: Lang, t: TFunction): string | null {
  if (box.error) {
    const reason = box.error.message[lang];
    return box.error.step ? t('station.box.failedAt', { step: t(`station.step.${box.error.step}`), reason }) : t('station.box.failedNoStep', { reason });
  }
  if (box.state === 'interrupted') return t('station.box.interrupted', { step: box.step ? t(`station.step.${box.step}`) : '—' });
  return null;
}

interface Props {
  box: FlashBox;
  selected: boolean;
  /** The card Tab reaches in the grid (roving tab stop): the selected one, or the first. */
  tabStop: boolean;
  lang: Lang;
  palette: Palette;
  onSelect: (id: string) => void;
  onVerb: (verb: BoxVerb, box: FlashBox) => void;
}

/** One box of the grid. Memoised: a card renders again only when its box, selection or language changes. */
export const BoxCard = memo(function BoxCard({ box: cached, selected, tabStop, lang, palette, onSelect, onVerb }: Props) {
  const { t } = useTranslation();
  const box = useLiveBox(cached);
  const { token } = theme.useToken();
  const accent = boxStateColor(box.state, palette);
  const tint =
    box.state === 'failed'
      ? token.colorErrorBg
      : box.state === 'succeeded'
        ? token.colorSuccessBg
        : box.state === 'waiting' || box.state === 'interrupted'
          ? token.colorWarningBg
          : token.colorBgContainer;
  const current = box.step ? box.steps.find((s) => s.step === box.step) : undefined;
  const uploading = box.state === 'running' && (box.step === 'upload' || box.step === 'verify') && box.bytesTotal !== null && box.bytesTotal > 0;
  const percent = uploading ? Math.min(100, Math.floor((100 * box.bytesDone) / Math.max(1, box.bytesTotal!))) : 0;
  const failure = failureText(box, lang, t);
  // Plain elements, not antd Buttons with Tooltips: fifty cards of five buttons each are drawn again as boxes move on.
  const verb = (v: BoxVerb, icon: React.ReactNode, danger = false) => (
    <button
      type="button"
      className="ef-verb"
      style={danger ? { color: token.colorError } : undefined}
      title={`${t(`station.verb.${v}`)} (${VERB_KEYS[v]})`}
      aria-label={t(`station.verb.${v}`)}
      data-testid={`box-${v}`}
      onClick={(e) => {
        e.stopPropagation();
        onVerb(v, box);
      }}
    >
      {icon}
    </button>
  );
  const secondary = { color: token.colorTextSecondary };
  return (
    <div
      className="ef-box"
      tabIndex={tabStop ? 0 : -1}
      data-box-id={box.id}
      data-testid="box-card"
      data-state={box.state}
      data-selected={selected}
      data-label={box.label}
      aria-label={`${box.label}: ${t(`station.boxState.${box.state}`)}`}
      onFocus={() => onSelect(box.id)}
      onClick={() => onSelect(box.id)}
      onDoubleClick={() => onVerb('open', box)}
      style={{
        ['--ef-focus' as string]: token.colorPrimary,
        background: tint,
        border: `1px solid ${token.colorBorderSecondary}`,
        borderLeft: `4px solid ${accent}`,
        borderRadius: token.borderRadiusLG,
        padding: '10px 12px',
        display: 'flex',
        flexDirection: 'column',
        gap: 6,
        minHeight: 168,
        cursor: 'default',
      }}
    >
      <div style={{ display: 'flex', alignItems: 'center', gap: 8 }}>
        <span style={{ ...secondary, fontSize: 12, minWidth: 22 }}>{box.position + 1}</span>
        <span className="ef-ellipsis" style={{ flex: 1, fontSize: 15, fontWeight: 600 }} title={box.label} data-testid="box-label">
          {box.labelSerial ?? box.label}
        </span>
        <span className="ef-tag" style={tagStyle(BOX_TAG[box.state], token)} data-testid="box-state">
          {t(`station.boxState.${box.state}`)}
        </span>
      </div>
      <span className="ef-ellipsis" style={{ ...secondary, fontSize: 12 }}>
        {[
          targetText(box.target),
          box.serial ? `${t('station.box.serial')} ${box.serial}` : null,
          box.seat !== null ? t('station.box.seat', { seat: box.seat }) : null,
          box.nodeName ? `${t('station.box.node')} ${box.nodeName}${box.role ? ` (${t(`station.role.${box.role}`)})` : ''}` : null,
        ]
          .filter(Boolean)
          .join(' · ')}
      </span>
      <StepStrip box={box} palette={palette} />
      <div style={{ fontSize: 12, minHeight: 20 }}>
        {failure ? (
          <div
            title={failure}
            style={{
              color: box.state === 'interrupted' ? token.colorWarningText : token.colorError,
              display: '-webkit-box',
              WebkitLineClamp: 3,
              WebkitBoxOrient: 'vertical',
              overflow: 'hidden',
            }}
            data-testid="box-error"
            data-code={box.error?.code}
          >
            {failure}
          </div>
        ) : box.state === 'running' && box.step ? (
          <div className="ef-ellipsis" title={current?.note ?? undefined} data-testid="box-now">
            {t(`station.step.${box.step}`)}
            {current && current.attempts > 1 ? ` · ${t('station.box.attemptN', { n: current.attempts })}` : ''}
            {current?.note ? ` · ${current.note}` : ''}
          </div>
        ) : box.state === 'succeeded' ? (
          <span style={{ color: token.colorSuccessText }}>{t('station.box.ready')}</span>
        ) : (
          <span style={secondary}>{t(`station.boxHint.${box.state}`)}</span>
        )}
      </div>
      {uploading && (
        <div data-testid="box-upload" data-percent={percent}>
          <div className="ef-bar-row">
            <div
              className="ef-bar"
              role="progressbar"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={percent}
              aria-label={t(`station.step.${box.step}`)}
              style={{ background: token.colorFillSecondary }}
            >
              <div style={{ width: `${percent}%`, background: token.colorPrimary }} />
            </div>
            <span style={{ fontSize: 12 }}>{percent}%</span>
          </div>
          <span className="ef-ellipsis" style={{ ...secondary, fontSize: 11, display: 'block' }}>
            {[
              `${formatBytes(box.bytesDone)} / ${formatBytes(box.bytesTotal!)}`,
              box.rateBps > 0 ? t('jobs.rate', { rate: formatBytes(box.rateBps) }) : null,
              box.etaSeconds !== null ? t('jobs.eta', { eta: formatDuration(box.etaSeconds, lang) }) : null,
            ]
              .filter(Boolean)
              .join(' · ')}
          </span>
        </div>
      )}
      <div style={{ flex: 1 }} />
      {box.hostKey && (
        <div style={{ display: 'flex', alignItems: 'center', gap: 6, minWidth: 0 }} title={box.hostKey.fingerprint} data-testid="box-hostkey">
          <span className="ef-ellipsis" style={{ ...secondary, fontSize: 11, fontFamily: 'ui-monospace, Menlo, Consolas, monospace' }}>
            <KeyOutlined /> {shortFingerprint(box.hostKey.fingerprint)}
          </span>
          {box.hostKey.firstUse && (
            <span
              className="ef-tag"
              style={{ ...tagStyle('gold', token), fontSize: 10, lineHeight: '16px', flex: 'none' }}
              title={t('station.box.firstUseHelp')}
            >
              {t('station.box.firstUse')}
            </span>
          )}
        </div>
      )}
      <div style={{ display: 'flex', alignItems: 'center', justifyContent: 'flex-end', gap: 2 }}>
        {canRetry(box.state) && verb('retry', <RedoOutlined />)}
        {canSkip(box.state) && verb('skip', <StepForwardOutlined />)}
        {canCancel(box.state) && verb('cancel', <CloseOutlined />, true)}
        {verb('log', <FileTextOutlined />)}
        {verb('open', <ProfileOutlined />)}
      </div>
    </div>
  );
});
