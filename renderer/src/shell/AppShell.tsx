import {
  AppstoreOutlined,
  ApiOutlined,
  CloudServerOutlined,
  CodeOutlined,
  InboxOutlined,
  KeyOutlined,
  SettingOutlined,
  ThunderboltOutlined,
  UnorderedListOutlined,
} from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Alert, Badge, Button, Layout, Menu, Segmented, Space, Tooltip, Typography, theme } from 'antd';
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context';
import { ActivationPage } from '../activation';
import { BundlesPage } from '../bundles/BundlesPage';
import { CatalogPage } from '../catalog/CatalogPage';
import { ClustersPage } from '../clusters';
import { JOBS_LIST_INPUT, useJobsFeed } from '../jobs/feed';
import { JobsPage } from '../jobs/JobsPage';
import { usePreferences } from '../settings/preferences';
import { SettingsPage } from '../settings/SettingsPage';
import { StationPage } from '../station';
import { TerminalPage } from '../terminal';
import { AREAS, areaFromHash, goTo, type Area } from './areas';
import { useHash } from './location';

const ICONS: Record<Area, ReactNode> = {
  catalog: <AppstoreOutlined />,
  bundles: <InboxOutlined />,
  station: <ThunderboltOutlined />,
  activation: <KeyOutlined />,
  clusters: <CloudServerOutlined />,
  terminal: <CodeOutlined />,
  jobs: <UnorderedListOutlined />,
  settings: <SettingOutlined />,
};

/**
 * The header's count of running and queued jobs. It reads the jobs list
 * through a `select`, so it renders again only when the count changes, not
 * on every progress report of every job.
 */
function ActiveJobsBadge({ onOpen }: { onOpen: () => void }) {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const active = useQuery({
    ...orpc.jobs.list.queryOptions({ input: JOBS_LIST_INPUT }),
    select: (jobs) => jobs.filter((j) => j.state === 'running' || j.state === 'queued').length,
  });
  const count = active.data ?? 0;
  return (
    <Tooltip title={t('header.activeJobs', { count })}>
      <Badge count={count} size="small">
        <Button icon={<UnorderedListOutlined />} onClick={onOpen} aria-label={t('nav.jobs')} data-testid="header-jobs" />
      </Badge>
    </Tooltip>
  );
}

function useHashArea(): [Area, (a: Area) => void] {
  return [areaFromHash(useHash()), (a) => goTo(a)];
}

export function AppShell({ onLost }: { onLost: (listener: () => void) => void }) {
  const { t } = useTranslation();
  const prefs = usePreferences();
  const { token } = theme.useToken();
  const [area, go] = useHashArea();
  const [lost, setLost] = useState(false);
  const markLost = useCallback(() => setLost(true), []);
  useEffect(() => onLost(markLost), [onLost, markLost]);
  useJobsFeed(markLost);

  // Alt+1..8 switches areas, the same keys in both languages.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const n = Number.parseInt(e.key, 10);
      const target = AREAS[n - 1];
      if (target) {
        e.preventDefault();
        go(target);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  let content: ReactNode;
  if (area === 'jobs') content = <JobsPage />;
  else if (area === 'catalog') content = <CatalogPage />;
  else if (area === 'bundles') content = <BundlesPage />;
  else if (area === 'station') content = <StationPage />;
  else if (area === 'activation') content = <ActivationPage />;
  else if (area === 'settings') content = <SettingsPage />;
  else if (area === 'terminal') content = <TerminalPage />;
  else content = <ClustersPage />;

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider width={220} theme={prefs.dark ? 'dark' : 'light'} style={{ borderRight: `1px solid ${token.colorBorderSecondary}` }}>
        <div style={{ padding: '16px 20px' }}>
          <Typography.Title level={4} style={{ margin: 0 }}>
            <ApiOutlined /> {t('app.name')}
          </Typography.Title>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('app.tagline')}
          </Typography.Text>
        </div>
        <Menu
          data-testid="nav"
          mode="inline"
          theme={prefs.dark ? 'dark' : 'light'}
          selectedKeys={[area]}
          onClick={(e) => go(e.key as Area)}
          items={AREAS.map((a, i) => ({
            key: a,
            icon: ICONS[a],
            label: (
              <span data-testid={`nav-${a}`} title={`Alt+${i + 1}`}>
                {t(`nav.${a}`)}
              </span>
            ),
          }))}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: token.colorBgContainer,
            borderBottom: `1px solid ${token.colorBorderSecondary}`,
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'space-between',
            padding: '0 24px',
          }}
        >
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="area-title">
            {t(`nav.${area}`)}
          </Typography.Title>
          <Space size="middle">
            <ActiveJobsBadge onOpen={() => go('jobs')} />
            <Segmented
              data-testid="language-switch"
              aria-label={t('header.language')}
              value={prefs.locale}
              onChange={(v) => prefs.setLocale(v as 'en' | 'zh-CN')}
              options={[
                { value: 'en', label: 'EN' },
                { value: 'zh-CN', label: '中文' },
              ]}
            />
            <Segmented
              data-testid="theme-switch"
              aria-label={t('header.theme')}
              value={prefs.settings.theme}
              onChange={(v) => prefs.setTheme(v as 'light' | 'dark' | 'system')}
              options={[
                { value: 'light', label: t('header.themeLight') },
                { value: 'dark', label: t('header.themeDark') },
                { value: 'system', label: t('header.themeSystem') },
              ]}
            />
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: 24 }}>
          {lost && (
            <Alert
              type="error"
              showIcon
              style={{ marginBottom: 16 }}
              data-testid="connection-lost"
              title={t('errors.disconnected')}
              description={t('errors.disconnectedHelp')}
              action={<Button onClick={() => window.location.reload()}>{t('errors.reload')}</Button>}
            />
          )}
          {content}
        </Layout.Content>
        <Layout.Footer style={{ padding: '8px 24px', fontSize: 12 }}>
          <Typography.Text type="secondary">{t('header.shortcuts')}</Typography.Text>
        </Layout.Footer>
      </Layout>
    </Layout>
  );
}
