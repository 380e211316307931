/**
 * The set-up every engine test file shares: an apiserver client, a worker on a queue of
 * its own, a client bound to that queue, and cleanup of whatever the file's tags left
 * (workflows terminated, pods deleted) even when a test failed.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import type { EngineClient } from '../../src/client';
import { Leftovers } from './engine';
import { kubeApi, type TestWorker } from './env';

export interface EngineSuite {
  readonly core: CoreV1Api;
  readonly worker: TestWorker;
  readonly engines: EngineClient;
  readonly leftovers: Leftovers;
}

/** Registers beforeAll/afterAll; the returned fields are set once beforeAll has run. */
export function engineSuite(startWorker: () => Promise<TestWorker>, namespace = 'default'): EngineSuite {
  const suite = { leftovers: new Leftovers(namespace) } as { -readonly [K in keyof EngineSuite]: EngineSuite[K] };
  beforeAll(async () => {
    suite.core = kubeApi();
    suite.worker = await startWorker();
    suite.engines = await suite.worker.engines();
  });
  afterAll(async () => {
    await suite.leftovers.clear(suite.core, suite.engines?.temporal);
    await suite.worker?.stop();
    await suite.engines?.temporal.connection.close();
  });
  return suite;
}
