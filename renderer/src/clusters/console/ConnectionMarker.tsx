import { ArrowLeftOutlined, KeyOutlined } from '@ant-design/icons';
import { Alert, Badge, Button, Result, Space, Tooltip } from 'antd';
import { useTranslation } from 'react-i18next';
import { formatDuration, formatTime } from '../../i18n/format';
import { usePreferences } from '../../settings/preferences';
import { goTo } from '../../shell/areas';
import { secondsSince, useNow } from './clock';
import type { ConsoleConnection } from './objects';

/** "last synced 3 min ago", ticking; "never synced" before the first answer. */
function SyncAge({ at }: { at: string | null }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  const now = useNow(1000);
  const seconds = secondsSince(at, now);
  return (
    <span data-testid="console-sync-age" data-seconds={seconds === null ? '' : Math.floor(seconds)}>
      {seconds === null ? t('clusters.connection.neverSynced') : t('clusters.connection.syncedAgo', { age: formatDuration(seconds, lang) })}
    </span>
  );
}

const STATUS = { online: 'success', connecting: 'processing', offline: 'error', 'no-credential': 'warning' } as const;

/** The console's connection, in the header: online, connecting, offline or without credential, with the age of what is shown. */
export function ConnectionMarker({ connection }: { connection: ConsoleConnection }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  return (
    <Tooltip title={connection.lastSyncAt ? t('clusters.connection.lastSyncAt', { time: formatTime(connection.lastSyncAt, lang) }) : undefined}>
      <span data-testid="console-connection" data-state={connection.state}>
        <Badge status={STATUS[connection.state]} text={t(`clusters.connection.state.${connection.state}`)} />
        {connection.state !== 'online' && connection.state !== 'connecting' && !connection.ended && (
          <>
            {' · '}
            <SyncAge at={connection.lastSyncAt} />
          </>
        )}
      </span>
    </Tooltip>
  );
}

/**
 * Under the header while the cluster cannot be reached: what is shown is the
 * last known state and how old it is, why, and what to do (a new address or
 * credential comes with a new kubeconfig).
 */
export function OfflineBanner({ connection, onReplace }: { connection: ConsoleConnection; onReplace: () => void }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  if (connection.state === 'online' || connection.state === 'connecting') return null;
  const noCredential = connection.state === 'no-credential';
  return (
    <Alert
      type={noCredential ? 'warning' : 'error'}
      showIcon
      data-testid="console-offline"
      title={
        <>
          {noCredential ? t('clusters.connection.noCredentialTitle') : t('clusters.connection.offlineTitle')} · <SyncAge at={connection.lastSyncAt} />
        </>
      }
      description={
        <>
          {connection.problem && <div data-testid="console-problem">{connection.problem[lang]}</div>}
          <div>{noCredential ? t('clusters.connection.noCredentialHelp') : t('clusters.connection.offlineHelp')}</div>
        </>
      }
      action={
        <Button size="small" icon={<KeyOutlined />} onClick={onReplace} data-testid="console-replace-kubeconfig">
          {t('clusters.kubeconfig.replace')}
        </Button>
      }
    />
  );
}

/**
 * In place of the views once the stream ended for good: why (the station's
 * message, with when the credential was revoked or the cluster forgotten),
 * and the way back to the cluster list, focused so that Enter takes it; for a
 * revoked credential also a new kubeconfig. Nothing of the cluster is shown:
 * what the credential let the station see went with it.
 */
export function StreamEnded({ connection, onReplace }: { connection: ConsoleConnection; onReplace: () => void }) {
  const { t } = useTranslation();
  const { lang } = usePreferences();
  return (
    <Result
      status="warning"
      data-testid="console-ended"
      data-reason={connection.ended ?? ''}
      title={<span role="alert">{connection.problem?.[lang]}</span>}
      extra={
        <Space wrap style={{ justifyContent: 'center' }}>
          <Button type="primary" icon={<ArrowLeftOutlined />} onClick={() => goTo('clusters')} autoFocus data-testid="console-ended-back">
            {t('clusters.console.back')}
          </Button>
          {connection.ended === 'revoked' && (
            <Button icon={<KeyOutlined />} onClick={onReplace} data-testid="console-ended-replace">
              {t('clusters.kubeconfig.replace')}
            </Button>
          )}
        </Space>
      }
    />
  );
}
