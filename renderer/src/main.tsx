import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connect } from './api/client';
import { ApiProvider } from './api/context';
import { initI18n, localeFromSystem } from './i18n';
import { PreferencesProvider } from './settings/preferences';
import { AppShell } from './shell/AppShell';

initI18n(localeFromSystem());
const connection = connect();
const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false, staleTime: 5_000 } },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ApiProvider connection={connection}>
        <PreferencesProvider>
          <AppShell onLost={connection.onLost} />
        </PreferencesProvider>
      </ApiProvider>
    </QueryClientProvider>
  </StrictMode>,
);
