import { SettingOutlined } from '@ant-design/icons';
import { Button, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { usePreferences } from '../settings/preferences';
import { StationLockedBanner } from '../settings/StationLocked';
import { goTo } from '../shell/areas';
import { useAreaPath } from '../shell/location';
import { useFlashFeed } from './feed';
import { NewRunModal } from './NewRunModal';
import { RunsList } from './RunsList';
import { RunView } from './RunView';

/**
 * The flashing station: "#/station" lists the runs, "#/station/<run>" is a
 * run's grid of boxes. One flash.events subscription serves both.
 */
export function StationPage() {
  const { t } = useTranslation();
  const { settings } = usePreferences();
  const [runId] = useAreaPath();
  const live = useFlashFeed();
  const [creating, setCreating] = useState(false);
  return (
    <>
      <StationLockedBanner what={t('station.lockedWhat')} />
      {runId ? (
        <RunView key={runId} runId={runId} live={live} />
      ) : (
        <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
          <RunsList onNew={() => setCreating(true)} live={live} />
          <Space>
            <Typography.Text type="secondary" data-testid="station-concurrency">
              {t('station.concurrencyNote', { count: settings.flashConcurrency })}
            </Typography.Text>
            <Button size="small" type="link" icon={<SettingOutlined />} onClick={() => goTo('settings')}>
              {t('station.concurrencyChange')}
            </Button>
          </Space>
        </Space>
      )}
      {creating && <NewRunModal onClose={() => setCreating(false)} />}
    </>
  );
}
