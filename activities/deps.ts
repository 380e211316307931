import type { Client } from '@temporalio/client';
import type { Config } from '../src/config';
import type { Kube } from '../src/k8s/kube';
import type { PodWatchers } from '../src/k8s/pod-watcher';
import type { Logger } from '../src/logger';
import type { Metrics } from '../src/metrics';

/** Everything activities touch, injected so tests can pass real or fake parts. */
export interface ActivityDeps {
  kube: Kube;
  watchers: PodWatchers;
  config: Config;
  metrics: Metrics;
  logger: Logger;
  /** Needed by recovery's activities only. */
  temporal?: Client;
}
