import { createTanstackQueryUtils } from '@orpc/tanstack-query';
import { createContext, useContext, useMemo, type ReactNode } from 'react';
import type { ApiClient, Connection } from './client';

function makeUtils(client: ApiClient) {
  return createTanstackQueryUtils(client);
}

export type ApiUtils = ReturnType<typeof makeUtils>;

interface ApiValue {
  client: ApiClient;
  orpc: ApiUtils;
  transport: Connection['transport'];
}

const ApiContext = createContext<ApiValue | null>(null);

export function ApiProvider({ connection, children }: { connection: Connection; children: ReactNode }) {
  const value = useMemo<ApiValue>(() => ({ client: connection.client, orpc: makeUtils(connection.client), transport: connection.transport }), [connection]);
  return <ApiContext.Provider value={value}>{children}</ApiContext.Provider>;
}

export function useApi(): ApiValue {
  const v = useContext(ApiContext);
  if (!v) throw new Error('useApi outside ApiProvider');
  return v;
}
