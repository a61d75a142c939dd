import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Badge, Button, Card, Descriptions, InputNumber, Radio, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DoctorReport } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { errorText } from '../api/errors';
import { formatBytes, formatDuration } from '../i18n/format';
import { useAreaPath } from '../shell/location';
import { usePreferences } from './preferences';
import { StationKeyCard } from './StationKeyCard';

/** Station-wide: how many boxes are flashed at once, across every run (saved when the field is left or Enter is pressed). */
function FlashConcurrencyField() {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const { settings, lang } = usePreferences();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [value, setValue] = useState<number | null>(settings.flashConcurrency);
  const [problem, setProblem] = useState<string | null>(null);
  const update = useMutation(
    orpc.settings.update.mutationOptions({
      onSuccess: (s) => {
        queryClient.setQueryData(orpc.settings.get.queryKey(), s);
        setValue(s.flashConcurrency);
        void message.success(t('station.settings.saved', { count: s.flashConcurrency }));
      },
      onError: (e) => setProblem(errorText(e, lang, t('errors.generic'))),
    }),
  );
  const save = () => {
    setProblem(null);
    if (value === null || !Number.isInteger(value) || value < 1 || value > 64) return setProblem(t('station.settings.range'));
    if (value !== settings.flashConcurrency) update.mutate({ flashConcurrency: value });
  };
  return (
    <Space orientation="vertical" size={2}>
      <Space>
        <InputNumber
          precision={0}
          value={value}
          onChange={(v) => setValue(typeof v === 'number' ? v : null)}
          onBlur={save}
          onPressEnter={save}
          status={problem ? 'error' : undefined}
          disabled={update.isPending}
          style={{ width: 100 }}
          aria-label={t('station.settings.concurrency')}
          data-testid="settings-flash-concurrency"
        />
        <Typography.Text type="secondary">{t('station.settings.boxes')}</Typography.Text>
      </Space>
      {problem ? (
        <Typography.Text type="danger" data-testid="settings-flash-concurrency-error">
          {problem}
        </Typography.Text>
      ) : (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('station.settings.help')}
        </Typography.Text>
      )}
    </Space>
  );
}

export function SettingsPage() {
  const { t } = useTranslation();
  const { orpc } = useApi();
  const prefs = usePreferences();
  const { lang } = prefs;
  const { message } = App.useApp();
  const path = useAreaPath();
  const info = useQuery(orpc.system.info.queryOptions());
  const native = useQuery(orpc.system.nativeHealth.queryOptions());
  const doctor = useMutation(orpc.system.doctor.mutationOptions({ onError: (e) => void message.error(errorText(e, lang, t('errors.generic'))) }));
  const backup = useMutation(
    orpc.system.backup.mutationOptions({
      onSuccess: (r) => void message.success(t('settings.backupDone', { path: r.path, size: formatBytes(r.bytes) })),
      onError: (e) => void message.error(errorText(e, lang, t('errors.generic'))),
    }),
  );

  const shellLabel =
    info.data?.shell === 'electron' ? t('settings.shellElectron') : info.data?.shell === 'cli' ? t('settings.shellCli') : t('settings.shellHost');

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Card title={t('settings.preferences')} size="small">
        <Descriptions column={1} size="small">
          <Descriptions.Item label={t('settings.language')}>
            <Select
              style={{ width: 220 }}
              data-testid="settings-language"
              value={prefs.settings.locale ?? 'system'}
              onChange={(v: string) => prefs.setLocale(v === 'system' ? null : (v as 'en' | 'zh-CN'))}
              options={[
                { value: 'system', label: t('settings.languageFollowOs') },
                { value: 'en', label: 'English' },
                { value: 'zh-CN', label: '简体中文' },
              ]}
            />
          </Descriptions.Item>
          <Descriptions.Item label={t('settings.theme')}>
            <Radio.Group
              value={prefs.settings.theme}
              onChange={(e) => prefs.setTheme(e.target.value)}
              optionType="button"
              options={[
                { value: 'light', label: t('header.themeLight') },
                { value: 'dark', label: t('header.themeDark') },
                { value: 'system', label: t('header.themeSystem') },
              ]}
            />
          </Descriptions.Item>
          <Descriptions.Item label={t('station.settings.concurrency')}>
            <FlashConcurrencyField />
          </Descriptions.Item>
        </Descriptions>
      </Card>

      <StationKeyCard focus={path[0] === 'station-key'} />

      <Card title={t('settings.system')} size="small" loading={info.isLoading}>
        {info.data && (
          <Descriptions column={1} size="small" bordered data-testid="system-info">
            <Descriptions.Item label={t('settings.version')}>{info.data.version}</Descriptions.Item>
            <Descriptions.Item label={t('settings.shell')}>{shellLabel}</Descriptions.Item>
            <Descriptions.Item label={t('settings.home')}>
              <Typography.Text code copyable>
                {info.data.home}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('settings.database')}>
              <Typography.Text code>{info.data.databasePath}</Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('settings.schema')}>
              {info.data.schema.map((s) => (
                <Tag key={s.module}>{`${s.module} v${s.version}`}</Tag>
              ))}
            </Descriptions.Item>
            <Descriptions.Item label={t('settings.platform')}>{`${info.data.platform} ${info.data.arch} · Node ${info.data.node}`}</Descriptions.Item>
          </Descriptions>
        )}
      </Card>

      <Card
        title={t('settings.native')}
        size="small"
        loading={native.isLoading}
        extra={
          <Button size="small" onClick={() => void native.refetch()} loading={native.isFetching}>
            {t('settings.nativeRefresh')}
          </Button>
        }
      >
        {native.data && (
          <Space direction="vertical" style={{ width: '100%' }} data-testid="native-health">
            <Space>
              <Badge status={native.data.ok ? 'success' : 'error'} text={native.data.ok ? t('settings.nativeOk') : t('settings.nativeFail')} />
              <Tag>{native.data.kind === 'utility-process' ? t('settings.nativeKindUtility') : t('settings.nativeKindChild')}</Tag>
              {native.data.pid !== null && <span>{`${t('settings.pid')} ${native.data.pid}`}</span>}
              <span>{`${t('settings.uptime')} ${formatDuration(native.data.uptimeMs / 1000, lang)}`}</span>
              <span>{`${t('settings.restarts')} ${native.data.restarts}`}</span>
            </Space>
            {native.data.error && <Alert type="error" showIcon title={native.data.error[lang]} data-testid="native-health-error" />}
            <Space wrap>
              {native.data.modules.map((m) => (
                <Tag key={m.name} color={m.ok ? 'green' : 'red'} title={m.error ?? ''}>
                  {`${m.name} ${m.version ?? ''}`}
                </Tag>
              ))}
            </Space>
          </Space>
        )}
      </Card>

      <Card
        title={t('settings.doctor')}
        size="small"
        extra={
          <Button size="small" onClick={() => doctor.mutate(undefined)} loading={doctor.isPending} data-testid="doctor-run">
            {t('settings.doctorRun')}
          </Button>
        }
      >
        <Typography.Paragraph type="secondary">{t('settings.doctorHelp')}</Typography.Paragraph>
        {doctor.data && (
          <Table<DoctorReport['checks'][number]>
            size="small"
            rowKey="id"
            pagination={false}
            dataSource={doctor.data.checks}
            columns={[
              { key: 'status', width: 90, render: (_, c) => <Tag color={c.status === 'ok' ? 'green' : c.status === 'warn' ? 'gold' : 'red'}>{c.status}</Tag> },
              { key: 'title', width: 260, render: (_, c) => c.title[lang] },
              { key: 'detail', render: (_, c) => c.detail[lang] },
            ]}
          />
        )}
      </Card>

      <Card
        title={t('settings.backup')}
        size="small"
        extra={
          <Button size="small" onClick={() => backup.mutate({})} loading={backup.isPending} data-testid="backup-run">
            {t('settings.backupRun')}
          </Button>
        }
      >
        <Typography.Paragraph type="secondary">{t('settings.backupHelp')}</Typography.Paragraph>
      </Card>
    </Space>
  );
}
