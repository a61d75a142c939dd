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

/**
 * Warning and error text (Typography type="warning" / "danger": usage figures at 75 % and 90 %, refusals) at a
 * contrast of at least 4.5:1 (WCAG AA) on the page: antd's defaults are #faad14 (1.9:1 on white) and #ff4d4f (3.3:1)
 * in the light theme, #dc4446 (4.3:1 on #141414) in the dark one.
 */
const LIGHT_TEXT = { colorWarningText: '#874d00', colorErrorText: '#cf1322' } as const;
const DARK_TEXT = { colorErrorText: '#f0605d' } as const;

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
        theme={{ algorithm: dark ? antTheme.darkAlgorithm : antTheme.defaultAlgorithm, token: { colorPrimary: '#1f6feb', ...(dark ? DARK_TEXT : LIGHT_TEXT) } }}
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
