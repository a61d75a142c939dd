/**
 * "Free the port": closes whatever this station holds open on a serial port
 * (a flash job or a terminal session) and says what it found. The Station's
 * port picker and the Terminal both use it.
 */
import { useMutation } from '@tanstack/react-query';
import { App } from 'antd';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context';
import { errorText } from '../api/errors';
import { usePreferences } from '../settings/preferences';

export function useFreePort(path: string, onFreed?: () => void) {
  const { t } = useTranslation();
  const { client } = useApi();
  const { lang } = usePreferences();
  const { message } = App.useApp();
  return useMutation({
    mutationFn: () => client.flash.freeSerialPort({ path }),
    onSuccess: (r) => {
      void message.info(r.freed ? t('serial.freed', { path }) : t('serial.notHeld', { path }));
      onFreed?.();
    },
    onError: (e) => void message.error(errorText(e, lang, t('errors.generic'))),
  });
}
