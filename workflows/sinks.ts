/**
 * What workflows report to the worker process outside their history: engine state
 * transitions for the worker's Prometheus counter. A sink call is not made while a
 * workflow replays, so a transition is counted once, by the worker that first ran it.
 */
import type { Sinks } from '@temporalio/workflow';
import type { EngineState } from '../src/contract/names';

export interface EngineSinks extends Sinks {
  engineMetrics: {
    /**
     * The engine entered `state` (its Kubernetes namespace, for the metric's label). `seq`
     * numbers the run's reports, so a report repeated by a redone workflow task is known.
     */
    stateEntered(event: { namespace: string; state: EngineState; seq: number }): void;
  };
}
