import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import type { Locale } from '../../../main/api/contract';
import { en } from './en';
import { zhCN } from './zh-CN';

export type Lang = 'en' | 'zh';

/** The OS / browser locale mapped to one of the UI's languages. */
export function localeFromSystem(languages: readonly string[] = navigator.languages): Locale {
  return languages[0]?.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export function langOf(locale: Locale): Lang {
  return locale === 'zh-CN' ? 'zh' : 'en';
}

export function initI18n(locale: Locale) {
  void i18next.use(initReactI18next).init({
    resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
    lng: locale,
    fallbackLng: 'en',
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return i18next;
}
