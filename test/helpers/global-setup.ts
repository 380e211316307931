/**
 * Integration tests run against the real local stack: start it (building binaries once
 * when the cache is empty) or reuse a running one. The connection settings reach the
 * tests through the environment, as they reach the CLI.
 */
import { ENCRYPTION_KEY_VARIABLE } from '../../src/codec/keys';
import { stackUp } from '../../src/stack';
import { TEST_TEMPORAL_OPTIONS } from './stack-options';

export default async function globalSetup(): Promise<void> {
  // A key exported in the developer's shell would make test workers encrypt while the
  // shared test clients do not; the encryption tests set their own keys.
  delete process.env[ENCRYPTION_KEY_VARIABLE];
  const info = await stackUp({ temporal: TEST_TEMPORAL_OPTIONS, restartTemporalIfConfigDiffers: true });
  process.env.TEMPORAL_ADDRESS = info.temporalAddress;
  process.env.TEMPORAL_NAMESPACE = info.temporalNamespace;
  process.env.KUBECONFIG = info.kubeconfigPath;
  // Stop the stack afterwards only if the tests brought it up from nothing.
  process.env.KPL_STACK_STARTED_BY_TESTS = info.startedNow.includes('etcd') ? '1' : '';
}
