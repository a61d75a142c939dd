import { SettingOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button } from 'antd';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context';
import { apiErrorData, errorText } from '../api/errors';
import { goTo } from '../shell/areas';
import { usePreferences } from './preferences';

/** Error codes that mean "unlock the station key first". */
const LOCKED_CODES = new Set(['VAULT_LOCKED', 'VAULT_KEYCHAIN_MISSING']);

export function isStationLocked(error: unknown): boolean {
  return LOCKED_CODES.has(apiErrorData(error)?.code ?? '');
}

function OpenStationKey() {
  const { t } = useTranslation();
  return (
    <Button size="small" icon={<SettingOutlined />} onClick={() => goTo('settings', 'station-key')} data-testid="open-station-key">
      {t('stationKey.open')}
    </Button>
  );
}

/**
 * An API error as a person reads it: its message in the UI language, and
 * for a locked station the way to Settings › Station key.
 */
export function ProblemAlert({ error, testId }: { error: unknown; testId?: string }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  const locked = isStationLocked(error);
  return (
    <Alert
      type={locked ? 'warning' : 'error'}
      showIcon
      title={errorText(error, lang, t('errors.generic'))}
      action={locked ? <OpenStationKey /> : undefined}
      data-testid={testId}
      data-code={apiErrorData(error)?.code}
    />
  );
}

/** A banner while the station key is locked: signing (activation, delegation, batches) waits for it. */
export function StationLockedBanner({ what }: { what: string }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const status = useQuery(orpc.station.status.queryOptions());
  if (!status.data?.vault.locked) return null;
  const keychain = status.data.vault.method === 'os-keychain';
  return (
    <Alert
      type="warning"
      showIcon
      style={{ marginBottom: 16 }}
      data-testid="station-locked-banner"
      title={keychain ? t('stationKey.lockedKeychainBanner') : t('stationKey.lockedBanner')}
      description={what}
      action={keychain ? undefined : <OpenStationKey />}
    />
  );
}
