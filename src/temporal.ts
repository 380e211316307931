/**
 * Temporal connection settings from Temporal's own environment variables and config
 * file (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key), as every Temporal tool reads them.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';

export interface TemporalSettings {
  address: string;
  namespace: string;
  connectionOptions: ReturnType<typeof loadClientConnectConfig>['connectionOptions'];
}

export function temporalSettings(): TemporalSettings {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const address = connectionOptions.address ?? '127.0.0.1:7233';
  return { address, namespace: namespace ?? 'default', connectionOptions: { ...connectionOptions, address } };
}

export async function connectClient(settings: TemporalSettings = temporalSettings()): Promise<Client> {
  const connection = await Connection.connect(settings.connectionOptions);
  return new Client({ connection, namespace: settings.namespace });
}
