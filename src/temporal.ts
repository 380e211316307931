/**
 * Temporal connection settings from Temporal's own environment variables and config
 * file (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key), as every Temporal tool reads them,
 * and the data converter (payload encryption from KPL_ENCRYPTION_KEY). Built here once so
 * the worker, the client library, the CLI and recovery all read and write the same payloads.
 */
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { encryptingDataConverter, loadEncryptionKeys } from './codec';

export interface TemporalSettings {
  address: string;
  namespace: string;
  connectionOptions: ReturnType<typeof loadClientConnectConfig>['connectionOptions'];
  /** Undefined = the SDK's default (no encryption). */
  dataConverter?: DataConverter;
}

export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const address = connectionOptions.address ?? '127.0.0.1:7233';
  return {
    address,
    namespace: namespace ?? 'default',
    connectionOptions: { ...connectionOptions, address },
    dataConverter: encryptingDataConverter(loadEncryptionKeys(env)),
  };
}

export async function connectClient(settings: TemporalSettings = temporalSettings()): Promise<Client> {
  const connection = await Connection.connect(settings.connectionOptions);
  return new Client({ connection, namespace: settings.namespace, dataConverter: settings.dataConverter });
}
