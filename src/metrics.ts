/**
 * Prometheus metrics of the worker. One registry per worker, injected where counted; the
 * Temporal SDK's own metrics are appended at scrape time (src/runtime.ts).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DELETE_REASONS, KILL_REASONS } from './contract/messages';
import { ENGINE_STATES, type EngineState } from './contract/names';
import { engineState, type EngineStateOptions } from './k8s/engine-state';

/** The engine pods one namespace's shared watch holds, read at scrape time. */
export interface WatchedPods {
  namespace: string;
  pods: readonly V1Pod[];
}

const KNOWN_DELETE_REASONS = new Set<string>([
  ...Object.values(DELETE_REASONS),
  KILL_REASONS.maxLifetime,
  KILL_REASONS.pendingTimeout,
  KILL_REASONS.cancelled,
]);

/** A kill's reason is a caller's free text: as a label it is one value, or series would grow without bound. */
export function deleteReasonLabel(reason: string): string {
  return KNOWN_DELETE_REASONS.has(reason) ? reason : 'KillRequested';
}

/** The last `capacity` keys seen: dedupes repeated reports without growing forever. */
export class RecentKeys {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** True the first time `key` is seen (among the last `capacity`). */
  addIfNew(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
    return true;
  }
}

/** Every state counted, zeros included, so an alert on a state never sees a missing series. */
export function countEngines(pods: readonly V1Pod[], options: EngineStateOptions): Record<EngineState, number> {
  const counts = Object.fromEntries(ENGINE_STATES.map((state) => [state, 0])) as Record<EngineState, number>;
  for (const pod of pods) counts[engineState(pod, options).state] += 1;
  return counts;
}

export interface Metrics {
  registry: Registry;
  kubeRequests: Counter<'verb' | 'code'>;
  podsCreated: Counter<'namespace'>;
  podsDeleted: Counter<'namespace' | 'reason'>;
  engineTransitions: Counter<'namespace' | 'state'>;
  engines: Gauge<'namespace' | 'state'>;
  /** Sets where `engines` reads its pods from (the worker's shared watches) and how it maps them. */
  countEnginesFrom(source: () => Iterable<WatchedPods>, options: EngineStateOptions): void;
  orphans: Counter<'namespace' | 'decision'>;
  recoveryRuns: Counter<'namespace'>;
  recoveryDuration: Histogram<'namespace'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'kpl_' });
  const registers = [registry];
  let engineSource: { pods: () => Iterable<WatchedPods>; options: EngineStateOptions } | undefined;
  const engines = new Gauge({
    name: 'kpl_engines',
    help: "Engine pods in this worker's shared watches, by engine state (worker default state source)",
    labelNames: ['namespace', 'state'],
    registers,
    collect() {
      if (!engineSource) return;
      this.reset();
      for (const { namespace, pods } of engineSource.pods()) {
        for (const [state, count] of Object.entries(countEngines(pods, engineSource.options))) this.set({ namespace, state }, count);
      }
    },
  });
  return {
    engines,
    countEnginesFrom(pods, stateOptions) {
      engineSource = { pods, options: stateOptions };
    },
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
      help: 'Engine state transitions recorded by enginePod workflows, by namespace and the state entered',
      labelNames: ['namespace', 'state'],
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
