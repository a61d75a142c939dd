/**
 * UI preferences (language, theme) from the station's settings, with the OS
 * locale and colour scheme as defaults. Changing one saves it, so the choice
 * is remembered across restarts and shared by desktop and browser.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App as AntApp, ConfigProvider, theme as antTheme } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCNAnt from 'antd/locale/zh_CN';
import i18next from 'i18next';
import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { Locale, Settings, Theme } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { initI18n, langOf, localeFromSystem, type Lang } from '../i18n';

interface Preferences {
  settings: Settings;
  locale: Locale;
  lang: Lang;
  dark: boolean;
  setLocale(locale: Locale | null): void;
  setTheme(theme: Theme): void;
}

const PreferencesContext = createContext<Preferences | null>(null);

const darkQuery = typeof window !== 'undefined' ? window.matchMedia('(prefers-color-scheme: dark)') : null;
function subscribeDark(cb: () => void) {
  darkQuery?.addEventListener('change', cb);
  return () => darkQuery?.removeEventListener('change', cb);
}

export function PreferencesProvider({ children }: { children: ReactNode }) {
  const { orpc } = useApi();
  const queryClient = useQueryClient();
  const settingsQuery = useQuery(orpc.settings.get.queryOptions());
  const update = useMutation(
    orpc.settings.update.mutationOptions({
      onSuccess: (s) => queryClient.setQueryData(orpc.settings.get.queryKey(), s),
    }),
  );
  const systemDark = useSyncExternalStore(subscribeDark, () => darkQuery?.matches ?? false);
  const [ready, setReady] = useState(false);

  const settings = settingsQuery.data;
  const locale: Locale = settings?.locale ?? localeFromSystem();
  useEffect(() => {
    if (!settings) return;
    if (!i18next.isInitialized) initI18n(locale);
    else void i18next.changeLanguage(locale);
    document.documentElement.lang = locale;
    setReady(true);
  }, [settings, locale]);

  if (settingsQuery.error) throw settingsQuery.error;
  if (!settings || !ready) return null;

  const dark = settings.theme === 'dark' || (settings.theme === 'system' && systemDark);
  const value: Preferences = {
    settings,
    locale,
    lang: langOf(locale),
    dark,
    setLocale: (l) => update.mutate({ locale: l }),
    setTheme: (t) => update.mutate({ theme: t }),
  };
  return (
    <PreferencesContext.Provider value={value}>
      <ConfigProvider
        locale={locale === 'zh-CN' ? zhCNAnt : enUS}
        theme={{ algorithm: dark ? antTheme.darkAlgorithm : antTheme.defaultAlgorithm, token: { colorPrimary: '#1f6feb' } }}
      >
        <AntApp>{children}</AntApp>
      </ConfigProvider>
    </PreferencesContext.Provider>
  );
}

export function usePreferences(): Preferences {
  const v = useContext(PreferencesContext);
  if (!v) throw new Error('usePreferences outside PreferencesProvider');
  return v;
}
