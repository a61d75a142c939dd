import { Tabs } from 'antd';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { StationLockedBanner } from '../settings/StationLocked';
import { goTo } from '../shell/areas';
import { useAreaPath } from '../shell/location';
import { ActivateBox } from './ActivateBox';
import { BatchesTab } from './BatchesTab';
import { DelegationsTab } from './DelegationsTab';
import { LabelSheet } from './LabelSheet';

const TABS = ['activate', 'batches', 'delegations'] as const;
type Tab = (typeof TABS)[number];

/**
 * Activation: "#/activation/activate", "#/activation/batches/<batch>",
 * "#/activation/delegations", and "#/activation/labels/<batch>" (the
 * label sheets over the batch's ledger).
 */
export function ActivationPage() {
  const { t } = useTranslation();
  const [place, id] = useAreaPath();
  const labelsOf = place === 'labels' && id ? id : null;
  const tab: Tab = labelsOf ? 'batches' : (TABS as readonly string[]).includes(place ?? '') ? (place as Tab) : 'activate';
  const batchId = labelsOf ?? (tab === 'batches' ? (id ?? null) : null);
  // Back on the Batches tab, the batch that was open is open again.
  const lastBatch = useRef<string | null>(null);
  useEffect(() => {
    if (batchId) lastBatch.current = batchId;
  }, [batchId]);
  return (
    <>
      <StationLockedBanner what={t('activation.lockedWhat')} />
      <Tabs
        data-testid="activation-tabs"
        activeKey={tab}
        onChange={(k) => (k === 'batches' && lastBatch.current ? goTo('activation', k, lastBatch.current) : goTo('activation', k))}
        items={[
          {
            key: 'activate',
            label: <span data-testid="tab-activate">{t('activation.tabs.activate')}</span>,
            children: <ActivateBox active={tab === 'activate'} />,
          },
          { key: 'batches', label: <span data-testid="tab-batches">{t('activation.tabs.batches')}</span>, children: <BatchesTab batchId={batchId} /> },
          { key: 'delegations', label: <span data-testid="tab-delegations">{t('activation.tabs.delegations')}</span>, children: <DelegationsTab /> },
        ]}
      />
      {labelsOf && <LabelSheet batchId={labelsOf} />}
    </>
  );
}
