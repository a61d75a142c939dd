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
import { createContext, useContext, useEffect, useSyncExternalStore, type ReactNode } from 'react';
import type { Locale, Settings, Theme } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { langOf, localeFromSystem, type Lang } from '../i18n';

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
  const settings = settingsQuery.data;
  const locale: Locale = settings?.locale ?? localeFromSystem();
  // Idempotent, and done before the first paint in the chosen language.
  if (settings && i18next.language !== locale) void i18next.changeLanguage(locale);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  if (settingsQuery.error) throw settingsQuery.error;
  if (!settings) return null;

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
        button={{ autoInsertSpace: false }}
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
