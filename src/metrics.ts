/**
 * Prometheus metrics of the worker. One registry per process, injected where counted.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  kubeRequests: Counter<'verb' | 'code'>;
  podsCreated: Counter<'namespace'>;
  podsDeleted: Counter<'namespace' | 'reason'>;
  engineTransitions: Counter<'state'>;
  orphans: Counter<'namespace' | 'decision'>;
  recoveryRuns: Counter<'namespace'>;
  recoveryDuration: Histogram<'namespace'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'kpl_' });
  const registers = [registry];
  return {
    registry,
    kubeRequests: new Counter({
      name: 'kpl_kubernetes_requests_total',
      help: 'Kubernetes API requests by verb and HTTP status code',
      labelNames: ['verb', 'code'],
      registers,
    }),
    podsCreated: new Counter({ name: 'kpl_pods_created_total', help: 'Engine pods created', labelNames: ['namespace'], registers }),
    podsDeleted: new Counter({
      name: 'kpl_pods_deleted_total',
      help: 'Engine pods deleted, by reason',
      labelNames: ['namespace', 'reason'],
      registers,
    }),
    engineTransitions: new Counter({
      name: 'kpl_engine_state_transitions_total',
      help: 'Engine state transitions observed, by the state entered',
      labelNames: ['state'],
      registers,
    }),
    orphans: new Counter({
      name: 'kpl_recovery_orphans_total',
      help: 'Orphan pods found by recovery, by decision',
      labelNames: ['namespace', 'decision'],
      registers,
    }),
    recoveryRuns: new Counter({ name: 'kpl_recovery_runs_total', help: 'Recovery runs', labelNames: ['namespace'], registers }),
    recoveryDuration: new Histogram({
      name: 'kpl_recovery_duration_seconds',
      help: 'Duration of a recovery run',
      labelNames: ['namespace'],
      buckets: [0.5, 1, 5, 15, 60, 120, 300],
      registers,
    }),
  };
}
